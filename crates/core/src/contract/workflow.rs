//! The registration workflow: statuses, actions, who may take them, and the rules (threshold,
//! review periods, certificate layout) that are settings. The state table is in the
//! [module documentation](super).

use super::certificate::CertificateLayout;
use super::workdays::{DeadlineStatus, WorkCalendar};
use crate::money::Fen;
use crate::refdata::{self, Code};
use crate::{Actor, FieldError, Role};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::Date;

/// 登记状态: where a contract is in its registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    /// 草稿: being written by the applicant, not yet submitted.
    Draft,
    /// 已提交: submitted to a site, waiting for acceptance.
    Submitted,
    /// 已受理: accepted by the site; the review clock runs.
    Accepted,
    /// 待补正: the site asked the applicant for corrections.
    NeedsCorrection,
    /// 已补正: corrected and submitted again; the review clock restarted.
    Resubmitted,
    /// 专家评审中: referred to expert review.
    ExpertReview,
    /// 已登记: registered, a certificate number assigned.
    Registered,
    /// 不予登记: refused, with a ground.
    Rejected,
    /// 已变更: registered, then changed at the same site.
    Changed,
    /// 已注销: registration cancelled.
    Cancelled,
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 10] = [
        ContractStatus::Draft,
        ContractStatus::Submitted,
        ContractStatus::Accepted,
        ContractStatus::NeedsCorrection,
        ContractStatus::Resubmitted,
        ContractStatus::ExpertReview,
        ContractStatus::Registered,
        ContractStatus::Rejected,
        ContractStatus::Changed,
        ContractStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Submitted => "submitted",
            ContractStatus::Accepted => "accepted",
            ContractStatus::NeedsCorrection => "needs_correction",
            ContractStatus::Resubmitted => "resubmitted",
            ContractStatus::ExpertReview => "expert_review",
            ContractStatus::Registered => "registered",
            ContractStatus::Rejected => "rejected",
            ContractStatus::Changed => "changed",
            ContractStatus::Cancelled => "cancelled",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            ContractStatus::Draft => "草稿",
            ContractStatus::Submitted => "已提交",
            ContractStatus::Accepted => "已受理",
            ContractStatus::NeedsCorrection => "待补正",
            ContractStatus::Resubmitted => "已补正",
            ContractStatus::ExpertReview => "专家评审中",
            ContractStatus::Registered => "已登记",
            ContractStatus::Rejected => "不予登记",
            ContractStatus::Changed => "已变更",
            ContractStatus::Cancelled => "已注销",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ContractStatus::Draft => "Draft",
            ContractStatus::Submitted => "Submitted",
            ContractStatus::Accepted => "Accepted",
            ContractStatus::NeedsCorrection => "Needs correction",
            ContractStatus::Resubmitted => "Resubmitted",
            ContractStatus::ExpertReview => "In expert review",
            ContractStatus::Registered => "Registered",
            ContractStatus::Rejected => "Rejected",
            ContractStatus::Changed => "Changed",
            ContractStatus::Cancelled => "Cancelled",
        }
    }

    /// Accepts the slug, the Chinese or the English name.
    pub fn parse(s: &str) -> Option<ContractStatus> {
        let t = s.trim();
        ContractStatus::ALL.into_iter().find(|k| {
            k.as_str().eq_ignore_ascii_case(t) || k.zh() == t || k.en().eq_ignore_ascii_case(t)
        })
    }

    /// Registered and changed contracts are the ones the statistics count.
    pub fn counts_in_statistics(self) -> bool {
        matches!(self, ContractStatus::Registered | ContractStatus::Changed)
    }

    /// No action leads out of a final status.
    pub fn is_final(self) -> bool {
        matches!(self, ContractStatus::Rejected | ContractStatus::Cancelled)
    }

    /// The site has to act: the contract is in the registrars' queue.
    pub fn awaits_site(self) -> bool {
        matches!(
            self,
            ContractStatus::Submitted
                | ContractStatus::Accepted
                | ContractStatus::Resubmitted
                | ContractStatus::ExpertReview
        )
    }

    /// The review clock runs (from acceptance or from the last resubmission).
    pub fn clock_running(self) -> bool {
        matches!(
            self,
            ContractStatus::Accepted | ContractStatus::Resubmitted | ContractStatus::ExpertReview
        )
    }
}

impl fmt::Display for ContractStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContractStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContractStatus::parse(s).ok_or_else(|| {
            let all: Vec<_> = ContractStatus::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown contract status '{s}' (one of: {})", all.join(", "))
        })
    }
}

/// Who takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Members of the applicant organization (the seller; for a technology import the buyer).
    Applicant,
    /// Registrars of the contract's registration site.
    Site,
}

/// An action on a contract's registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractAction {
    /// 提交登记申请.
    Submit,
    /// 受理.
    Accept,
    /// 要求补正.
    RequestCorrection,
    /// 补正后重新提交.
    Resubmit,
    /// 提交专家评审.
    ReferExpert,
    /// 准予登记.
    Register,
    /// 不予登记.
    Reject,
    /// 变更登记.
    Change,
    /// 注销登记.
    Cancel,
}

impl ContractAction {
    pub const ALL: [ContractAction; 9] = [
        ContractAction::Submit,
        ContractAction::Accept,
        ContractAction::RequestCorrection,
        ContractAction::Resubmit,
        ContractAction::ReferExpert,
        ContractAction::Register,
        ContractAction::Reject,
        ContractAction::Change,
        ContractAction::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractAction::Submit => "submit",
            ContractAction::Accept => "accept",
            ContractAction::RequestCorrection => "request_correction",
            ContractAction::Resubmit => "resubmit",
            ContractAction::ReferExpert => "refer_expert",
            ContractAction::Register => "register",
            ContractAction::Reject => "reject",
            ContractAction::Change => "change",
            ContractAction::Cancel => "cancel",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            ContractAction::Submit => "提交",
            ContractAction::Accept => "受理",
            ContractAction::RequestCorrection => "要求补正",
            ContractAction::Resubmit => "重新提交",
            ContractAction::ReferExpert => "提交专家评审",
            ContractAction::Register => "登记",
            ContractAction::Reject => "不予登记",
            ContractAction::Change => "变更",
            ContractAction::Cancel => "注销",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ContractAction::Submit => "Submit",
            ContractAction::Accept => "Accept",
            ContractAction::RequestCorrection => "Request correction",
            ContractAction::Resubmit => "Resubmit",
            ContractAction::ReferExpert => "Refer to experts",
            ContractAction::Register => "Register",
            ContractAction::Reject => "Reject",
            ContractAction::Change => "Change",
            ContractAction::Cancel => "Cancel",
        }
    }

    /// Accepts the slug, the Chinese or the English name.
    pub fn parse(s: &str) -> Option<ContractAction> {
        let t = s.trim();
        ContractAction::ALL.into_iter().find(|k| {
            k.as_str().eq_ignore_ascii_case(t) || k.zh() == t || k.en().eq_ignore_ascii_case(t)
        })
    }

    /// Which side takes this action.
    pub fn side(self) -> Side {
        match self {
            ContractAction::Submit | ContractAction::Resubmit => Side::Applicant,
            ContractAction::Accept
            | ContractAction::RequestCorrection
            | ContractAction::ReferExpert
            | ContractAction::Register
            | ContractAction::Reject
            | ContractAction::Change
            | ContractAction::Cancel => Side::Site,
        }
    }
}

impl fmt::Display for ContractAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContractAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContractAction::parse(s).ok_or_else(|| {
            let all: Vec<_> = ContractAction::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown contract action '{s}' (one of: {})", all.join(", "))
        })
    }
}

/// What [`transition`] needs to know about the caller and the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionCtx<'a> {
    /// The caller belongs to the applicant organization ([`is_applicant_member`]).
    pub is_applicant: bool,
    /// The caller is a registrar of the contract's site ([`is_site_registrar`]).
    pub is_site_registrar: bool,
    /// The contract has been through expert review before (e.g. the experts asked for a
    /// correction and the contract came back resubmitted).
    pub expert_reviewed: bool,
    /// 技术交易额 of the contract.
    pub tx_amount: Fen,
    /// [`RegistrationRules::expert_threshold`].
    pub expert_threshold: Fen,
    /// For `reject`: the refusal ground, a code or name of
    /// [`refusal_grounds`](crate::refdata::refusal_grounds).
    pub refusal_ground: Option<&'a str>,
}

/// Why a transition is refused. Suggested HTTP mapping: `Forbidden` 403, `Invalid` and
/// `ExpertReviewRequired` 409, `RefusalGround` 422; [`TransitionError::code`] is the stable
/// machine-readable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The caller is not on the side that takes this action.
    #[error("{0}")]
    Forbidden(String),
    /// The action does not exist in this status.
    #[error("状态为「{}」的合同不能「{}」 / a contract that is {from} cannot be given the action '{action}'", from.zh(), action.zh())]
    Invalid {
        from: ContractStatus,
        action: ContractAction,
    },
    /// 技术交易额 at or above the threshold and no expert review yet.
    #[error("技术交易额 {tx_amount} 元达到 {threshold} 元，须先经专家评审 / a technology transaction amount of {tx_amount} yuan (threshold {threshold}) requires expert review before registration")]
    ExpertReviewRequired { tx_amount: Fen, threshold: Fen },
    /// `reject` without a valid refusal ground.
    #[error("{0}")]
    RefusalGround(FieldError),
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::Forbidden(_) => "forbidden",
            TransitionError::Invalid { .. } => "invalid_transition",
            TransitionError::ExpertReviewRequired { .. } => "expert_review_required",
            TransitionError::RefusalGround(_) => "invalid_refusal_ground",
        }
    }
}

/// The state table alone: the status `action` leads to from `from`, or `None` when the action
/// does not exist there. Ignores who acts and the conditions; [`transition`] checks those.
pub fn next_status(from: ContractStatus, action: ContractAction) -> Option<ContractStatus> {
    use ContractAction as A;
    use ContractStatus as S;
    match from {
        S::Draft => match action {
            A::Submit => Some(S::Submitted),
            _ => None,
        },
        S::Submitted => match action {
            A::Accept => Some(S::Accepted),
            _ => None,
        },
        S::Accepted | S::Resubmitted => match action {
            A::RequestCorrection => Some(S::NeedsCorrection),
            A::ReferExpert => Some(S::ExpertReview),
            A::Register => Some(S::Registered),
            A::Reject => Some(S::Rejected),
            _ => None,
        },
        S::NeedsCorrection => match action {
            A::Resubmit => Some(S::Resubmitted),
            _ => None,
        },
        S::ExpertReview => match action {
            A::RequestCorrection => Some(S::NeedsCorrection),
            A::Register => Some(S::Registered),
            A::Reject => Some(S::Rejected),
            _ => None,
        },
        S::Registered | S::Changed => match action {
            A::Change => Some(S::Changed),
            A::Cancel => Some(S::Cancelled),
            _ => None,
        },
        S::Rejected | S::Cancelled => None,
    }
}

/// Applies `action` to a contract in status `from`: the new status, or why not. Checks, in this
/// order, the caller's side (403), the state table (409), then the action's condition (expert
/// review at or above the threshold; a refusal ground for `reject`).
pub fn transition(
    from: ContractStatus,
    action: ContractAction,
    ctx: &TransitionCtx<'_>,
) -> Result<ContractStatus, TransitionError> {
    match action.side() {
        Side::Applicant if !ctx.is_applicant => {
            return Err(TransitionError::Forbidden(format!(
                "只有申请登记的单位可以「{}」 / only members of the applicant organization may {}",
                action.zh(),
                action
            )))
        }
        Side::Site if !ctx.is_site_registrar => {
            return Err(TransitionError::Forbidden(format!(
                "只有本合同登记点的登记员可以「{}」 / only registrars of the contract's registration site may {}",
                action.zh(),
                action
            )))
        }
        _ => {}
    }
    let to = next_status(from, action).ok_or(TransitionError::Invalid { from, action })?;
    match action {
        ContractAction::Register
            if from != ContractStatus::ExpertReview
                && ctx.tx_amount >= ctx.expert_threshold
                && !ctx.expert_reviewed =>
        {
            return Err(TransitionError::ExpertReviewRequired {
                tx_amount: ctx.tx_amount,
                threshold: ctx.expert_threshold,
            })
        }
        ContractAction::Reject => {
            parse_refusal_ground(ctx.refusal_ground).map_err(TransitionError::RefusalGround)?;
        }
        _ => {}
    }
    Ok(to)
}

/// The actions the caller may take now (for the buttons of a page).
pub fn allowed_actions(from: ContractStatus, ctx: &TransitionCtx<'_>) -> Vec<ContractAction> {
    // A reject is offered whenever it exists: the ground is chosen when it is taken.
    let ctx = TransitionCtx {
        refusal_ground: Some("other"),
        ..*ctx
    };
    ContractAction::ALL
        .into_iter()
        .filter(|a| transition(from, *a, &ctx).is_ok())
        .collect()
}

/// Resolves a refusal ground (不予登记理由) by code or name; the error names the field
/// `refusal_ground`.
pub fn parse_refusal_ground(ground: Option<&str>) -> Result<&'static Code, FieldError> {
    let g = ground.map(str::trim).unwrap_or("");
    if g.is_empty() {
        return Err(FieldError::new(
            "refusal_ground",
            "不予登记须说明理由 / a refusal needs a ground",
        ));
    }
    refdata::lookup(refdata::refusal_grounds(), g).ok_or_else(|| {
        let all: Vec<_> = refdata::refusal_grounds().iter().map(|c| c.code).collect();
        FieldError::new(
            "refusal_ground",
            format!(
                "未知的不予登记理由 / unknown refusal ground '{g}' (one of: {})",
                all.join(", ")
            ),
        )
    })
}

/// True when `actor` belongs to the applicant organization (the seller; for a technology import,
/// the domestic buyer): its members submit and resubmit.
pub fn is_applicant_member(actor: &Actor, applicant_org_id: Option<i64>) -> bool {
    applicant_org_id.is_some() && actor.org_id == applicant_org_id
}

/// True when `actor` is a registrar (登记员) of the registration site `site_org_id`. The bureau
/// is not, unless it also holds the registrar role at that site: it oversees every site but
/// takes no registration decision.
pub fn is_site_registrar(actor: &Actor, site_org_id: Option<i64>) -> bool {
    actor.has(Role::Registrar) && site_org_id.is_some() && actor.org_id == site_org_id
}

/// Who may enter a contract as a draft: a member of the applicant organization, a registrar of
/// the site it is addressed to (entering an application made on paper), or the bureau.
pub fn can_create(actor: &Actor, applicant_org_id: Option<i64>, site_org_id: Option<i64>) -> bool {
    actor.is_bureau()
        || is_applicant_member(actor, applicant_org_id)
        || is_site_registrar(actor, site_org_id)
}

/// Who may read a contract and its history: the bureau, district officers, members of either
/// party, and the registrars of its site.
pub fn can_read(
    actor: &Actor,
    seller_org_id: Option<i64>,
    buyer_org_id: Option<i64>,
    site_org_id: Option<i64>,
) -> bool {
    actor.is_bureau()
        || actor.has(Role::District)
        || (actor.org_id.is_some()
            && (actor.org_id == seller_org_id || actor.org_id == buyer_org_id))
        || is_site_registrar(actor, site_org_id)
}

/// Who may change a contract's fields: the applicant while it is a draft or awaits correction;
/// a registrar of its site only a draft it entered itself (an application made on paper,
/// `entered_by_actor`). Registrars otherwise act only through their registration actions: they
/// never rewrite an applicant's draft. Nobody edits a contract in review or decided.
pub fn can_edit(
    actor: &Actor,
    status: ContractStatus,
    applicant_org_id: Option<i64>,
    site_org_id: Option<i64>,
    entered_by_actor: bool,
) -> bool {
    match status {
        ContractStatus::Draft => {
            is_applicant_member(actor, applicant_org_id)
                || (entered_by_actor && is_site_registrar(actor, site_org_id))
        }
        ContractStatus::NeedsCorrection => is_applicant_member(actor, applicant_org_id),
        _ => false,
    }
}

/// The settings of registration: the expert-review threshold, the review periods and the
/// certificate number layout. Defaults follow DOMAIN.md §2 (draft rules of 2024 \[S\]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRules {
    /// 技术交易额 at or above which expert review is required: 500万 yuan.
    pub expert_threshold: Fen,
    /// Working days to decide: 15.
    pub review_days: u32,
    /// Working days to decide with expert review: 30.
    pub review_days_expert: u32,
    /// The certificate number layout.
    pub certificate_layout: CertificateLayout,
}

impl Default for RegistrationRules {
    fn default() -> Self {
        Self {
            expert_threshold: Fen(5_000_000 * 100),
            review_days: 15,
            review_days_expert: 30,
            certificate_layout: CertificateLayout::default(),
        }
    }
}

impl RegistrationRules {
    /// Expert review is required at or above the threshold.
    pub fn expert_review_required(&self, tx_amount: Fen) -> bool {
        tx_amount >= self.expert_threshold
    }

    /// The review period in working days: the longer one when expert review is required or the
    /// contract was referred to experts.
    pub fn review_working_days(&self, tx_amount: Fen, referred_to_experts: bool) -> u32 {
        if referred_to_experts || self.expert_review_required(tx_amount) {
            self.review_days_expert
        } else {
            self.review_days
        }
    }

    /// The deadline of a contract whose clock started on `clock_start` (acceptance, or the last
    /// resubmission), as seen on `today`.
    pub fn deadline_status(
        &self,
        calendar: &WorkCalendar,
        clock_start: Date,
        tx_amount: Fen,
        referred_to_experts: bool,
        today: Date,
    ) -> DeadlineStatus {
        let n = self.review_working_days(tx_amount, referred_to_experts);
        calendar.status(clock_start, n, today)
    }

    /// A [`TransitionCtx`] with this threshold.
    pub fn ctx<'a>(
        &self,
        is_applicant: bool,
        is_site_registrar: bool,
        expert_reviewed: bool,
        tx_amount: Fen,
    ) -> TransitionCtx<'a> {
        TransitionCtx {
            is_applicant,
            is_site_registrar,
            expert_reviewed,
            tx_amount,
            expert_threshold: self.expert_threshold,
            refusal_ground: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractAction as A;
    use ContractStatus as S;

    const THRESHOLD: Fen = Fen(500_000_000);

    fn ctx(applicant: bool, registrar: bool, tx: Fen) -> TransitionCtx<'static> {
        TransitionCtx {
            is_applicant: applicant,
            is_site_registrar: registrar,
            expert_reviewed: false,
            tx_amount: tx,
            expert_threshold: THRESHOLD,
            refusal_ground: Some("not_technology_contract"),
        }
    }

    /// The state table, written out independently of `next_status`.
    const ALLOWED: &[(S, A, S)] = &[
        (S::Draft, A::Submit, S::Submitted),
        (S::Submitted, A::Accept, S::Accepted),
        (S::Accepted, A::RequestCorrection, S::NeedsCorrection),
        (S::Accepted, A::ReferExpert, S::ExpertReview),
        (S::Accepted, A::Register, S::Registered),
        (S::Accepted, A::Reject, S::Rejected),
        (S::NeedsCorrection, A::Resubmit, S::Resubmitted),
        (S::Resubmitted, A::RequestCorrection, S::NeedsCorrection),
        (S::Resubmitted, A::ReferExpert, S::ExpertReview),
        (S::Resubmitted, A::Register, S::Registered),
        (S::Resubmitted, A::Reject, S::Rejected),
        (S::ExpertReview, A::RequestCorrection, S::NeedsCorrection),
        (S::ExpertReview, A::Register, S::Registered),
        (S::ExpertReview, A::Reject, S::Rejected),
        (S::Registered, A::Change, S::Changed),
        (S::Registered, A::Cancel, S::Cancelled),
        (S::Changed, A::Change, S::Changed),
        (S::Changed, A::Cancel, S::Cancelled),
    ];

    #[test]
    fn exactly_the_table_is_allowed() {
        // An actor on both sides, below the threshold, with a ground: only the table decides.
        let c = ctx(true, true, Fen(100));
        let mut allowed = 0;
        for from in S::ALL {
            for action in A::ALL {
                let expected = ALLOWED
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (transition(from, action, &c), expected) {
                    (Ok(to), Some(exp)) => {
                        assert_eq!(to, exp, "{from} --{action}-->");
                        allowed += 1;
                    }
                    (Err(TransitionError::Invalid { from: f, action: a }), None) => {
                        assert_eq!((f, a), (from, action));
                    }
                    (got, exp) => panic!("{from} --{action}-->: got {got:?}, expected {exp:?}"),
                }
            }
        }
        assert_eq!(allowed, ALLOWED.len());
        for s in [S::Rejected, S::Cancelled] {
            assert!(s.is_final());
            assert!(allowed_actions(s, &c).is_empty());
        }
    }

    #[test]
    fn each_side_takes_only_its_actions() {
        let applicant = ctx(true, false, Fen(100));
        let registrar = ctx(false, true, Fen(100));
        let outsider = ctx(false, false, Fen(100));
        for &(from, action, to) in ALLOWED {
            let (ok, refused) = match action.side() {
                Side::Applicant => (&applicant, &registrar),
                Side::Site => (&registrar, &applicant),
            };
            assert_eq!(transition(from, action, ok), Ok(to));
            assert!(matches!(
                transition(from, action, refused),
                Err(TransitionError::Forbidden(_))
            ));
            assert!(matches!(
                transition(from, action, &outsider),
                Err(TransitionError::Forbidden(_))
            ));
        }
        assert_eq!(allowed_actions(S::Accepted, &applicant), []);
        assert_eq!(
            allowed_actions(S::Accepted, &registrar),
            [A::RequestCorrection, A::ReferExpert, A::Register, A::Reject]
        );
        assert_eq!(
            allowed_actions(S::NeedsCorrection, &applicant),
            [A::Resubmit]
        );
    }

    fn actor(roles: &[Role], org_id: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            roles: roles.to_vec(),
            org_id,
            district_code: None,
        }
    }

    #[test]
    fn a_registrar_of_another_site_is_refused() {
        let site_a = Some(10);
        let site_b = Some(20);
        let registrar_b = actor(&[Role::Registrar], site_b);
        let registrar_a = actor(&[Role::Registrar], site_a);
        let bureau = actor(&[Role::Bureau], None);
        let staff_a_without_role = actor(&[Role::Enterprise], site_a);
        assert!(is_site_registrar(&registrar_a, site_a));
        assert!(!is_site_registrar(&registrar_b, site_a));
        assert!(!is_site_registrar(&bureau, site_a));
        assert!(!is_site_registrar(&staff_a_without_role, site_a));
        assert!(!is_site_registrar(&actor(&[Role::Registrar], None), None));
        let rules = RegistrationRules::default();
        let c = rules.ctx(
            false,
            is_site_registrar(&registrar_b, site_a),
            false,
            Fen(100),
        );
        for from in [
            S::Submitted,
            S::Accepted,
            S::Resubmitted,
            S::ExpertReview,
            S::Registered,
        ] {
            for action in A::ALL.into_iter().filter(|a| a.side() == Side::Site) {
                let err = transition(from, action, &c).unwrap_err();
                assert_eq!(err.code(), "forbidden", "{from} {action}");
            }
        }
        let seller = actor(&[Role::Unit], Some(7));
        assert!(is_applicant_member(&seller, Some(7)));
        assert!(!is_applicant_member(&seller, Some(8)));
        assert!(!is_applicant_member(&actor(&[Role::Unit], None), None));
    }

    #[test]
    fn at_or_above_the_threshold_registration_needs_expert_review() {
        let rules = RegistrationRules::default();
        assert_eq!(rules.expert_threshold, Fen::parse_yuan("5000000").unwrap());
        for tx in [THRESHOLD, Fen(THRESHOLD.0 + 1)] {
            let c = rules.ctx(false, true, false, tx);
            for from in [S::Accepted, S::Resubmitted] {
                let err = transition(from, A::Register, &c).unwrap_err();
                assert_eq!(
                    err,
                    TransitionError::ExpertReviewRequired {
                        tx_amount: tx,
                        threshold: THRESHOLD
                    }
                );
                assert_eq!(err.code(), "expert_review_required");
                // The way through: refer, then register.
                let s = transition(from, A::ReferExpert, &c).unwrap();
                assert_eq!(transition(s, A::Register, &c), Ok(S::Registered));
            }
            // Back from expert review through a correction: already reviewed.
            let reviewed = rules.ctx(false, true, true, tx);
            assert_eq!(
                transition(S::Resubmitted, A::Register, &reviewed),
                Ok(S::Registered)
            );
            assert!(!allowed_actions(S::Accepted, &c).contains(&A::Register));
        }
        let below = rules.ctx(false, true, false, Fen(THRESHOLD.0 - 1));
        assert_eq!(
            transition(S::Accepted, A::Register, &below),
            Ok(S::Registered)
        );
        assert_eq!(rules.review_working_days(Fen(THRESHOLD.0 - 1), false), 15);
        assert_eq!(rules.review_working_days(Fen(THRESHOLD.0 - 1), true), 30);
        assert_eq!(rules.review_working_days(THRESHOLD, false), 30);
    }

    #[test]
    fn reject_needs_a_known_ground() {
        let mut c = ctx(false, true, Fen(1));
        for ground in [None, Some(""), Some("  "), Some("bad_mood")] {
            c.refusal_ground = ground;
            let err = transition(S::Accepted, A::Reject, &c).unwrap_err();
            match &err {
                TransitionError::RefusalGround(fe) => assert_eq!(fe.field, "refusal_ground"),
                other => panic!("{other:?}"),
            }
            assert_eq!(err.code(), "invalid_refusal_ground");
        }
        for ground in ["seal_problem", "签章不全或不符", "其它"] {
            c.refusal_ground = Some(ground);
            assert_eq!(transition(S::ExpertReview, A::Reject, &c), Ok(S::Rejected));
        }
        assert_eq!(parse_refusal_ground(Some("其它")).unwrap().code, "other");
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert_eq!(S::parse(s.zh()), Some(s));
            assert_eq!(s.en().parse::<S>(), Ok(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        for a in A::ALL {
            assert_eq!(A::parse(a.as_str()), Some(a));
            assert_eq!(A::parse(a.zh()), Some(a));
            assert_eq!(a.en().parse::<A>(), Ok(a));
            assert_eq!(
                serde_json::from_value::<A>(serde_json::json!(a.as_str())).unwrap(),
                a
            );
        }
        assert!("publish".parse::<A>().is_err());
        let msg = TransitionError::Invalid {
            from: S::Draft,
            action: A::Register,
        }
        .to_string();
        assert!(msg.contains("草稿") && msg.contains("register"), "{msg}");
    }

    #[test]
    fn statistics_count_registered_and_changed() {
        let counted: Vec<_> = S::ALL
            .into_iter()
            .filter(|s| s.counts_in_statistics())
            .collect();
        assert_eq!(counted, [S::Registered, S::Changed]);
        let clock: Vec<_> = S::ALL.into_iter().filter(|s| s.clock_running()).collect();
        assert_eq!(clock, [S::Accepted, S::Resubmitted, S::ExpertReview]);
    }

    #[test]
    fn registrars_edit_no_applicants_draft() {
        let (unit, site) = (Some(1), Some(10));
        let registrar = actor(&[Role::Registrar], site);
        let applicant = actor(&[Role::Unit], unit);
        // the applicant edits its draft and a contract awaiting correction
        assert!(can_edit(&applicant, S::Draft, unit, site, false));
        assert!(can_edit(&applicant, S::NeedsCorrection, unit, site, false));
        assert!(!can_edit(&applicant, S::Submitted, unit, site, false));
        // the site's registrar: not the applicant's draft, only one it entered itself
        assert!(!can_edit(&registrar, S::Draft, unit, site, false));
        assert!(can_edit(&registrar, S::Draft, unit, site, true));
        assert!(!can_edit(&registrar, S::NeedsCorrection, unit, site, true));
        // a registrar of another site, never
        assert!(!can_edit(
            &actor(&[Role::Registrar], Some(20)),
            S::Draft,
            unit,
            site,
            true
        ));
    }
}
