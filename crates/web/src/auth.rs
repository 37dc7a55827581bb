//! Who is calling, and may they? A handler's extractor says which roles may call it
//! (`Auth<Bureau>`, `Auth<AnyAccount>`); row-level rules live in `chengguo_core::access`.
//!
//! Browsers authenticate with a session cookie (`cg_session`, HttpOnly, SameSite=Lax); forms carry
//! a CSRF token that must equal the `cg_csrf` cookie (double submit), and API calls made with the
//! session cookie must echo that token in `X-CSRF-Token`. API clients use `Authorization: Bearer`.

use crate::error::{ApiError, PageMessage};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chengguo_core::{Actor, Role};
use chengguo_store::User;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

pub const SESSION_COOKIE: &str = "cg_session";
pub const CSRF_COOKIE: &str = "cg_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// A `Set-Cookie` value; `max_age` of 0 deletes the cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; SameSite=Lax; Max-Age={max_age_secs}");
    if http_only {
        s.push_str("; HttpOnly");
    }
    if secure {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).expect("cookie value is ASCII")
}

/// The CSRF token of this browser (from its cookie, or minted for this response).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Makes sure every browser has a CSRF cookie, so the first form it sees can carry the token.
pub async fn ensure_csrf(mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    let (token, minted) = match existing {
        Some(t) => (t, false),
        None => (chengguo_store::random_token(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let secure = req
        .extensions()
        .get::<crate::net::Client>()
        .is_some_and(|c| c.https);
    let mut resp = next.run(req).await;
    if minted {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &token, 60 * 60 * 24 * 30, true, secure),
        );
    }
    resp
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    Bearer,
}

/// The calling account, if any (never rejects).
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: Option<User>,
    pub via: Option<Via>,
}

impl Viewer {
    pub fn actor(&self) -> Option<Actor> {
        self.user.as_ref().map(User::actor)
    }
    pub fn has(&self, role: Role) -> bool {
        self.user.as_ref().is_some_and(|u| u.roles.contains(&role))
    }
}

async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Viewer, ApiError> {
    if let Some(v) = parts.extensions.get::<Viewer>() {
        return Ok(v.clone());
    }
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string());
    let viewer = if let Some(token) = bearer {
        match state.store.token_user(&token).await? {
            Some(u) => Viewer {
                user: Some(u),
                via: Some(Via::Bearer),
            },
            // A wrong token is an error, not an anonymous call: the client meant to authenticate.
            None => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "invalid bearer token",
                ))
            }
        }
    } else if let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) {
        match state.store.session_user(&sid).await? {
            Some(u) => Viewer {
                user: Some(u),
                via: Some(Via::Session),
            },
            None => Viewer {
                user: None,
                via: None,
            },
        }
    } else {
        Viewer {
            user: None,
            via: None,
        }
    };
    parts.extensions.insert(viewer.clone());
    Ok(viewer)
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        resolve(parts, state)
            .await
            .map_err(IntoResponse::into_response)
    }
}

/// A set of roles a handler accepts. An empty set means any signed-in account.
pub trait RoleSet: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

macro_rules! role_set {
    ($(#[$m:meta])* $name:ident => [$($r:ident),*]) => {
        $(#[$m])*
        #[derive(Debug)]
        pub struct $name;
        impl RoleSet for $name {
            const ROLES: &'static [Role] = &[$(Role::$r),*];
        }
    };
}

role_set!(/// Any signed-in account.
    AnyAccount => []);
role_set!(/// The municipal S&T bureau only.
    Bureau => [Bureau]);
role_set!(/// The bureau and district officers.
    BureauOrDistrict => [Bureau, District]);
role_set!(/// Accounts that may enter technology contracts (row rules in `chengguo_core::contract`).
    ContractWriter => [Bureau, Unit, Enterprise, Broker, Registrar]);
role_set!(/// Staff of a contract registration site.
    RegistrarOnly => [Registrar]);
role_set!(/// Who reads contract statistics and the contracts behind them.
    StatsReader => [Bureau, District, Registrar]);
role_set!(/// Accounts that belong to an organization and may edit its record.
    OrgMember => [Bureau, Unit, Enterprise, Broker, Registrar, District]);

/// The caller, who holds one of `R`'s roles. Rejects with 401 (API) / a login redirect (pages)
/// when anonymous, and 403 when the roles do not fit.
#[derive(Debug)]
pub struct Auth<R: RoleSet> {
    pub user: User,
    pub via: Via,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> Auth<R> {
    pub fn actor(&self) -> Actor {
        self.user.actor()
    }
}

fn is_api(parts: &Parts) -> bool {
    parts.uri.path().starts_with("/api/")
}

/// A 403 for a page: `error::normalize` renders it as the styled error page.
fn forbidden_page(zh: impl Into<String>, en: impl Into<String>) -> Response {
    PageMessage::response(StatusCode::FORBIDDEN, zh, en)
}

impl<R: RoleSet> FromRequestParts<AppState> for Auth<R> {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let api = is_api(parts);
        let viewer = resolve(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let (user, via) = match (viewer.user, viewer.via) {
            (Some(u), Some(via)) => (u, via),
            _ => {
                return Err(if api {
                    ApiError::unauthorized().into_response()
                } else {
                    let next = parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str())
                        .unwrap_or("/");
                    let mut r =
                        Redirect::to(&format!("/login?next={}", crate::pages::urlencode(next)))
                            .into_response();
                    r.extensions_mut().insert(crate::refusals::LoginRequired);
                    r
                });
            }
        };
        if !R::ROLES.is_empty() && !R::ROLES.iter().any(|r| user.roles.contains(r)) {
            let need: Vec<_> = R::ROLES.iter().map(|r| r.as_str()).collect();
            let msg = format!("this needs one of the roles: {}", need.join(", "));
            return Err(if api {
                ApiError::forbidden(msg).into_response()
            } else {
                let zh: Vec<_> = R::ROLES.iter().map(|r| r.zh()).collect();
                let en: Vec<_> = R::ROLES.iter().map(|r| r.en()).collect();
                forbidden_page(
                    format!("此页面仅供以下角色使用：{}。", zh.join("、")),
                    format!("This page is for: {}.", en.join(", ")),
                )
            });
        }
        // An API write made with the browser's session must prove it came from our pages.
        if api
            && via == Via::Session
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            let expected = cookie(&parts.headers, CSRF_COOKIE);
            if sent.is_none() || sent.map(str::to_string) != expected {
                return Err(
                    ApiError::forbidden("missing or wrong X-CSRF-Token header").into_response()
                );
            }
        }
        Ok(Auth {
            user,
            via,
            _roles: PhantomData,
        })
    }
}

/// A urlencoded form whose `csrf` field must match the browser's CSRF cookie.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Checks a submitted CSRF token against the cookie.
pub fn check_csrf(headers: &HeaderMap, submitted: &str) -> Result<(), Response> {
    match cookie(headers, CSRF_COOKIE) {
        Some(c) if !submitted.is_empty() && c == submitted => Ok(()),
        _ => Err(forbidden_page(
            "表单已过期或来源不明，请刷新页面后重试。",
            "The form expired or did not come from this site: reload and retry.",
        )),
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| crate::extract::body_rejection(e).into_response())?;
        // The form's own words are never echoed: a bad field is named, its value is not.
        let bad_form = |e: serde_urlencoded::de::Error| {
            ApiError::bad_request(format!(
                "invalid form: {}",
                crate::extract::reason(&e.to_string())
            ))
            .into_response()
        };
        let c: CsrfOnly = serde_urlencoded::from_bytes(&bytes).map_err(bad_form)?;
        check_csrf(&headers, &c.csrf)?;
        let v: T = serde_urlencoded::from_bytes(&bytes).map_err(bad_form)?;
        Ok(CsrfForm(v))
    }
}
