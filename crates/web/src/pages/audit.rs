//! The audit log for the bureau: filter, page through, check the chain, export.

use super::orgs::{download, Choice};
use super::{render, Ctx, Pager};
use crate::api::audit::AuditParams;
use crate::auth::{Auth, Bureau};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chengguo_io::Cell;
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

const HEADERS: [&str; 9] = [
    "seq",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "change",
    "prev_hash",
    "hash",
];

async fn export_xlsx(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Query(f): Query<AuditQuery>,
) -> Response {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        match state
            .store
            .audit_list(&f.params().filter(10_000, offset))
            .await
        {
            Ok(p) => {
                let n = p.items.len() as i64;
                all.extend(p.items);
                if n < 10_000 {
                    break;
                }
                offset += n;
            }
            Err(e) => return ApiError::from(e).into_page(&ctx),
        }
    }
    let rows: Vec<Vec<Cell>> = all
        .into_iter()
        .map(|r| {
            let e = r.entry;
            vec![
                Cell::Int(e.seq),
                Cell::Text(e.at),
                Cell::Text(e.actor),
                Cell::Text(e.action),
                Cell::Text(e.entity),
                Cell::Text(e.entity_id),
                Cell::Text(r.change.to_string()),
                Cell::Text(e.prev_hash),
                Cell::Text(e.hash),
            ]
        })
        .collect();
    let _ = state
        .store
        .audit_event(
            &auth.user.username,
            "export",
            "audit_log",
            "",
            &serde_json::json!({"rows": rows.len()}),
        )
        .await;
    match chengguo_io::write_xlsx("audit", &HEADERS, &rows) {
        Ok(bytes) => download(
            "audit-log.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ),
        Err(e) => ApiError::internal(e).into_page(&ctx),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/audit/export.xlsx", get(export_xlsx))
}
