//! `/api/v1/demands`: enterprises' technical demands (技术需求), their workflow and import.

use super::achievements::{import_format, ImportParams};
use super::{parse_sort, PageOf, Paging};
use crate::auth::{Auth, RoleSet, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, JsonObject, Path, Query};
use crate::imports::records::import_demands;
use crate::imports::ImportReport;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chengguo_core::achievement::ReadScope;
use chengguo_core::demand::{self, DemandAction, DemandInput, DemandStatus};
use chengguo_core::{refdata, Actor, FieldError, Role};
use chengguo_store::{DemandQuery, DemandSort, DemandView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Accounts that post demands: the bureau and enterprises.
#[derive(Debug)]
pub struct Posters;
impl RoleSet for Posters {
    const ROLES: &'static [Role] = &[Role::Bureau, Role::Enterprise];
}

/// A demand as the API shows it. Contacts are `null` for anonymous callers.
#[derive(Debug, Serialize, ToSchema)]
pub struct DemandOut {
    pub id: i64,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    /// Industrial-chain code.
    pub chain: Option<String>,
    pub tech_field: Option<String>,
    /// Yuan, two decimals.
    pub budget_min: Option<String>,
    pub budget_max: Option<String>,
    pub deadline: Option<String>,
    pub cooperation_mode: Option<String>,
    /// County-level division code.
    pub district: String,
    pub district_name: Option<String>,
    /// `public`, or `restricted` (brokers and the bureau only).
    pub visibility: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub owner_org_id: i64,
    pub owner_name: String,
    /// draft, published, matched, closed, expired (a published demand past its deadline reads
    /// as expired).
    pub status: String,
    pub published_at: Option<String>,
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

pub fn today_str() -> String {
    super::achievements::today().to_string()
}

impl DemandOut {
    pub fn new(v: DemandView, contacts: bool) -> Self {
        let status = v.demand.effective_status(&today_str());
        let d = v.demand;
        let c = |s: String| contacts.then_some(s);
        DemandOut {
            id: d.id,
            reference: d.reference,
            title: d.title,
            description: d.description,
            keywords: d.keywords,
            chain: d.chain,
            tech_field: d.tech_field,
            budget_min: d.budget_min.map(|f| f.to_string()),
            budget_max: d.budget_max.map(|f| f.to_string()),
            deadline: d.deadline,
            cooperation_mode: d.cooperation_mode,
            district_name: refdata::full_name(&d.district),
            district: d.district,
            visibility: d.visibility.as_str().into(),
            contact_name: c(d.contact_name),
            contact_phone: c(d.contact_phone),
            owner_org_id: d.owner_org_id,
            owner_name: v.owner_name,
            status: status.as_str().into(),
            published_at: d.published_at,
            is_demo: d.is_demo,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// Fields of a demand to create (`title` required) or change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"ref": "XQ-2026-01", "title": "大型铸件缺陷在线检测", "industrial_chain": "general_machinery", "budget_min": "500000", "budget_max": "1000000", "deadline": "2026-12-31", "cooperation_mode": "joint_development", "visibility": "public"}))]
pub struct DemandBody {
    /// Bureau only, on create: the owner enterprise.
    pub owner_org_id: Option<i64>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub industrial_chain: Option<String>,
    pub tech_field: Option<String>,
    pub budget_min: Option<String>,
    pub budget_max: Option<String>,
    pub deadline: Option<String>,
    pub cooperation_mode: Option<String>,
    /// District code or name; the owner's when absent.
    pub district: Option<String>,
    pub visibility: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

fn parse_body(v: serde_json::Value) -> Result<(DemandInput, Option<i64>), ApiError> {
    let owner = v.get("owner_org_id").and_then(|x| x.as_i64());
    let input: DemandInput = serde_json::from_value(v).map_err(|e| {
        ApiError::bad_request(format!(
            "invalid JSON body: {}",
            crate::extract::reason(&e.to_string())
        ))
    })?;
    Ok((input, owner))
}

#[derive(Debug, Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct DemandListParams {
    pub q: Option<String>,
    /// draft, published, matched, closed, expired.
    pub status: Option<String>,
    pub owner: Option<i64>,
    /// Industrial-chain code or name.
    pub chain: Option<String>,
    /// Technology field code or name.
    pub field: Option<String>,
    /// District code (`210106`; `210100` for all of Shenyang).
    pub district: Option<String>,
    /// Include published demands past their deadline.
    pub include_expired: Option<bool>,
    /// `published_at`, `updated_at`, `deadline`, `title`, `budget_max`; `-` for descending.
    pub sort: Option<String>,
}

pub fn demand_query(
    p: &DemandListParams,
    paging: &Paging,
    viewer: Option<&Actor>,
) -> Result<DemandQuery, ApiError> {
    let mut errs = Vec::new();
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => DemandStatus::parse(s).or_else(|| {
            errs.push(FieldError::new("status", format!("unknown status '{s}'")));
            None
        }),
        None => None,
    };
    let mut code = |v: &Option<String>, name: &str, list: &'static [refdata::Code]| match v
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => match refdata::lookup(list, s) {
            Some(c) => Some(c.code.to_string()),
            None => {
                errs.push(FieldError::new(name, format!("unknown {name} '{s}'")));
                None
            }
        },
        None => None,
    };
    let chain = code(&p.chain, "chain", refdata::chains().items);
    let tech_field = code(&p.field, "field", refdata::tech_fields());
    let (sort_field, desc) = parse_sort(p.sort.as_deref());
    let (sort, desc) = match sort_field {
        Some(f) => match DemandSort::parse(f) {
            Some(s) => (s, desc),
            None => {
                errs.push(FieldError::new("sort", format!("cannot sort by '{f}'")));
                (DemandSort::Published, true)
            }
        },
        None => (DemandSort::Published, true),
    };
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    // "expired" is published past the deadline as well as marked expired.
    let (status, include_expired) = match status {
        Some(DemandStatus::Expired) => (Some(DemandStatus::Expired), true),
        s => (s, p.include_expired.unwrap_or(false)),
    };
    Ok(DemandQuery {
        scope: demand::read_scope(viewer),
        q: p.q.clone(),
        status,
        owner: p.owner,
        chain,
        tech_field,
        district: p.district.clone(),
        include_expired,
        today: today_str(),
        sort,
        desc,
        limit: paging.limit(),
        offset: paging.offset(),
    })
}

/// List demands: published public ones for everyone (restricted ones for brokers and the
/// bureau), every demand of the caller's own organization.
#[utoipa::path(get, path = "/api/v1/demands", tag = "demands",
    params(DemandListParams, Paging),
    responses((status = 200, body = PageOf<DemandOut>), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<DemandListParams>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageOf<DemandOut>>> {
    let actor = viewer.actor();
    let q = demand_query(&p, &paging, actor.as_ref())?;
    let page = state.store.list_demands(&q).await?;
    Ok(Json(PageOf {
        items: page
            .items
            .into_iter()
            .map(|v| DemandOut::new(v, q.scope.contacts))
            .collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// Post a demand as a draft (enterprises for themselves; the bureau with `owner_org_id`).
#[utoipa::path(post, path = "/api/v1/demands", tag = "demands", request_body = DemandBody,
    security(("bearer" = [])),
    responses((status = 201, body = DemandOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    JsonObject(body): JsonObject,
) -> ApiResult<(StatusCode, Json<DemandOut>)> {
    let actor = auth.actor();
    let (input, owner) = parse_body(body)?;
    let Some(owner) = owner.or(actor.org_id) else {
        return Err(ApiError::validation(vec![FieldError::new(
            "owner_org_id",
            "必填 / is required",
        )]));
    };
    let new = input.into_new().map_err(ApiError::validation)?;
    if state.store.get_org(owner).await?.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "owner_org_id",
            format!("no organization {owner}"),
        )]));
    }
    let v = state.store.create_demand(&actor, owner, &new).await?;
    Ok((StatusCode::CREATED, Json(DemandOut::new(v, true))))
}

pub async fn readable(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
) -> Result<(DemandView, ReadScope), ApiError> {
    let scope = demand::read_scope(actor);
    match state.store.get_demand(id).await? {
        Some(v)
            if scope.can_read(
                v.demand.owner_org_id,
                v.demand.status == DemandStatus::Published,
                v.demand.visibility,
            ) =>
        {
            Ok((v, scope))
        }
        _ => Err(ApiError::not_found(format!("demand {id}"))),
    }
}

/// One demand (with `ref`).
#[utoipa::path(get, path = "/api/v1/demands/{id}", tag = "demands",
    params(("id" = i64, Path, description = "Demand id")),
    responses((status = 200, body = DemandOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> ApiResult<Json<DemandOut>> {
    let actor = viewer.actor();
    let (v, scope) = readable(&state, actor.as_ref(), id).await?;
    Ok(Json(DemandOut::new(v, scope.contacts)))
}

/// Change a demand: the owner enterprise's accounts or the bureau (others → 403).
#[utoipa::path(patch, path = "/api/v1/demands/{id}", tag = "demands", request_body = DemandBody,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Demand id")),
    responses((status = 200, body = DemandOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<DemandOut>> {
    let actor = auth.actor();
    let (input, _) = parse_body(body)?;
    let stored = state
        .store
        .get_demand(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("demand {id}")))?;
    demand::can_edit(&actor, stored.demand.owner_org_id)
        .map_err(|d| ApiError::forbidden(d.to_string()))?;
    if input.reference.is_some() {
        return Err(ApiError::validation(vec![FieldError::new(
            "ref",
            "编号不可修改 / the reference cannot be changed",
        )]));
    }
    let new = input
        .merge_into(&stored.demand)
        .into_new()
        .map_err(ApiError::validation)?;
    let v = state.store.update_demand(&actor, id, &new).await?;
    Ok(Json(DemandOut::new(v, true)))
}

/// Take a workflow action: `publish`, `match`, `close`, `reopen` (owner or bureau), `expire`
/// (bureau). 409 `invalid_transition` when it does not apply.
#[utoipa::path(post, path = "/api/v1/demands/{id}/actions/{action}", tag = "demands",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Demand id"),
        ("action" = String, Path, description = "publish, match, close, expire, reopen")),
    responses((status = 200, body = DemandOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn action(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    Path((id, action)): Path<(i64, String)>,
) -> ApiResult<Json<DemandOut>> {
    let action = DemandAction::parse(&action)
        .ok_or_else(|| ApiError::not_found(format!("action '{action}'")))?;
    let v = state.store.demand_action(&auth.actor(), id, action).await?;
    Ok(Json(DemandOut::new(v, true)))
}

/// Import demands from a file in the request body (bureau: any owner; enterprises: their own).
/// All rows or none; the same `ref` of the same owner updates the demand.
#[utoipa::path(post, path = "/api/v1/demands/import", tag = "demands",
    security(("bearer" = [])),
    params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "CSV (UTF-8 or GB18030), XLSX or JSONL"),
    responses((status = 200, body = ImportReport, description = "Imported (or checked, with dry_run)"),
        (status = 422, body = ImportReport, description = "Problems found (a file over a limit among them); nothing written"),
        (status = 503, body = crate::error::ErrorBody, description = "As many imports are running as the server allows (`import.concurrency`); retry after `Retry-After` seconds")))]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let format = import_format(p.format.as_deref(), &body)?;
    let report = import_demands(
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
