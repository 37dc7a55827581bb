//! `/api/v1/me`: the calling account, its password and its API tokens.

use crate::auth::{cookie, AnyAccount, Auth, Via, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chengguo_core::FieldError;
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
    /// Days until the token expires; at most, and by default, the `api_token_days` setting (90).
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    /// Shown once: use as `Authorization: Bearer <token>`.
    pub token: String,
    pub id: i64,
    pub expires_at: Option<String>,
}

/// An API token as listed: never the token itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Neither expired nor revoked.
    pub active: bool,
}

impl From<chengguo_store::ApiToken> for TokenInfo {
    fn from(t: chengguo_store::ApiToken) -> Self {
        TokenInfo {
            active: t.active(),
            id: t.id,
            user_id: t.user_id,
            username: t.username,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// Create an API token for the calling account. It expires after `expires_in_days` (at most the
/// `api_token_days` setting, 90 by default).
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = TokenRequest,
    responses((status = 201, body = TokenOut), (status = 401, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    Json(req): Json<TokenRequest>,
) -> ApiResult<(StatusCode, Json<TokenOut>)> {
    let max = state.config.api_token_days.max(1);
    let days = req.expires_in_days.unwrap_or(max);
    if !(1..=max).contains(&days) {
        return Err(ApiError::validation(vec![FieldError::new(
            "expires_in_days",
            format!("between 1 and {max}"),
        )]));
    }
    let name = req.name.as_deref().unwrap_or("api").trim();
    if name.chars().count() > 100 {
        return Err(ApiError::validation(vec![FieldError::new(
            "name",
            "at most 100 characters",
        )]));
    }
    let (token, info) = state
        .store
        .create_token_expiring(&auth.actor(), auth.user.id, name, days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenOut {
            token,
            id: info.id,
            expires_at: info.expires_at,
        }),
    ))
}

/// The calling account's API tokens (active, expired and revoked), newest first.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    let list = state.store.list_tokens(Some(auth.user.id)).await?;
    Ok(Json(list.into_iter().map(TokenInfo::from).collect()))
}

/// Revoke one of the calling account's API tokens; from then on it is refused (401).
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "token id")),
    responses((status = 200, body = TokenInfo), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    Path(id): Path<i64>,
) -> ApiResult<Json<TokenInfo>> {
    let t = state
        .store
        .revoke_token(&auth.actor(), id, Some(auth.user.id))
        .await?;
    Ok(Json(t.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// Must satisfy the password policy (at least 8 characters from three of: upper case, lower
    /// case, digits, symbols; not the username).
    pub new_password: String,
}

/// Checks a new password against the policy of the settings; the problem as a field error in the
/// language asked for.
pub fn policy_error(
    state: &AppState,
    username: &str,
    password: &str,
    field: &str,
    zh: bool,
) -> Option<FieldError> {
    state
        .config
        .password_policy
        .check(username, password)
        .err()
        .map(|p| FieldError::new(field, if zh { p.zh() } else { p.en() }))
}

/// Change the calling account's password. Every other session of the account ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204), (status = 401, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    headers: HeaderMap,
    Json(b): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    if !state
        .store
        .verify_user_password(auth.user.id, &b.current_password)
        .await?
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "current_password",
            "wrong password",
        )]));
    }
    if let Some(e) = policy_error(
        &state,
        &auth.user.username,
        &b.new_password,
        "new_password",
        false,
    ) {
        return Err(ApiError::validation(vec![e]));
    }
    let keep = (auth.via == Via::Session)
        .then(|| cookie(&headers, SESSION_COOKIE))
        .flatten();
    state
        .store
        .set_password(
            &auth.actor(),
            auth.user.id,
            &b.new_password,
            keep.as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
