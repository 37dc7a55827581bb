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
pub mod cache;
pub mod charts;
pub mod error;
pub mod extract;
pub mod headers;
pub mod i18n;
pub mod imports;
pub mod net;
pub mod ops;
pub mod pages;
pub mod redirect;
pub mod refusals;

use axum::Router;
use chengguo_store::{SearchService, Store};
use std::sync::Arc;

/// Settings the web layer needs (the binary fills them from flags, env and the config file).
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub session_ttl_hours: i64,
    /// A session ends after this long without a request.
    pub session_idle_minutes: i64,
    /// Failed logins of one username from one client address within the window before further
    /// attempts of that username from that address are refused.
    pub login_max_failures: i64,
    /// Failed logins from one client address (any usernames) within the window before every
    /// further attempt from it is refused.
    pub login_max_failures_per_address: i64,
    pub login_window_minutes: i64,
    /// Treat every request as HTTPS (`Secure` cookies, HSTS) even without a trusted proxy saying
    /// so: for a site behind a TLS terminator that is not in `trusted_proxies`.
    pub secure_cookies: bool,
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: net::TrustedProxies,
    /// `/metrics` answers loopback clients, and others that send `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    /// Lifetime of a new API token, in days (also the most a client may ask for).
    pub api_token_days: i64,
    /// What a new password must be like (creation, change, reset).
    pub password_policy: chengguo_core::PasswordPolicy,
    /// Shown on the login page when the demo is loaded.
    pub demo_hint: bool,
    /// Largest accepted upload, in bytes (every request body; `import.max_upload_bytes`).
    pub max_upload_bytes: usize,
    /// What an imported file may hold (rows, columns, cells, XLSX parts); its
    /// `max_file_bytes` is `max_upload_bytes`.
    pub import_limits: chengguo_io::Limits,
    /// Imports (API and upload pages) running at once on this server (`import.concurrency`).
    pub import_concurrency: usize,
    /// How long an import waits for one of those before it is answered 503
    /// (`import.queue_wait_ms`).
    pub import_queue_wait_ms: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session_ttl_hours: 12,
            session_idle_minutes: chengguo_store::DEFAULT_IDLE_MINUTES,
            login_max_failures: 5,
            login_max_failures_per_address: 20,
            login_window_minutes: 15,
            secure_cookies: false,
            trusted_proxies: net::TrustedProxies::default(),
            metrics_token: None,
            api_token_days: chengguo_store::DEFAULT_TOKEN_DAYS,
            password_policy: chengguo_core::PasswordPolicy::default(),
            demo_hint: false,
            max_upload_bytes: 64 * 1024 * 1024,
            import_limits: chengguo_io::Limits::default(),
            import_concurrency: 2,
            import_queue_wait_ms: 2_000,
        }
    }
}

impl WebConfig {
    /// The limits imports apply, with the upload size as the file size.
    pub fn limits(&self) -> chengguo_io::Limits {
        chengguo_io::Limits {
            max_file_bytes: self.max_upload_bytes as u64,
            ..self.import_limits
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
    /// Indicators, scorecards and the rendered dashboard per data version (see `cache`).
    pub figures: Arc<cache::FiguresCache>,
    /// Permits for imports running at once (`WebConfig::import_concurrency`; `imports::gate`).
    pub imports: Arc<tokio::sync::Semaphore>,
    /// Rate limits of the audit entries of refused writes (`refusals`).
    pub refusals: Arc<refusals::Limiter>,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig, search: Arc<SearchService>) -> Self {
        let figures = Arc::new(cache::FiguresCache::default());
        let mut metrics = ops::Metrics::new();
        metrics.register_figures(&figures);
        let imports = Arc::new(tokio::sync::Semaphore::new(
            config.import_concurrency.max(1),
        ));
        Self {
            store,
            config: Arc::new(config),
            metrics: Arc::new(metrics),
            search,
            figures,
            imports,
            refusals: Arc::new(refusals::Limiter::default()),
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
        .fallback(error::fallback)
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::normalize,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refusals::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            imports::gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .layer(axum::middleware::from_fn(i18n::remember_lang))
        .layer(axum::middleware::from_fn(auth::ensure_csrf))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_upload_bytes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::secure,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
