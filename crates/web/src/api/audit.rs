//! `/api/v1/audit` (bureau): browse and verify the audit chain.

use super::{PageOf, Paging};
use crate::auth::{Auth, Bureau};
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
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
            limit,
            offset,
        }
    }
}

/// Audit entries, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditParams, Paging),
    responses((status = 200, body = PageOf<AuditOut>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
    Query(p): Query<AuditParams>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageOf<AuditOut>>> {
    let page = state
        .store
        .audit_list(&p.filter(paging.limit(), paging.offset()))
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(AuditOut::from).collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
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
