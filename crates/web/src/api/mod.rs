//! The JSON API, `/api/v1/…`. Conventions (docs/API-DESIGN.md): resources in the plural, lists as
//! `{items, total, limit, offset}` with `limit` (default 20, at most 200) and `offset`, sorting with
//! `sort=field` or `sort=-field`, errors as `{code, message, fields?}`. Every route is registered
//! through `routes!`, so it is in the OpenAPI document by construction.

pub mod achievements;
pub mod audit;
pub mod contracts;
pub mod demands;
pub mod matching;
pub mod me;
pub mod orgs;
pub mod plan;
pub mod reference;
pub mod search;
pub mod users;

use crate::AppState;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chengguo API",
        description = "成果 — the platform for the local transformation of S&T achievements. \
                       Authenticate with `Authorization: Bearer <token>` (`chengguo admin create-token`).",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecurityAddon),
    tags(
        (name = "organizations", description = "机构"),
        (name = "accounts", description = "账号、令牌"),
        (name = "audit", description = "审计链"),
        (name = "achievements", description = "科技成果：登记、发布、备案评分、奖励、发布计数"),
        (name = "demands", description = "技术需求"),
        (name = "matching", description = "匹配推荐：成果与需求双向推荐、接受或拒绝"),
        (name = "search", description = "检索与匹配：成果、需求全文检索，双向推荐"),
        (name = "reference", description = "代码表：行政区划、技术领域、单位性质 …"),
        (name = "plan", description = "行动方案：目标与指标、任务进展、区县考核"),
        (name = "contracts", description = "技术合同与认定登记"),
        (name = "statistics", description = "统计：技术合同成交额、吸纳、本地转化率"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("opaque")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("cg_session"))),
        );
    }
}

/// The API routes with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(orgs::list, orgs::create))
        .routes(routes!(orgs::get_one, orgs::update))
        .routes(routes!(orgs::import))
        .routes(routes!(me::me))
        .routes(routes!(me::create_token, me::list_tokens))
        .routes(routes!(me::revoke_token))
        .routes(routes!(me::change_password))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::update))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::list_tokens))
        .routes(routes!(users::revoke_token))
        .routes(routes!(audit::list))
        .routes(routes!(audit::verify))
        .routes(routes!(reference::divisions))
        .routes(routes!(reference::codes))
        .routes(routes!(reference::chains))
        .routes(routes!(achievements::list, achievements::create))
        .routes(routes!(achievements::get_one, achievements::update))
        .routes(routes!(achievements::action))
        .routes(routes!(achievements::import))
        .routes(routes!(achievements::scores))
        .routes(routes!(achievements::rewards))
        .routes(routes!(achievements::publications))
        .routes(routes!(
            achievements::get_settings,
            achievements::update_settings
        ))
        .routes(routes!(search::search))
        .routes(routes!(demands::list, demands::create))
        .routes(routes!(demands::get_one, demands::update))
        .routes(routes!(demands::action))
        .routes(routes!(demands::import))
        .routes(routes!(matching::demand_matches))
        .routes(routes!(matching::achievement_matches))
        .routes(routes!(matching::create_decision, matching::list_decisions))
        .routes(routes!(matching::get_settings, matching::update_settings))
        .routes(routes!(plan::get_plan, plan::load_plan))
        .routes(routes!(plan::indicators))
        .routes(routes!(plan::history))
        .routes(routes!(plan::add_value))
        .routes(routes!(plan::set_district_target))
        .routes(routes!(plan::scorecards))
        .routes(routes!(plan::scorecard))
        .routes(routes!(plan::add_report, plan::list_reports))
        .routes(routes!(plan::set_task_status))
        .routes(routes!(plan::set_settings))
        .routes(routes!(contracts::list, contracts::create))
        .routes(routes!(contracts::get_one, contracts::update))
        .routes(routes!(contracts::action))
        .routes(routes!(contracts::queue))
        .routes(routes!(contracts::import))
        .routes(routes!(contracts::stats))
        .routes(routes!(contracts::records))
        .routes(routes!(contracts::get_settings, contracts::update_settings))
}

/// The OpenAPI document (built once).
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = router().split_for_parts().1;
        unique_operation_ids(&mut doc);
        document_errors(&mut doc);
        doc
    })
}

/// utoipa names operations after their handler functions, and many resources have a `list`:
/// name each operation after its method and path instead (`get_organizations_id`), which is unique.
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let slug: String = path
            .trim_start_matches("/api/v1/")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .split('_')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        for (method, op) in [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ] {
            if let Some(op) = op {
                op.operation_id = Some(format!("{method}_{slug}"));
            }
        }
    }
}

/// Adds the error answers every operation can give, with the error schema, to those its handler
/// does not list itself (`error::normalize` makes each of them the JSON error body):
/// 400 for any parameter or body (a rejected path parameter, query string or body), 401 and 403
/// for an operation that takes credentials (a wrong or expired token is 401 anywhere; an API write
/// with a session but without the CSRF header is 403), 404 for a path with an id (no such record),
/// 409 for a write (a unique value taken, or an action the record's state does not allow),
/// 413 and 422 for a request body (over the size limit; fields that do not parse), 415 for a JSON
/// body sent with another type, and 500 everywhere.
fn document_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{Content, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        for (write, op) in [
            (false, &mut item.get),
            (true, &mut item.post),
            (true, &mut item.put),
            (true, &mut item.patch),
            (true, &mut item.delete),
        ] {
            let Some(op) = op else { continue };
            let params = op.parameters.as_deref().unwrap_or_default();
            let has_path = params
                .iter()
                .any(|p| matches!(p.parameter_in, ParameterIn::Path));
            let has_params = !params.is_empty();
            let body = op.request_body.as_ref();
            let json_body = body.is_some_and(|b| b.content.keys().any(|k| k.contains("json")));
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut add = |code: &str, description: &str, when: bool| {
                if when && !op.responses.responses.contains_key(code) {
                    op.responses
                        .responses
                        .insert(code.to_string(), error(description).into());
                }
            };
            add(
                "400",
                "`bad_request`: a malformed parameter or body",
                has_params || body.is_some(),
            );
            add("401", "`unauthorized`: no or invalid credentials", secured);
            add(
                "403",
                "`forbidden`: the role or a row rule does not allow it",
                secured,
            );
            add("404", "`not_found`: no such record", has_path);
            add(
                "409",
                "`conflict` (a unique value is taken) or `invalid_transition`",
                write,
            );
            add(
                "413",
                "`payload_too_large`: the body is over the size limit",
                body.is_some(),
            );
            add(
                "415",
                "`unsupported_media_type`: the body is not JSON",
                json_body,
            );
            add(
                "422",
                "`validation_failed`: fields or parameters that do not parse",
                has_params || body.is_some(),
            );
            add("500", "`internal`: logged on the server", true);
            // An error answer documented with its own schema (an import's report) can also be
            // the error body (a bad parameter before the file is read).
            for (code, resp) in op.responses.responses.iter_mut() {
                if !(code.starts_with('4') || code.starts_with('5')) {
                    continue;
                }
                let utoipa::openapi::RefOr::T(resp) = resp else {
                    continue;
                };
                let content = resp
                    .content
                    .entry("application/json".to_string())
                    .or_insert_with(|| Content::new(None::<Ref>));
                let is_error_body = matches!(&content.schema,
                    Some(utoipa::openapi::RefOr::Ref(r)) if r.ref_location.ends_with("/ErrorBody"));
                if is_error_body {
                    continue;
                }
                // Documented without a body: it is the error body.
                let Some(schema) = content.schema.take() else {
                    content.schema = Some(Ref::from_schema_name("ErrorBody").into());
                    continue;
                };
                {
                    content.schema =
                        Some(utoipa::openapi::RefOr::T(utoipa::openapi::Schema::AnyOf(
                            utoipa::openapi::schema::AnyOfBuilder::new()
                                .item(schema)
                                .item(Ref::from_schema_name("ErrorBody"))
                                .build(),
                        )));
                }
            }
        }
    }
}

/// `/api/openapi.json` and the page that renders it.
pub fn docs_router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs_page))
}

async fn openapi_json() -> Response {
    Json(openapi()).into_response()
}

async fn docs_page(lang: crate::i18n::Lang) -> Response {
    Html(crate::pages::api_docs(lang, openapi())).into_response()
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    pub items: Vec<T>,
    /// Matching records in all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Pagination query parameters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page size, 1–200 (default 20).
    pub limit: Option<i64>,
    /// Records to skip (default 0).
    pub offset: Option<i64>,
}

impl Paging {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(20).clamp(1, 200)
    }
    pub fn offset(&self) -> i64 {
        self.offset.unwrap_or(0).max(0)
    }
}

/// Splits `sort=-name` into (`name`, descending).
pub fn parse_sort(s: Option<&str>) -> (Option<&str>, bool) {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => match s.strip_prefix('-') {
            Some(f) => (Some(f), true),
            None => (Some(s), false),
        },
        None => (None, false),
    }
}
