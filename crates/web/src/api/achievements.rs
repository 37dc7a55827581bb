//! `/api/v1/achievements`: filed achievements (科技成果), their workflow, the import, the units'
//! record-keeping scores with the reward list, and the publication counter.

use super::{parse_sort, PageOf, Paging};
use crate::auth::{Auth, Bureau, RoleSet, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, JsonObject, Path, Query};
use crate::imports::detect_format;
use crate::imports::records::import_achievements;
use crate::imports::ImportReport;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chengguo_core::achievement::{
    AchievementAction, AchievementInput, AchievementStatus, ReadScope,
};
use chengguo_core::incentive::{self, PUBLICATION_TARGET_PER_YEAR};
use chengguo_core::{refdata, Actor, FieldError, Role};
use chengguo_store::{AchievementQuery, AchievementSort, AchievementView, RecordError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Accounts that file achievements: the bureau and units.
#[derive(Debug)]
pub struct Filers;
impl RoleSet for Filers {
    const ROLES: &'static [Role] = &[Role::Bureau, Role::Unit];
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Denied(m) => ApiError::forbidden(m),
            RecordError::Invalid(m) => ApiError::new(StatusCode::CONFLICT, "invalid_transition", m),
            RecordError::Field(f) => ApiError::validation(vec![f]),
            RecordError::Store(s) => s.into(),
        }
    }
}

/// An achievement as the API shows it. Contacts are `null` for anonymous callers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AchievementOut {
    pub id: i64,
    /// The owner's reference, unique per owner (re-imports update by it).
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    #[serde(rename = "abstract")]
    pub summary: String,
    pub keywords: Vec<String>,
    /// `applied`, `basic` or `soft_science`.
    pub category: String,
    /// `lab`, `pilot` or `mature`.
    pub stage: Option<String>,
    /// Technology readiness level 1–9.
    pub trl: Option<i64>,
    pub attribute: Option<String>,
    pub level: Option<String>,
    pub ip_type: Option<String>,
    pub ip_numbers: String,
    pub discipline: String,
    pub tech_field: Option<String>,
    /// Industrial-chain codes (`/api/v1/reference/chains`).
    pub chains: Vec<String>,
    pub chain_version: String,
    pub transformation_modes: Vec<String>,
    /// Asking price in yuan ("1234.50"); null = negotiable (面议).
    pub price: Option<String>,
    pub owner_org_id: i64,
    pub owner_name: String,
    pub owner_credit_code: String,
    pub owner_division: String,
    pub completers: Vec<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// `public` or `restricted` (signed-in accounts only).
    pub visibility: String,
    /// draft, submitted, published, returned, withdrawn.
    pub status: String,
    /// Published but not updated or renewed within the stale period.
    pub stale: bool,
    pub return_reason: String,
    /// Weighted share of recommended fields filled, 0–100.
    pub completeness: u32,
    pub submitted_at: Option<String>,
    pub published_at: Option<String>,
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl AchievementOut {
    pub fn new(v: AchievementView, contacts: bool, stale_cutoff: &str) -> Self {
        let stale = v.achievement.is_stale(stale_cutoff);
        let a = v.achievement;
        let c = |s: String| contacts.then_some(s);
        AchievementOut {
            id: a.id,
            reference: a.reference,
            title: a.title,
            summary: a.summary,
            keywords: a.keywords,
            category: a.category,
            stage: a.stage,
            trl: a.trl,
            attribute: a.attribute,
            level: a.level,
            ip_type: a.ip_type,
            ip_numbers: a.ip_numbers,
            discipline: a.discipline,
            tech_field: a.tech_field,
            chains: a.chains,
            chain_version: a.chain_version,
            transformation_modes: a.transformation_modes,
            price: a.price.map(|p| p.to_string()),
            owner_org_id: a.owner_org_id,
            owner_name: v.owner_name,
            owner_credit_code: v.owner_credit_code,
            owner_division: v.owner_division,
            completers: a.completers,
            period_start: a.period_start,
            period_end: a.period_end,
            contact_name: c(a.contact_name),
            contact_phone: c(a.contact_phone),
            contact_email: c(a.contact_email),
            visibility: a.visibility.as_str().into(),
            status: a.status.as_str().into(),
            stale,
            return_reason: a.return_reason,
            completeness: v.completeness,
            submitted_at: a.submitted_at,
            published_at: a.published_at,
            is_demo: a.is_demo,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// Fields of an achievement to create (`title` required) or change (any but `ref`). Lists
/// (`keywords`, `industrial_chain`, `transformation_modes`, `completers`) are arrays or strings
/// separated by `;`, `；`, `、` or `,`; codes may be given by code or Chinese name.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"ref": "NEU-2026-001", "title": "高温合金单晶叶片定向凝固技术", "abstract": "……", "keywords": ["高温合金", "单晶叶片", "定向凝固"], "category": "applied", "stage": "pilot", "industrial_chain": ["aviation"], "price": "面议"}))]
pub struct AchievementBody {
    /// Bureau only, on create: the owner organization (units file for their own).
    pub owner_org_id: Option<i64>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub title: Option<String>,
    #[serde(rename = "abstract")]
    pub summary: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub category: Option<String>,
    pub stage: Option<String>,
    pub trl: Option<i64>,
    pub attribute: Option<String>,
    pub level: Option<String>,
    pub ip_type: Option<String>,
    pub ip_numbers: Option<String>,
    pub discipline: Option<String>,
    pub tech_field: Option<String>,
    pub industrial_chain: Option<Vec<String>>,
    pub transformation_modes: Option<Vec<String>>,
    /// Yuan, or "面议" / "negotiable".
    pub price: Option<String>,
    pub completers: Option<Vec<String>>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// `public` or `restricted`.
    pub visibility: Option<String>,
}

/// The body as the core parses it (strings, numbers or arrays are all accepted).
fn parse_body(v: serde_json::Value) -> Result<(AchievementInput, Option<i64>), ApiError> {
    let owner = v.get("owner_org_id").and_then(|x| x.as_i64());
    let input: AchievementInput = serde_json::from_value(v).map_err(|e| {
        ApiError::bad_request(format!(
            "invalid JSON body: {}",
            crate::extract::reason(&e.to_string())
        ))
    })?;
    Ok((input, owner))
}

#[derive(Debug, Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct AchievementListParams {
    /// Words of the title, keywords or reference.
    pub q: Option<String>,
    /// draft, submitted, published, returned, withdrawn (others' unpublished records stay hidden).
    pub status: Option<String>,
    /// Owner organization id.
    pub owner: Option<i64>,
    /// Industrial-chain code or name.
    pub chain: Option<String>,
    /// Technology field code or name.
    pub field: Option<String>,
    /// lab, pilot, mature.
    pub stage: Option<String>,
    /// applied, basic, soft_science.
    pub category: Option<String>,
    /// Division code of the owner (`210106`, or `210100` for Shenyang).
    pub district: Option<String>,
    /// Include stale published records.
    pub include_stale: Option<bool>,
    /// `published_at`, `updated_at`, `created_at`, `title`, `ref`, `completeness`, `status`;
    /// prefix `-` for descending (default `-published_at`).
    pub sort: Option<String>,
}

/// Parses list parameters for a viewer into a store query, or names the bad parameter.
pub fn achievement_query(
    p: &AchievementListParams,
    paging: &Paging,
    viewer: Option<&Actor>,
    stale_cutoff: String,
) -> Result<AchievementQuery, ApiError> {
    let mut errs = Vec::new();
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => AchievementStatus::parse(s).or_else(|| {
            errs.push(FieldError::new("status", format!("unknown status '{s}'")));
            None
        }),
        None => None,
    };
    let code = |v: &Option<String>,
                name: &str,
                list: &'static [refdata::Code],
                errs: &mut Vec<FieldError>| {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => match refdata::lookup(list, s) {
                Some(c) => Some(c.code.to_string()),
                None => {
                    errs.push(FieldError::new(name, format!("unknown {name} '{s}'")));
                    None
                }
            },
            None => None,
        }
    };
    let chain = code(&p.chain, "chain", refdata::chains().items, &mut errs);
    let tech_field = code(&p.field, "field", refdata::tech_fields(), &mut errs);
    let stage = code(&p.stage, "stage", refdata::stages(), &mut errs);
    let category = code(
        &p.category,
        "category",
        refdata::achievement_categories(),
        &mut errs,
    );
    let (sort_field, desc) = parse_sort(p.sort.as_deref());
    let (sort, desc) = match sort_field {
        Some(f) => match AchievementSort::parse(f) {
            Some(s) => (s, desc),
            None => {
                errs.push(FieldError::new("sort", format!("cannot sort by '{f}'")));
                (AchievementSort::Published, true)
            }
        },
        None => (AchievementSort::Published, true),
    };
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    Ok(AchievementQuery {
        scope: ReadScope::achievements(viewer),
        q: p.q.clone(),
        status,
        owner: p.owner,
        chain,
        tech_field,
        stage,
        category,
        district: p.district.clone(),
        include_stale: p.include_stale.unwrap_or(false),
        stale_cutoff,
        sort,
        desc,
        limit: paging.limit(),
        offset: paging.offset(),
    })
}

/// List achievements: published ones for everyone (not stale ones unless asked), and every
/// record of the caller's own organization; the bureau sees all.
#[utoipa::path(get, path = "/api/v1/achievements", tag = "achievements",
    params(AchievementListParams, Paging),
    responses((status = 200, body = PageOf<AchievementOut>), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<AchievementListParams>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageOf<AchievementOut>>> {
    let actor = viewer.actor();
    let cutoff = state.store.achievement_stale_cutoff().await?;
    let q = achievement_query(&p, &paging, actor.as_ref(), cutoff.clone())?;
    let page = state.store.list_achievements(&q).await?;
    Ok(Json(PageOf {
        items: page
            .items
            .into_iter()
            .map(|v| AchievementOut::new(v, q.scope.contacts, &cutoff))
            .collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// File an achievement as a draft (units for their own organization; the bureau for any, with
/// `owner_org_id`).
#[utoipa::path(post, path = "/api/v1/achievements", tag = "achievements", request_body = AchievementBody,
    security(("bearer" = [])),
    responses((status = 201, body = AchievementOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    JsonObject(body): JsonObject,
) -> ApiResult<(StatusCode, Json<AchievementOut>)> {
    let actor = auth.actor();
    let (input, owner) = parse_body(body)?;
    let owner = match (owner, actor.org_id) {
        (Some(o), _) => o,
        (None, Some(o)) => o,
        (None, None) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "owner_org_id",
                "必填 / is required",
            )]))
        }
    };
    let new = input.into_new().map_err(ApiError::validation)?;
    if state.store.get_org(owner).await?.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "owner_org_id",
            format!("no organization {owner}"),
        )]));
    }
    let v = state.store.create_achievement(&actor, owner, &new).await?;
    Ok((StatusCode::CREATED, Json(AchievementOut::new(v, true, ""))))
}

/// Reads one achievement the caller may see (404 otherwise).
pub async fn readable(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
) -> Result<(AchievementView, ReadScope), ApiError> {
    let scope = ReadScope::achievements(actor);
    match state.store.get_achievement(id).await? {
        Some(v)
            if scope.can_read(
                v.achievement.owner_org_id,
                v.achievement.status == AchievementStatus::Published,
                v.achievement.visibility,
            ) =>
        {
            Ok((v, scope))
        }
        _ => Err(ApiError::not_found(format!("achievement {id}"))),
    }
}

/// One achievement (with `ref`); contacts only for signed-in callers.
#[utoipa::path(get, path = "/api/v1/achievements/{id}", tag = "achievements",
    params(("id" = i64, Path, description = "Achievement id")),
    responses((status = 200, body = AchievementOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> ApiResult<Json<AchievementOut>> {
    let actor = viewer.actor();
    let (v, scope) = readable(&state, actor.as_ref(), id).await?;
    let cutoff = state.store.achievement_stale_cutoff().await?;
    Ok(Json(AchievementOut::new(v, scope.contacts, &cutoff)))
}

/// Change an achievement: the owner unit's accounts or the bureau (others → 403). A published
/// achievement changed by its unit goes back to review (`submitted`) until the bureau publishes
/// it again; the bureau's own change keeps it published.
#[utoipa::path(patch, path = "/api/v1/achievements/{id}", tag = "achievements", request_body = AchievementBody,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Achievement id")),
    responses((status = 200, body = AchievementOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<AchievementOut>> {
    let (input, _) = parse_body(body)?;
    let patch = input.into_patch().map_err(ApiError::validation)?;
    let v = state
        .store
        .update_achievement(&auth.actor(), id, &patch)
        .await?;
    Ok(Json(AchievementOut::new(v, true, "")))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionBody {
    /// Required for `return`.
    pub reason: Option<String>,
}

/// Take a workflow action: `submit`, `withdraw`, `renew` (owner unit or bureau), `publish`,
/// `return` (bureau, with a reason). 409 `invalid_transition` when it does not apply.
#[utoipa::path(post, path = "/api/v1/achievements/{id}/actions/{action}", tag = "achievements",
    request_body(content = ActionBody, description = "Optional; `reason` for return"),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Achievement id"),
        ("action" = String, Path, description = "submit, publish, return, withdraw, renew")),
    responses((status = 200, body = AchievementOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn action(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> ApiResult<Json<AchievementOut>> {
    let action = AchievementAction::parse(&action)
        .ok_or_else(|| ApiError::not_found(format!("action '{action}'")))?;
    let body: ActionBody = if body.is_empty() {
        ActionBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(format!(
                "invalid JSON body: {}",
                crate::extract::reason(&e.to_string())
            ))
        })?
    };
    let v = state
        .store
        .achievement_action(&auth.actor(), id, action, body.reason.as_deref())
        .await?;
    Ok(Json(AchievementOut::new(v, true, "")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `csv`, `xlsx` or `jsonl`; detected from the content when absent.
    pub format: Option<String>,
    /// Check only; write nothing.
    pub dry_run: Option<bool>,
}

pub(crate) fn import_format(p: Option<&str>, body: &[u8]) -> Result<chengguo_io::Format, ApiError> {
    Ok(match p {
        Some("csv") => chengguo_io::Format::Csv,
        Some("xlsx") => chengguo_io::Format::Xlsx,
        Some("jsonl") => chengguo_io::Format::Jsonl,
        Some(other) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "format",
                format!("unknown format '{other}'"),
            )]))
        }
        None => detect_format(None, body),
    })
}

/// Import achievements from a file in the request body (bureau: any owner, `status=published`
/// allowed; units: their own records, draft or submitted). All rows or none; the same `ref` of
/// the same owner updates the record.
#[utoipa::path(post, path = "/api/v1/achievements/import", tag = "achievements",
    security(("bearer" = [])),
    params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "CSV (UTF-8 or GB18030), XLSX or JSONL"),
    responses((status = 200, body = ImportReport, description = "Imported (or checked, with dry_run)"),
        (status = 422, body = ImportReport, description = "Problems found (a file over a limit among them); nothing written"),
        (status = 503, body = crate::error::ErrorBody, description = "As many imports are running as the server allows (`import.concurrency`); retry after `Retry-After` seconds")))]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let format = import_format(p.format.as_deref(), &body)?;
    let report = import_achievements(
        &state.store,
        &auth.actor(),
        &body,
        format,
        &state.config.limits(),
        p.dry_run.unwrap_or(false),
    )
    .await?;
    let status = if report.ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report)))
}

/// A unit's record-keeping score with its parts (each 0–1; docs/scoring.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitScoreOut {
    pub rank: usize,
    pub org_id: i64,
    pub name: String,
    pub kind: String,
    /// 0–100.
    pub total: f64,
    pub completeness: f64,
    pub timeliness: f64,
    pub quality: f64,
    pub volume: f64,
    pub filings: u32,
    pub published: u32,
    pub returns: u32,
    pub days_since_update: Option<i64>,
    pub mean_turnaround_days: Option<f64>,
}

pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The record-keeping score of every filing unit, best first (public).
#[utoipa::path(get, path = "/api/v1/achievements/scores", tag = "achievements",
    responses((status = 200, body = Vec<UnitScoreOut>)))]
pub async fn scores(State(state): State<AppState>) -> ApiResult<Json<Vec<UnitScoreOut>>> {
    let list = state.store.unit_scores(today()).await?;
    Ok(Json(
        list.into_iter()
            .enumerate()
            .map(|(i, u)| UnitScoreOut {
                rank: i + 1,
                org_id: u.org_id,
                name: u.name,
                kind: u.kind.as_str().into(),
                total: u.score.total,
                completeness: u.score.completeness,
                timeliness: u.score.timeliness,
                quality: u.score.quality,
                volume: u.score.volume,
                filings: u.score.filings,
                published: u.score.published,
                returns: u.score.returns,
                days_since_update: u.score.days_since_update,
                mean_turnaround_days: u.score.mean_turnaround_days,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardOut {
    pub rank: u32,
    pub org_id: i64,
    pub name: String,
    pub score: f64,
    /// Yuan, two decimals.
    pub amount: String,
}

/// The reward list computed by the configured rule from the scores (bureau).
pub async fn reward_list(state: &AppState) -> Result<Vec<RewardOut>, ApiError> {
    let list = state.store.unit_scores(today()).await?;
    let rule = state.store.reward_rule().await?;
    let ranked: Vec<incentive::Ranked> = list
        .iter()
        .map(|u| incentive::Ranked {
            org_id: u.org_id,
            kind: u.kind.as_str().into(),
            score: u.score.clone(),
        })
        .collect();
    Ok(incentive::rewards(&ranked, &rule)
        .into_iter()
        .map(|r| RewardOut {
            rank: r.rank,
            name: list
                .iter()
                .find(|u| u.org_id == r.org_id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            org_id: r.org_id,
            score: r.score,
            amount: r.amount.to_string(),
        })
        .collect())
}

/// The reward list: eligible units and amounts by the configured rule (bureau).
#[utoipa::path(get, path = "/api/v1/achievements/rewards", tag = "achievements",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<RewardOut>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn rewards(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
) -> ApiResult<Json<Vec<RewardOut>>> {
    Ok(Json(reward_list(&state).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YearCount {
    pub year: String,
    pub published: i64,
    /// The plan's target (2,000 a year, seed §II.16).
    pub target: i64,
    pub units: Vec<UnitCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitCount {
    pub org_id: i64,
    pub name: String,
    pub published: i64,
}

/// Per year: achievements first published, per unit, against the target.
pub async fn publication_years(state: &AppState) -> Result<Vec<YearCount>, ApiError> {
    let rows = state.store.publication_counts().await?;
    let mut out: Vec<YearCount> = Vec::new();
    for (year, org_id, name, n) in rows {
        if out.last().map(|y| &y.year) != Some(&year) {
            out.push(YearCount {
                year: year.clone(),
                published: 0,
                target: PUBLICATION_TARGET_PER_YEAR,
                units: vec![],
            });
        }
        let y = out.last_mut().expect("pushed");
        y.published += n;
        y.units.push(UnitCount {
            org_id,
            name,
            published: n,
        });
    }
    Ok(out)
}

/// The publication counter: achievements published per year and per unit against 2,000 a year.
#[utoipa::path(get, path = "/api/v1/achievements/publications", tag = "achievements",
    responses((status = 200, body = Vec<YearCount>)))]
pub async fn publications(State(state): State<AppState>) -> ApiResult<Json<Vec<YearCount>>> {
    Ok(Json(publication_years(&state).await?))
}

/// The configurable rules of this module (docs/scoring.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct AchievementSettings {
    /// Months after which a published record not updated or renewed is stale.
    pub stale_months: u32,
    /// Score weights and thresholds.
    #[schema(value_type = Object)]
    pub score_rules: incentive::ScoreRules,
    /// Which units get how much (at most 100,000 yuan each).
    #[schema(value_type = Object)]
    pub reward_rule: incentive::RewardRule,
}

/// A change of the settings; absent parts stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AchievementSettingsBody {
    pub stale_months: Option<u32>,
    #[schema(value_type = Option<Object>)]
    pub score_rules: Option<incentive::ScoreRules>,
    #[schema(value_type = Option<Object>)]
    pub reward_rule: Option<incentive::RewardRule>,
}

async fn current_settings(state: &AppState) -> Result<AchievementSettings, ApiError> {
    Ok(AchievementSettings {
        stale_months: state.store.achievement_stale_months().await?,
        score_rules: state.store.score_rules().await?,
        reward_rule: state.store.reward_rule().await?,
    })
}

/// The stale period, the score rules and the reward rule (bureau).
#[utoipa::path(get, path = "/api/v1/achievements/settings", tag = "achievements",
    security(("bearer" = [])),
    responses((status = 200, body = AchievementSettings), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
) -> ApiResult<Json<AchievementSettings>> {
    Ok(Json(current_settings(&state).await?))
}

/// Change the stale period, the score rules or the reward rule (bureau; validated, audited).
#[utoipa::path(put, path = "/api/v1/achievements/settings", tag = "achievements",
    request_body = AchievementSettingsBody,
    security(("bearer" = [])),
    responses((status = 200, body = AchievementSettings), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Json(body): Json<AchievementSettingsBody>,
) -> ApiResult<Json<AchievementSettings>> {
    let mut errs = Vec::new();
    if let Some(m) = body.stale_months {
        if !(1..=120).contains(&m) {
            errs.push(FieldError::new("stale_months", "must be 1–120"));
        }
    }
    if let Some(r) = &body.score_rules {
        if let Err(e) = r.validate() {
            errs.extend(
                e.into_iter()
                    .map(|f| FieldError::new(format!("score_rules.{}", f.field), f.message)),
            );
        }
    }
    if let Some(r) = &body.reward_rule {
        if let Err(e) = r.validate() {
            errs.extend(
                e.into_iter()
                    .map(|f| FieldError::new(format!("reward_rule.{}", f.field), f.message)),
            );
        }
    }
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    let actor = auth.actor();
    if let Some(m) = body.stale_months {
        state
            .store
            .set_setting(
                &actor,
                chengguo_core::achievement::STALE_MONTHS_SETTING,
                &serde_json::json!(m),
            )
            .await?;
    }
    if let Some(r) = &body.score_rules {
        state
            .store
            .set_setting(
                &actor,
                incentive::SCORE_RULES_SETTING,
                &serde_json::to_value(r).map_err(ApiError::internal)?,
            )
            .await?;
    }
    if let Some(r) = &body.reward_rule {
        state
            .store
            .set_setting(
                &actor,
                incentive::REWARD_RULE_SETTING,
                &serde_json::to_value(r).map_err(ApiError::internal)?,
            )
            .await?;
    }
    Ok(Json(current_settings(&state).await?))
}
