//! Chengguo's domain: the types every other crate speaks, parsed at the edge so that an invalid
//! value cannot exist past it, and the rules (who may do what) that hold whatever the storage.
//! No I/O lives here.

pub mod access;
pub mod achievement;
pub mod audit;
pub mod codes;
pub mod contract;
pub mod demand;
pub mod incentive;
pub mod matching;
pub mod money;
pub mod org;
pub mod password;
pub mod plan;
pub mod refdata;
pub mod role;

pub use access::Actor;
pub use codes::{CreditCode, DivisionCode};
pub use money::Fen;
pub use org::{NewOrganization, OrgKind, Organization, OrganizationPatch};
pub use password::{PasswordPolicy, PasswordProblem};
pub use role::Role;

/// A problem with one field of an input: the field's name (as the API and the import formats call
/// it) and a message for the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}
