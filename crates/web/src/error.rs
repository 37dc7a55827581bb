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
        (self.status, Json(body)).into_response()
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
