//! Account management for the bureau: list and create accounts.

use super::{render, Ctx};
use crate::api::users::{parse_user, UserBody};
use crate::auth::{Auth, Bureau};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chengguo_core::{FieldError, Role};
use chengguo_store::{StoreError, User};
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

#[derive(Deserialize)]
struct Created {
    created: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
    ctx: Ctx,
    axum::extract::Query(c): axum::extract::Query<Created>,
) -> Response {
    match rows(&state, &ctx).await {
        Ok(rows) => render(&UsersPage {
            roles: role_choices(&ctx),
            ctx: &ctx,
            rows,
            form: UserForm::default(),
            errors: vec![],
            created: c.created,
        }),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
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
            return fail(
                &state,
                &ctx,
                e.fields,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
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
) -> Response {
    match rows(state, ctx).await {
        Ok(rows) => {
            let mut r = render(&UsersPage {
                roles: role_choices(ctx),
                ctx,
                rows,
                form,
                errors,
                created: None,
            });
            *r.status_mut() = status;
            r
        }
        Err(e) => ApiError::from(e).into_page(ctx),
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/users", get(page).post(create))
}
