//! The audit log for the bureau: filter (entity, action, actor, dates, text), page through,
//! check the chain, export the filtered entries as CSV or XLSX (headers in the page's language).

use super::orgs::Choice;
use super::{render, Ctx, Pager};
use crate::api::audit::{all_matching, export_file, AuditFormat, AuditParams};
use crate::auth::{Auth, Bureau};
use crate::error::ApiError;
use crate::extract::Query;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chengguo_store::{AuditColumn, AuditRow};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<AuditRow>,
    pager: Pager,
    f: AuditQuery,
    actions: Vec<Choice>,
    entities: Vec<Choice>,
    chain: Result<u64, String>,
    export_query: String,
}

#[derive(Deserialize, Default, Clone)]
struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    q: String,
    offset: Option<i64>,
}

impl AuditQuery {
    fn params(&self) -> AuditParams {
        let opt = |s: &String| (!s.trim().is_empty()).then(|| s.trim().to_string());
        AuditParams {
            actor: opt(&self.actor),
            action: opt(&self.action),
            entity: opt(&self.entity),
            entity_id: opt(&self.entity_id),
            from: opt(&self.from),
            to: opt(&self.to),
            q: opt(&self.q),
        }
    }
}

fn choices(v: Vec<String>) -> Vec<Choice> {
    v.into_iter()
        .map(|s| Choice {
            label: s.clone(),
            value: s,
        })
        .collect()
}

async fn page(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
    ctx: Ctx,
    Query(f): Query<AuditQuery>,
) -> Response {
    let limit = 50;
    let offset = f.offset.unwrap_or(0).max(0);
    let result = async {
        let page = state
            .store
            .audit_list(&f.params().filter(limit, offset))
            .await?;
        let actions = state.store.audit_distinct(AuditColumn::Action).await?;
        let entities = state.store.audit_distinct(AuditColumn::Entity).await?;
        let chain = state.store.audit_verify().await?;
        Ok::<_, chengguo_store::StoreError>((page, actions, entities, chain))
    }
    .await;
    let (page, actions, entities, chain) = match result {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let export_query = ctx
        .here
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default();
    render(&AuditPage {
        pager: Pager::new(&ctx.here, page.total, page.limit, page.offset),
        rows: page.items,
        f,
        actions: choices(actions),
        entities: choices(entities),
        chain: chain.map_err(|e| e.to_string()),
        export_query,
        ctx: &ctx,
    })
}

async fn export(
    state: AppState,
    auth: Auth<Bureau>,
    ctx: Ctx,
    f: AuditQuery,
    format: AuditFormat,
) -> Response {
    let result = async {
        let rows = all_matching(&state.store, &f.params()).await?;
        export_file(&state.store, &auth.user.username, rows, format, ctx.lang).await
    }
    .await;
    result.unwrap_or_else(|e: ApiError| e.into_page(&ctx))
}

async fn export_xlsx(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Query(f): Query<AuditQuery>,
) -> Response {
    export(state, auth, ctx, f, AuditFormat::Xlsx).await
}

async fn export_csv(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Query(f): Query<AuditQuery>,
) -> Response {
    export(state, auth, ctx, f, AuditFormat::Csv).await
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/audit/export.xlsx", get(export_xlsx))
        .route("/audit/export.csv", get(export_csv))
}
