//! Matching (docs/matching.md): achievements proposed for a demand and demands proposed for an
//! achievement, ranked by a 0–100 score with the reasons behind it; each side's accept/decline
//! decisions (a declined pair is never proposed again); the decisions list (XLSX for the bureau);
//! the workspace threshold setting.
//!
//! Proposals are computed on request: the search index finds the candidates by text
//! (`more_like`, only records the caller may see), the database has the last word on each
//! candidate (published, not past its deadline, readable), and `chengguo_core::matching` scores
//! and explains the pairs.

use super::achievements::readable as readable_achievement;
use super::demands::{readable as readable_demand, today_str};
use super::Paging;
use crate::auth::{AnyAccount, Auth, Bureau, RoleSet, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, JsonObject, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chengguo_core::achievement::{AchievementStatus, ReadScope};
use chengguo_core::demand::{self, DemandStatus};
use chengguo_core::matching::{self, assess, Decision, DecisionInput, Direction, Reason};
use chengguo_core::{Actor, FieldError, Role};
use chengguo_io::Cell;
use chengguo_search::{DocKind, MoreLike};
use chengguo_store::search::audiences;
use chengguo_store::{AchievementView, DemandView, MatchDecision, MatchDecisionQuery};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::{IntoParams, ToSchema};

/// A proposal waits for the index to catch up with at most this many committed changes (so a
/// record just published is proposed at once); a larger backlog is the background loop's.
pub const CATCH_UP_MAX_LAG: i64 = 1000;
/// Matches listed when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 10;
/// The most matches one request lists.
pub const MAX_LIMIT: usize = 50;
/// The most candidates read from the index for one list (candidates the caller may not be
/// proposed are dropped after the index, so it is asked for more than the limit).
const MAX_CANDIDATES: usize = 2000;

/// Accounts that may decide on a pair (row rule: `chengguo_core::matching::decision_side`).
#[derive(Debug)]
pub struct Deciders;
impl RoleSet for Deciders {
    const ROLES: &'static [Role] = &[Role::Bureau, Role::Unit, Role::Enterprise, Role::Broker];
}

/// The record that matches are proposed for.
pub enum Source {
    Achievement(Box<AchievementView>),
    Demand(Box<DemandView>),
}

impl Source {
    pub fn kind(&self) -> DocKind {
        match self {
            Source::Achievement(_) => DocKind::Achievement,
            Source::Demand(_) => DocKind::Demand,
        }
    }
    pub fn id(&self) -> i64 {
        match self {
            Source::Achievement(a) => a.achievement.id,
            Source::Demand(d) => d.demand.id,
        }
    }
    pub fn title(&self) -> &str {
        match self {
            Source::Achievement(a) => &a.achievement.title,
            Source::Demand(d) => &d.demand.title,
        }
    }
    pub fn owner_org_id(&self) -> i64 {
        match self {
            Source::Achievement(a) => a.achievement.owner_org_id,
            Source::Demand(d) => d.demand.owner_org_id,
        }
    }
    fn more_like(&self) -> MoreLike {
        match self {
            Source::Achievement(a) => MoreLike {
                title: a.achievement.title.clone(),
                body: a.achievement.summary.clone(),
                keywords: a.achievement.keywords.clone(),
                target: Some(DocKind::Demand),
                ..MoreLike::default()
            },
            Source::Demand(d) => MoreLike {
                title: d.demand.title.clone(),
                body: d.demand.description.clone(),
                keywords: d.demand.keywords.clone(),
                target: Some(DocKind::Achievement),
                ..MoreLike::default()
            },
        }
    }
}

/// One proposed pair, as both the API and the pages use it.
#[derive(Debug, Clone)]
pub struct Match {
    /// The proposed record's kind and id.
    pub kind: DocKind,
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub owner_org_id: i64,
    pub owner_name: String,
    pub achievement_id: i64,
    pub demand_id: i64,
    /// 0–100.
    pub score: u32,
    /// The text similarity alone, 0–100.
    pub text: u32,
    pub reasons: Vec<Reason>,
    /// The sides' decisions on this pair (only acceptances: declined pairs are not proposed).
    pub decisions: Vec<MatchDecision>,
}

impl Match {
    /// The proposed record's page.
    pub fn url(&self) -> String {
        match self.kind {
            DocKind::Achievement => format!("/achievements/{}", self.id),
            DocKind::Demand => format!("/demands/{}", self.id),
        }
    }
}

/// The audiences a proposal may come from: the caller's, except the bureau's, which only adds
/// unpublished records (every published record carries `public`, `signed_in` or `broker`).
fn proposal_audiences(actor: Option<&Actor>) -> Vec<String> {
    audiences(actor)
        .into_iter()
        .filter(|a| a != "bureau")
        .collect()
}

/// The matches for `source` that `actor` may be proposed, best first: published records the
/// caller may read (demands also not past their deadline), never a declined pair, at most
/// `limit`. The caller has checked that `actor` may read `source`.
pub async fn find_matches(
    state: &AppState,
    actor: Option<&Actor>,
    source: &Source,
    limit: usize,
) -> Result<Vec<Match>, ApiError> {
    let limit = limit.clamp(1, MAX_LIMIT);
    state.search.catch_up(CATCH_UP_MAX_LAG).await?;
    let decisions = state
        .store
        .match_decisions_of(source.kind(), source.id())
        .await?;
    let other = |m: &MatchDecision| match source {
        Source::Achievement(_) => m.demand_id,
        Source::Demand(_) => m.achievement_id,
    };
    let declined: BTreeSet<i64> = decisions
        .iter()
        .filter(|m| m.decision == Decision::Declined)
        .map(other)
        .collect();
    let mut by_other: BTreeMap<i64, Vec<MatchDecision>> = BTreeMap::new();
    for m in decisions {
        by_other.entry(other(&m)).or_default().push(m);
    }
    let mut query = source.more_like();
    query.exclude = declined.into_iter().collect();
    query.visible_to = Some(proposal_audiences(actor));
    let today = today_str();
    let mut want = (limit * 3).max(30);
    loop {
        query.limit = want;
        let hits = state
            .search
            .index()
            .more_like(&query)
            .map_err(ApiError::internal)?;
        let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
        let mut out = Vec::new();
        match source {
            Source::Demand(d) => {
                let scope = ReadScope::achievements(actor);
                let found: BTreeMap<i64, AchievementView> = state
                    .store
                    .get_achievements(&ids)
                    .await?
                    .into_iter()
                    .map(|v| (v.achievement.id, v))
                    .collect();
                for h in &hits {
                    let Some(a) = found.get(&h.id) else { continue };
                    let x = &a.achievement;
                    if x.status != AchievementStatus::Published
                        || !scope.can_read(x.owner_org_id, true, x.visibility)
                    {
                        continue;
                    }
                    let s = assess(
                        x,
                        &a.owner_division,
                        &d.demand,
                        Direction::AchievementsForDemand,
                        h.score,
                        &h.shared_terms,
                    );
                    out.push(Match {
                        kind: DocKind::Achievement,
                        id: x.id,
                        reference: x.reference.clone(),
                        title: x.title.clone(),
                        owner_org_id: x.owner_org_id,
                        owner_name: a.owner_name.clone(),
                        achievement_id: x.id,
                        demand_id: d.demand.id,
                        score: s.score,
                        text: s.text,
                        reasons: s.reasons,
                        decisions: by_other.get(&x.id).cloned().unwrap_or_default(),
                    });
                }
            }
            Source::Achievement(a) => {
                let scope = demand::read_scope(actor);
                let found: BTreeMap<i64, DemandView> = state
                    .store
                    .get_demands(&ids)
                    .await?
                    .into_iter()
                    .map(|v| (v.demand.id, v))
                    .collect();
                for h in &hits {
                    let Some(d) = found.get(&h.id) else { continue };
                    let x = &d.demand;
                    if x.effective_status(&today) != DemandStatus::Published
                        || !scope.can_read(x.owner_org_id, true, x.visibility)
                    {
                        continue;
                    }
                    let s = assess(
                        &a.achievement,
                        &a.owner_division,
                        x,
                        Direction::DemandsForAchievement,
                        h.score,
                        &h.shared_terms,
                    );
                    out.push(Match {
                        kind: DocKind::Demand,
                        id: x.id,
                        reference: x.reference.clone(),
                        title: x.title.clone(),
                        owner_org_id: x.owner_org_id,
                        owner_name: d.owner_name.clone(),
                        achievement_id: a.achievement.id,
                        demand_id: x.id,
                        score: s.score,
                        text: s.text,
                        reasons: s.reasons,
                        decisions: by_other.get(&x.id).cloned().unwrap_or_default(),
                    });
                }
            }
        }
        if out.len() >= limit || hits.len() < want || want >= MAX_CANDIDATES {
            // The bonuses reorder the text ranking: best score first, then text, then id.
            out.sort_by(|x, y| {
                y.score
                    .cmp(&x.score)
                    .then(y.text.cmp(&x.text))
                    .then(x.id.cmp(&y.id))
            });
            out.truncate(limit);
            return Ok(out);
        }
        want = (want * 4).min(MAX_CANDIDATES);
    }
}

/// A reason for a match, in both languages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReasonOut {
    /// `shared_terms`, `same_chain`, `same_field`, `stage_fits`, `local`, `within_budget`.
    pub code: String,
    pub text_zh: String,
    pub text_en: String,
}

impl From<&Reason> for ReasonOut {
    fn from(r: &Reason) -> Self {
        ReasonOut {
            code: r.code.as_str().into(),
            text_zh: r.zh.clone(),
            text_en: r.en.clone(),
        }
    }
}

/// One side's decision on a pair.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionOut {
    pub id: i64,
    pub achievement_id: i64,
    pub demand_id: i64,
    /// `achievement` (the achievement's owner), `demand` (the demand's owner) or `broker`
    /// (a broker or the bureau).
    pub side: String,
    /// `accepted` or `declined`.
    pub decision: String,
    pub reason: String,
    /// Username of the deciding account.
    pub decided_by: String,
    pub decided_at: String,
}

impl From<&MatchDecision> for DecisionOut {
    fn from(m: &MatchDecision) -> Self {
        DecisionOut {
            id: m.id,
            achievement_id: m.achievement_id,
            demand_id: m.demand_id,
            side: m.side.as_str().into(),
            decision: m.decision.as_str().into(),
            reason: m.reason.clone(),
            decided_by: m.decided_by.clone(),
            decided_at: m.decided_at.clone(),
        }
    }
}

/// A proposed record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchOut {
    pub id: i64,
    /// `achievement` or `demand`.
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub owner_name: String,
    /// 0–100, an integer: text similarity and bonuses (docs/matching.md).
    pub score: u32,
    /// The text similarity alone, 0–100.
    pub text_score: u32,
    /// Why the pair is proposed; only the reasons that hold.
    pub reasons: Vec<ReasonOut>,
    /// `accepted` when a side has accepted the pair, otherwise null (declined pairs are never
    /// listed).
    pub decision: Option<String>,
    /// Every side's decision on the pair.
    pub decisions: Vec<DecisionOut>,
    /// The proposed record's page.
    pub url: String,
}

impl From<&Match> for MatchOut {
    fn from(m: &Match) -> Self {
        MatchOut {
            id: m.id,
            kind: m.kind.as_str().into(),
            reference: m.reference.clone(),
            title: m.title.clone(),
            owner_name: m.owner_name.clone(),
            score: m.score,
            text_score: m.text,
            reasons: m.reasons.iter().map(ReasonOut::from).collect(),
            decision: m
                .decisions
                .iter()
                .rev()
                .map(|d| d.decision.as_str().to_string())
                .next(),
            decisions: m.decisions.iter().map(DecisionOut::from).collect(),
            url: m.url(),
        }
    }
}

/// The matches of one record, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchesOut {
    /// The record the matches are for.
    pub source_kind: String,
    pub source_id: i64,
    pub limit: i64,
    pub items: Vec<MatchOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// 1–50 (default 10).
    pub limit: Option<i64>,
}

impl MatchParams {
    fn limit(&self) -> usize {
        self.limit
            .map_or(DEFAULT_LIMIT, |l| l.clamp(1, MAX_LIMIT as i64) as usize)
    }
}

async fn matches_out(
    state: &AppState,
    actor: Option<&Actor>,
    source: Source,
    limit: usize,
) -> ApiResult<Json<MatchesOut>> {
    let items = find_matches(state, actor, &source, limit).await?;
    Ok(Json(MatchesOut {
        source_kind: source.kind().as_str().into(),
        source_id: source.id(),
        limit: limit as i64,
        items: items.iter().map(MatchOut::from).collect(),
    }))
}

/// Achievements proposed for a demand, best first: published achievements the caller may read,
/// never a declined pair. 404 when the caller may not read the demand.
#[utoipa::path(get, path = "/api/v1/demands/{id}/matches", tag = "matching",
    params(("id" = i64, Path, description = "Demand id"), MatchParams),
    responses((status = 200, body = MatchesOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn demand_matches(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<MatchParams>,
) -> ApiResult<Json<MatchesOut>> {
    let actor = viewer.actor();
    let (v, _) = readable_demand(&state, actor.as_ref(), id).await?;
    matches_out(
        &state,
        actor.as_ref(),
        Source::Demand(Box::new(v)),
        p.limit(),
    )
    .await
}

/// Demands proposed for an achievement, best first: published demands the caller may read and
/// whose deadline has not passed, never a declined pair. 404 when the caller may not read the
/// achievement.
#[utoipa::path(get, path = "/api/v1/achievements/{id}/matches", tag = "matching",
    params(("id" = i64, Path, description = "Achievement id"), MatchParams),
    responses((status = 200, body = MatchesOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn achievement_matches(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<MatchParams>,
) -> ApiResult<Json<MatchesOut>> {
    let actor = viewer.actor();
    let (v, _) = readable_achievement(&state, actor.as_ref(), id).await?;
    matches_out(
        &state,
        actor.as_ref(),
        Source::Achievement(Box::new(v)),
        p.limit(),
    )
    .await
}

/// A decision on a pair.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"achievement_id": 12, "demand_id": 34, "decision": "declined", "reason": "价格超出预算"}))]
pub struct DecisionBody {
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    /// `accepted` or `declined`.
    pub decision: Option<String>,
    /// Required to decline.
    pub reason: Option<String>,
}

/// Checks and records a decision (the API and the pages): both ids given (422), both records
/// readable by the actor (404), the actor decides for a side of the pair (403), a valid decision
/// with a reason to decline (422).
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    body: DecisionBody,
) -> Result<MatchDecision, ApiError> {
    let mut missing = Vec::new();
    if body.achievement_id.is_none() {
        missing.push(FieldError::new("achievement_id", "必填 / is required"));
    }
    if body.demand_id.is_none() {
        missing.push(FieldError::new("demand_id", "必填 / is required"));
    }
    let (Some(a_id), Some(d_id)) = (body.achievement_id, body.demand_id) else {
        return Err(ApiError::validation(missing));
    };
    let (a, _) = readable_achievement(state, Some(actor), a_id).await?;
    let (d, _) = readable_demand(state, Some(actor), d_id).await?;
    matching::decision_side(actor, a.achievement.owner_org_id, d.demand.owner_org_id)
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    let new = DecisionInput {
        decision: body.decision,
        reason: body.reason,
    }
    .into_new()
    .map_err(ApiError::validation)?;
    Ok(state.store.decide_match(actor, a_id, d_id, &new).await?)
}

/// Accept or decline a proposed pair, for the caller's side: a unit account of the
/// achievement's owner, an enterprise account of the demand's owner, a broker or the bureau
/// (others 403). A decline needs a `reason` (422). A later decision of the same side replaces
/// the earlier one; a declined pair is never proposed again. Audited (entity `match`).
#[utoipa::path(post, path = "/api/v1/matches/decisions", tag = "matching",
    request_body = DecisionBody,
    security(("bearer" = [])),
    responses((status = 201, body = DecisionOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_decision(
    State(state): State<AppState>,
    auth: Auth<Deciders>,
    JsonObject(body): JsonObject,
) -> ApiResult<(StatusCode, Json<DecisionOut>)> {
    let body: DecisionBody = serde_json::from_value(body).map_err(|e| {
        ApiError::bad_request(format!(
            "invalid JSON body: {}",
            crate::extract::reason(&e.to_string())
        ))
    })?;
    let m = decide(&state, &auth.actor(), body).await?;
    Ok((StatusCode::CREATED, Json(DecisionOut::from(&m))))
}

/// A decision with the pair it concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionRowOut {
    #[serde(flatten)]
    pub decision: DecisionOut,
    pub achievement_ref: String,
    pub achievement_title: String,
    pub achievement_owner: String,
    pub demand_ref: String,
    pub demand_title: String,
    pub demand_owner: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionListParams {
    /// `accepted` or `declined`.
    pub decision: Option<String>,
    /// `json` (default) or `xlsx` (every matching decision; the bureau only).
    pub format: Option<String>,
}

/// The decisions a list shows to an account: all for the bureau, otherwise those taken by the
/// account or by its organization.
pub fn decision_query(
    actor: &Actor,
    p: &DecisionListParams,
    paging: &Paging,
) -> Result<MatchDecisionQuery, ApiError> {
    let decision = match p
        .decision
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(Decision::parse(s).ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "decision",
                format!("unknown decision '{s}': use accepted or declined"),
            )])
        })?),
    };
    Ok(MatchDecisionQuery {
        all: actor.is_bureau(),
        user_id: actor.user_id,
        org_id: actor.org_id,
        decision,
        limit: paging.limit(),
        offset: paging.offset(),
    })
}

/// The XLSX columns of the decisions export.
pub const DECISION_HEADERS: [&str; 13] = [
    "decided_at",
    "achievement_id",
    "achievement_ref",
    "achievement_title",
    "achievement_owner",
    "demand_id",
    "demand_ref",
    "demand_title",
    "demand_owner",
    "side",
    "decision",
    "reason",
    "decided_by",
];

/// Every decision of a query as an XLSX workbook.
pub async fn decisions_xlsx(state: &AppState, q: &MatchDecisionQuery) -> Result<Vec<u8>, ApiError> {
    let mut q = q.clone();
    q.limit = 10_000;
    q.offset = 0;
    let mut rows = Vec::new();
    loop {
        let page = state.store.list_match_decisions(&q).await?;
        let n = page.items.len() as i64;
        for v in page.items {
            let m = v.decision;
            rows.push(vec![
                Cell::Text(m.decided_at),
                Cell::Int(m.achievement_id),
                Cell::Text(v.achievement_ref),
                Cell::Text(v.achievement_title),
                Cell::Text(v.achievement_owner),
                Cell::Int(m.demand_id),
                Cell::Text(v.demand_ref),
                Cell::Text(v.demand_title),
                Cell::Text(v.demand_owner),
                Cell::Text(m.side.as_str().into()),
                Cell::Text(m.decision.as_str().into()),
                Cell::Text(m.reason),
                Cell::Text(m.decided_by),
            ]);
        }
        if n < q.limit {
            break;
        }
        q.offset += q.limit;
    }
    chengguo_io::write_xlsx("match_decisions", &DECISION_HEADERS, &rows).map_err(ApiError::internal)
}

/// A page of decisions.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionPageOut {
    pub items: Vec<DecisionRowOut>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Decisions on pairs, newest first: all of them with their reasons for the bureau (for
/// analysis; `format=xlsx` for a workbook of all), the caller's and its organization's for
/// other accounts.
#[utoipa::path(get, path = "/api/v1/matches/decisions", tag = "matching",
    params(DecisionListParams, Paging),
    security(("bearer" = [])),
    responses((status = 200, body = DecisionPageOut, description = "JSON page, or an XLSX workbook with format=xlsx (bureau)"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn list_decisions(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    Query(p): Query<DecisionListParams>,
    Query(paging): Query<Paging>,
) -> Result<Response, ApiError> {
    let actor = auth.actor();
    let q = decision_query(&actor, &p, &paging)?;
    if p.format.as_deref() == Some("xlsx") {
        if !actor.is_bureau() {
            return Err(ApiError::forbidden("the decisions export is the bureau's"));
        }
        let bytes = decisions_xlsx(&state, &q).await?;
        return Ok(crate::pages::orgs::download(
            "match-decisions.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ));
    }
    let page = state.store.list_match_decisions(&q).await?;
    Ok(Json(DecisionPageOut {
        items: page
            .items
            .into_iter()
            .map(|v| DecisionRowOut {
                decision: DecisionOut::from(&v.decision),
                achievement_ref: v.achievement_ref,
                achievement_title: v.achievement_title,
                achievement_owner: v.achievement_owner,
                demand_ref: v.demand_ref,
                demand_title: v.demand_title,
                demand_owner: v.demand_owner,
            })
            .collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    })
    .into_response())
}

/// The matching settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MatchSettings {
    /// Matches scoring above this (0–100) without a decision of the owner's side appear in the
    /// owner's workspace.
    pub threshold: u32,
}

/// The matching settings (bureau).
#[utoipa::path(get, path = "/api/v1/matches/settings", tag = "matching",
    security(("bearer" = [])),
    responses((status = 200, body = MatchSettings), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
) -> ApiResult<Json<MatchSettings>> {
    Ok(Json(MatchSettings {
        threshold: state.store.match_threshold().await?,
    }))
}

/// Change the workspace threshold (bureau; 0–100, default `matching::DEFAULT_THRESHOLD`; audited).
#[utoipa::path(put, path = "/api/v1/matches/settings", tag = "matching",
    request_body = MatchSettings,
    security(("bearer" = [])),
    responses((status = 200, body = MatchSettings), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<MatchSettings>> {
    let threshold = body.get("threshold").and_then(|v| v.as_u64());
    let Some(threshold) = threshold.filter(|t| *t <= 100) else {
        return Err(ApiError::validation(vec![FieldError::new(
            "threshold",
            "0–100 的整数 / an integer 0–100",
        )]));
    };
    state
        .store
        .set_setting(
            &auth.actor(),
            matching::THRESHOLD_SETTING,
            &serde_json::json!(threshold),
        )
        .await?;
    Ok(Json(MatchSettings {
        threshold: state.store.match_threshold().await?,
    }))
}
