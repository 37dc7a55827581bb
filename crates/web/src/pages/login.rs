//! Login and logout. Failed logins are counted per username; after `login_max_failures` within
//! `login_window_minutes`, further attempts are refused until the window has passed.

use super::{render, Ctx};
use crate::auth::{cookie, set_cookie, CsrfForm, SESSION_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::convert::Infallible;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    error: Option<&'a str>,
    next: &'a str,
    username: &'a str,
    demo_hint: bool,
}

/// The client's address (for the audit of failed logins).
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// Only local paths may be redirected to after login.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

async fn login_form(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<NextParam>,
) -> Response {
    if ctx.signed_in() {
        return Redirect::to(safe_next(q.next.as_deref())).into_response();
    }
    render(&LoginPage {
        ctx: &ctx,
        error: None,
        next: safe_next(q.next.as_deref()),
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
    ip: ClientIp,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> Response {
    let cfg = &state.config;
    let next = safe_next(f.next.as_deref()).to_string();
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
    let since = {
        let t = time::OffsetDateTime::now_utc() - time::Duration::minutes(cfg.login_window_minutes);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    let failures = match state.store.login_failures_since(&f.username, &since).await {
        Ok(n) => n,
        Err(e) => return crate::error::ApiError::from(e).into_page(&ctx),
    };
    if failures >= cfg.login_max_failures {
        tracing::warn!(username = %f.username, ip = %ip.0, "login refused: too many failures");
        return fail(
            &ctx,
            ctx.t("login.throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    match state.store.check_password(&f.username, &f.password).await {
        Ok(Some(user)) => {
            let token = match state
                .store
                .create_session(user.id, cfg.session_ttl_hours)
                .await
            {
                Ok(t) => t,
                Err(e) => return crate::error::ApiError::from(e).into_page(&ctx),
            };
            let _ = state.store.clear_login_failures(&f.username).await;
            let _ = state
                .store
                .audit_event(
                    &user.username,
                    "login",
                    "user",
                    &user.id.to_string(),
                    &serde_json::json!({"ip": ip.0}),
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
                    cfg.secure_cookies,
                ),
            );
            resp
        }
        Ok(None) => {
            let _ = state.store.record_login_failure(&f.username, &ip.0).await;
            fail(&ctx, ctx.t("login.failed"), StatusCode::UNAUTHORIZED)
        }
        Err(e) => crate::error::ApiError::from(e).into_page(&ctx),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
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
        set_cookie(SESSION_COOKIE, "", 0, true, state.config.secure_cookies),
    );
    resp
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}
