//! `/account`: the signed-in person's own account: change the password (the password policy
//! applies; every other session ends), list, create and revoke their API tokens.

use super::{render, Ctx};
use crate::api::me::policy_error;
use crate::auth::{cookie, AnyAccount, Auth, CsrfForm, SESSION_COOKIE};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chengguo_core::FieldError;
use chengguo_store::ApiToken;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    ctx: &'a Ctx,
    errors: Vec<FieldError>,
    saved: bool,
    revoked: bool,
    new_token: Option<String>,
    tokens: Vec<ApiToken>,
    show_owner: bool,
    revoke_action: &'static str,
}

impl AccountPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Deserialize, Default)]
struct Flags {
    saved: Option<String>,
    revoked: Option<String>,
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    user_id: i64,
    errors: Vec<FieldError>,
    flags: Flags,
    new_token: Option<String>,
    status: StatusCode,
) -> Response {
    let tokens = match state.store.list_tokens(Some(user_id)).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_page(ctx),
    };
    let mut r = render(&AccountPage {
        ctx,
        errors,
        saved: flags.saved.is_some(),
        revoked: flags.revoked.is_some(),
        new_token,
        tokens,
        show_owner: false,
        revoke_action: "/account/tokens",
    });
    *r.status_mut() = status;
    r
}

async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    ctx: Ctx,
    Query(f): Query<Flags>,
) -> Response {
    show(&state, &ctx, auth.user.id, vec![], f, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    ctx: Ctx,
    headers: HeaderMap,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Response {
    let fail = |errors| {
        show(
            &state,
            &ctx,
            auth.user.id,
            errors,
            Flags::default(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    match state
        .store
        .verify_user_password(auth.user.id, &f.current_password)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return fail(vec![FieldError::new(
                "current_password",
                ctx.pick("当前密码不正确", "Wrong password"),
            )])
            .await
        }
        Err(e) => return ApiError::from(e).into_page(&ctx),
    }
    if let Some(e) = policy_error(
        &state,
        &auth.user.username,
        &f.new_password,
        "new_password",
        !ctx.is_en(),
    ) {
        return fail(vec![e]).await;
    }
    let keep = cookie(&headers, SESSION_COOKIE);
    match state
        .store
        .set_password(
            &auth.actor(),
            auth.user.id,
            &f.new_password,
            keep.as_deref(),
        )
        .await
    {
        Ok(()) => Redirect::to("/account?saved=1").into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> Response {
    let name: String = f.name.trim().chars().take(100).collect();
    let name = if name.is_empty() { "web".into() } else { name };
    match state
        .store
        .create_token_expiring(
            &auth.actor(),
            auth.user.id,
            &name,
            state.config.api_token_days,
        )
        .await
    {
        // Shown on this answer only, never again (not put in a URL).
        Ok((token, _)) => {
            show(
                &state,
                &ctx,
                auth.user.id,
                vec![],
                Flags::default(),
                Some(token),
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    match state
        .store
        .revoke_token(&auth.actor(), id, Some(auth.user.id))
        .await
    {
        Ok(_) => Redirect::to("/account?revoked=1").into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(page))
        .route("/account/password", post(change_password))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}
