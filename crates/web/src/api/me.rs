//! `/api/v1/me` and personal API tokens.

use crate::auth::{AnyAccount, Auth};
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// public, enterprise, unit, broker, registrar, district, bureau
    pub roles: Vec<String>,
    pub org_id: Option<i64>,
    pub district_code: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

impl From<chengguo_store::User> for UserOut {
    fn from(u: chengguo_store::User) -> Self {
        UserOut {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
            org_id: u.org_id,
            district_code: u.district_code,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

/// The calling account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = UserOut), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(auth: Auth<AnyAccount>) -> Json<UserOut> {
    Json(auth.user.into())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// A label to recognise the token by, e.g. "excel macro".
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    /// Shown once: use as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Create an API token for the calling account.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = TokenRequest,
    responses((status = 201, body = TokenOut), (status = 401, body = crate::error::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    Json(req): Json<TokenRequest>,
) -> ApiResult<(StatusCode, Json<TokenOut>)> {
    let token = state
        .store
        .create_token(
            &auth.actor(),
            auth.user.id,
            req.name.as_deref().unwrap_or("api"),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(TokenOut { token })))
}
