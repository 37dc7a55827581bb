//! Refused writes are audit entries (MLPS level 3, security audit): a request other than
//! GET/HEAD/OPTIONS answered 401 or 403 — API call or page form, including an anonymous form
//! sent back to the login page — appends `refused` on entity `request` (entity id: the path) with
//! the account (or `anonymous`), the method, path, status and client address.
//!
//! An anonymous flood must not grow the audit table without bound, so anonymous refusals are
//! rate-limited per server: at most one entry per client address per minute and at most
//! [`ANON_PER_MINUTE`] anonymous entries per minute in all. Signed-in accounts are known people,
//! but a leaked token could flood too: at most [`ACCOUNT_PER_MINUTE`] entries per account per
//! minute. Refusals over a limit are counted, and the next entry written carries that count as
//! `suppressed`, so nothing goes unaccounted. `POST /login` is not covered here: a failed login
//! is audited by the login itself.

use crate::auth::Viewer;
use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Anonymous refusal entries per minute, per server, over all client addresses.
pub const ANON_PER_MINUTE: u32 = 10;
/// Refusal entries per minute for one signed-in account, per server.
pub const ACCOUNT_PER_MINUTE: u32 = 30;
const WINDOW: Duration = Duration::from_secs(60);

/// Marks a refusal that is not a 401/403: an anonymous page form redirected to the login.
#[derive(Debug, Clone, Copy)]
pub struct LoginRequired;

/// Who may get an entry in the current minute (fixed one-minute windows).
#[derive(Debug)]
pub struct Limiter {
    state: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    start: Instant,
    anon_written: u32,
    anon_addrs: HashSet<String>,
    accounts: HashMap<String, u32>,
    /// Refusals not written since the last entry, carried by the next one.
    suppressed: u64,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            state: Mutex::new(Window {
                start: Instant::now(),
                anon_written: 0,
                anon_addrs: HashSet::new(),
                accounts: HashMap::new(),
                suppressed: 0,
            }),
        }
    }
}

impl Limiter {
    /// `Some(suppressed)` when this refusal is to be written (with the count of refusals not
    /// written before it), `None` when it is only counted.
    pub fn admit(&self, account: Option<&str>, client: &str, now: Instant) -> Option<u64> {
        let mut w = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if now.duration_since(w.start) >= WINDOW {
            w.start = now;
            w.anon_written = 0;
            w.anon_addrs.clear();
            w.accounts.clear();
        }
        let ok = match account {
            Some(name) => {
                // Bounded by the number of accounts, which the bureau creates.
                let n = w.accounts.entry(name.to_string()).or_insert(0);
                *n += 1;
                *n <= ACCOUNT_PER_MINUTE
            }
            None => {
                if w.anon_written < ANON_PER_MINUTE && !w.anon_addrs.contains(client) {
                    w.anon_written += 1;
                    w.anon_addrs.insert(client.to_string());
                    true
                } else {
                    false
                }
            }
        };
        if ok {
            Some(std::mem::take(&mut w.suppressed))
        } else {
            w.suppressed += 1;
            None
        }
    }
}

fn is_write(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware: passes the request on, and audits the answer when it refuses a write.
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_write(req.method()) || req.uri().path() == "/login" {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let client = crate::net::Client::of(&parts).addr();
    let method = parts.method.clone();
    let uri = parts.uri.clone();
    let headers = parts.headers.clone();
    let resp = next.run(Request::from_parts(parts, body)).await;
    let status = resp.status();
    let refused = status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
        || resp.extensions().get::<LoginRequired>().is_some();
    if !refused {
        return resp;
    }
    // Who asked: the account of the session or token, if it is a valid one.
    let mut probe = axum::http::Request::new(());
    *probe.uri_mut() = uri.clone();
    *probe.headers_mut() = headers;
    let (mut probe, ()) = probe.into_parts();
    let (account, credentials) = match Viewer::from_request_parts(&mut probe, &state).await {
        Ok(Viewer { user: Some(u), via }) => (
            Some(u.username),
            match via {
                Some(crate::auth::Via::Bearer) => "bearer",
                _ => "session",
            },
        ),
        Ok(_) => (None, "none"),
        Err(_) => (None, "invalid_token"),
    };
    let Some(suppressed) = state
        .refusals
        .admit(account.as_deref(), &client, Instant::now())
    else {
        return resp;
    };
    let path: String = uri.path().chars().take(200).collect();
    let mut change = serde_json::json!({
        "method": method.as_str(),
        "path": path,
        "status": status.as_u16(),
        "client": client,
        "credentials": credentials,
    });
    if suppressed > 0 {
        change["suppressed"] = serde_json::json!(suppressed);
    }
    let actor = account.as_deref().unwrap_or("anonymous");
    if let Err(e) = state
        .store
        .audit_event(actor, "refused", "request", &path, &change)
        .await
    {
        tracing::error!(error = %e, "could not audit a refused write");
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_refusals_are_limited_per_address_and_in_all() {
        let l = Limiter::default();
        let t = Instant::now();
        assert_eq!(l.admit(None, "10.0.0.1", t), Some(0));
        // The same address again within the minute: counted, not written.
        assert_eq!(l.admit(None, "10.0.0.1", t), None);
        assert_eq!(l.admit(None, "10.0.0.1", t), None);
        // Other addresses until the minute's cap.
        for i in 2..=ANON_PER_MINUTE {
            let got = l.admit(None, &format!("10.0.0.{i}"), t);
            assert_eq!(got, Some(if i == 2 { 2 } else { 0 }));
        }
        assert_eq!(l.admit(None, "10.0.1.1", t), None);
        // An account is not held back by the anonymous flood; it carries the count.
        assert_eq!(l.admit(Some("unit1"), "10.0.0.1", t), Some(1));
        // The next minute starts afresh.
        let later = t + WINDOW;
        assert_eq!(l.admit(None, "10.0.0.1", later), Some(0));
    }

    #[test]
    fn an_account_is_limited_per_minute() {
        let l = Limiter::default();
        let t = Instant::now();
        for _ in 0..ACCOUNT_PER_MINUTE {
            assert!(l.admit(Some("a"), "x", t).is_some());
        }
        assert_eq!(l.admit(Some("a"), "x", t), None);
        assert_eq!(l.admit(Some("b"), "x", t), Some(1));
    }
}
