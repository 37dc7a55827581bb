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

/// The fields of an organization that identify or classify it, which the bureau vouches for: the
/// credit code, the division (where it is counted), the nature and the kind.
pub const BUREAU_ONLY_ORG_FIELDS: [&str; 4] = ["credit_code", "division_code", "nature", "kind"];

/// The identifying fields (of [`BUREAU_ONLY_ORG_FIELDS`]) that `patch` would change on `org`.
pub fn identifying_changes(org: &Organization, patch: &OrganizationPatch) -> Vec<&'static str> {
    let mut out = Vec::new();
    if patch
        .credit_code
        .as_ref()
        .is_some_and(|c| c.as_str() != org.credit_code)
    {
        out.push("credit_code");
    }
    if patch
        .division_code
        .as_ref()
        .is_some_and(|d| d.as_str() != org.division_code)
    {
        out.push("division_code");
    }
    if patch.nature.as_ref().is_some_and(|n| *n != org.nature) {
        out.push("nature");
    }
    if patch.kind.is_some_and(|k| k != org.kind) {
        out.push("kind");
    }
    out
}

/// The bureau edits any organization; any other account edits only its own, and may not change
/// what identifies or classifies it (credit code, division, nature, kind), which the bureau
/// vouches for. Giving such a field its current value is no change and allowed.
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
    let changed = identifying_changes(org, patch);
    if !changed.is_empty() {
        return Err(Denied::Forbidden(format!(
            "只有科技局可以修改机构的信用代码、行政区划、单位性质和类型 / only the bureau may change an organization's {}",
            changed.join(", ")
        )));
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

    #[test]
    fn division_and_nature_are_the_bureaus() {
        let unit = actor(Role::Unit, Some(1));
        let moved = OrganizationPatch {
            division_code: Some(crate::DivisionCode::parse("210106").unwrap()),
            ..Default::default()
        };
        let e = can_update_org(&unit, &org(1), &moved).unwrap_err();
        assert!(e.to_string().contains("division_code"), "{e}");
        let renatured = OrganizationPatch {
            nature: Some("150".into()),
            ..Default::default()
        };
        let e = can_update_org(&unit, &org(1), &renatured).unwrap_err();
        assert!(e.to_string().contains("nature"), "{e}");
        // the current values again are no change
        let same = OrganizationPatch {
            division_code: Some(crate::DivisionCode::parse("210102").unwrap()),
            nature: Some("022".into()),
            kind: Some(OrgKind::University),
            ..Default::default()
        };
        assert!(can_update_org(&unit, &org(1), &same).is_ok());
        assert!(can_update_org(&actor(Role::Bureau, None), &org(1), &moved).is_ok());
    }
}
