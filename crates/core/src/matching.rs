//! Matching achievements (科技成果) with demands (技术需求): the score of a proposed pair and the
//! reasons that explain it, and who may accept or decline a pair (docs/matching.md).
//!
//! The text similarity comes from the search index (`chengguo_search::SearchIndex::more_like`, a
//! BM25 score of the source's key terms in the target); everything else is read from the two
//! records here, without I/O.
//!
//! # Score (0–100, an integer)
//!
//! ```text
//! score = round(WEIGHT_TEXT × text + WEIGHT_CHAIN × same chain + WEIGHT_FIELD × same field
//!               + WEIGHT_STAGE × stage fits + WEIGHT_LOCAL × local + WEIGHT_BUDGET × within budget)
//! text  = min(1, bm25 / TEXT_FULL_SCORE)
//! ```
//!
//! Each other signal counts 1 when true, 0 otherwise. The weights are points and add up to 100.
//!
//! # Decisions
//! Each side of a pair decides for itself ([`decision_side`]): a unit account of the
//! achievement's owner, an enterprise account of the demand's owner, and brokers or the bureau as
//! the intermediary side. A decline needs a reason; a declined pair is never proposed again.

use crate::access::Denied;
use crate::achievement::Achievement;
use crate::demand::Demand;
use crate::money::Fen;
use crate::refdata;
use crate::{Actor, FieldError, Role};
use serde::{Deserialize, Serialize};

/// The setting (JSON integer 0–100): a match scoring above it (strictly) that the owner's side
/// has not decided on appears in the owner's workspace.
pub const THRESHOLD_SETTING: &str = "matching.threshold";
/// Default of [`THRESHOLD_SETTING`].
pub const DEFAULT_THRESHOLD: u32 = 60;

/// Points for the text similarity (at full similarity).
pub const WEIGHT_TEXT: u32 = 60;
/// Points when the demand's industrial chain is one of the achievement's.
pub const WEIGHT_CHAIN: u32 = 15;
/// Points when both records name the same technology field.
pub const WEIGHT_FIELD: u32 = 10;
/// Points when the achievement is mature enough for an enterprise ([`stage_fits`]).
pub const WEIGHT_STAGE: u32 = 5;
/// Points when the other party is in Shenyang ([`LOCAL_PREFIX`]): the plan is about *local*
/// transformation.
pub const WEIGHT_LOCAL: u32 = 5;
/// Points when the achievement's price is within the demand's budget.
pub const WEIGHT_BUDGET: u32 = 5;

/// The BM25 score of `more_like` from which the text counts as fully similar. Calibrated on the
/// demo data: a demand and an achievement about the same object (and often the same technique)
/// score 80–180, pairs sharing a technique word 40–60, pairs sharing one generic word 5–30.
/// BM25 depends on the corpus (term rarity), so a much larger index may call for another value.
pub const TEXT_FULL_SCORE: f32 = 100.0;

/// The division-code prefix of Shenyang (沈阳市, 2101xx).
pub const LOCAL_PREFIX: &str = "2101";
/// The stages ([`refdata::stages`]) at which an achievement fits an enterprise's demand.
pub const FITTING_STAGES: [&str; 2] = ["pilot", "mature"];
/// The technology readiness level from which an achievement fits an enterprise's demand.
pub const FITTING_TRL: i64 = 6;
/// Shared key terms shown in a reason.
pub const SHARED_TERMS_SHOWN: usize = 5;
/// Longest reason for a decision, in characters.
pub const REASON_MAX: usize = 1000;

/// Which way a list of matches goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Achievements proposed for a demand: the other party is the achievement's owner.
    AchievementsForDemand,
    /// Demands proposed for an achievement: the other party is the demand.
    DemandsForAchievement,
}

/// Why a pair is proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Key terms of the source found in the target.
    SharedTerms,
    SameChain,
    SameField,
    StageFits,
    Local,
    WithinBudget,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::SharedTerms => "shared_terms",
            ReasonCode::SameChain => "same_chain",
            ReasonCode::SameField => "same_field",
            ReasonCode::StageFits => "stage_fits",
            ReasonCode::Local => "local",
            ReasonCode::WithinBudget => "within_budget",
        }
    }
}

/// One reason, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub zh: String,
    pub en: String,
}

/// The assessment of one pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// 0–100.
    pub score: u32,
    /// The text similarity alone, 0–100.
    pub text: u32,
    pub reasons: Vec<Reason>,
}

/// Does the achievement fit an enterprise's demand (pilot or mature stage, or TRL ≥ 6)?
pub fn stage_fits(a: &Achievement) -> bool {
    a.stage
        .as_deref()
        .is_some_and(|s| FITTING_STAGES.contains(&s))
        || a.trl.is_some_and(|t| t >= FITTING_TRL)
}

/// The budget a price is compared with: the maximum, or the only bound given.
pub fn budget_limit(d: &Demand) -> Option<Fen> {
    d.budget_max.or(d.budget_min)
}

/// Text similarity in [0, 1] from a `more_like` score.
pub fn text_similarity(bm25: f32) -> f64 {
    if bm25.is_finite() && bm25 > 0.0 {
        (f64::from(bm25) / f64::from(TEXT_FULL_SCORE)).min(1.0)
    } else {
        0.0
    }
}

fn yuan_wan(f: Fen) -> String {
    // 万元 with up to two decimals, exact: fen / 1,000,000 = 万元.
    let whole = f.0 / 1_000_000;
    let rest = (f.0 % 1_000_000) / 10_000;
    if rest == 0 {
        format!("{whole}")
    } else {
        format!("{whole}.{rest:02}")
    }
}

/// Scores a pair and explains it. `achievement_division` is the division code of the
/// achievement's owner; `bm25` and `shared_terms` come from the index.
pub fn assess(
    a: &Achievement,
    achievement_division: &str,
    d: &Demand,
    direction: Direction,
    bm25: f32,
    shared_terms: &[String],
) -> Assessment {
    let text = text_similarity(bm25);
    let mut points = f64::from(WEIGHT_TEXT) * text;
    let mut reasons = Vec::new();
    let terms: Vec<&str> = shared_terms
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .take(SHARED_TERMS_SHOWN)
        .collect();
    if !terms.is_empty() {
        reasons.push(Reason {
            code: ReasonCode::SharedTerms,
            zh: format!("共同关键词：{}", terms.join("、")),
            en: format!("Shared key terms: {}", terms.join(", ")),
        });
    }
    if let Some(c) = d
        .chain
        .as_deref()
        .filter(|c| a.chains.iter().any(|x| x == c))
    {
        points += f64::from(WEIGHT_CHAIN);
        let (zh, en) = refdata::chain(c).map_or((c, c), |x| (x.zh, x.en));
        reasons.push(Reason {
            code: ReasonCode::SameChain,
            zh: format!("同属产业链：{zh}"),
            en: format!("Same industrial chain: {en}"),
        });
    }
    if let Some(f) = a
        .tech_field
        .as_deref()
        .filter(|f| d.tech_field.as_deref() == Some(*f))
    {
        points += f64::from(WEIGHT_FIELD);
        let (zh, en) = refdata::lookup(refdata::tech_fields(), f).map_or((f, f), |x| (x.zh, x.en));
        reasons.push(Reason {
            code: ReasonCode::SameField,
            zh: format!("同一技术领域：{zh}"),
            en: format!("Same technology field: {en}"),
        });
    }
    if stage_fits(a) {
        points += f64::from(WEIGHT_STAGE);
        let stage = a
            .stage
            .as_deref()
            .and_then(|s| refdata::lookup(refdata::stages(), s));
        let trl_zh = a.trl.map(|t| format!("TRL {t}")).unwrap_or_default();
        let (zh, en) = match (stage, a.trl) {
            (Some(s), Some(t)) => (format!("{}，TRL {t}", s.zh), format!("{}, TRL {t}", s.en)),
            (Some(s), None) => (s.zh.to_string(), s.en.to_string()),
            (None, _) => (trl_zh.clone(), trl_zh),
        };
        reasons.push(Reason {
            code: ReasonCode::StageFits,
            zh: format!("成熟度适合企业需求（{zh}）"),
            en: format!("Mature enough for an enterprise ({en})"),
        });
    }
    let (other_division, who_zh, who_en) = match direction {
        Direction::AchievementsForDemand => (achievement_division, "成果完成单位", "the owner"),
        Direction::DemandsForAchievement => (d.district.as_str(), "需求企业", "the demand"),
    };
    if other_division.starts_with(LOCAL_PREFIX) {
        points += f64::from(WEIGHT_LOCAL);
        let district = refdata::division(other_division)
            .filter(|x| x.code != refdata::SHENYANG)
            .map(|x| x.name);
        let (zh, en) = match district {
            Some(n) => (format!("沈阳市{n}"), format!("Shenyang ({n})")),
            None => ("沈阳市".to_string(), "Shenyang".to_string()),
        };
        reasons.push(Reason {
            code: ReasonCode::Local,
            zh: format!("本地转化：{who_zh}位于{zh}"),
            en: format!("Local transformation: {who_en} is in {en}"),
        });
    }
    if let (Some(price), Some(limit)) = (a.price, budget_limit(d)) {
        if price <= limit {
            points += f64::from(WEIGHT_BUDGET);
            reasons.push(Reason {
                code: ReasonCode::WithinBudget,
                zh: format!(
                    "价格在预算内：{} 万元 ≤ {} 万元",
                    yuan_wan(price),
                    yuan_wan(limit)
                ),
                en: format!(
                    "Price within the budget: {} ≤ {} yuan",
                    price.to_display(),
                    limit.to_display()
                ),
            });
        }
    }
    Assessment {
        score: points.round().clamp(0.0, 100.0) as u32,
        text: (text * 100.0).round() as u32,
        reasons,
    }
}

/// Accept or decline a proposed pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accepted,
    Declined,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::Declined => "declined",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Decision::Accepted => "已接受",
            Decision::Declined => "已拒绝",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Decision::Accepted => "Accepted",
            Decision::Declined => "Declined",
        }
    }
    /// `accepted`/`declined`, also `accept`/`decline` and the Chinese names.
    pub fn parse(s: &str) -> Option<Decision> {
        match s.trim() {
            "accepted" | "accept" | "已接受" | "接受" => Some(Decision::Accepted),
            "declined" | "decline" | "已拒绝" | "拒绝" => Some(Decision::Declined),
            _ => None,
        }
    }
}

/// Who decided, as a side of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The achievement's owner (a unit account of it).
    Achievement,
    /// The demand's owner (an enterprise account of it).
    Demand,
    /// An intermediary: a broker or the bureau.
    Broker,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Achievement => "achievement",
            Side::Demand => "demand",
            Side::Broker => "broker",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Side::Achievement => "成果方",
            Side::Demand => "需求方",
            Side::Broker => "经纪人/科技局",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Side::Achievement => "Achievement side",
            Side::Demand => "Demand side",
            Side::Broker => "Broker / bureau",
        }
    }
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "achievement" => Some(Side::Achievement),
            "demand" => Some(Side::Demand),
            "broker" => Some(Side::Broker),
            _ => None,
        }
    }
}

/// The side an account decides for on the pair (achievement owned by `achievement_owner`,
/// demand by `demand_owner`): the owner sides first, then brokers and the bureau. Any other
/// account may not decide.
pub fn decision_side(
    actor: &Actor,
    achievement_owner: i64,
    demand_owner: i64,
) -> Result<Side, Denied> {
    if crate::achievement::is_owner(actor, achievement_owner) {
        Ok(Side::Achievement)
    } else if crate::demand::is_owner(actor, demand_owner) {
        Ok(Side::Demand)
    } else if actor.has_any(&[Role::Broker, Role::Bureau]) {
        Ok(Side::Broker)
    } else {
        Err(Denied::Forbidden(format!(
            "account '{}' may decide only on pairs with its own organization's records",
            actor.username
        )))
    }
}

/// A decision as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DecisionInput {
    pub decision: Option<String>,
    pub reason: Option<String>,
}

/// A checked decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDecision {
    pub decision: Decision,
    /// Trimmed; required for a decline.
    pub reason: String,
}

impl DecisionInput {
    /// Every problem as a field error: an unknown decision, a decline without a reason, a reason
    /// too long.
    pub fn into_new(self) -> Result<NewDecision, Vec<FieldError>> {
        let mut errs = Vec::new();
        let raw = self.decision.as_deref().unwrap_or("").trim();
        let decision = if raw.is_empty() {
            errs.push(FieldError::new("decision", "必填 / is required"));
            None
        } else {
            let d = Decision::parse(raw);
            if d.is_none() {
                errs.push(FieldError::new(
                    "decision",
                    format!("'{raw}' 无效 / use accepted or declined"),
                ));
            }
            d
        };
        let reason = self.reason.as_deref().unwrap_or("").trim().to_string();
        if decision == Some(Decision::Declined) && reason.is_empty() {
            errs.push(FieldError::new(
                "reason",
                "拒绝时必须填写理由 / a reason is required to decline",
            ));
        }
        if reason.chars().count() > REASON_MAX {
            errs.push(FieldError::new(
                "reason",
                format!("最多 {REASON_MAX} 字 / at most {REASON_MAX} characters"),
            ));
        }
        match decision {
            Some(decision) if errs.is_empty() => Ok(NewDecision { decision, reason }),
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::achievement::{AchievementStatus, Visibility};
    use crate::demand::DemandStatus;

    fn achievement() -> Achievement {
        Achievement {
            id: 1,
            reference: "A".into(),
            title: "涡轮叶片激光熔覆修复技术".into(),
            summary: String::new(),
            keywords: vec!["激光熔覆".into()],
            category: "applied".into(),
            stage: Some("pilot".into()),
            trl: Some(6),
            attribute: None,
            level: None,
            ip_type: None,
            ip_numbers: String::new(),
            discipline: String::new(),
            tech_field: Some("advanced_manufacturing".into()),
            chains: vec!["aviation".into(), "auto_parts".into()],
            chain_version: "shenyang-2022".into(),
            transformation_modes: vec![],
            price: Some(Fen(300_000_000)),
            owner_org_id: 1,
            completers: vec![],
            period_start: None,
            period_end: None,
            contact_name: String::new(),
            contact_phone: String::new(),
            contact_email: String::new(),
            visibility: Visibility::Public,
            status: AchievementStatus::Published,
            return_reason: String::new(),
            returned_count: 0,
            submitted_at: None,
            published_at: None,
            fresh_at: String::new(),
            is_demo: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn demand() -> Demand {
        Demand {
            id: 2,
            reference: "D".into(),
            title: "寻求涡轮叶片修复".into(),
            description: String::new(),
            keywords: vec![],
            chain: Some("auto_parts".into()),
            tech_field: Some("advanced_manufacturing".into()),
            budget_min: Some(Fen(100_000_000)),
            budget_max: Some(Fen(500_000_000)),
            deadline: None,
            cooperation_mode: None,
            district: "210106".into(),
            visibility: Visibility::Public,
            contact_name: String::new(),
            contact_phone: String::new(),
            owner_org_id: 2,
            status: DemandStatus::Published,
            published_at: None,
            is_demo: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn codes(a: &Assessment) -> Vec<&'static str> {
        a.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn weights_add_up_to_one_hundred() {
        assert_eq!(
            WEIGHT_TEXT + WEIGHT_CHAIN + WEIGHT_FIELD + WEIGHT_STAGE + WEIGHT_LOCAL + WEIGHT_BUDGET,
            100
        );
    }

    #[test]
    fn every_signal_adds_its_points_and_its_reason() {
        let terms = vec!["激光熔覆".to_string(), "涡轮叶片".to_string()];
        let full = assess(
            &achievement(),
            "210102",
            &demand(),
            Direction::AchievementsForDemand,
            TEXT_FULL_SCORE * 2.0,
            &terms,
        );
        assert_eq!(full.score, 100);
        assert_eq!(full.text, 100);
        assert_eq!(
            codes(&full),
            [
                "shared_terms",
                "same_chain",
                "same_field",
                "stage_fits",
                "local",
                "within_budget"
            ]
        );
        assert_eq!(full.reasons[0].zh, "共同关键词：激光熔覆、涡轮叶片");
        assert!(
            full.reasons[4].zh.contains("沈阳市和平区"),
            "{:?}",
            full.reasons[4]
        );
        assert_eq!(full.reasons[5].zh, "价格在预算内：300 万元 ≤ 500 万元");

        // Half the text, nothing else: an achievement elsewhere, early, too dear, other chain.
        let mut a = achievement();
        a.stage = Some("lab".into());
        a.trl = Some(4);
        a.chains = vec!["aviation".into()];
        a.tech_field = None;
        a.price = Some(Fen(600_000_000));
        let half = assess(
            &a,
            "110108",
            &demand(),
            Direction::AchievementsForDemand,
            TEXT_FULL_SCORE / 2.0,
            &[],
        );
        assert_eq!(half.score, WEIGHT_TEXT / 2);
        assert!(half.reasons.is_empty());
        // The other way round the other party is the demand, which is in Shenyang.
        let back = assess(
            &a,
            "110108",
            &demand(),
            Direction::DemandsForAchievement,
            TEXT_FULL_SCORE / 2.0,
            &[],
        );
        assert_eq!(codes(&back), ["local"]);
        assert_eq!(back.score, WEIGHT_TEXT / 2 + WEIGHT_LOCAL);
    }

    #[test]
    fn stage_and_budget_rules() {
        let mut a = achievement();
        a.stage = None;
        a.trl = Some(6);
        assert!(stage_fits(&a));
        a.trl = Some(5);
        assert!(!stage_fits(&a));
        a.stage = Some("mature".into());
        assert!(stage_fits(&a));
        let mut d = demand();
        d.budget_max = None;
        assert_eq!(budget_limit(&d), Some(Fen(100_000_000)));
        d.budget_min = None;
        let r = assess(
            &achievement(),
            "210102",
            &d,
            Direction::AchievementsForDemand,
            1.0,
            &[],
        );
        assert!(!codes(&r).contains(&"within_budget"));
        // The price equal to the budget fits (exact fen comparison).
        let mut d = demand();
        d.budget_max = Some(Fen(300_000_000));
        let r = assess(
            &achievement(),
            "210102",
            &d,
            Direction::AchievementsForDemand,
            1.0,
            &[],
        );
        assert!(codes(&r).contains(&"within_budget"));
        assert_eq!(text_similarity(f32::NAN), 0.0);
        assert_eq!(yuan_wan(Fen(1_234_567)), "1.23");
    }

    fn actor(role: Role, org: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            username: "x".into(),
            roles: vec![role],
            org_id: org,
            district_code: None,
        }
    }

    #[test]
    fn who_decides_for_which_side() {
        assert_eq!(
            decision_side(&actor(Role::Unit, Some(1)), 1, 2),
            Ok(Side::Achievement)
        );
        assert_eq!(
            decision_side(&actor(Role::Enterprise, Some(2)), 1, 2),
            Ok(Side::Demand)
        );
        assert_eq!(
            decision_side(&actor(Role::Broker, Some(9)), 1, 2),
            Ok(Side::Broker)
        );
        assert_eq!(
            decision_side(&actor(Role::Bureau, None), 1, 2),
            Ok(Side::Broker)
        );
        // A unit of the demand's owner is not the demand side; strangers and others may not.
        assert!(decision_side(&actor(Role::Unit, Some(2)), 1, 2).is_err());
        assert!(decision_side(&actor(Role::Enterprise, Some(3)), 1, 2).is_err());
        assert!(decision_side(&actor(Role::Public, None), 1, 2).is_err());
        assert!(decision_side(&actor(Role::District, None), 1, 2).is_err());
    }

    #[test]
    fn a_decline_needs_a_reason() {
        let ok = DecisionInput {
            decision: Some("accepted".into()),
            reason: None,
        }
        .into_new()
        .unwrap();
        assert_eq!(ok.decision, Decision::Accepted);
        let e = DecisionInput {
            decision: Some("declined".into()),
            reason: Some("  ".into()),
        }
        .into_new()
        .unwrap_err();
        assert_eq!(e[0].field, "reason");
        let e = DecisionInput::default().into_new().unwrap_err();
        assert_eq!(e[0].field, "decision");
        let e = DecisionInput {
            decision: Some("maybe".into()),
            reason: Some("x".repeat(REASON_MAX + 1)),
        }
        .into_new()
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["decision", "reason"]);
        let d = DecisionInput {
            decision: Some("decline".into()),
            reason: Some(" 价格过高 ".into()),
        }
        .into_new()
        .unwrap();
        assert_eq!(d.reason, "价格过高");
    }
}
