//! Technical demands (技术需求) posted by enterprises: the second link of the chain, what
//! achievements are matched against.
//!
//! # Workflow ([`transition`])
//!
//! | from | action | taken by | to |
//! |---|---|---|---|
//! | draft | `publish` | owner enterprise, bureau | published |
//! | published | `match` | owner enterprise, bureau | matched |
//! | draft, published | `close` | owner enterprise, bureau | closed |
//! | published | `expire` | bureau | expired |
//! | closed, expired | `reopen` | owner enterprise, bureau | draft |
//!
//! A published demand whose deadline has passed shows as expired and drops out of default
//! listings even before the bureau marks it.
//!
//! # Visibility
//! `public` demands are seen by everyone once published (contacts only by signed-in accounts);
//! `restricted` demands only by brokers, the bureau and the owner's accounts.

use crate::achievement::{parse_chains, raw, split_list, Errs, Visibility, TEXT_MAX, TITLE_MAX};
use crate::money::Fen;
use crate::refdata::{self, Code};
use crate::{Actor, FieldError, Role};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The columns of a demands file, English key and Chinese header (docs/formats.md).
pub const IMPORT_COLUMNS: [(&str, &str); 16] = [
    ("ref", "需求编号"),
    ("title", "需求名称"),
    ("description", "需求描述"),
    ("keywords", "关键词"),
    ("owner_credit_code", "企业统一社会信用代码"),
    ("industrial_chain", "产业链"),
    ("tech_field", "技术领域"),
    ("budget_min", "预算下限"),
    ("budget_max", "预算上限"),
    ("deadline", "截止日期"),
    ("cooperation_mode", "合作方式"),
    ("district", "所在区县"),
    ("visibility", "公开范围"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("status", "状态"),
];

/// 合作方式: how the enterprise wants to cooperate.
pub static COOPERATION_MODES: &[Code] = &[
    Code {
        code: "transfer",
        zh: "技术转让",
        en: "Technology transfer",
        parent: None,
        aliases: &["转让"],
    },
    Code {
        code: "licensing",
        zh: "技术许可",
        en: "Licensing",
        parent: None,
        aliases: &["许可"],
    },
    Code {
        code: "joint_development",
        zh: "合作开发",
        en: "Joint development",
        parent: None,
        aliases: &["联合开发"],
    },
    Code {
        code: "commissioned_development",
        zh: "委托开发",
        en: "Commissioned development",
        parent: None,
        aliases: &[],
    },
    Code {
        code: "consulting_service",
        zh: "技术咨询与服务",
        en: "Consulting and technical service",
        parent: None,
        aliases: &["技术咨询", "技术服务"],
    },
    Code {
        code: "equity",
        zh: "作价投资",
        en: "Investment at a valuation",
        parent: None,
        aliases: &["作价入股"],
    },
    Code {
        code: "other",
        zh: "其他",
        en: "Other",
        parent: None,
        aliases: &["其它", "面议"],
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandStatus {
    Draft,
    Published,
    Matched,
    Closed,
    Expired,
}

impl DemandStatus {
    pub const ALL: [DemandStatus; 5] = [
        DemandStatus::Draft,
        DemandStatus::Published,
        DemandStatus::Matched,
        DemandStatus::Closed,
        DemandStatus::Expired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DemandStatus::Draft => "draft",
            DemandStatus::Published => "published",
            DemandStatus::Matched => "matched",
            DemandStatus::Closed => "closed",
            DemandStatus::Expired => "expired",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            DemandStatus::Draft => "草稿",
            DemandStatus::Published => "已发布",
            DemandStatus::Matched => "已对接",
            DemandStatus::Closed => "已关闭",
            DemandStatus::Expired => "已过期",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            DemandStatus::Draft => "Draft",
            DemandStatus::Published => "Published",
            DemandStatus::Matched => "Matched",
            DemandStatus::Closed => "Closed",
            DemandStatus::Expired => "Expired",
        }
    }
    pub fn parse(s: &str) -> Option<DemandStatus> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(t) || k.zh() == t)
    }
}

impl fmt::Display for DemandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandAction {
    Publish,
    Match,
    Close,
    Expire,
    Reopen,
}

impl DemandAction {
    pub const ALL: [DemandAction; 5] = [
        DemandAction::Publish,
        DemandAction::Match,
        DemandAction::Close,
        DemandAction::Expire,
        DemandAction::Reopen,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DemandAction::Publish => "publish",
            DemandAction::Match => "match",
            DemandAction::Close => "close",
            DemandAction::Expire => "expire",
            DemandAction::Reopen => "reopen",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            DemandAction::Publish => "发布",
            DemandAction::Match => "标记为已对接",
            DemandAction::Close => "关闭",
            DemandAction::Expire => "标记过期",
            DemandAction::Reopen => "重新打开",
        }
    }
    pub fn parse(s: &str) -> Option<DemandAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }
}

pub fn next_status(from: DemandStatus, action: DemandAction) -> Option<DemandStatus> {
    use DemandAction as A;
    use DemandStatus as S;
    match (from, action) {
        (S::Draft, A::Publish) => Some(S::Published),
        (S::Published, A::Match) => Some(S::Matched),
        (S::Draft | S::Published, A::Close) => Some(S::Closed),
        (S::Published, A::Expire) => Some(S::Expired),
        (S::Closed | S::Expired, A::Reopen) => Some(S::Draft),
        (S::Draft, A::Match | A::Expire | A::Reopen)
        | (S::Published, A::Publish | A::Reopen)
        | (S::Matched, _)
        | (S::Closed | S::Expired, A::Publish | A::Match | A::Close | A::Expire) => None,
    }
}

/// An enterprise account of the owner organization.
pub fn is_owner(actor: &Actor, owner_org_id: i64) -> bool {
    actor.has(Role::Enterprise) && actor.org_id == Some(owner_org_id)
}

/// Who may create or edit demands of `owner_org_id`: the bureau, or an enterprise account of it.
pub fn can_edit(actor: &Actor, owner_org_id: i64) -> Result<(), crate::access::Denied> {
    if actor.is_bureau() || is_owner(actor, owner_org_id) {
        Ok(())
    } else {
        Err(crate::access::Denied::Forbidden(format!(
            "account '{}' may only edit its own enterprise's demands",
            actor.username
        )))
    }
}

pub fn transition(
    actor: &Actor,
    owner_org_id: i64,
    from: DemandStatus,
    action: DemandAction,
) -> Result<DemandStatus, crate::achievement::TransitionError> {
    use crate::achievement::TransitionError;
    let to = next_status(from, action).ok_or_else(|| {
        TransitionError::Invalid(format!(
            "cannot {} a demand that is {}",
            action.as_str(),
            from.as_str()
        ))
    })?;
    let allowed = match action {
        DemandAction::Expire => actor.is_bureau(),
        _ => actor.is_bureau() || is_owner(actor, owner_org_id),
    };
    if !allowed {
        return Err(TransitionError::Forbidden(format!(
            "account '{}' may not {} this demand",
            actor.username,
            action.as_str()
        )));
    }
    Ok(to)
}

pub fn allowed_actions(
    actor: Option<&Actor>,
    owner_org_id: i64,
    from: DemandStatus,
) -> Vec<DemandAction> {
    let Some(actor) = actor else { return vec![] };
    DemandAction::ALL
        .into_iter()
        .filter(|a| transition(actor, owner_org_id, from, *a).is_ok())
        .collect()
}

/// The demands a viewer may read (see [`crate::achievement::ReadScope`]): restricted demands
/// need a broker or the bureau.
pub fn read_scope(viewer: Option<&Actor>) -> crate::achievement::ReadScope {
    match viewer {
        None => Default::default(),
        Some(a) => crate::achievement::ReadScope {
            all: a.is_bureau(),
            org_id: a.org_id,
            restricted: a.has_any(&[Role::Broker, Role::Bureau]),
            contacts: true,
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demand {
    pub id: i64,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub chain: Option<String>,
    pub tech_field: Option<String>,
    pub budget_min: Option<Fen>,
    pub budget_max: Option<Fen>,
    pub deadline: Option<String>,
    pub cooperation_mode: Option<String>,
    /// County-level division code.
    pub district: String,
    pub visibility: Visibility,
    pub contact_name: String,
    pub contact_phone: String,
    pub owner_org_id: i64,
    pub status: DemandStatus,
    pub published_at: Option<String>,
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Demand {
    /// The status a reader sees: a published demand past its deadline is expired.
    pub fn effective_status(&self, today: &str) -> DemandStatus {
        match (&self.status, &self.deadline) {
            (DemandStatus::Published, Some(d)) if d.as_str() < today => DemandStatus::Expired,
            (s, _) => *s,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DemandInput {
    #[serde(default, rename = "ref", deserialize_with = "raw")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub keywords: Option<String>,
    #[serde(default, alias = "chain", deserialize_with = "raw")]
    pub industrial_chain: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub tech_field: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub budget_min: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub budget_max: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub deadline: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub cooperation_mode: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub district: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub visibility: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub contact_name: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub contact_phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDemand {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub chain: Option<String>,
    pub tech_field: Option<String>,
    pub budget_min: Option<Fen>,
    pub budget_max: Option<Fen>,
    pub deadline: Option<String>,
    pub cooperation_mode: Option<String>,
    /// Empty: the owner organization's division.
    pub district: String,
    pub visibility: Visibility,
    pub contact_name: String,
    pub contact_phone: String,
}

// A change parses as a whole: forms and PATCH send what they change, absent fields keep the
// stored value ([`DemandInput::merge_into`]).
impl DemandInput {
    pub fn into_new(self) -> Result<NewDemand, Vec<FieldError>> {
        let mut e = Errs(Vec::new());
        let reference = e.text("ref", self.reference.as_deref(), 64, false);
        let title = e.text("title", self.title.as_deref(), TITLE_MAX, true);
        let description = e.text("description", self.description.as_deref(), TEXT_MAX, false);
        let keywords = split_list(self.keywords.as_deref().unwrap_or(""));
        if keywords.len() > 20 {
            e.push("keywords", "最多 20 个 / at most 20 keywords");
        }
        let chains = parse_chains(&mut e, "industrial_chain", self.industrial_chain.as_deref());
        if chains.len() > 1 {
            e.push("industrial_chain", "只能选择一个产业链 / one chain only");
        }
        let tech_field = e.code(
            "tech_field",
            self.tech_field.as_deref(),
            refdata::tech_fields(),
        );
        let budget_min = e.money("budget_min", self.budget_min.as_deref());
        let budget_max = e.money("budget_max", self.budget_max.as_deref());
        if let (Some(a), Some(b)) = (budget_min, budget_max) {
            if b < a {
                e.push("budget_max", "上限低于下限 / below the minimum");
            }
        }
        let deadline = e.date("deadline", self.deadline.as_deref());
        let cooperation_mode = e.code(
            "cooperation_mode",
            self.cooperation_mode.as_deref(),
            COOPERATION_MODES,
        );
        let district = parse_district(&mut e, self.district.as_deref());
        let visibility = e.visibility("visibility", self.visibility.as_deref());
        let contact_name = e.text("contact_name", self.contact_name.as_deref(), 200, false);
        let contact_phone = e.text("contact_phone", self.contact_phone.as_deref(), 40, false);
        if !e.0.is_empty() {
            return Err(e.0);
        }
        Ok(NewDemand {
            reference,
            title,
            description,
            keywords,
            chain: chains.into_iter().next(),
            tech_field,
            budget_min,
            budget_max,
            deadline: deadline.map(|d| d.to_string()),
            cooperation_mode,
            district,
            visibility,
            contact_name,
            contact_phone,
        })
    }

    /// Fills the absent fields from a stored demand, so a partial change parses as a whole.
    pub fn merge_into(self, d: &Demand) -> DemandInput {
        let yuan = |f: Option<Fen>| f.map(|f| f.to_string()).unwrap_or_default();
        DemandInput {
            reference: None,
            title: self.title.or_else(|| Some(d.title.clone())),
            description: self.description.or_else(|| Some(d.description.clone())),
            keywords: self.keywords.or_else(|| Some(d.keywords.join(";"))),
            industrial_chain: self.industrial_chain.or_else(|| d.chain.clone()),
            tech_field: self.tech_field.or_else(|| d.tech_field.clone()),
            budget_min: self.budget_min.or_else(|| Some(yuan(d.budget_min))),
            budget_max: self.budget_max.or_else(|| Some(yuan(d.budget_max))),
            deadline: self.deadline.or_else(|| d.deadline.clone()),
            cooperation_mode: self.cooperation_mode.or_else(|| d.cooperation_mode.clone()),
            district: self.district.or_else(|| Some(d.district.clone())),
            visibility: self
                .visibility
                .or_else(|| Some(d.visibility.as_str().to_string())),
            contact_name: self.contact_name.or_else(|| Some(d.contact_name.clone())),
            contact_phone: self.contact_phone.or_else(|| Some(d.contact_phone.clone())),
        }
    }
}

/// A Shenyang county-level division by code or name (empty: the owner's).
fn parse_district(e: &mut Errs, v: Option<&str>) -> String {
    let t = v.unwrap_or("").trim();
    if t.is_empty() {
        return String::new();
    }
    let found = refdata::shenyang_districts()
        .into_iter()
        .find(|d| d.code == t || d.name == t);
    match found {
        Some(d) => d.code.to_string(),
        None => {
            e.push(
                "district",
                format!("'{t}' 不是沈阳市的区、县（市） / is not a district of Shenyang"),
            );
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            username: "e".into(),
            roles: vec![role],
            org_id: org,
            district_code: None,
        }
    }

    #[test]
    fn parses_and_reports_every_problem() {
        let ok = DemandInput {
            title: Some("大型铸件缺陷在线检测".into()),
            industrial_chain: Some("通用机械装备".into()),
            budget_min: Some("50万".into()),
            ..Default::default()
        }
        .into_new();
        assert_eq!(ok.unwrap_err()[0].field, "budget_min");
        let d = DemandInput {
            title: Some("大型铸件缺陷在线检测".into()),
            industrial_chain: Some("通用机械装备".into()),
            budget_min: Some("500000".into()),
            budget_max: Some("1000000".into()),
            district: Some("铁西区".into()),
            cooperation_mode: Some("合作开发".into()),
            deadline: Some("2026-12-31".into()),
            ..Default::default()
        }
        .into_new()
        .unwrap();
        assert_eq!(d.chain.as_deref(), Some("general_machinery"));
        assert_eq!(d.district, "210106");
        assert_eq!(d.budget_max, Some(Fen(100_000_000)));
        let errs = DemandInput {
            title: None,
            budget_min: Some("10".into()),
            budget_max: Some("5".into()),
            deadline: Some("2026-02-30".into()),
            district: Some("海淀区".into()),
            visibility: Some("secret".into()),
            ..Default::default()
        }
        .into_new()
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "budget_max", "deadline", "district", "visibility"]
        );
    }

    #[test]
    fn workflow_and_roles() {
        use DemandAction as A;
        use DemandStatus as S;
        let ent = actor(Role::Enterprise, Some(3));
        let other = actor(Role::Enterprise, Some(4));
        let unit = actor(Role::Unit, Some(3));
        let bureau = actor(Role::Bureau, None);
        assert_eq!(transition(&ent, 3, S::Draft, A::Publish), Ok(S::Published));
        assert!(transition(&other, 3, S::Draft, A::Publish).is_err());
        assert!(transition(&unit, 3, S::Draft, A::Publish).is_err());
        assert!(transition(&ent, 3, S::Published, A::Expire).is_err());
        assert_eq!(
            transition(&bureau, 3, S::Published, A::Expire),
            Ok(S::Expired)
        );
        assert!(transition(&bureau, 3, S::Matched, A::Close).is_err());
        assert_eq!(transition(&ent, 3, S::Closed, A::Reopen), Ok(S::Draft));
        assert_eq!(
            allowed_actions(Some(&ent), 3, S::Published),
            [A::Match, A::Close]
        );
        assert!(can_edit(&ent, 3).is_ok() && can_edit(&other, 3).is_err());
    }

    #[test]
    fn restricted_demands_need_a_broker() {
        let broker = read_scope(Some(&actor(Role::Broker, Some(9))));
        let ent = read_scope(Some(&actor(Role::Enterprise, Some(4))));
        assert!(broker.can_read(3, true, Visibility::Restricted));
        assert!(!ent.can_read(3, true, Visibility::Restricted));
        assert!(ent.can_read(4, false, Visibility::Restricted));
        assert!(!read_scope(None).can_read(3, true, Visibility::Restricted));
    }

    #[test]
    fn past_deadline_reads_as_expired() {
        let d = Demand {
            id: 1,
            reference: "r".into(),
            title: "t".into(),
            description: String::new(),
            keywords: vec![],
            chain: None,
            tech_field: None,
            budget_min: None,
            budget_max: None,
            deadline: Some("2025-01-01".into()),
            cooperation_mode: None,
            district: "210106".into(),
            visibility: Visibility::Public,
            contact_name: String::new(),
            contact_phone: String::new(),
            owner_org_id: 1,
            status: DemandStatus::Published,
            published_at: None,
            is_demo: false,
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert_eq!(d.effective_status("2026-01-01"), DemandStatus::Expired);
        assert_eq!(d.effective_status("2024-12-31"), DemandStatus::Published);
    }
}
