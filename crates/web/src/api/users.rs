//! `/api/v1/users` and `/api/v1/tokens` (bureau): accounts, their roles, passwords and tokens.

use super::me::{policy_error, TokenInfo, UserOut};
use crate::auth::{Auth, Bureau};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::extract::Path;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chengguo_core::{CreditCode, DivisionCode, FieldError, Role};
use chengguo_store::NewUser;
use serde::Deserialize;
use utoipa::ToSchema;

/// All accounts.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserOut>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
) -> ApiResult<Json<Vec<UserOut>>> {
    Ok(Json(
        state
            .store
            .list_users()
            .await?
            .into_iter()
            .map(UserOut::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserBody {
    pub username: String,
    /// The password policy: at least 8 characters from three of upper case, lower case, digits,
    /// symbols; not the username.
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    /// One or more of public, enterprise, unit, broker, registrar, district, bureau.
    pub roles: Vec<String>,
    /// Credit code of the organization the account belongs to.
    pub org_credit_code: Option<String>,
    /// For district officers: their district's division code.
    pub district_code: Option<String>,
}

/// Parses an account request into a `NewUser`, resolving the organization.
pub async fn parse_user(state: &AppState, b: UserBody) -> Result<NewUser, ApiError> {
    let mut errs = Vec::new();
    let mut roles = Vec::new();
    for r in &b.roles {
        match r.parse::<Role>() {
            Ok(r) => roles.push(r),
            Err(m) => errs.push(FieldError::new("roles", m)),
        }
    }
    if roles.is_empty() && errs.is_empty() {
        errs.push(FieldError::new("roles", "at least one role is required"));
    }
    if let Some(e) = policy_error(state, &b.username, &b.password, "password", false) {
        errs.push(e);
    }
    if b.username.trim().is_empty() || b.username.chars().any(char::is_whitespace) {
        errs.push(FieldError::new("username", "required, without spaces"));
    }
    let mut org_id = None;
    if let Some(code) = b
        .org_credit_code
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        match CreditCode::parse(code) {
            Ok(c) => match state.store.org_by_credit_code(c.as_str()).await? {
                Some(o) => org_id = Some(o.id),
                None => errs.push(FieldError::new(
                    "org_credit_code",
                    format!("no organization has credit code {c}"),
                )),
            },
            Err(e) => errs.push(FieldError::new("org_credit_code", e.to_string())),
        }
    }
    let district_code = match b.district_code.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(d) => match DivisionCode::parse(d) {
            Ok(d) => Some(d.to_string()),
            Err(e) => {
                errs.push(FieldError::new("district_code", e.to_string()));
                None
            }
        },
        None => None,
    };
    if roles.contains(&Role::District) && district_code.is_none() && errs.is_empty() {
        errs.push(FieldError::new(
            "district_code",
            "a district account needs its district's division code",
        ));
    }
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    Ok(NewUser {
        username: b.username.trim().to_string(),
        password: b.password,
        display_name: b.display_name,
        roles,
        org_id,
        district_code,
    })
}

/// Create an account (bureau).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", security(("bearer" = [])), request_body = UserBody,
    responses((status = 201, body = UserOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Json(body): Json<UserBody>,
) -> ApiResult<(StatusCode, Json<UserOut>)> {
    let new = parse_user(&state, body).await?;
    let user = state.store.create_user(&auth.actor(), &new).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

fn id_of(id: i64, u: Option<chengguo_store::User>) -> ApiResult<chengguo_store::User> {
    u.ok_or_else(|| ApiError::not_found(format!("user {id}")))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserPatch {
    /// Disable (true) or enable (false) the account. A disabled account cannot log in, and its
    /// sessions and tokens stop working.
    pub disabled: Option<bool>,
    /// Replace the account's roles.
    pub roles: Option<Vec<String>>,
}

/// Disable or enable an account, or change its roles (bureau). Each change is an audit entry.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "account id")), request_body = UserPatch,
    responses((status = 200, body = UserOut), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Path(id): Path<i64>,
    Json(p): Json<UserPatch>,
) -> ApiResult<Json<UserOut>> {
    let mut user = id_of(id, state.store.user_by_id(id).await?)?;
    let actor = auth.actor();
    if let Some(names) = &p.roles {
        let mut roles = Vec::new();
        let mut errs = Vec::new();
        for r in names {
            match r.parse::<Role>() {
                Ok(r) => roles.push(r),
                Err(m) => errs.push(FieldError::new("roles", m)),
            }
        }
        if roles.is_empty() && errs.is_empty() {
            errs.push(FieldError::new("roles", "at least one role is required"));
        }
        if !errs.is_empty() {
            return Err(ApiError::validation(errs));
        }
        user = state.store.set_user_roles(&actor, id, &roles).await?;
    }
    if let Some(d) = p.disabled {
        user = state.store.set_user_disabled(&actor, id, d).await?;
    }
    Ok(Json(user.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordReset {
    /// The new password (the password policy applies).
    pub password: String,
}

/// Reset an account's password (bureau). All the account's sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "account id")), request_body = PasswordReset,
    responses((status = 204), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Path(id): Path<i64>,
    Json(b): Json<PasswordReset>,
) -> ApiResult<StatusCode> {
    let user = id_of(id, state.store.user_by_id(id).await?)?;
    if let Some(e) = policy_error(&state, &user.username, &b.password, "password", false) {
        return Err(ApiError::validation(vec![e]));
    }
    state
        .store
        .set_password(&auth.actor(), id, &b.password, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every account's API tokens, newest first (bureau).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    let list = state.store.list_tokens(None).await?;
    Ok(Json(list.into_iter().map(TokenInfo::from).collect()))
}

/// Revoke any account's API token (bureau).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "token id")),
    responses((status = 200, body = TokenInfo), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Path(id): Path<i64>,
) -> ApiResult<Json<TokenInfo>> {
    let t = state.store.revoke_token(&auth.actor(), id, None).await?;
    Ok(Json(t.into()))
}
