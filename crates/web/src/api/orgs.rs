//! `/api/v1/organizations`

use super::{parse_sort, PageOf, Paging};
use crate::auth::{Auth, Bureau, OrgMember};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::imports::{detect_format, import_orgs, ImportReport};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chengguo_core::org::OrgInput;
use chengguo_core::{refdata, FieldError, OrgKind, Organization};
use chengguo_store::{OrgQuery, OrgSort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An organization as the API shows it (codes with their names).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgOut {
    pub id: i64,
    pub name: String,
    /// 统一社会信用代码 (GB 32100).
    pub credit_code: String,
    /// GB/T 2260 code of the county-level (or higher) division.
    pub division_code: String,
    /// Full name of the division, e.g. 辽宁省沈阳市铁西区.
    pub division_name: Option<String>,
    /// Legal-entity nature code (DOMAIN.md §2), e.g. `150`.
    pub nature: String,
    pub nature_name: Option<String>,
    /// One of university, institute, rnd_institution, enterprise, transfer_institution,
    /// registration_site, pilot_base, incubator, platform, government.
    pub kind: String,
    pub kind_name: String,
    pub description: String,
    /// A demo record (its credit code is generated).
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Organization> for OrgOut {
    fn from(o: Organization) -> Self {
        OrgOut {
            division_name: refdata::full_name(&o.division_code),
            nature_name: refdata::lookup(refdata::natures(), &o.nature).map(|c| c.zh.to_string()),
            kind: o.kind.as_str().to_string(),
            kind_name: o.kind.zh().to_string(),
            id: o.id,
            name: o.name,
            credit_code: o.credit_code,
            division_code: o.division_code,
            nature: o.nature,
            description: o.description,
            is_demo: o.is_demo,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// Fields of an organization to create (all but `description` required) or to change (any).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"name": "沈阳示例科技有限公司", "credit_code": "91210106DM0000001X", "division_code": "210106", "nature": "150", "kind": "enterprise"}))]
pub struct OrgBody {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub division_code: Option<String>,
    /// Nature code or its Chinese name.
    pub nature: Option<String>,
    /// Kind slug, or its Chinese name.
    pub kind: Option<String>,
    pub description: Option<String>,
}

impl From<OrgBody> for OrgInput {
    fn from(b: OrgBody) -> Self {
        OrgInput {
            name: b.name,
            credit_code: b.credit_code,
            division_code: b.division_code,
            nature: b.nature,
            kind: b.kind,
            description: b.description,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgListParams {
    /// Part of the name or credit code.
    pub q: Option<String>,
    /// Kind slug.
    pub kind: Option<String>,
    /// Division code or prefix: `2101` or `210100` = Shenyang, `210106` = Tiexi.
    pub division: Option<String>,
    /// `name`, `credit_code`, `kind`, `division_code`, `created_at`, `updated_at`; prefix `-` for descending.
    pub sort: Option<String>,
}

/// Parses list parameters into a store query, or names the bad parameter.
pub fn org_query(p: &OrgListParams, paging: &Paging) -> Result<OrgQuery, ApiError> {
    let mut errs = Vec::new();
    let kind = match p.kind.as_deref().filter(|s| !s.is_empty()) {
        Some(k) => match OrgKind::parse(k) {
            Some(k) => Some(k),
            None => {
                errs.push(FieldError::new("kind", format!("unknown kind '{k}'")));
                None
            }
        },
        None => None,
    };
    let (sort_field, desc) = parse_sort(p.sort.as_deref());
    let sort = match sort_field {
        Some(f) => OrgSort::parse(f).unwrap_or_else(|| {
            errs.push(FieldError::new("sort", format!("cannot sort by '{f}'")));
            OrgSort::Name
        }),
        None => OrgSort::Name,
    };
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    Ok(OrgQuery {
        q: p.q.clone(),
        kind,
        division: p.division.clone(),
        sort,
        desc,
        limit: paging.limit(),
        offset: paging.offset(),
    })
}

/// List organizations (public).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations",
    params(OrgListParams, Paging),
    responses((status = 200, body = PageOf<OrgOut>), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(p): Query<OrgListParams>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageOf<OrgOut>>> {
    let q = org_query(&p, &paging)?;
    let page = state.store.list_orgs(&q).await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(OrgOut::from).collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// Create an organization (bureau).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = OrgBody,
    security(("bearer" = [])),
    responses((status = 201, body = OrgOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Json(body): Json<OrgBody>,
) -> ApiResult<(StatusCode, Json<OrgOut>)> {
    let new = OrgInput::from(body)
        .into_new()
        .map_err(ApiError::validation)?;
    let org = state.store.create_org(&auth.actor(), &new).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// One organization (public).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = OrgOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrgOut>> {
    let org = state
        .store
        .get_org(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("organization {id}")))?;
    Ok(Json(org.into()))
}

/// Change an organization: the bureau any, other accounts only their own (not its credit code or kind).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", request_body = OrgBody,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = OrgOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth<OrgMember>,
    Path(id): Path<i64>,
    Json(body): Json<OrgBody>,
) -> ApiResult<Json<OrgOut>> {
    let patch = OrgInput::from(body)
        .into_patch()
        .map_err(ApiError::validation)?;
    let org = state.store.update_org(&auth.actor(), id, &patch).await?;
    Ok(Json(org.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `csv`, `xlsx` or `jsonl`; detected from the content when absent.
    pub format: Option<String>,
    /// Check only; write nothing.
    pub dry_run: Option<bool>,
}

/// Import organizations from a file in the request body (bureau). All rows or none.
#[utoipa::path(post, path = "/api/v1/organizations/import", tag = "organizations",
    security(("bearer" = [])),
    params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "CSV (UTF-8 or GB18030), XLSX or JSONL"),
    responses((status = 200, body = ImportReport, description = "Imported (or checked, with dry_run)"),
        (status = 422, body = ImportReport, description = "Problems found (a file over a limit among them); nothing written"),
        (status = 503, body = crate::error::ErrorBody, description = "As many imports are running as the server allows (`import.concurrency`); retry after `Retry-After` seconds")))]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let format = match p.format.as_deref() {
        Some("csv") => chengguo_io::Format::Csv,
        Some("xlsx") => chengguo_io::Format::Xlsx,
        Some("jsonl") => chengguo_io::Format::Jsonl,
        Some(other) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "format",
                format!("unknown format '{other}'"),
            )]))
        }
        None => detect_format(None, &body),
    };
    let report = import_orgs(
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
