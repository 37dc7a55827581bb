//! Row-level rules: who may change which record. Handlers say *which roles* may call them (in
//! their signatures); these functions say *which rows* an account of those roles may touch.

use crate::org::{Organization, OrganizationPatch};
use crate::role::Role;
use serde::Serialize;

/// The account acting, as the web layer and the CLI know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub roles: Vec<Role>,
    /// The organization the account belongs to, if any.
    pub org_id: Option<i64>,
    /// For district officers: the district's division code.
    pub district_code: Option<String>,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("{0}")]
    Forbidden(String),
}

impl Actor {
    /// The command-line operator: acts as the bureau, audited as `cli:<name>`.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: 0,
            username: format!("cli:{name}"),
            roles: vec![Role::Bureau],
            org_id: None,
            district_code: None,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    pub fn is_bureau(&self) -> bool {
        self.has(Role::Bureau)
    }
}

/// The bureau edits any organization; any other account edits only its own, and may not change
/// what identifies or classifies it (credit code, kind), which the bureau vouches for.
pub fn can_update_org(
    actor: &Actor,
    org: &Organization,
    patch: &OrganizationPatch,
) -> Result<(), Denied> {
    if actor.is_bureau() {
        return Ok(());
    }
    if actor.org_id != Some(org.id) {
        return Err(Denied::Forbidden(format!(
            "account '{}' may only edit its own organization, not '{}'",
            actor.username, org.name
        )));
    }
    if patch.credit_code.is_some() || patch.kind.is_some() {
        return Err(Denied::Forbidden(
            "only the bureau may change an organization's credit code or kind".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::OrgKind;

    fn org(id: i64) -> Organization {
        Organization {
            id,
            name: "东北大学".into(),
            credit_code: "x".into(),
            division_code: "210102".into(),
            nature: "022".into(),
            kind: OrgKind::University,
            description: String::new(),
            is_demo: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn actor(role: Role, org_id: Option<i64>) -> Actor {
        Actor {
            user_id: 9,
            username: "u".into(),
            roles: vec![role],
            org_id,
            district_code: None,
        }
    }

    #[test]
    fn own_org_only() {
        let rename = OrganizationPatch {
            name: Some("新".into()),
            ..Default::default()
        };
        assert!(can_update_org(&actor(Role::Unit, Some(1)), &org(1), &rename).is_ok());
        assert!(can_update_org(&actor(Role::Unit, Some(2)), &org(1), &rename).is_err());
        assert!(can_update_org(&actor(Role::Enterprise, None), &org(1), &rename).is_err());
        assert!(can_update_org(&actor(Role::Bureau, None), &org(1), &rename).is_ok());
    }

    #[test]
    fn kind_is_the_bureaus() {
        let rekind = OrganizationPatch {
            kind: Some(OrgKind::Enterprise),
            ..Default::default()
        };
        assert!(can_update_org(&actor(Role::Unit, Some(1)), &org(1), &rekind).is_err());
    }
}
