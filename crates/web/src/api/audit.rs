//! `/api/v1/audit` (bureau): browse and verify the audit chain.

use super::{PageOf, Paging};
use crate::auth::{Auth, Bureau};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chengguo_io::Cell;
use chengguo_store::{AuditFilter, AuditRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    #[schema(value_type = Object)]
    pub change: serde_json::Value,
    pub digest: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRow> for AuditOut {
    fn from(r: AuditRow) -> Self {
        let e = r.entry;
        AuditOut {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            change: r.change,
            digest: e.digest,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Text anywhere in the actor, action, entity, entity id or change (case-insensitive).
    pub q: Option<String>,
}

/// How the list is answered: a JSON page (default), or every matching entry as a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditFormat {
    #[default]
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `json` (a page, default), `csv` or `xlsx` (every matching entry, no paging).
    #[param(inline)]
    pub format: Option<AuditFormat>,
}

/// Every entry matching `p`, newest first (for exports).
pub async fn all_matching(
    store: &chengguo_store::Store,
    p: &AuditParams,
) -> Result<Vec<AuditRow>, chengguo_store::StoreError> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.audit_list(&p.filter(10_000, offset)).await?;
        let n = page.items.len() as i64;
        all.extend(page.items);
        if n < 10_000 {
            return Ok(all);
        }
        offset += n;
    }
}

/// Column headers of an audit export, in the page's language (English for the API).
pub fn export_headers(lang: Lang) -> [&'static str; 9] {
    match lang {
        Lang::Zh => [
            "序号",
            "时间",
            "操作人",
            "操作",
            "对象",
            "对象编号",
            "变更内容",
            "前一条哈希",
            "哈希",
        ],
        Lang::En => [
            "seq",
            "at",
            "actor",
            "action",
            "entity",
            "entity_id",
            "change",
            "prev_hash",
            "hash",
        ],
    }
}

/// The entries as a CSV or XLSX download, recorded as an `export` of the audit log by `who`.
pub async fn export_file(
    store: &chengguo_store::Store,
    who: &str,
    rows: Vec<AuditRow>,
    format: AuditFormat,
    lang: Lang,
) -> ApiResult<Response> {
    let headers = export_headers(lang);
    let cells: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            let e = r.entry;
            vec![
                e.seq.to_string(),
                e.at,
                e.actor,
                e.action,
                e.entity,
                e.entity_id,
                r.change.to_string(),
                e.prev_hash,
                e.hash,
            ]
        })
        .collect();
    store
        .audit_event(
            who,
            "export",
            "audit_log",
            "",
            &serde_json::json!({"rows": cells.len(), "format": match format {
                AuditFormat::Csv => "csv",
                _ => "xlsx",
            }}),
        )
        .await?;
    let (name, content_type, bytes) = match format {
        AuditFormat::Csv => (
            "audit-log.csv",
            "text/csv; charset=utf-8",
            chengguo_io::write_csv(&headers, &cells),
        ),
        _ => {
            let rows: Vec<Vec<Cell>> = cells
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .enumerate()
                        .map(|(i, v)| match (i, v.parse::<i64>()) {
                            (0, Ok(n)) => Cell::Int(n),
                            (_, _) => Cell::Text(v),
                        })
                        .collect()
                })
                .collect();
            let bytes = chengguo_io::write_xlsx(lang.pick("审计日志", "audit"), &headers, &rows)
                .map_err(ApiError::internal)?;
            (
                "audit-log.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bytes,
            )
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

impl AuditParams {
    pub fn filter(&self, limit: i64, offset: i64) -> AuditFilter {
        AuditFilter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            entity: self.entity.clone(),
            entity_id: self.entity_id.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            q: self.q.clone(),
            limit,
            offset,
        }
    }
}

/// Audit entries, newest first, filtered; `format=csv` or `format=xlsx` answers every matching
/// entry as a file (English headers), itself recorded as an export.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditParams, FormatParam, Paging),
    responses((status = 200, description = "A JSON page, or every matching entry as CSV or XLSX",
        content((PageOf<AuditOut> = "application/json"), (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Query(p): Query<AuditParams>,
    Query(f): Query<FormatParam>,
    Query(paging): Query<Paging>,
) -> ApiResult<Response> {
    let format = f.format.unwrap_or_default();
    if format != AuditFormat::Json {
        let rows = all_matching(&state.store, &p).await?;
        return export_file(&state.store, &auth.user.username, rows, format, Lang::En).await;
    }
    let page = state
        .store
        .audit_list(&p.filter(paging.limit(), paging.offset()))
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(AuditOut::from).collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    })
    .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyOut {
    pub ok: bool,
    /// Entries checked (when ok).
    pub checked: u64,
    /// The first entry that does not match (when not ok).
    pub error: Option<String>,
}

/// Recompute the whole audit chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = VerifyOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
) -> ApiResult<Json<VerifyOut>> {
    Ok(Json(match state.store.audit_verify().await? {
        Ok(n) => VerifyOut {
            ok: true,
            checked: n,
            error: None,
        },
        Err(e) => VerifyOut {
            ok: false,
            checked: 0,
            error: Some(e.to_string()),
        },
    }))
}
