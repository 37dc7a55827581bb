//! Request extractors with well-formed rejections: `Path`, `Query` and `Json` wrap axum's and
//! reject with the API's JSON error body ([`ApiError`]) — a stable `code`, and a message that
//! names the parameter or field and what was expected, never the raw input. On pages the same
//! rejection becomes the styled error page (`error::normalize`). utoipa recognises these types by
//! their names, as it does axum's.

use crate::error::ApiError;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chengguo_core::FieldError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Path parameters (`/api/v1/organizations/{id}`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

/// The query string, deserialized.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

/// A JSON request body (`Content-Type: application/json`), or a JSON response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Words for the Rust type a path parameter is parsed into.
fn expected_kind(type_name: &str) -> &'static str {
    let last = type_name.rsplit("::").next().unwrap_or(type_name);
    match last {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" => "an integer",
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        _ => "a valid value",
    }
}

fn path_rejection(rej: PathRejection, only_param: Option<String>) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(e) = rej else {
        return ApiError::internal(rej.body_text());
    };
    let (field, message) = match e.into_kind() {
        ErrorKind::ParseErrorAtKey {
            key, expected_type, ..
        } => (
            Some(key),
            format!("expected {}", expected_kind(expected_type)),
        ),
        ErrorKind::ParseErrorAtIndex {
            index,
            expected_type,
            ..
        } => (
            None,
            format!(
                "parameter {} expected {}",
                index + 1,
                expected_kind(expected_type)
            ),
        ),
        ErrorKind::ParseError { expected_type, .. } => {
            (None, format!("expected {}", expected_kind(expected_type)))
        }
        ErrorKind::InvalidUtf8InPathParam { key } => (Some(key), "not valid UTF-8".to_string()),
        ErrorKind::DeserializeError { key, .. } => (Some(key), "invalid value".to_string()),
        ErrorKind::UnsupportedType { name } => {
            return ApiError::internal(format!("unsupported path parameter type {name}"))
        }
        other => return ApiError::internal(format!("path parameters: {other}")),
    };
    // A single parameter (`Path<i64>`) comes without its name: take it from the route.
    let field = field.or(only_param);
    let mut err = ApiError::bad_request(match &field {
        Some(k) => format!("invalid path parameter `{k}`: {message}"),
        None => format!("invalid path parameter: {message}"),
    });
    if let Some(k) = field {
        err.fields = vec![FieldError::new(k, message)];
    }
    err
}

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rej) => {
                let route = parts
                    .extensions
                    .get::<axum::extract::MatchedPath>()
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default();
                let names: Vec<&str> = route
                    .split('{')
                    .skip(1)
                    .filter_map(|s| s.split_once('}').map(|(n, _)| n))
                    .collect();
                let only = (names.len() == 1).then(|| names[0].to_string());
                Err(path_rejection(rej, only))
            }
        }
    }
}

/// What a serde error says, without the input it quotes. Serde's own messages put the input
/// first and what was expected after `, expected `; missing fields name our own field.
pub(crate) fn reason(msg: &str) -> String {
    const SAFE: [&str; 7] = [
        "invalid digit found in string",
        "number too large to fit in target type",
        "number too small to fit in target type",
        "cannot parse integer from empty string",
        "invalid float literal",
        "provided string was not `true` or `false`",
        "trailing characters",
    ];
    let first = msg.split(" at line ").next().unwrap_or(msg);
    if SAFE.contains(&first) {
        return first.to_string();
    }
    if first.starts_with("missing field `") {
        return first.to_string();
    }
    if let Some(i) = first.find(", expected ") {
        let expected = &first[i + 2..];
        if first.starts_with("unknown field") {
            return format!("unknown field, {expected}");
        }
        if first.starts_with("unknown variant") {
            return format!("unknown value, {expected}");
        }
        if first.starts_with("invalid type")
            || first.starts_with("invalid value")
            || first.starts_with("invalid length")
        {
            return expected.to_string();
        }
    }
    "invalid value".to_string()
}

/// The field a `serde_path_to_error` path names (`.` for the whole document).
fn field_of(path: &serde_path_to_error::Path) -> Option<String> {
    let p = path.to_string();
    (p != "." && !p.is_empty()).then_some(p)
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(Query(v)),
            Err(e) => {
                let field = field_of(e.path());
                let why = reason(&e.into_inner().to_string());
                // A missing field is named by serde itself; otherwise name the parameter.
                let field = field.or_else(|| {
                    why.strip_prefix("missing field `")
                        .and_then(|s| s.strip_suffix('`'))
                        .map(str::to_string)
                });
                let mut err = ApiError::bad_request(match &field {
                    Some(f) => format!("invalid query parameter `{f}`: {why}"),
                    None => format!("invalid query string: {why}"),
                });
                if let Some(f) = field {
                    err.fields = vec![FieldError::new(f, why)];
                }
                Err(err)
            }
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// The error for a request body that could not be read (too large, or cut off).
pub fn body_rejection(rej: BytesRejection) -> ApiError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large()
    } else {
        ApiError::bad_request("the request body could not be read")
    }
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected a body with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let (field, inner) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(v) => match de.end() {
                Ok(()) => return Ok(Json(v)),
                Err(e) => (None, e),
            },
            Err(e) => (field_of(e.path()), e.into_inner()),
        };
        if inner.is_data() {
            let why = reason(&inner.to_string());
            let field = field.unwrap_or_else(|| {
                why.strip_prefix("missing field `")
                    .and_then(|s| s.strip_suffix('`'))
                    .unwrap_or("body")
                    .to_string()
            });
            Err(ApiError::validation(vec![FieldError::new(field, why)]))
        } else {
            Err(ApiError::bad_request(format!(
                "the body is not valid JSON (line {}, column {})",
                inner.line(),
                inner.column()
            )))
        }
    }
}

/// An optional JSON body: none when the request has no `Content-Type` (as axum's `Json`).
impl<T, S> axum::extract::OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        if req.headers().get(header::CONTENT_TYPE).is_none() {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A JSON object body kept as a `serde_json::Value`, for handlers that parse its fields
/// themselves (reporting every field error): anything but an object is refused (422).
#[derive(Debug, Clone)]
pub struct JsonObject(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(map) =
            <Json<serde_json::Map<String, serde_json::Value>> as FromRequest<S>>::from_request(
                req, state,
            )
            .await
            .map_err(|mut e| {
                if e.code == "validation_failed" && e.fields.iter().any(|f| f.field == "body") {
                    e = ApiError::validation(vec![FieldError::new(
                        "body",
                        "expected a JSON object",
                    )]);
                }
                e
            })?;
        Ok(JsonObject(serde_json::Value::Object(map)))
    }
}
