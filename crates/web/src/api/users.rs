//! `/api/v1/users` (bureau).

use super::me::UserOut;
use crate::auth::{Auth, Bureau};
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
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
    /// At least 8 characters.
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
    if b.password.chars().count() < chengguo_store::MIN_PASSWORD_LEN {
        errs.push(FieldError::new(
            "password",
            format!("at least {} characters", chengguo_store::MIN_PASSWORD_LEN),
        ));
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
