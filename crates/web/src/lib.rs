//! HTTP for Chengguo: the JSON API under `/api/v1` (documented at `/api/openapi.json`), the
//! server-rendered pages (Simplified Chinese by default, English on request), authentication
//! (cookie sessions with CSRF protection, bearer tokens) and operations (`/healthz`, `/metrics`).
//!
//! Where things live: `api/<resource>.rs` holds the JSON handlers of one resource, `pages/<area>.rs`
//! the pages of one area, `auth.rs` the extractors whose type says which roles may call a handler.

// Extractor rejections and early returns are `Response`s, as axum intends; boxing them buys nothing.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
pub mod charts;
pub mod error;
pub mod i18n;
pub mod imports;
pub mod ops;
pub mod pages;

use axum::Router;
use chengguo_store::{SearchService, Store};
use std::sync::Arc;

/// Settings the web layer needs (the binary fills them from flags, env and the config file).
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub session_ttl_hours: i64,
    /// Failed logins of one username within the window before further attempts are refused.
    pub login_max_failures: i64,
    pub login_window_minutes: i64,
    /// Mark cookies `Secure` (set when served behind HTTPS).
    pub secure_cookies: bool,
    /// Shown on the login page when the demo is loaded.
    pub demo_hint: bool,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session_ttl_hours: 12,
            login_max_failures: 5,
            login_window_minutes: 15,
            secure_cookies: false,
            demo_hint: false,
            max_upload_bytes: 64 * 1024 * 1024,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<ops::Metrics>,
    /// The search index, kept in step with the database (see `chengguo_store::search`).
    pub search: Arc<SearchService>,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig, search: Arc<SearchService>) -> Self {
        Self {
            store,
            config: Arc::new(config),
            metrics: Arc::new(ops::Metrics::new()),
            search,
        }
    }
}

/// The whole application: API, pages, operations, with request metrics and tracing.
pub fn app(state: AppState) -> Router {
    let (api_router, _openapi) = api::router().split_for_parts();
    Router::new()
        .merge(api_router)
        .merge(api::docs_router())
        .merge(pages::router())
        .merge(ops::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .layer(axum::middleware::from_fn(i18n::remember_lang))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::ensure_csrf,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_upload_bytes,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
