//! Login and logout. Every attempt is counted before its password is evaluated, per (username,
//! client address) and per client address (see `Store::begin_login_attempt`): after
//! `login_max_failures` failures of one username from one address, or
//! `login_max_failures_per_address` from one address in all, within `login_window_minutes`,
//! further attempts are refused until the window has passed. A stranger who throttles their own
//! address does not lock the account out for anyone else. Logins, failures and lockouts are
//! audit entries with the client address.

use super::{render, Ctx};
use crate::auth::{cookie, set_cookie, CsrfForm, SESSION_COOKIE};
use crate::net::Client;
use crate::redirect::next_or_home;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chengguo_store::LoginLimits;
use serde::Deserialize;
use serde_json::json;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    error: Option<&'a str>,
    next: &'a str,
    username: &'a str,
    demo_hint: bool,
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<NextParam>,
) -> Response {
    let next = next_or_home(q.next.as_deref());
    if ctx.signed_in() {
        return Redirect::to(&next).into_response();
    }
    render(&LoginPage {
        ctx: &ctx,
        error: None,
        next: &next,
        username: "",
        demo_hint: state.config.demo_hint,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    client: Client,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> Response {
    let cfg = &state.config;
    let next = next_or_home(f.next.as_deref());
    let fail = |ctx: &Ctx, msg: &str, status: StatusCode| {
        let mut r = render(&LoginPage {
            ctx,
            error: Some(msg),
            next: &next,
            username: &f.username,
            demo_hint: cfg.demo_hint,
        });
        *r.status_mut() = status;
        r
    };
    let addr = client.addr();
    // Usernames have at most 64 characters; a longer one is kept short in counters and audit.
    let username: String = f.username.trim().chars().take(64).collect();
    let username = username.as_str();
    let limits = LoginLimits {
        per_account: cfg.login_max_failures,
        per_address: cfg.login_max_failures_per_address,
        window_secs: cfg.login_window_minutes * 60,
    };
    let attempt = match state
        .store
        .begin_login_attempt(username, &addr, limits)
        .await
    {
        Ok(a) => a,
        Err(e) => return crate::error::ApiError::from(e).into_page(&ctx),
    };
    if attempt.refused() {
        tracing::warn!(username = %username, ip = %addr, "login refused: too many failures");
        return fail(
            &ctx,
            ctx.t("login.throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    match state.store.check_password(username, &f.password).await {
        Ok(Some(user)) => {
            let token = match state
                .store
                .create_session_idle(user.id, cfg.session_ttl_hours, cfg.session_idle_minutes)
                .await
            {
                Ok(t) => t,
                Err(e) => return crate::error::ApiError::from(e).into_page(&ctx),
            };
            if let Err(e) = state.store.login_succeeded(&attempt).await {
                tracing::warn!(error = %e, "login throttle not reset");
            }
            audit(
                &state,
                &user.username,
                "login",
                &user.id.to_string(),
                json!({"username": user.username, "ip": addr}),
            )
            .await;
            let mut resp = Redirect::to(&next).into_response();
            *resp.status_mut() = StatusCode::SEE_OTHER;
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &token,
                    cfg.session_ttl_hours * 3600,
                    true,
                    client.https,
                ),
            );
            resp
        }
        Ok(None) => {
            audit(
                &state,
                "anonymous",
                "login_failed",
                username,
                json!({"username": username, "ip": addr}),
            )
            .await;
            if attempt.locks_account() {
                audit(
                    &state,
                    "system",
                    "lockout",
                    username,
                    json!({"username": username, "ip": addr, "scope": "account_at_address",
                        "failures": cfg.login_max_failures, "minutes": cfg.login_window_minutes}),
                )
                .await;
            }
            if attempt.locks_address() {
                audit(
                    &state,
                    "system",
                    "lockout",
                    username,
                    json!({"username": username, "ip": addr, "scope": "address",
                        "failures": cfg.login_max_failures_per_address,
                        "minutes": cfg.login_window_minutes}),
                )
                .await;
            }
            fail(&ctx, ctx.t("login.failed"), StatusCode::UNAUTHORIZED)
        }
        Err(e) => crate::error::ApiError::from(e).into_page(&ctx),
    }
}

/// An audit entry about a login; a failure to write it is logged, not shown to the person
/// logging in.
async fn audit(state: &AppState, actor: &str, action: &str, id: &str, change: serde_json::Value) {
    if let Err(e) = state
        .store
        .audit_event(actor, action, "user", id, &change)
        .await
    {
        tracing::error!(error = %e, action, "login audit entry not written");
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    if let Some(sid) = cookie(&headers, SESSION_COOKIE) {
        let _ = state.store.delete_session(&sid).await;
    }
    let mut resp = Redirect::to("/").into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, true, client.https),
    );
    resp
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}
