//! Security headers on every response (MLPS level 3, intrusion prevention), and the decision of
//! who the client is ([`crate::net::Client`]) made once per request before anything else runs.
//!
//! The Content-Security-Policy allows scripts only from this site's own files (`/static/app.js`;
//! no template has inline script or event handler attributes), no framing (`frame-ancestors
//! 'none'`, and `X-Frame-Options: DENY` for older browsers), forms posting only here. Styles allow
//! `'unsafe-inline'` for the `style=` attributes of bars whose width is data and of the SVG charts;
//! styles cannot run script. HSTS is sent when the request is HTTPS (see [`crate::net`]) or the
//! `secure_cookies` setting says the site is served over HTTPS.

use crate::net::Client;
use crate::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

const FIXED: &[(HeaderName, &str)] = &[
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// Decides the client (address, HTTPS), keeps it in the request, and adds the security headers
/// to whatever answers (pages, API, errors, static files, framework rejections).
pub async fn secure(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let mut client = Client::decide(peer, req.headers(), &state.config.trusted_proxies, false);
    client.https |= state.config.secure_cookies;
    let https = client.https;
    req.extensions_mut().insert(client);
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    for (name, value) in FIXED {
        h.entry(name.clone())
            .or_insert(HeaderValue::from_static(value));
    }
    h.entry(HeaderName::from_static("cross-origin-opener-policy"))
        .or_insert(HeaderValue::from_static("same-origin"));
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    resp
}
