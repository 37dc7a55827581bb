//! A `TestApp`: the real router over a fresh database with the demo loaded, driven in process.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chengguo_store::testing::TestDb;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub app: Router,
    pub db: TestDb,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn location(&self) -> Option<String> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }
}

/// A browser: cookies (session and CSRF) carried between requests.
#[derive(Default, Clone)]
pub struct Browser {
    pub session: Option<String>,
    pub csrf: String,
}

pub const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

impl Browser {
    pub fn new() -> Self {
        Browser {
            session: None,
            csrf: CSRF.to_string(),
        }
    }
    pub fn cookie_header(&self) -> String {
        let mut c = format!("cg_csrf={}", self.csrf);
        if let Some(s) = &self.session {
            c.push_str(&format!("; cg_session={s}"));
        }
        c
    }
}

impl TestApp {
    pub async fn new(db: TestDb) -> TestApp {
        Self::with_config(db, chengguo_web::WebConfig::default()).await
    }

    /// The app with other settings.
    pub async fn with_config(db: TestDb, config: chengguo_web::WebConfig) -> TestApp {
        chengguo_store::demo::load(&db.store).await.unwrap();
        let (search, _) = chengguo_store::SearchService::open(db.store.clone(), None)
            .await
            .unwrap();
        let state =
            chengguo_web::AppState::new(db.store.clone(), config, std::sync::Arc::new(search));
        TestApp {
            app: chengguo_web::app(state),
            db,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// A bearer token for a demo account.
    pub async fn token(&self, username: &str) -> String {
        let u = self
            .db
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap();
        self.db
            .store
            .create_token(&chengguo_core::Actor::system("test"), u.id, "test")
            .await
            .unwrap()
    }

    pub async fn api(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn raw(&self, method: Method, uri: &str, token: Option<&str>, body: Vec<u8>) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/octet-stream");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    pub async fn page(&self, browser: &Browser, uri: &str) -> Resp {
        let req = Request::builder()
            .uri(uri)
            .header(header::COOKIE, browser.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// Posts a urlencoded form (the CSRF field is added unless `csrf` is Some("") to omit it).
    pub async fn form(
        &self,
        browser: &Browser,
        uri: &str,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> Resp {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let token = csrf.unwrap_or(&browser.csrf);
        if !token.is_empty() {
            pairs.push(("csrf".into(), token.to_string()));
        }
        let body = serde_urlencoded::to_string(&pairs).unwrap();
        let req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::COOKIE, browser.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Logs a browser in through the login form.
    pub async fn login(&self, username: &str) -> Browser {
        let mut b = Browser::new();
        let r = self
            .form(
                &b,
                "/login",
                &[
                    ("username", username),
                    ("password", chengguo_store::demo::DEMO_PASSWORD),
                    ("next", "/"),
                ],
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "login of {username}: {}",
            r.text()
        );
        let cookie = r
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("cg_session="))
            .expect("session cookie");
        b.session = Some(
            cookie
                .trim_start_matches("cg_session=")
                .split(';')
                .next()
                .unwrap()
                .to_string(),
        );
        b
    }

    pub async fn org_id(&self, name: &str) -> i64 {
        let page = self
            .db
            .store
            .list_orgs(&chengguo_store::OrgQuery {
                q: Some(name.into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        page.items.into_iter().find(|o| o.name == name).unwrap().id
    }
}

/// A valid credit code that is not in the demo.
pub fn fresh_code(n: usize) -> String {
    chengguo_store::demo::demo_credit_code(chengguo_core::OrgKind::Enterprise, "210106", 9000 + n)
        .to_string()
}

pub const ROLES: [&str; 7] = [
    "bureau",
    "district",
    "unit",
    "enterprise",
    "broker",
    "registrar",
    "public",
];
