//! Achievements (科技成果), DOMAIN.md §4: what a unit files in the record system, as parsed from a
//! form, a JSON body or an import row; the filing workflow; who may see and change which record;
//! and the completeness of a record (the meter on "my achievements" and a part of the unit's
//! record-keeping score, [`crate::incentive`]).
//!
//! # Workflow ([`transition`])
//!
//! | from | action | taken by | to |
//! |---|---|---|---|
//! | draft, returned, withdrawn | `submit` | owner unit, bureau | submitted |
//! | submitted | `publish` | bureau | published |
//! | submitted | `return` (with a reason) | bureau | returned |
//! | submitted, published | `withdraw` | owner unit, bureau | withdrawn |
//! | published | `renew` | owner unit, bureau | published (fresh again) |
//!
//! A published record whose last update or renewal is older than the stale period (12 months by
//! default, the setting [`STALE_MONTHS_SETTING`]) is *stale*: it stays published but drops out of
//! default listings until renewed or updated.
//!
//! # Visibility
//! Anonymous visitors see published records with `public` visibility, never drafts and never
//! contacts. Signed-in accounts also see published `members` records and contacts. The owner
//! organization's accounts and the bureau see every record of theirs / every record.

use crate::contract::parse_date;
use crate::money::Fen;
use crate::refdata::{self, Code};
use crate::{Actor, FieldError, Role};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use time::Date;

/// The setting (JSON number of months) after which a published record not updated is stale.
pub const STALE_MONTHS_SETTING: &str = "achievements.stale_months";
/// Default stale period in months.
pub const DEFAULT_STALE_MONTHS: u32 = 12;

/// The columns of an achievements file, English key and Chinese header (docs/formats.md).
pub const IMPORT_COLUMNS: [(&str, &str); 24] = [
    ("ref", "成果编号"),
    ("title", "成果名称"),
    ("abstract", "成果简介"),
    ("keywords", "关键词"),
    ("owner_credit_code", "完成单位统一社会信用代码"),
    ("category", "成果类别"),
    ("stage", "成果所处阶段"),
    ("trl", "技术成熟度"),
    ("attribute", "成果属性"),
    ("level", "成果水平"),
    ("ip_type", "知识产权类型"),
    ("ip_numbers", "知识产权编号"),
    ("discipline", "学科"),
    ("tech_field", "技术领域"),
    ("industrial_chain", "产业链"),
    ("transformation_modes", "转化方式"),
    ("price", "转让价格"),
    ("completers", "完成人"),
    ("period_start", "研究起始日期"),
    ("period_end", "研究终止日期"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("contact_email", "联系邮箱"),
    ("status", "状态"),
];

/// 成果属性 (DOMAIN.md §4).
pub static ATTRIBUTES: &[Code] = &[
    Code {
        code: "original",
        zh: "原始性创新",
        en: "Original innovation",
        parent: None,
        aliases: &["原始创新"],
    },
    Code {
        code: "absorbed",
        zh: "引进消化吸收创新",
        en: "Innovation on imported technology",
        parent: None,
        aliases: &["引进消化吸收再创新"],
    },
    Code {
        code: "secondary",
        zh: "二次开发",
        en: "Secondary development",
        parent: None,
        aliases: &[],
    },
];

/// 成果水平: the level an evaluation gave, or 未评价 (DOMAIN.md §4; wording [S]).
pub static LEVELS: &[Code] = &[
    Code {
        code: "international_leading",
        zh: "国际领先",
        en: "International leading",
        parent: None,
        aliases: &[],
    },
    Code {
        code: "international_advanced",
        zh: "国际先进",
        en: "International advanced",
        parent: None,
        aliases: &[],
    },
    Code {
        code: "domestic_leading",
        zh: "国内领先",
        en: "Domestic leading",
        parent: None,
        aliases: &[],
    },
    Code {
        code: "domestic_advanced",
        zh: "国内先进",
        en: "Domestic advanced",
        parent: None,
        aliases: &[],
    },
    Code {
        code: "not_evaluated",
        zh: "未评价",
        en: "Not evaluated",
        parent: None,
        aliases: &["未鉴定"],
    },
];

/// Who may see a record besides its owner and the bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone, anonymous visitors included (contacts stay hidden from them).
    Public,
    /// Achievements: signed-in accounts only. Demands: brokers and the bureau only.
    Restricted,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Restricted => "restricted",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        match s.trim() {
            "" | "public" | "公开" => Some(Visibility::Public),
            "restricted" | "members" | "brokers" | "限定" | "不公开" | "仅经纪人和科技局" => {
                Some(Visibility::Restricted)
            }
            _ => None,
        }
    }
}

/// 状态 of an achievement record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AchievementStatus {
    /// 草稿
    Draft,
    /// 待审核
    Submitted,
    /// 已发布
    Published,
    /// 已退回 (with a reason)
    Returned,
    /// 已撤回
    Withdrawn,
}

impl AchievementStatus {
    pub const ALL: [AchievementStatus; 5] = [
        AchievementStatus::Draft,
        AchievementStatus::Submitted,
        AchievementStatus::Published,
        AchievementStatus::Returned,
        AchievementStatus::Withdrawn,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AchievementStatus::Draft => "draft",
            AchievementStatus::Submitted => "submitted",
            AchievementStatus::Published => "published",
            AchievementStatus::Returned => "returned",
            AchievementStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            AchievementStatus::Draft => "草稿",
            AchievementStatus::Submitted => "待审核",
            AchievementStatus::Published => "已发布",
            AchievementStatus::Returned => "已退回",
            AchievementStatus::Withdrawn => "已撤回",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            AchievementStatus::Draft => "Draft",
            AchievementStatus::Submitted => "Submitted",
            AchievementStatus::Published => "Published",
            AchievementStatus::Returned => "Returned",
            AchievementStatus::Withdrawn => "Withdrawn",
        }
    }
    /// Accepts the slug or the Chinese name.
    pub fn parse(s: &str) -> Option<AchievementStatus> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(t) || k.zh() == t)
    }
}

impl fmt::Display for AchievementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action on an achievement's filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AchievementAction {
    Submit,
    Publish,
    Return,
    Withdraw,
    Renew,
}

impl AchievementAction {
    pub const ALL: [AchievementAction; 5] = [
        AchievementAction::Submit,
        AchievementAction::Publish,
        AchievementAction::Return,
        AchievementAction::Withdraw,
        AchievementAction::Renew,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AchievementAction::Submit => "submit",
            AchievementAction::Publish => "publish",
            AchievementAction::Return => "return",
            AchievementAction::Withdraw => "withdraw",
            AchievementAction::Renew => "renew",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            AchievementAction::Submit => "提交审核",
            AchievementAction::Publish => "发布",
            AchievementAction::Return => "退回",
            AchievementAction::Withdraw => "撤回",
            AchievementAction::Renew => "续期",
        }
    }
    pub fn parse(s: &str) -> Option<AchievementAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The action does not apply to the record's status (HTTP 409).
    #[error("{0}")]
    Invalid(String),
    /// The actor may not take this action on this record (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// A required input (the return reason) is missing (HTTP 422).
    #[error("{0}")]
    Missing(FieldError),
}

/// The status an action leads to from `from`, or `None` when it does not apply.
pub fn next_status(
    from: AchievementStatus,
    action: AchievementAction,
) -> Option<AchievementStatus> {
    use AchievementAction as A;
    use AchievementStatus as S;
    match (from, action) {
        (S::Draft | S::Returned | S::Withdrawn, A::Submit) => Some(S::Submitted),
        (S::Submitted, A::Publish) => Some(S::Published),
        (S::Submitted, A::Return) => Some(S::Returned),
        (S::Submitted | S::Published, A::Withdraw) => Some(S::Withdrawn),
        (S::Published, A::Renew) => Some(S::Published),
        (
            S::Draft | S::Returned | S::Withdrawn,
            A::Publish | A::Return | A::Withdraw | A::Renew,
        )
        | (S::Submitted, A::Submit | A::Renew)
        | (S::Published, A::Submit | A::Publish | A::Return) => None,
    }
}

/// True when the actor speaks for the owner organization: a unit account of that organization.
pub fn is_owner(actor: &Actor, owner_org_id: i64) -> bool {
    actor.has(Role::Unit) && actor.org_id == Some(owner_org_id)
}

/// Checks an action: the status machine, who takes it, and the return reason.
pub fn transition(
    actor: &Actor,
    owner_org_id: i64,
    from: AchievementStatus,
    action: AchievementAction,
    reason: Option<&str>,
) -> Result<AchievementStatus, TransitionError> {
    let to = next_status(from, action).ok_or_else(|| {
        TransitionError::Invalid(format!(
            "cannot {} an achievement that is {}",
            action.as_str(),
            from.as_str()
        ))
    })?;
    let allowed = match action {
        AchievementAction::Publish | AchievementAction::Return => actor.is_bureau(),
        AchievementAction::Submit | AchievementAction::Withdraw | AchievementAction::Renew => {
            actor.is_bureau() || is_owner(actor, owner_org_id)
        }
    };
    if !allowed {
        return Err(TransitionError::Forbidden(format!(
            "account '{}' may not {} this achievement",
            actor.username,
            action.as_str()
        )));
    }
    if action == AchievementAction::Return && reason.map(str::trim).unwrap_or("").is_empty() {
        return Err(TransitionError::Missing(FieldError::new(
            "reason",
            "退回须说明理由 / a reason is required",
        )));
    }
    Ok(to)
}

/// The actions the actor may take on a record in status `from` (for buttons).
pub fn allowed_actions(
    actor: Option<&Actor>,
    owner_org_id: i64,
    from: AchievementStatus,
) -> Vec<AchievementAction> {
    let Some(actor) = actor else { return vec![] };
    AchievementAction::ALL
        .into_iter()
        .filter(|a| {
            !matches!(
                transition(actor, owner_org_id, from, *a, Some("x")),
                Err(TransitionError::Invalid(_) | TransitionError::Forbidden(_))
            )
        })
        .collect()
}

/// The status of an achievement after `actor` changed its fields. A published achievement
/// edited by anyone but the bureau (which reviews) goes back to review (`submitted`): it leaves
/// the public listing and search until the bureau publishes it again, so nothing is public that
/// was not reviewed. Every other status stays.
pub fn status_after_edit(actor: &Actor, status: AchievementStatus) -> AchievementStatus {
    match status {
        AchievementStatus::Published if !actor.is_bureau() => AchievementStatus::Submitted,
        s => s,
    }
}

/// Who may create or edit achievements of `owner_org_id`: the bureau, or a unit account of it.
pub fn can_edit(actor: &Actor, owner_org_id: i64) -> Result<(), crate::access::Denied> {
    if actor.is_bureau() || is_owner(actor, owner_org_id) {
        Ok(())
    } else {
        Err(crate::access::Denied::Forbidden(format!(
            "account '{}' may only edit its own organization's achievements",
            actor.username
        )))
    }
}

/// What a viewer may see: the row-level read rule, as the store turns it into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadScope {
    /// Sees every record (the bureau).
    pub all: bool,
    /// Sees every record of this organization (its own).
    pub org_id: Option<i64>,
    /// Sees published records of restricted visibility too.
    pub restricted: bool,
    /// Sees contacts.
    pub contacts: bool,
}

impl ReadScope {
    /// The achievements a viewer (None = anonymous) may read.
    pub fn achievements(viewer: Option<&Actor>) -> ReadScope {
        match viewer {
            None => ReadScope::default(),
            Some(a) => ReadScope {
                all: a.is_bureau(),
                org_id: a.org_id,
                restricted: true,
                contacts: true,
            },
        }
    }

    /// May this viewer read a record with these properties?
    pub fn can_read(&self, owner_org_id: i64, published: bool, visibility: Visibility) -> bool {
        self.all
            || self.org_id == Some(owner_org_id)
            || (published && (visibility == Visibility::Public || self.restricted))
    }
}

/// A stored achievement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Achievement {
    pub id: i64,
    /// 成果编号: the owner's own reference, unique per owner.
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    #[serde(rename = "abstract")]
    pub summary: String,
    pub keywords: Vec<String>,
    pub category: String,
    pub stage: Option<String>,
    pub trl: Option<i64>,
    pub attribute: Option<String>,
    pub level: Option<String>,
    pub ip_type: Option<String>,
    pub ip_numbers: String,
    pub discipline: String,
    pub tech_field: Option<String>,
    /// Industrial-chain codes of [`refdata::chains`] (version [`Achievement::chain_version`]).
    pub chains: Vec<String>,
    pub chain_version: String,
    pub transformation_modes: Vec<String>,
    /// Asking price; `None` = negotiable (面议).
    pub price: Option<Fen>,
    pub owner_org_id: i64,
    pub completers: Vec<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub visibility: Visibility,
    pub status: AchievementStatus,
    pub return_reason: String,
    /// Times the bureau returned it (for the quality part of the score).
    pub returned_count: i64,
    pub submitted_at: Option<String>,
    pub published_at: Option<String>,
    /// Last update or renewal: what staleness is measured from.
    pub fresh_at: String,
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Achievement {
    /// Published but not updated or renewed since `cutoff` (an RFC 3339 or date prefix).
    pub fn is_stale(&self, cutoff: &str) -> bool {
        self.status == AchievementStatus::Published && self.fresh_at.as_str() < cutoff
    }
    pub fn completeness(&self) -> Completeness {
        completeness(&self.fields())
    }
    fn fields(&self) -> FilledFields {
        FilledFields {
            abstract_len: self.summary.chars().count(),
            keywords: self.keywords.len(),
            category: !self.category.is_empty(),
            stage: self.stage.is_some(),
            trl: self.trl.is_some(),
            attribute: self.attribute.is_some(),
            level: self.level.is_some(),
            ip_type: self.ip_type.is_some(),
            discipline: !self.discipline.is_empty(),
            tech_field: self.tech_field.is_some(),
            chains: !self.chains.is_empty(),
            modes: !self.transformation_modes.is_empty(),
            completers: !self.completers.is_empty(),
            period: self.period_start.is_some() && self.period_end.is_some(),
            contact: !self.contact_name.is_empty()
                && (!self.contact_phone.is_empty() || !self.contact_email.is_empty()),
        }
    }
}

/// Which recommended fields a record fills.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilledFields {
    pub abstract_len: usize,
    pub keywords: usize,
    pub category: bool,
    pub stage: bool,
    pub trl: bool,
    pub attribute: bool,
    pub level: bool,
    pub ip_type: bool,
    pub discipline: bool,
    pub tech_field: bool,
    pub chains: bool,
    pub modes: bool,
    pub completers: bool,
    pub period: bool,
    pub contact: bool,
}

/// The recommended fields and their weights (docs/scoring.md). Title, owner and reference are
/// required and not counted.
pub const COMPLETENESS_WEIGHTS: [(&str, u32); 15] = [
    ("abstract", 4),
    ("keywords", 2),
    ("category", 1),
    ("stage", 2),
    ("trl", 1),
    ("attribute", 1),
    ("level", 1),
    ("ip_type", 1),
    ("discipline", 1),
    ("tech_field", 2),
    ("industrial_chain", 2),
    ("transformation_modes", 2),
    ("completers", 1),
    ("period", 1),
    ("contact", 2),
];

/// Minimum abstract length (characters) that counts as filled.
pub const ABSTRACT_MIN: usize = 50;
/// Keywords that count as filled.
pub const KEYWORDS_MIN: usize = 3;

/// A record's completeness: the weighted share of recommended fields filled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completeness {
    /// 0.0–1.0
    pub ratio: f64,
    /// 0–100, rounded.
    pub percent: u32,
    pub missing: Vec<&'static str>,
}

pub fn completeness(f: &FilledFields) -> Completeness {
    let mut got = 0u32;
    let mut total = 0u32;
    let mut missing = Vec::new();
    for (field, w) in COMPLETENESS_WEIGHTS {
        let filled = match field {
            "abstract" => f.abstract_len >= ABSTRACT_MIN,
            "keywords" => f.keywords >= KEYWORDS_MIN,
            "category" => f.category,
            "stage" => f.stage,
            "trl" => f.trl,
            "attribute" => f.attribute,
            "level" => f.level,
            "ip_type" => f.ip_type,
            "discipline" => f.discipline,
            "tech_field" => f.tech_field,
            "industrial_chain" => f.chains,
            "transformation_modes" => f.modes,
            "completers" => f.completers,
            "period" => f.period,
            "contact" => f.contact,
            _ => false,
        };
        total += w;
        if filled {
            got += w;
        } else {
            missing.push(field);
        }
    }
    let ratio = f64::from(got) / f64::from(total.max(1));
    Completeness {
        ratio,
        percent: (ratio * 100.0).round() as u32,
        missing,
    }
}

/// Accepts a string, a number or null (JSON clients send numbers; the parser sees their text)
/// and a list (joined with `;`).
pub(crate) fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        I(i64),
        F(f64),
        B(bool),
        L(Vec<String>),
    }
    Ok(Option::<Raw>::deserialize(d)?.map(|r| match r {
        Raw::S(s) => s,
        Raw::I(i) => i.to_string(),
        Raw::F(f) => f.to_string(),
        Raw::B(b) => b.to_string(),
        Raw::L(l) => l.join(";"),
    }))
}

/// Raw fields of an achievement as they arrive; names are the import columns.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AchievementInput {
    #[serde(default, rename = "ref", deserialize_with = "raw")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub title: Option<String>,
    #[serde(default, rename = "abstract", deserialize_with = "raw")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub keywords: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub stage: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub trl: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub attribute: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub level: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub ip_type: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub ip_numbers: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub discipline: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub tech_field: Option<String>,
    #[serde(default, alias = "chains", deserialize_with = "raw")]
    pub industrial_chain: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub transformation_modes: Option<String>,
    /// Yuan, or empty / 面议 for negotiable.
    #[serde(default, deserialize_with = "raw")]
    pub price: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub completers: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub period_start: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub period_end: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub contact_name: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub contact_phone: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub contact_email: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub visibility: Option<String>,
}

/// A validated achievement to create or to overwrite by import (the owner is resolved by the
/// caller: from the credit code of an import row, or the account's organization).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAchievement {
    /// Empty: the store assigns one.
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    #[serde(rename = "abstract")]
    pub summary: String,
    pub keywords: Vec<String>,
    pub category: String,
    pub stage: Option<String>,
    pub trl: Option<i64>,
    pub attribute: Option<String>,
    pub level: Option<String>,
    pub ip_type: Option<String>,
    pub ip_numbers: String,
    pub discipline: String,
    pub tech_field: Option<String>,
    pub chains: Vec<String>,
    pub transformation_modes: Vec<String>,
    pub price: Option<Fen>,
    pub completers: Vec<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub visibility: Visibility,
}

/// A validated change: `None` leaves a field as it is; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AchievementPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "abstract")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trl: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_type: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_numbers: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discipline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tech_field: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chains: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transformation_modes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Option<Fen>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_start: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_end: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

impl AchievementPatch {
    /// Applies the patch to a stored record (in memory).
    pub fn apply(&self, a: &mut Achievement) {
        macro_rules! set {
            ($($f:ident),*) => {$( if let Some(v) = &self.$f { a.$f = v.clone(); } )*};
        }
        set!(
            title,
            summary,
            keywords,
            category,
            stage,
            trl,
            attribute,
            level,
            ip_type,
            ip_numbers,
            discipline,
            tech_field,
            chains,
            transformation_modes,
            price,
            completers,
            period_start,
            period_end,
            contact_name,
            contact_phone,
            contact_email,
            visibility
        );
    }

    /// The patch that makes a record equal to `new` (an import of the same ref).
    pub fn from_new(n: &NewAchievement) -> AchievementPatch {
        AchievementPatch {
            title: Some(n.title.clone()),
            summary: Some(n.summary.clone()),
            keywords: Some(n.keywords.clone()),
            category: Some(n.category.clone()),
            stage: Some(n.stage.clone()),
            trl: Some(n.trl),
            attribute: Some(n.attribute.clone()),
            level: Some(n.level.clone()),
            ip_type: Some(n.ip_type.clone()),
            ip_numbers: Some(n.ip_numbers.clone()),
            discipline: Some(n.discipline.clone()),
            tech_field: Some(n.tech_field.clone()),
            chains: Some(n.chains.clone()),
            transformation_modes: Some(n.transformation_modes.clone()),
            price: Some(n.price),
            completers: Some(n.completers.clone()),
            period_start: Some(n.period_start.clone()),
            period_end: Some(n.period_end.clone()),
            contact_name: Some(n.contact_name.clone()),
            contact_phone: Some(n.contact_phone.clone()),
            contact_email: Some(n.contact_email.clone()),
            visibility: Some(n.visibility),
        }
    }
}

pub(crate) const TITLE_MAX: usize = 200;
pub(crate) const TEXT_MAX: usize = 8000;
const SHORT_MAX: usize = 200;
const REF_MAX: usize = 64;
const KEYWORDS_MAX: usize = 20;

/// Splits a list cell on `;`, `；`, `、`, `,`, `，` (and newlines), trimming and dropping
/// empties and duplicates, in order.
pub fn split_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split([';', '；', '、', ',', '，', '\n']) {
        let t = part.trim();
        if !t.is_empty() && !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// Collects field problems.
pub(crate) struct Errs(pub Vec<FieldError>);

impl Errs {
    pub fn push(&mut self, field: &str, msg: impl Into<String>) {
        self.0.push(FieldError::new(field, msg));
    }
    /// Trimmed text of at most `max` characters; `required` refuses empty.
    pub fn text(&mut self, field: &str, v: Option<&str>, max: usize, required: bool) -> String {
        let t = v.unwrap_or("").trim();
        if required && t.is_empty() {
            self.push(field, "必填 / is required");
        } else if t.chars().count() > max {
            self.push(field, format!("最多 {max} 字 / at most {max} characters"));
        }
        t.to_string()
    }
    /// An optional entry of a code list, stored by its code.
    pub fn code(&mut self, field: &str, v: Option<&str>, list: &'static [Code]) -> Option<String> {
        let t = v.unwrap_or("").trim();
        if t.is_empty() {
            return None;
        }
        match refdata::lookup(list, t) {
            Some(c) => Some(c.code.to_string()),
            None => {
                let codes: Vec<_> = list
                    .iter()
                    .map(|c| format!("{}（{}）", c.code, c.zh))
                    .collect();
                self.push(
                    field,
                    format!("'{t}' 不在代码表中 / is not one of: {}", codes.join(", ")),
                );
                None
            }
        }
    }
    /// A list of entries of a code list.
    pub fn codes(&mut self, field: &str, v: Option<&str>, list: &'static [Code]) -> Vec<String> {
        let mut out = Vec::new();
        for item in split_list(v.unwrap_or("")) {
            if let Some(c) = self.code(field, Some(&item), list) {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
    pub fn date(&mut self, field: &str, v: Option<&str>) -> Option<Date> {
        let t = v.unwrap_or("").trim();
        if t.is_empty() {
            return None;
        }
        parse_date(t)
            .map_err(|e| self.push(field, e.to_string()))
            .ok()
    }
    /// Yuan, or empty / 面议 / negotiable for none.
    pub fn money(&mut self, field: &str, v: Option<&str>) -> Option<Fen> {
        let t = v.unwrap_or("").trim();
        if t.is_empty() || t == "面议" || t.eq_ignore_ascii_case("negotiable") {
            return None;
        }
        Fen::parse_non_negative(t)
            .map_err(|e| self.push(field, format!("金额无效 / {e}")))
            .ok()
    }
    pub fn email(&mut self, field: &str, v: Option<&str>) -> String {
        let t = self.text(field, v, SHORT_MAX, false);
        let looks_like_email = t.contains('@') && t.contains('.');
        if !t.is_empty() && !looks_like_email {
            self.push(
                field,
                format!("'{t}' 不是电子邮箱 / is not an e-mail address"),
            );
        }
        t
    }
    pub fn visibility(&mut self, field: &str, v: Option<&str>) -> Visibility {
        let t = v.unwrap_or("");
        Visibility::parse(t).unwrap_or_else(|| {
            self.push(
                field,
                format!("'{t}' 应为 public 或 restricted / must be public or restricted"),
            );
            Visibility::Public
        })
    }
}

/// Industrial chains of the current list, by code or name.
pub(crate) fn parse_chains(errs: &mut Errs, field: &str, v: Option<&str>) -> Vec<String> {
    errs.codes(field, v, refdata::chains().items)
}

fn parse_keywords(errs: &mut Errs, v: Option<&str>) -> Vec<String> {
    let k = split_list(v.unwrap_or(""));
    if k.len() > KEYWORDS_MAX {
        errs.push(
            "keywords",
            format!("最多 {KEYWORDS_MAX} 个 / at most {KEYWORDS_MAX} keywords"),
        );
    }
    if let Some(long) = k.iter().find(|w| w.chars().count() > 40) {
        errs.push(
            "keywords",
            format!("关键词过长 / keyword too long: '{long}'"),
        );
    }
    k
}

fn parse_trl(errs: &mut Errs, v: Option<&str>) -> Option<i64> {
    let t = v.unwrap_or("").trim();
    if t.is_empty() {
        return None;
    }
    let t = t.trim_start_matches("TRL").trim();
    match t.parse::<i64>() {
        Ok(n) if (1..=9).contains(&n) => Some(n),
        _ => {
            errs.push(
                "trl",
                format!("'{t}' 应为 1–9 / must be a level from 1 to 9"),
            );
            None
        }
    }
}

fn parse_ref(errs: &mut Errs, v: Option<&str>) -> String {
    let t = errs.text("ref", v, REF_MAX, false);
    if t.chars().any(|c| c.is_control()) {
        errs.push("ref", "含有控制字符 / contains control characters");
    }
    t
}

impl AchievementInput {
    /// Parses every field and reports every problem at once.
    pub fn into_new(self) -> Result<NewAchievement, Vec<FieldError>> {
        let mut e = Errs(Vec::new());
        let reference = parse_ref(&mut e, self.reference.as_deref());
        let title = e.text("title", self.title.as_deref(), TITLE_MAX, true);
        let summary = e.text("abstract", self.summary.as_deref(), TEXT_MAX, false);
        let keywords = parse_keywords(&mut e, self.keywords.as_deref());
        let category = e
            .code(
                "category",
                self.category.as_deref(),
                refdata::achievement_categories(),
            )
            .unwrap_or_else(|| "applied".to_string());
        let stage = e.code("stage", self.stage.as_deref(), refdata::stages());
        let trl = parse_trl(&mut e, self.trl.as_deref());
        let attribute = e.code("attribute", self.attribute.as_deref(), ATTRIBUTES);
        let level = e.code("level", self.level.as_deref(), LEVELS);
        let ip_type = e.code("ip_type", self.ip_type.as_deref(), refdata::ip_types());
        let ip_numbers = e.text("ip_numbers", self.ip_numbers.as_deref(), 1000, false);
        let discipline = e.text("discipline", self.discipline.as_deref(), SHORT_MAX, false);
        let tech_field = e.code(
            "tech_field",
            self.tech_field.as_deref(),
            refdata::tech_fields(),
        );
        let chains = parse_chains(&mut e, "industrial_chain", self.industrial_chain.as_deref());
        let transformation_modes = e.codes(
            "transformation_modes",
            self.transformation_modes.as_deref(),
            refdata::transformation_modes(),
        );
        let price = e.money("price", self.price.as_deref());
        let completers = split_list(self.completers.as_deref().unwrap_or(""));
        let start = e.date("period_start", self.period_start.as_deref());
        let end = e.date("period_end", self.period_end.as_deref());
        if let (Some(s), Some(t)) = (start, end) {
            if t < s {
                e.push("period_end", "终止日期早于起始日期 / ends before it starts");
            }
        }
        let contact_name = e.text(
            "contact_name",
            self.contact_name.as_deref(),
            SHORT_MAX,
            false,
        );
        let contact_phone = e.text("contact_phone", self.contact_phone.as_deref(), 40, false);
        let contact_email = e.email("contact_email", self.contact_email.as_deref());
        let visibility = e.visibility("visibility", self.visibility.as_deref());
        if !e.0.is_empty() {
            return Err(e.0);
        }
        Ok(NewAchievement {
            reference,
            title,
            summary,
            keywords,
            category,
            stage,
            trl,
            attribute,
            level,
            ip_type,
            ip_numbers,
            discipline,
            tech_field,
            chains,
            transformation_modes,
            price,
            completers,
            period_start: start.map(|d| d.to_string()),
            period_end: end.map(|d| d.to_string()),
            contact_name,
            contact_phone,
            contact_email,
            visibility,
        })
    }

    /// Parses the fields that are present into a patch (an empty string clears an optional field).
    pub fn into_patch(self) -> Result<AchievementPatch, Vec<FieldError>> {
        let mut e = Errs(Vec::new());
        let opt = |v: &Option<String>| v.as_deref().map(str::trim).map(str::to_string);
        let mut p = AchievementPatch::default();
        if self.title.is_some() {
            p.title = Some(e.text("title", self.title.as_deref(), TITLE_MAX, true));
        }
        if self.summary.is_some() {
            p.summary = Some(e.text("abstract", self.summary.as_deref(), TEXT_MAX, false));
        }
        if self.keywords.is_some() {
            p.keywords = Some(parse_keywords(&mut e, self.keywords.as_deref()));
        }
        if let Some(c) = opt(&self.category) {
            p.category = e.code("category", Some(&c), refdata::achievement_categories());
            if p.category.is_none() && c.is_empty() {
                e.push("category", "必填 / is required");
            }
        }
        if let Some(v) = opt(&self.stage) {
            p.stage = Some(e.code("stage", Some(&v), refdata::stages()));
        }
        if let Some(v) = opt(&self.trl) {
            p.trl = Some(parse_trl(&mut e, Some(&v)));
        }
        if let Some(v) = opt(&self.attribute) {
            p.attribute = Some(e.code("attribute", Some(&v), ATTRIBUTES));
        }
        if let Some(v) = opt(&self.level) {
            p.level = Some(e.code("level", Some(&v), LEVELS));
        }
        if let Some(v) = opt(&self.ip_type) {
            p.ip_type = Some(e.code("ip_type", Some(&v), refdata::ip_types()));
        }
        if self.ip_numbers.is_some() {
            p.ip_numbers = Some(e.text("ip_numbers", self.ip_numbers.as_deref(), 1000, false));
        }
        if self.discipline.is_some() {
            p.discipline = Some(e.text("discipline", self.discipline.as_deref(), SHORT_MAX, false));
        }
        if let Some(v) = opt(&self.tech_field) {
            p.tech_field = Some(e.code("tech_field", Some(&v), refdata::tech_fields()));
        }
        if self.industrial_chain.is_some() {
            p.chains = Some(parse_chains(
                &mut e,
                "industrial_chain",
                self.industrial_chain.as_deref(),
            ));
        }
        if self.transformation_modes.is_some() {
            p.transformation_modes = Some(e.codes(
                "transformation_modes",
                self.transformation_modes.as_deref(),
                refdata::transformation_modes(),
            ));
        }
        if self.price.is_some() {
            p.price = Some(e.money("price", self.price.as_deref()));
        }
        if let Some(v) = &self.completers {
            p.completers = Some(split_list(v));
        }
        if self.period_start.is_some() {
            p.period_start = Some(
                e.date("period_start", self.period_start.as_deref())
                    .map(|d| d.to_string()),
            );
        }
        if self.period_end.is_some() {
            p.period_end = Some(
                e.date("period_end", self.period_end.as_deref())
                    .map(|d| d.to_string()),
            );
        }
        if self.contact_name.is_some() {
            p.contact_name = Some(e.text(
                "contact_name",
                self.contact_name.as_deref(),
                SHORT_MAX,
                false,
            ));
        }
        if self.contact_phone.is_some() {
            p.contact_phone =
                Some(e.text("contact_phone", self.contact_phone.as_deref(), 40, false));
        }
        if self.contact_email.is_some() {
            p.contact_email = Some(e.email("contact_email", self.contact_email.as_deref()));
        }
        if self.visibility.is_some() {
            p.visibility = Some(e.visibility("visibility", self.visibility.as_deref()));
        }
        if self.reference.is_some() {
            e.push("ref", "编号不可修改 / the reference cannot be changed");
        }
        if e.0.is_empty() {
            Ok(p)
        } else {
            Err(e.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            roles: vec![role],
            org_id: org,
            district_code: None,
        }
    }

    fn input() -> AchievementInput {
        AchievementInput {
            reference: Some("NEU-2024-001".into()),
            title: Some("高温合金单晶叶片定向凝固技术".into()),
            summary: Some("摘要".repeat(30)),
            keywords: Some("高温合金；单晶叶片、定向凝固,航空发动机".into()),
            category: Some("应用技术".into()),
            stage: Some("中试".into()),
            industrial_chain: Some("航空;新材料".into()),
            transformation_modes: Some("转让、许可".into()),
            price: Some("面议".into()),
            ..Default::default()
        }
    }

    #[test]
    fn an_edit_by_the_owner_returns_a_published_record_to_review() {
        use AchievementStatus as S;
        let unit = actor(Role::Unit, Some(1));
        let bureau = actor(Role::Bureau, None);
        assert_eq!(status_after_edit(&unit, S::Published), S::Submitted);
        assert_eq!(status_after_edit(&bureau, S::Published), S::Published);
        for s in [S::Draft, S::Submitted, S::Returned, S::Withdrawn] {
            assert_eq!(status_after_edit(&unit, s), s);
        }
    }

    #[test]
    fn valid_input_parses_lists_and_codes() {
        let a = input().into_new().unwrap();
        assert_eq!(a.keywords.len(), 4);
        assert_eq!(a.stage.as_deref(), Some("pilot"));
        assert_eq!(a.category, "applied");
        assert_eq!(a.chains, ["aviation", "new_materials"]);
        assert_eq!(a.transformation_modes, ["transfer", "licensing"]);
        assert_eq!(a.price, None);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut i = input();
        i.title = Some(" ".into());
        i.stage = Some("量产".into());
        i.trl = Some("12".into());
        i.industrial_chain = Some("造船".into());
        i.price = Some("12.345".into());
        i.period_start = Some("2024-05-01".into());
        i.period_end = Some("2023-01-01".into());
        let errs = i.into_new().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "stage",
                "trl",
                "industrial_chain",
                "price",
                "period_end"
            ]
        );
    }

    #[test]
    fn status_machine_is_exhaustive_and_roles_hold() {
        use AchievementAction as A;
        use AchievementStatus as S;
        let unit = actor(Role::Unit, Some(7));
        let other = actor(Role::Unit, Some(8));
        let bureau = actor(Role::Bureau, None);
        assert_eq!(
            transition(&unit, 7, S::Draft, A::Submit, None),
            Ok(S::Submitted)
        );
        assert!(matches!(
            transition(&other, 7, S::Draft, A::Submit, None),
            Err(TransitionError::Forbidden(_))
        ));
        assert!(matches!(
            transition(&unit, 7, S::Submitted, A::Publish, None),
            Err(TransitionError::Forbidden(_))
        ));
        assert_eq!(
            transition(&bureau, 7, S::Submitted, A::Publish, None),
            Ok(S::Published)
        );
        assert!(matches!(
            transition(&bureau, 7, S::Submitted, A::Return, Some(" ")),
            Err(TransitionError::Missing(_))
        ));
        assert_eq!(
            transition(&bureau, 7, S::Submitted, A::Return, Some("摘要不全")),
            Ok(S::Returned)
        );
        assert!(matches!(
            transition(&bureau, 7, S::Draft, A::Publish, None),
            Err(TransitionError::Invalid(_))
        ));
        assert_eq!(
            transition(&unit, 7, S::Published, A::Renew, None),
            Ok(S::Published)
        );
        assert_eq!(
            transition(&unit, 7, S::Returned, A::Submit, None),
            Ok(S::Submitted)
        );
        // every pair has an answer
        for s in S::ALL {
            for a in A::ALL {
                let _ = next_status(s, a);
            }
        }
        assert_eq!(
            allowed_actions(Some(&unit), 7, S::Published),
            [A::Withdraw, A::Renew]
        );
        assert!(allowed_actions(None, 7, S::Published).is_empty());
    }

    #[test]
    fn read_scope() {
        let anon = ReadScope::achievements(None);
        assert!(anon.can_read(1, true, Visibility::Public));
        assert!(!anon.can_read(1, true, Visibility::Restricted));
        assert!(!anon.can_read(1, false, Visibility::Public));
        assert!(!anon.contacts);
        let unit = ReadScope::achievements(Some(&actor(Role::Unit, Some(1))));
        assert!(unit.can_read(1, false, Visibility::Public));
        assert!(!unit.can_read(2, false, Visibility::Public));
        assert!(unit.can_read(2, true, Visibility::Restricted));
        assert!(can_edit(&actor(Role::Unit, Some(1)), 1).is_ok());
        assert!(can_edit(&actor(Role::Unit, Some(1)), 2).is_err());
        assert!(can_edit(&actor(Role::Enterprise, Some(1)), 1).is_err());
    }

    #[test]
    fn completeness_is_weighted() {
        let empty = completeness(&FilledFields::default());
        assert_eq!(empty.percent, 0);
        assert_eq!(empty.missing.len(), COMPLETENESS_WEIGHTS.len());
        let only_abstract = completeness(&FilledFields {
            abstract_len: 60,
            ..Default::default()
        });
        let total: u32 = COMPLETENESS_WEIGHTS.iter().map(|w| w.1).sum();
        assert_eq!(only_abstract.ratio, 4.0 / f64::from(total));
        let short = completeness(&FilledFields {
            abstract_len: 10,
            ..Default::default()
        });
        assert_eq!(short.percent, 0, "a one-line abstract does not count");
    }

    #[test]
    fn patch_parses_present_fields_and_refuses_ref() {
        let p = AchievementInput {
            stage: Some("".into()),
            title: Some("新".into()),
            ..Default::default()
        }
        .into_patch()
        .unwrap();
        assert_eq!(p.stage, Some(None));
        assert_eq!(p.title.as_deref(), Some("新"));
        assert!(p.keywords.is_none());
        let e = AchievementInput {
            reference: Some("x".into()),
            ..Default::default()
        }
        .into_patch()
        .unwrap_err();
        assert_eq!(e[0].field, "ref");
    }
}
