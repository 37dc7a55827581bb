//! Matching on the pages (docs/matching.md): the "匹配推荐" section of the achievement and demand
//! detail pages (score, reasons, each side's decision, accept / decline with a reason), the
//! "新的匹配推荐" panel of the home page (matches above the threshold that the account's side
//! has not decided yet), the decisions list with its XLSX export for the bureau, and the
//! form post that records a decision.

use super::{render, Ctx, Pager};
use crate::api::matching::{
    decide, decision_query, decisions_xlsx, find_matches, Deciders, DecisionBody,
    DecisionListParams, Match, Source,
};
use crate::api::Paging;
use crate::auth::{AnyAccount, Auth, CsrfForm};
use crate::error::ApiError;
use crate::extract::Query;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chengguo_core::achievement::{AchievementStatus, ReadScope};
use chengguo_core::demand::{self, DemandStatus};
use chengguo_core::matching::{decision_side, Decision, Side, DEFAULT_THRESHOLD};
use chengguo_core::{Actor, Role};
use chengguo_search::DocKind;
use chengguo_store::{
    AchievementQuery, AchievementSort, DemandQuery, DemandSort, MatchDecisionView,
};
use serde::Deserialize;

/// Records per account whose matches the home panel looks at (the most recently published).
const PANEL_SOURCES: i64 = 30;
/// Matches the home panel lists.
const PANEL_ITEMS: usize = 10;

/// One side's decision as a page shows it.
pub struct DecisionCell {
    pub side: String,
    /// `accepted` or `declined` (a CSS class and the test hook).
    pub decision: &'static str,
    pub label: String,
    pub reason: String,
    pub by: String,
    pub on: String,
}

/// A proposed record as a row of the detail section.
pub struct MatchRow {
    pub url: String,
    pub title: String,
    pub reference: String,
    pub owner_name: String,
    pub score: u32,
    /// (code, text in the page's language)
    pub reasons: Vec<(String, String)>,
    pub decisions: Vec<DecisionCell>,
    pub achievement_id: i64,
    pub demand_id: i64,
    /// The viewer may decide on this pair.
    pub can_decide: bool,
    /// The viewer's side has accepted the pair.
    pub accepted_by_me: bool,
}

fn decision_cells(ctx: &Ctx, m: &Match) -> Vec<DecisionCell> {
    m.decisions
        .iter()
        .map(|d| DecisionCell {
            side: ctx.pick(d.side.zh(), d.side.en()).to_string(),
            decision: d.decision.as_str(),
            label: ctx.pick(d.decision.zh(), d.decision.en()).to_string(),
            reason: d.reason.clone(),
            by: d.decided_by.clone(),
            on: d.decided_at.chars().take(10).collect(),
        })
        .collect()
}

fn reasons(ctx: &Ctx, m: &Match) -> Vec<(String, String)> {
    m.reasons
        .iter()
        .map(|r| {
            (
                r.code.as_str().to_string(),
                ctx.pick(&r.zh, &r.en).to_string(),
            )
        })
        .collect()
}

/// The side `actor` decides for on the pair of `m` found for a record owned by `source_owner`.
fn my_side(actor: &Actor, source: &Source, m: &Match) -> Option<Side> {
    let (a_owner, d_owner) = match source {
        Source::Achievement(_) => (source.owner_org_id(), m.owner_org_id),
        Source::Demand(_) => (m.owner_org_id, source.owner_org_id()),
    };
    decision_side(actor, a_owner, d_owner).ok()
}

/// A query parameter of the page's own URL (decoded).
fn here_param(ctx: &Ctx, key: &str) -> Option<String> {
    let query = ctx.here.split_once('?')?.1;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[derive(Template)]
#[template(path = "match_panel.html")]
struct DetailPanel<'a> {
    ctx: &'a Ctx,
    /// `achievement` or `demand`: what is proposed.
    target: &'static str,
    items: Vec<MatchRow>,
    /// The page to come back to after a decision.
    next: String,
    saved: bool,
    error: Option<String>,
    failed: bool,
}

/// The "匹配推荐" section of a detail page: for signed-in viewers (who may read `source`, as
/// the detail page has checked); empty for anonymous visitors.
pub async fn detail_panel(state: &AppState, ctx: &Ctx, source: Source) -> String {
    let Some(user) = &ctx.user else {
        return String::new();
    };
    let actor = user.actor();
    let (items, failed) = match find_matches(state, Some(&actor), &source, 10).await {
        Ok(v) => (v, false),
        Err(e) => {
            tracing::warn!(code = e.code, message = %e.message, "matches for a detail page");
            (Vec::new(), true)
        }
    };
    let rows = items
        .iter()
        .map(|m| {
            let side = my_side(&actor, &source, m);
            MatchRow {
                url: m.url(),
                title: m.title.clone(),
                reference: m.reference.clone(),
                owner_name: m.owner_name.clone(),
                score: m.score,
                reasons: reasons(ctx, m),
                decisions: decision_cells(ctx, m),
                achievement_id: m.achievement_id,
                demand_id: m.demand_id,
                can_decide: side.is_some(),
                accepted_by_me: side.is_some_and(|s| {
                    m.decisions
                        .iter()
                        .any(|d| d.side == s && d.decision == Decision::Accepted)
                }),
            }
        })
        .collect();
    let next = match source {
        Source::Achievement(_) => format!("/achievements/{}", source.id()),
        Source::Demand(_) => format!("/demands/{}", source.id()),
    };
    DetailPanel {
        ctx,
        target: match source.kind() {
            DocKind::Achievement => "demand",
            DocKind::Demand => "achievement",
        },
        items: rows,
        next,
        saved: here_param(ctx, "match_saved").is_some(),
        error: here_param(ctx, "match_error"),
        failed,
    }
    .render()
    .unwrap_or_default()
}

/// A row of the home panel: one of the account's records and a proposed record.
pub struct PanelRow {
    pub source_url: String,
    pub source_title: String,
    pub target_url: String,
    pub target_title: String,
    pub target_owner: String,
    pub score: u32,
    pub reasons: Vec<(String, String)>,
    /// The other side has accepted already.
    pub accepted_by_other: bool,
}

#[derive(Template)]
#[template(path = "match_home.html")]
struct HomePanel<'a> {
    ctx: &'a Ctx,
    threshold: u32,
    items: Vec<PanelRow>,
    broker: bool,
}

/// The records whose matches the home panel lists: the account organization's published
/// achievements (units) and demands (enterprises); for brokers, who own none, the most recently
/// published demands they can see.
async fn panel_sources(state: &AppState, actor: &Actor) -> Result<Vec<Source>, ApiError> {
    let mut out = Vec::new();
    let today = crate::api::demands::today_str();
    if actor.has(Role::Unit) {
        if let Some(org) = actor.org_id {
            let page = state
                .store
                .list_achievements(&AchievementQuery {
                    scope: ReadScope::achievements(Some(actor)),
                    owner: Some(org),
                    status: Some(AchievementStatus::Published),
                    include_stale: true,
                    sort: AchievementSort::Published,
                    desc: true,
                    limit: PANEL_SOURCES,
                    ..Default::default()
                })
                .await?;
            out.extend(
                page.items
                    .into_iter()
                    .map(|v| Source::Achievement(Box::new(v))),
            );
        }
    }
    let demands = |owner: Option<i64>| DemandQuery {
        scope: demand::read_scope(Some(actor)),
        owner,
        status: Some(DemandStatus::Published),
        today: today.clone(),
        sort: DemandSort::Published,
        desc: true,
        limit: PANEL_SOURCES,
        ..Default::default()
    };
    if actor.has(Role::Enterprise) {
        if let Some(org) = actor.org_id {
            let page = state.store.list_demands(&demands(Some(org))).await?;
            out.extend(page.items.into_iter().map(|v| Source::Demand(Box::new(v))));
        }
    } else if actor.has(Role::Broker) {
        let page = state.store.list_demands(&demands(None)).await?;
        out.extend(page.items.into_iter().map(|v| Source::Demand(Box::new(v))));
    }
    Ok(out)
}

/// The "新的匹配推荐" panel of the home page for unit, enterprise and broker accounts: matches
/// scoring above the threshold (setting `matching.threshold`) that the account's side has not
/// decided yet, best first, at most ten.
pub async fn home_panel(state: &AppState, ctx: &Ctx) -> String {
    let Some(user) = &ctx.user else {
        return String::new();
    };
    let actor = user.actor();
    if !actor.has_any(&[Role::Unit, Role::Enterprise, Role::Broker]) {
        return String::new();
    }
    let threshold = state
        .store
        .match_threshold()
        .await
        .unwrap_or(DEFAULT_THRESHOLD);
    let sources = panel_sources(state, &actor).await.unwrap_or_else(|e| {
        tracing::warn!(code = e.code, message = %e.message, "match panel sources");
        Vec::new()
    });
    let mut rows: Vec<PanelRow> = Vec::new();
    for source in &sources {
        let found = match find_matches(state, Some(&actor), source, PANEL_ITEMS).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(code = e.code, message = %e.message, "match panel");
                continue;
            }
        };
        for m in found.iter().filter(|m| m.score > threshold) {
            let Some(side) = my_side(&actor, source, m) else {
                continue;
            };
            if m.decisions.iter().any(|d| d.side == side) {
                continue;
            }
            let source_url = match source {
                Source::Achievement(_) => format!("/achievements/{}#matches", source.id()),
                Source::Demand(_) => format!("/demands/{}#matches", source.id()),
            };
            rows.push(PanelRow {
                source_url,
                source_title: source.title().to_string(),
                target_url: m.url(),
                target_title: m.title.clone(),
                target_owner: m.owner_name.clone(),
                score: m.score,
                reasons: reasons(ctx, m),
                accepted_by_other: m.decisions.iter().any(|d| d.decision == Decision::Accepted),
            });
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.score));
    rows.truncate(PANEL_ITEMS);
    HomePanel {
        ctx,
        threshold,
        items: rows,
        broker: !actor.has_any(&[Role::Unit, Role::Enterprise]),
    }
    .render()
    .unwrap_or_default()
}

/// The decision form of the detail section.
#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    achievement_id: String,
    #[serde(default)]
    demand_id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    next: String,
}

/// Records a decision from a detail page and goes back to it (`match_saved=1`, or the problem
/// as `match_error` when the form was incomplete, e.g. a decline without a reason).
async fn post_decision(
    State(state): State<AppState>,
    auth: Auth<Deciders>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<DecideForm>,
) -> Response {
    let next = crate::redirect::same_origin_path(&f.next);
    let back = if (next.starts_with("/achievements/") || next.starts_with("/demands/"))
        && !next.contains(['?', '#'])
    {
        next
    } else {
        "/".to_string()
    };
    let body = DecisionBody {
        achievement_id: f.achievement_id.trim().parse().ok(),
        demand_id: f.demand_id.trim().parse().ok(),
        decision: Some(f.decision),
        reason: Some(f.reason),
    };
    match decide(&state, &auth.actor(), body).await {
        Ok(_) => Redirect::to(&format!("{back}?match_saved=1#matches")).into_response(),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let msg = e
                .fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("；");
            Redirect::to(&format!(
                "{back}?match_error={}#matches",
                super::urlencode(&msg)
            ))
            .into_response()
        }
        Err(e) => e.into_page(&ctx),
    }
}

/// A decision as a row of the decisions list.
pub struct DecisionListRow {
    pub v: MatchDecisionView,
    pub side: String,
    pub label: String,
    pub on: String,
}

#[derive(Template)]
#[template(path = "match_decisions.html")]
struct DecisionsPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<DecisionListRow>,
    pager: Pager,
    decision: String,
    bureau: bool,
}

#[derive(Deserialize)]
struct DecisionsQuery {
    decision: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `/matches/decisions`: every decision with its reason for the bureau, the account's and its
/// organization's for others.
async fn decisions_page(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    ctx: Ctx,
    Query(q): Query<DecisionsQuery>,
) -> Response {
    let actor = auth.actor();
    let p = DecisionListParams {
        decision: q.decision.clone(),
        format: None,
    };
    let paging = Paging {
        limit: q.limit,
        offset: q.offset,
    };
    let query = match decision_query(&actor, &p, &paging) {
        Ok(q) => q,
        Err(e) => return e.into_page(&ctx),
    };
    let page = match state.store.list_match_decisions(&query).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let rows = page
        .items
        .into_iter()
        .map(|v| DecisionListRow {
            side: ctx
                .pick(v.decision.side.zh(), v.decision.side.en())
                .to_string(),
            label: ctx
                .pick(v.decision.decision.zh(), v.decision.decision.en())
                .to_string(),
            on: v.decision.decided_at.chars().take(10).collect(),
            v,
        })
        .collect();
    render(&DecisionsPage {
        pager: Pager::new(&ctx.here, page.total, page.limit, page.offset),
        rows,
        decision: q.decision.unwrap_or_default(),
        bureau: actor.is_bureau(),
        ctx: &ctx,
    })
}

/// `/matches/decisions.xlsx`: every decision (the bureau's analysis export).
async fn decisions_export(
    State(state): State<AppState>,
    auth: Auth<crate::auth::Bureau>,
    ctx: Ctx,
    Query(q): Query<DecisionsQuery>,
) -> Response {
    let p = DecisionListParams {
        decision: q.decision,
        format: Some("xlsx".into()),
    };
    let paging = Paging {
        limit: None,
        offset: None,
    };
    let result = async {
        let query = decision_query(&auth.actor(), &p, &paging)?;
        decisions_xlsx(&state, &query).await
    }
    .await;
    match result {
        Ok(bytes) => super::orgs::download(
            "match-decisions.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ),
        Err(e) => e.into_page(&ctx),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/matches/decisions",
            get(decisions_page).post(post_decision),
        )
        .route("/matches/decisions.xlsx", get(decisions_export))
}
