//! Server-rendered pages (askama templates compiled into the binary). Every page gets a [`Ctx`]:
//! the language, the signed-in account, the CSRF token for its forms and the current URL.

pub mod account;
pub mod achievements;
pub mod audit;
pub mod contracts;
pub mod demands;
pub mod docs;
pub mod home;
pub mod login;
pub mod matching;
pub mod orgs;
pub mod plan;
pub mod search;
pub mod users;

use crate::auth::{CsrfToken, Viewer};
use crate::i18n::Lang;
use crate::AppState;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chengguo_core::Role;
use chengguo_store::User;

pub use docs::api_docs;

/// What every page knows about its request.
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<User>,
    pub csrf: String,
    /// Path and query of this page.
    pub here: String,
}

impl Ctx {
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }
    pub fn has(&self, role: &str) -> bool {
        let r: Option<Role> = role.parse().ok();
        match (&self.user, r) {
            (Some(u), Some(r)) => u.roles.contains(&r),
            _ => false,
        }
    }
    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }
    pub fn username(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| u.username.as_str())
            .unwrap_or("")
    }
    pub fn display_name(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| {
                if u.display_name.is_empty() {
                    u.username.as_str()
                } else {
                    u.display_name.as_str()
                }
            })
            .unwrap_or("")
    }
    /// This page in the other language.
    pub fn other_lang_href(&self) -> String {
        let other = match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        with_param(&self.here, "lang", other)
    }
    pub fn other_lang_label(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "English",
            Lang::En => "中文",
        }
    }
    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }
    pub fn role_names(&self) -> String {
        self.user
            .as_ref()
            .map(|u| {
                u.roles
                    .iter()
                    .map(|r| self.pick(r.zh(), r.en()))
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default()
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Ok(Ctx {
            lang,
            user: viewer.user,
            csrf,
            here,
        })
    }
}

/// Renders a template, or a 500 page naming nothing internal.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<h1>500</h1>".to_string()),
            )
                .into_response()
        }
    }
}

/// Replaces (or adds) one query parameter of a path-and-query.
pub fn with_param(here: &str, key: &str, value: &str) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(key))
        .map(str::to_string)
        .collect();
    if !value.is_empty() {
        parts.push(format!("{key}={}", urlencode(value)));
    }
    if parts.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Pagination links for a list page.
pub struct Pager {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub page: i64,
    pub pages: i64,
}

impl Pager {
    pub fn new(here: &str, total: i64, limit: i64, offset: i64) -> Pager {
        let prev =
            (offset > 0).then(|| with_param(here, "offset", &(offset - limit).max(0).to_string()));
        let next = (offset + limit < total)
            .then(|| with_param(here, "offset", &(offset + limit).to_string()));
        Pager {
            total,
            limit,
            offset,
            prev,
            next,
            page: offset / limit.max(1) + 1,
            pages: ((total + limit - 1) / limit.max(1)).max(1),
        }
    }
    pub fn first_shown(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            self.offset + 1
        }
    }
    pub fn last_shown(&self) -> i64 {
        (self.offset + self.limit).min(self.total)
    }
}

/// A sortable column header's link: toggles direction when already sorted by it.
pub fn sort_href(here: &str, current: Option<&str>, field: &str) -> String {
    let next = if current == Some(field) {
        format!("-{field}")
    } else {
        field.to_string()
    };
    with_param(&with_param(here, "sort", &next), "offset", "")
}

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_JS,
    )
        .into_response()
}

async fn favicon() -> Response {
    let svg = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='6' fill='#b0282d'/><text x='16' y='23' font-size='18' text-anchor='middle' fill='#fff' font-family='sans-serif'>成</text></svg>";
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/favicon.ico", get(favicon))
        .merge(home::router())
        .merge(login::router())
        .merge(account::router())
        .merge(orgs::router())
        .merge(achievements::router())
        .merge(demands::router())
        .merge(matching::router())
        .merge(search::router())
        .merge(contracts::router())
        .merge(plan::router())
        .merge(audit::router())
        .merge(users::router())
}

/// A 404 page.
pub fn not_found(ctx: &Ctx) -> Response {
    let t = ErrorPage {
        ctx,
        title: ctx.pick("未找到", "Not found"),
        message: ctx.pick(
            "您要找的页面或记录不存在。",
            "The page or record does not exist.",
        ),
    };
    let mut r = render(&t);
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub ctx: &'a Ctx,
    pub title: &'a str,
    pub message: &'a str,
}
