//! Account management for the bureau: list and create accounts, disable and enable them, reset
//! their passwords (the password policy applies), list and revoke every account's API tokens.

use super::{render, Ctx};
use crate::api::users::{parse_user, UserBody};
use crate::auth::CsrfForm;
use crate::auth::{Auth, Bureau};
use crate::error::ApiError;
use crate::extract::Path;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chengguo_core::{FieldError, Role};
use chengguo_store::{ApiToken, StoreError, User};
use serde::Deserialize;

pub struct UserRow {
    pub user: User,
    pub roles: String,
    pub org_name: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<UserRow>,
    form: UserForm,
    errors: Vec<FieldError>,
    roles: Vec<(&'static str, &'static str)>,
    created: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    tokens: Vec<ApiToken>,
    show_owner: bool,
    revoke_action: &'static str,
    own_id: i64,
}

impl UsersPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    fn role_checked(&self, r: &str) -> bool {
        self.form.roles.iter().any(|x| x == r)
    }
}

#[derive(Deserialize, Default, Clone)]
struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    org_credit_code: String,
    #[serde(default)]
    district_code: String,
}

async fn rows(state: &AppState, ctx: &Ctx) -> Result<Vec<UserRow>, StoreError> {
    let mut out = Vec::new();
    for u in state.store.list_users().await? {
        let org_name = match u.org_id {
            Some(id) => state
                .store
                .get_org(id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let roles = u
            .roles
            .iter()
            .map(|r| ctx.pick(r.zh(), r.en()))
            .collect::<Vec<_>>()
            .join("、");
        out.push(UserRow {
            user: u,
            roles,
            org_name,
        });
    }
    Ok(out)
}

fn role_choices(ctx: &Ctx) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str(), ctx.pick(r.zh(), r.en())))
        .collect()
}

#[derive(Deserialize, Default)]
struct Notice {
    created: Option<String>,
    done: Option<String>,
}

/// The page with `rows`, the token list and the given form state.
#[allow(clippy::too_many_arguments)]
async fn show(
    state: &AppState,
    ctx: &Ctx,
    own_id: i64,
    form: UserForm,
    errors: Vec<FieldError>,
    q: Notice,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let rows = match rows(state, ctx).await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_page(ctx),
    };
    let tokens = match state.store.list_tokens(None).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_page(ctx),
    };
    let notice = q.done.as_deref().map(|d| {
        match d {
            "disabled" => ctx.pick(
                "账号已停用，其会话已结束。",
                "Account disabled; its sessions have ended.",
            ),
            "enabled" => ctx.pick("账号已启用。", "Account enabled."),
            "password" => ctx.pick(
                "密码已重置，该账号的会话已结束。",
                "Password reset; the account's sessions have ended.",
            ),
            "revoked" => ctx.pick("令牌已吊销。", "Token revoked."),
            _ => ctx.pick("已保存。", "Saved."),
        }
        .to_string()
    });
    let mut r = render(&UsersPage {
        roles: role_choices(ctx),
        ctx,
        rows,
        form,
        errors,
        created: q.created,
        notice,
        error,
        tokens,
        show_owner: true,
        revoke_action: "/users/tokens",
        own_id,
    });
    *r.status_mut() = status;
    r
}

async fn page(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<Notice>,
) -> Response {
    show(
        &state,
        &ctx,
        auth.user.id,
        UserForm::default(),
        vec![],
        q,
        None,
        StatusCode::OK,
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // `roles` repeats in the form, which serde_urlencoded reads only as pairs.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if let Err(r) = crate::auth::check_csrf(&headers, &get("csrf")) {
        return r;
    }
    let form = UserForm {
        username: get("username"),
        password: get("password"),
        display_name: get("display_name"),
        roles: pairs
            .iter()
            .filter(|(k, _)| k == "roles")
            .map(|(_, v)| v.clone())
            .collect(),
        org_credit_code: get("org_credit_code"),
        district_code: get("district_code"),
    };
    let body = UserBody {
        username: form.username.clone(),
        password: form.password.clone(),
        display_name: form.display_name.clone(),
        roles: form.roles.clone(),
        org_credit_code: Some(form.org_credit_code.clone()),
        district_code: Some(form.district_code.clone()),
    };
    let new = match parse_user(&state, body).await {
        Ok(n) => n,
        Err(e) => {
            // The password policy's message in the page's language.
            let fields = e
                .fields
                .into_iter()
                .map(|f| match f.field.as_str() {
                    "password" => crate::api::me::policy_error(
                        &state,
                        &form.username,
                        &form.password,
                        "password",
                        !ctx.is_en(),
                    )
                    .unwrap_or(f),
                    _ => f,
                })
                .collect();
            return fail(
                &state,
                &ctx,
                fields,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                auth.user.id,
            )
            .await;
        }
    };
    match state.store.create_user(&auth.actor(), &new).await {
        Ok(u) => Redirect::to(&format!("/users?created={}", super::urlencode(&u.username)))
            .into_response(),
        Err(StoreError::Conflict { field, value }) => {
            fail(
                &state,
                &ctx,
                vec![FieldError::new(
                    field,
                    format!("{value} 已存在 / already exists"),
                )],
                form,
                StatusCode::CONFLICT,
                auth.user.id,
            )
            .await
        }
        Err(StoreError::Invalid(m)) => {
            fail(
                &state,
                &ctx,
                vec![FieldError::new("username", m)],
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                auth.user.id,
            )
            .await
        }
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

async fn fail(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<FieldError>,
    form: UserForm,
    status: StatusCode,
    own_id: i64,
) -> Response {
    show(
        state,
        ctx,
        own_id,
        form,
        errors,
        Notice::default(),
        None,
        status,
    )
    .await
}

#[derive(Deserialize)]
struct Empty {}

async fn set_disabled(
    state: &AppState,
    auth: &Auth<Bureau>,
    ctx: &Ctx,
    id: i64,
    disabled: bool,
) -> Response {
    match state
        .store
        .set_user_disabled(&auth.actor(), id, disabled)
        .await
    {
        Ok(_) => Redirect::to(if disabled {
            "/users?done=disabled"
        } else {
            "/users?done=enabled"
        })
        .into_response(),
        Err(StoreError::Invalid(_)) => {
            show(
                state,
                ctx,
                auth.user.id,
                UserForm::default(),
                vec![],
                Notice::default(),
                Some(
                    ctx.pick(
                        "不能停用自己的账号。",
                        "You cannot disable your own account.",
                    )
                    .into(),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ApiError::from(e).into_page(ctx),
    }
}

async fn disable(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    set_disabled(&state, &auth, &ctx, id, true).await
}

async fn enable(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    set_disabled(&state, &auth, &ctx, id, false).await
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ResetForm>,
) -> Response {
    let user = match state.store.user_by_id(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return super::not_found(&ctx),
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    if let Some(e) = crate::api::me::policy_error(
        &state,
        &user.username,
        &f.password,
        "password",
        !ctx.is_en(),
    ) {
        let msg = format!("{}：{}", user.username, e.message);
        return show(
            &state,
            &ctx,
            auth.user.id,
            UserForm::default(),
            vec![],
            Notice::default(),
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .store
        .set_password(&auth.actor(), id, &f.password, None)
        .await
    {
        Ok(()) => Redirect::to("/users?done=password").into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    match state.store.revoke_token(&auth.actor(), id, None).await {
        Ok(_) => Redirect::to("/users?done=revoked").into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(page).post(create))
        .route("/users/{id}/disable", post(disable))
        .route("/users/{id}/enable", post(enable))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/tokens/{id}/revoke", post(revoke_token))
}
