//! One error type for the API. Every error body has a stable machine-readable `code`, a
//! human-readable `message`, and for validation errors (422) the offending `fields`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chengguo_core::FieldError;
use chengguo_store::{StoreError, UpdateError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code: `unauthorized`, `forbidden`, `not_found`, `validation_failed`, `conflict`,
    /// `invalid_transition`, `too_many_requests`, `bad_request`, `internal`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "login or a bearer token is required",
        )
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", msg)
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{} not found", what.into()),
        )
    }
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", msg)
    }
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than the server accepts",
        )
    }
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        let message = format!("invalid fields: {}", names.join(", "));
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message,
            fields,
        }
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        // Logged once here, where it is handled; the client gets no internals.
        tracing::error!(error = %e, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict { field, value } => {
                let msg = format!("'{value}' already exists");
                let mut err = ApiError::validation(vec![FieldError::new(field, msg)]);
                err.status = StatusCode::CONFLICT;
                err.code = "conflict";
                err
            }
            StoreError::Invalid(m) => ApiError::bad_request(m),
            other => ApiError::internal(other),
        }
    }
}

impl From<UpdateError> for ApiError {
    fn from(e: UpdateError) -> Self {
        match e {
            UpdateError::Denied(d) => ApiError::forbidden(d.to_string()),
            UpdateError::Store(s) => s.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.to_string(),
            message: self.message,
            fields: self
                .fields
                .into_iter()
                .map(|f| FieldErrorBody {
                    field: f.field,
                    message: f.message,
                })
                .collect(),
        };
        let mut r = (self.status, Json(body)).into_response();
        r.extensions_mut().insert(ErrorInfo { code: self.code });
        r
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The same error as a page, for HTML handlers.
    pub fn into_page(self, ctx: &crate::pages::Ctx) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => ctx.pick("未找到", "Not found"),
            StatusCode::FORBIDDEN => ctx.pick("无权访问", "Forbidden"),
            StatusCode::INTERNAL_SERVER_ERROR => ctx.pick("服务器错误", "Server error"),
            _ => ctx.pick("请求有误", "Bad request"),
        };
        let page = crate::pages::ErrorPage {
            ctx,
            title,
            message: &self.message,
        };
        let mut r = crate::pages::render(&page);
        *r.status_mut() = self.status;
        r
    }
}

/// Marks a response whose body is already the JSON error body (set by [`ApiError`]).
#[derive(Debug, Clone, Copy)]
pub struct ErrorInfo {
    pub code: &'static str,
}

/// What an error page says, when the default for its status would say too little. Attach it to
/// an error response (with [`PageMessage::response`]) and [`normalize`] renders the page.
#[derive(Debug, Clone)]
pub struct PageMessage {
    pub zh: String,
    pub en: String,
}

impl PageMessage {
    pub fn response(status: StatusCode, zh: impl Into<String>, en: impl Into<String>) -> Response {
        let mut r = status.into_response();
        r.extensions_mut().insert(PageMessage {
            zh: zh.into(),
            en: en.into(),
        });
        r
    }
}

/// Is this path under the JSON API (where errors are JSON)?
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The stable code and message of an error status for which no handler wrote a JSON body
/// (axum's own answers: 405 from the router, 413 from a body limit, a panic's 500).
fn code_of(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "malformed request"),
        401 => ("unauthorized", "login or a bearer token is required"),
        403 => ("forbidden", "not allowed"),
        404 => ("not_found", "no such resource"),
        405 => (
            "method_not_allowed",
            "this method is not allowed on this resource",
        ),
        406 => ("not_acceptable", "no acceptable representation"),
        408 => ("request_timeout", "the request took too long"),
        409 => ("conflict", "conflict"),
        411 => ("length_required", "the request needs a Content-Length"),
        413 => (
            "payload_too_large",
            "the request body is larger than the server accepts",
        ),
        414 => ("uri_too_long", "the URL is too long"),
        415 => (
            "unsupported_media_type",
            "this Content-Type is not accepted here",
        ),
        422 => ("validation_failed", "the request could not be processed"),
        429 => ("too_many_requests", "too many requests, retry later"),
        503 => ("unavailable", "the service is unavailable, retry later"),
        s if s >= 500 => ("internal", "internal error"),
        _ => ("bad_request", "the request could not be processed"),
    }
}

/// The default title and message of an error page, in both languages.
fn page_text(status: StatusCode) -> ((&'static str, &'static str), (&'static str, &'static str)) {
    match status.as_u16() {
        401 => (
            ("请先登录", "Sign in required"),
            ("请先登录后再继续。", "Please sign in to continue."),
        ),
        403 => (
            ("无权访问", "Forbidden"),
            ("您的账号无权进行此操作。", "Your account may not do this."),
        ),
        404 => (
            ("未找到", "Not found"),
            (
                "您要找的页面或记录不存在。",
                "The page or record does not exist.",
            ),
        ),
        405 => (
            ("不支持的操作", "Not allowed"),
            (
                "此页面不接受这种请求。",
                "This page does not accept this kind of request.",
            ),
        ),
        413 => (
            ("内容过大", "Too large"),
            (
                "提交的内容超过了允许的大小。",
                "What was sent is larger than the limit.",
            ),
        ),
        429 => (
            ("请求过于频繁", "Too many requests"),
            (
                "请求过于频繁，请稍后再试。",
                "Too many requests: please try again later.",
            ),
        ),
        503 => (
            ("服务暂不可用", "Unavailable"),
            (
                "服务暂时不可用，请稍后再试。",
                "The service is unavailable: please try again later.",
            ),
        ),
        s if s >= 500 => (
            ("服务器错误", "Server error"),
            (
                "服务器出现错误，已记录。请稍后再试。",
                "Something went wrong on the server; it has been logged. Please try again later.",
            ),
        ),
        _ => (
            ("请求有误", "Bad request"),
            (
                "请求的内容无法处理，请检查后重试。",
                "The request could not be processed: check it and try again.",
            ),
        ),
    }
}

/// The styled error page (the site's layout and navigation) for `status`.
pub fn error_page(
    ctx: &crate::pages::Ctx,
    status: StatusCode,
    msg: Option<&PageMessage>,
) -> Response {
    let ((tzh, ten), (mzh, men)) = page_text(status);
    let message = match msg {
        Some(m) => ctx.pick(&m.zh, &m.en).to_string(),
        None => ctx.pick(mzh, men).to_string(),
    };
    let page = crate::pages::ErrorPage {
        ctx,
        title: ctx.pick(tzh, ten),
        message: &message,
    };
    let mut r = crate::pages::render(&page);
    *r.status_mut() = status;
    r
}

fn is_content(resp: &Response, kinds: &[&str]) -> bool {
    resp.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            let mime = ct.split(';').next().unwrap_or("").trim();
            kinds.iter().any(|k| mime.eq_ignore_ascii_case(k))
        })
        .unwrap_or(false)
}

/// Keeps the headers of the original answer that still apply (`Allow`, `Retry-After`,
/// `Set-Cookie`, `WWW-Authenticate`, …), not those describing its body.
fn carry_headers(from: &Response, to: &mut Response) {
    use axum::http::header;
    for (name, value) in from.headers() {
        if name == header::CONTENT_TYPE || name == header::CONTENT_LENGTH {
            continue;
        }
        to.headers_mut().append(name.clone(), value.clone());
    }
}

/// Makes every error answer well-formed: under `/api` the JSON error body of [`ApiError`] (for
/// axum's own answers — an unsupported method, a body over the limit, a panic — whose body is
/// plain text or empty), elsewhere the styled error page with the site's navigation, in the
/// page's language. Handler-made JSON errors and rendered HTML pages pass unchanged.
pub async fn normalize(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = is_api_path(req.uri().path());
    let saved = (!api).then(|| {
        (
            req.method().clone(),
            req.uri().clone(),
            req.headers().clone(),
            req.extensions().get::<crate::i18n::Lang>().copied(),
            req.extensions().get::<crate::auth::CsrfToken>().cloned(),
        )
    });
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    if api {
        if resp.extensions().get::<ErrorInfo>().is_some()
            || is_content(&resp, &["application/json", "application/problem+json"])
        {
            return resp;
        }
        let (code, message) = code_of(status);
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), "server error without a body");
        }
        let mut out = ApiError::new(status, code, message).into_response();
        carry_headers(&resp, &mut out);
        return out;
    }
    let msg = resp.extensions().get::<PageMessage>().cloned();
    if msg.is_none()
        && resp.extensions().get::<ErrorInfo>().is_none()
        && is_content(&resp, &["text/html"])
    {
        return resp;
    }
    let Some((method, uri, headers, lang, csrf)) = saved else {
        return resp;
    };
    let mut rebuilt = axum::http::Request::new(());
    *rebuilt.method_mut() = method;
    *rebuilt.uri_mut() = uri;
    *rebuilt.headers_mut() = headers;
    if let Some(l) = lang {
        rebuilt.extensions_mut().insert(l);
    }
    if let Some(c) = csrf {
        rebuilt.extensions_mut().insert(c);
    }
    let (mut parts, ()) = rebuilt.into_parts();
    use axum::extract::FromRequestParts;
    let ctx = match crate::pages::Ctx::from_request_parts(&mut parts, &state).await {
        Ok(c) => c,
        // An invalid bearer token on a page: show the page to an anonymous visitor.
        Err(_) => crate::pages::Ctx {
            lang: lang.unwrap_or_default(),
            user: None,
            csrf: parts
                .extensions
                .get::<crate::auth::CsrfToken>()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
        },
    };
    let mut out = error_page(&ctx, status, msg.as_ref());
    carry_headers(&resp, &mut out);
    out
}

/// The answer for a URL no route serves: a JSON 404 under `/api`, the 404 page elsewhere
/// (through [`normalize`]).
pub async fn fallback() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource").into_response()
}
