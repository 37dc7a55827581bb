//! Issue #11, identity authentication and intrusion prevention: redirect targets, the client
//! address behind trusted proxies, login throttling (atomic, per username and address, per
//! address), the password policy, password change and reset, disabled accounts, idle sessions,
//! API token expiry and revocation, security headers and `/metrics`. Both databases.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use chengguo_store::testing::TestDb;
use chengguo_store::{storage_test, AuditFilter, AuditRow};
use chengguo_web::WebConfig;
use common::{Browser, Resp, TestApp, CSRF};
use serde_json::json;
use std::net::SocketAddr;

const GOOD_PASSWORD: &str = "Chengguo-2026";

/// A request as if it came over a socket from `ip`.
fn from_peer(mut req: Request<Body>, ip: &str) -> Request<Body> {
    let addr: SocketAddr = if ip.contains(':') {
        format!("[{ip}]:40000")
    } else {
        format!("{ip}:40000")
    }
    .parse()
    .unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

fn login_request(username: &str, password: &str, next: &str) -> Request<Body> {
    let body = serde_urlencoded::to_string([
        ("username", username),
        ("password", password),
        ("next", next),
        ("csrf", CSRF),
    ])
    .unwrap();
    Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::COOKIE, format!("cg_csrf={CSRF}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

async fn login_from(app: &TestApp, username: &str, password: &str, ip: &str) -> Resp {
    app.send(from_peer(login_request(username, password, "/"), ip))
        .await
}

fn session_of(r: &Resp) -> Browser {
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("cg_session="))
        .expect("session cookie");
    let mut b = Browser::new();
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

async fn audit(app: &TestApp, action: &str) -> Vec<AuditRow> {
    app.db
        .store
        .audit_list(&AuditFilter {
            action: Some(action.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

// ---------------------------------------------------------------------------------------------
// Redirects

async fn redirect_targets_stay_on_this_site(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    // The login form's `next`: a tab, a new line, CR LF, backslashes, double slashes, encoded or
    // not, all go home; none answers 500.
    for next in [
        "/\t/evil.example/",
        "/%09/evil.example/",
        "/a\nb",
        "/a\r\nSet-Cookie: x=1",
        "/%0d%0aSet-Cookie:%20x=1",
        "//evil.example",
        "/\\evil.example",
        "/%2F/evil.example",
        "https://evil.example/",
    ] {
        let r = app
            .send(login_request(
                "bureau",
                chengguo_store::demo::DEMO_PASSWORD,
                next,
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}: {}", r.text());
        assert_eq!(r.location().as_deref(), Some("/"), "{next:?}");
    }
    let b = app.login("bureau").await;
    for q in [
        "/%09/evil.example/",
        "%0a",
        "%0d%0a",
        "/%0d%0aX:%20y",
        "/ok%0a",
    ] {
        let r = app.page(&b, &format!("/login?next={q}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{q}");
        assert_eq!(r.location().as_deref(), Some("/"), "{q}");
    }
    // A local target survives, percent-encoded where a header needs it.
    let r = app.page(&b, "/login?next=/audit%3Fq%3D%E6%9C%BA").await;
    assert_eq!(r.location().as_deref(), Some("/audit?q=%E6%9C%BA"));
    // Signed out, the login page carries only a safe `next`.
    let r = app
        .page(&Browser::new(), "/login?next=/%09/evil.example/")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    let hidden = html
        .split("name=\"next\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(!hidden.contains("evil"), "{hidden}");

    // The match-decision form's `next`.
    let ent = app.login("enterprise").await;
    for next in [
        "/%09/evil.example/",
        "/achievements/\r\nX: y",
        "//evil.example",
    ] {
        let r = app
            .form(
                &ent,
                "/matches/decisions",
                &[
                    ("achievement_id", "1"),
                    ("demand_id", "1"),
                    ("decision", "declined"),
                    ("reason", ""),
                    ("next", next),
                ],
                None,
            )
            .await;
        assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{next:?}");
        if let Some(l) = r.location() {
            assert!(l.starts_with('/') && !l.starts_with("//"), "{next:?} → {l}");
            assert!(!l.contains("evil"), "{next:?} → {l}");
        }
    }
    // The achievement actions' `next`.
    let unit = app.login("unit").await;
    let r = app
        .form(
            &unit,
            "/achievements/1/actions/submit",
            &[("next", "/achievements\r\nX: y")],
            None,
        )
        .await;
    assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(l) = r.location() {
        assert!(!l.contains('\n') && !l.contains("X:"), "{l}");
    }
}
storage_test!(redirect_targets_stay_on_this_site);

// ---------------------------------------------------------------------------------------------
// Login throttling and the client address

async fn parallel_wrong_passwords_are_counted_atomically(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let router = app.app.clone();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let req = from_peer(
                login_request("bureau", &format!("wrong password {i}"), "/"),
                "203.0.113.7",
            );
            router.oneshot(req).await.unwrap().status()
        }));
    }
    let mut evaluated = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(evaluated + refused, 20);
    assert!(
        evaluated <= 5,
        "{evaluated} of 20 parallel attempts were evaluated"
    );
    assert_eq!(evaluated, 5, "the first five are evaluated");
    // Each evaluated failure is an audit entry with the address; one lockout.
    let failed = audit(&app, "login_failed").await;
    assert_eq!(failed.len(), evaluated);
    assert!(failed
        .iter()
        .all(|e| e.change["ip"] == "203.0.113.7" && e.change["username"] == "bureau"));
    let locks: Vec<_> = audit(&app, "lockout")
        .await
        .into_iter()
        .filter(|e| e.change["scope"] == "account_at_address")
        .collect();
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0].change["ip"], "203.0.113.7");
    // The right password from the attacker's address is refused too now.
    let r = login_from(
        &app,
        "bureau",
        chengguo_store::demo::DEMO_PASSWORD,
        "203.0.113.7",
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}
storage_test!(parallel_wrong_passwords_are_counted_atomically);

async fn a_stranger_cannot_lock_the_bureau_out(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let attacker = "203.0.113.66";
    for _ in 0..5 {
        let r = login_from(&app, "bureau", "guess", attacker).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_from(&app, "bureau", "guess", attacker).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The bureau, from its own office, still logs in; the success is audited with its address.
    let r = login_from(
        &app,
        "bureau",
        chengguo_store::demo::DEMO_PASSWORD,
        "198.51.100.20",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let logins = audit(&app, "login").await;
    assert!(logins
        .iter()
        .any(|e| e.change["ip"] == "198.51.100.20" && e.change["username"] == "bureau"));

    // Spraying many usernames from one address throttles the address (20 attempts in all by
    // default; six are spent above).
    for i in 0..14 {
        let r = login_from(&app, &format!("nobody{i}"), "guess", attacker).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = login_from(&app, "unit", chengguo_store::demo::DEMO_PASSWORD, attacker).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let locks = audit(&app, "lockout").await;
    assert!(locks
        .iter()
        .any(|e| e.change["scope"] == "address" && e.change["ip"] == attacker));
    // Another address is not affected.
    let r = login_from(
        &app,
        "unit",
        chengguo_store::demo::DEMO_PASSWORD,
        "198.51.100.21",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
storage_test!(a_stranger_cannot_lock_the_bureau_out);

async fn forwarded_for_only_from_trusted_proxies(db: &TestDb) {
    let config = WebConfig {
        trusted_proxies: chengguo_web::net::TrustedProxies::parse(&["127.0.0.1"]).unwrap(),
        ..Default::default()
    };
    let app = TestApp::with_config(db.clone_for_test(), config).await;
    let mut req = login_request("unit", "wrong", "/");
    req.headers_mut()
        .insert("x-forwarded-for", "6.6.6.6, 192.0.2.44".parse().unwrap());
    let r = app.send(from_peer(req, "127.0.0.1")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let mut req = login_request("unit", "wrong", "/");
    req.headers_mut()
        .insert("x-forwarded-for", "192.0.2.99".parse().unwrap());
    let r = app.send(from_peer(req, "198.51.100.3")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let ips: Vec<String> = audit(&app, "login_failed")
        .await
        .iter()
        .map(|e| e.change["ip"].as_str().unwrap().to_string())
        .collect();
    assert!(ips.contains(&"192.0.2.44".to_string()), "{ips:?}");
    assert!(ips.contains(&"198.51.100.3".to_string()), "{ips:?}");
    assert!(
        !ips.iter().any(|i| i == "192.0.2.99" || i == "6.6.6.6"),
        "{ips:?}"
    );
}
storage_test!(forwarded_for_only_from_trusted_proxies);

// ---------------------------------------------------------------------------------------------
// Headers, cookies, /metrics

async fn security_headers_on_every_response(db: &TestDb) {
    let config = WebConfig {
        trusted_proxies: chengguo_web::net::TrustedProxies::parse(&["10.0.0.0/8"]).unwrap(),
        ..Default::default()
    };
    let app = TestApp::with_config(db.clone_for_test(), config).await;
    let anon = Browser::new();
    for uri in [
        "/",
        "/login",
        "/dashboard",
        "/static/app.js",
        "/api/v1/me",
        "/api/v1/organizations/not-a-number",
        "/no/such/page",
        "/healthz",
    ] {
        let r = app.page(&anon, uri).await;
        let h = |n: &str| {
            r.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let csp = h("content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{uri}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{uri}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}");
        assert_eq!(h("x-frame-options"), "DENY", "{uri}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{uri}");
        assert!(!h("referrer-policy").is_empty(), "{uri}");
        assert!(
            h("strict-transport-security").is_empty(),
            "plain HTTP: {uri}"
        );
    }
    // No page carries inline script.
    for uri in [
        "/",
        "/login",
        "/dashboard",
        "/achievements",
        "/organizations",
    ] {
        let html = app.page(&anon, uri).await.text();
        assert!(!html.contains("<script>"), "{uri}");
        assert!(!html.contains(" onclick="), "{uri}");
    }
    // Behind a trusted proxy that says HTTPS: HSTS and Secure cookies.
    let via_proxy = |proto: &str, peer: &str| {
        let mut req = login_request("bureau", chengguo_store::demo::DEMO_PASSWORD, "/");
        req.headers_mut()
            .insert("x-forwarded-proto", proto.parse().unwrap());
        req.headers_mut()
            .insert("x-forwarded-for", "192.0.2.10".parse().unwrap());
        from_peer(req, peer)
    };
    let r = app.send(via_proxy("https", "10.0.0.2")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.headers.get("strict-transport-security").is_some());
    let c = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("cg_session="))
        .unwrap();
    assert!(c.contains("; Secure"), "{c}");
    // A client that only claims HTTPS gets neither.
    let r = app.send(via_proxy("https", "198.51.100.8")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.headers.get("strict-transport-security").is_none());
    let c = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("cg_session="))
        .unwrap();
    assert!(!c.contains("Secure"), "{c}");
    // The force-on switch still works.
    let forced = TestApp::with_config(
        db.clone_for_test(),
        WebConfig {
            secure_cookies: true,
            ..Default::default()
        },
    )
    .await;
    let r = forced
        .send(Request::builder().uri("/").body(Body::empty()).unwrap())
        .await;
    assert!(r.headers.get("strict-transport-security").is_some());
    let cookies = r.set_cookies();
    assert!(
        cookies.iter().any(|c| c.starts_with("cg_csrf=")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
}
storage_test!(security_headers_on_every_response);

async fn metrics_only_from_this_machine_or_with_the_token(db: &TestDb) {
    let config = WebConfig {
        trusted_proxies: chengguo_web::net::TrustedProxies::parse(&["127.0.0.1"]).unwrap(),
        metrics_token: Some("metrics-secret".into()),
        ..Default::default()
    };
    let app = TestApp::with_config(db.clone_for_test(), config).await;
    let get = |peer: &str, auth: Option<&str>, xff: Option<&str>| {
        let mut b = Request::builder().uri("/metrics");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        if let Some(x) = xff {
            b = b.header("x-forwarded-for", x);
        }
        from_peer(b.body(Body::empty()).unwrap(), peer)
    };
    let r = app.send(get("127.0.0.1", None, None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("chengguo_http_requests"));
    assert_eq!(
        app.send(get("::1", None, None)).await.status,
        StatusCode::OK
    );
    let r = app.send(get("203.0.113.4", None, None)).await;
    // Outside /api the refusal is the styled error page (error::normalize).
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.text().contains("chengguo_http_requests"));
    assert_eq!(
        app.send(get("203.0.113.4", Some("Bearer wrong"), None))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(get("203.0.113.4", Some("Bearer metrics-secret"), None))
            .await
            .status,
        StatusCode::OK
    );
    // Forwarded by the local proxy for an outside client: not this machine.
    assert_eq!(
        app.send(get("127.0.0.1", None, Some("203.0.113.4")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Without a socket (no address), refused too.
    assert_eq!(
        app.page(&Browser::new(), "/metrics").await.status,
        StatusCode::FORBIDDEN
    );
}
storage_test!(metrics_only_from_this_machine_or_with_the_token);

// ---------------------------------------------------------------------------------------------
// Passwords and accounts

async fn the_password_policy_applies_to_create_change_and_reset(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let create =
        |pw: &str, name: &str| json!({"username": name, "password": pw, "roles": ["public"]});
    for (pw, why) in [
        ("        ", "eight spaces"),
        ("short1A", "seven characters"),
        ("chengguo-demo", "two classes"),
        ("alllowercase", "one class"),
        ("Newuser1", "the username"),
    ] {
        let r = app
            .api(
                Method::POST,
                "/api/v1/users",
                Some(&bureau),
                Some(create(pw, "newuser1")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert_eq!(r.json()["fields"][0]["field"], "password", "{why}");
    }
    let r = app
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&bureau),
            Some(create(GOOD_PASSWORD, "newuser1")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let new_id = r.json()["id"].as_i64().unwrap();
    // The page refuses too, in Chinese.
    let b = app.login("bureau").await;
    let r = app
        .form(
            &b,
            "/users",
            &[
                ("username", "spaces"),
                ("password", "        "),
                ("roles", "public"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("密码不能全为空白字符"), "{}", r.text());

    // A change by the holder needs the current password and obeys the policy; other sessions end.
    let other = session_of(&login_from(&app, "newuser1", GOOD_PASSWORD, "192.0.2.1").await);
    let me = session_of(&login_from(&app, "newuser1", GOOD_PASSWORD, "192.0.2.2").await);
    let r = app
        .form(
            &me,
            "/account/password",
            &[
                ("current_password", "nope"),
                ("new_password", "Better-2027"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .form(
            &me,
            "/account/password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", "        "),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .form(
            &me,
            "/account/password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", "Better-2027"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(app.page(&me, "/account").await.status, StatusCode::OK);
    let r = app.page(&other, "/account").await;
    assert!(
        r.location().unwrap_or_default().starts_with("/login"),
        "the other session ended"
    );
    assert_eq!(
        login_from(&app, "newuser1", GOOD_PASSWORD, "192.0.2.3")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_from(&app, "newuser1", "Better-2027", "192.0.2.3")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // The API: change with a token.
    let tok = app.token("newuser1").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/me/password",
            Some(&tok),
            Some(json!({"current_password": "Better-2027", "new_password": "lowercase only"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "new_password");
    let r = app
        .api(
            Method::POST,
            "/api/v1/me/password",
            Some(&tok),
            Some(json!({"current_password": "Better-2027", "new_password": "Best-2028x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());

    // A reset by the bureau obeys the policy and ends the account's sessions.
    let s = session_of(&login_from(&app, "newuser1", "Best-2028x", "192.0.2.4").await);
    let url = format!("/api/v1/users/{new_id}/password");
    let r = app
        .api(
            Method::POST,
            &url,
            Some(&bureau),
            Some(json!({"password": "weakweak"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api(
            Method::POST,
            &url,
            Some(&bureau),
            Some(json!({"password": "Reset-2029"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(app
        .page(&s, "/account")
        .await
        .location()
        .unwrap_or_default()
        .starts_with("/login"));
    // …and through the page.
    let r = app
        .form(
            &b,
            &format!("/users/{new_id}/password"),
            &[("password", "abc")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .form(
            &b,
            &format!("/users/{new_id}/password"),
            &[("password", "Page-Reset-1")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        login_from(&app, "newuser1", "Page-Reset-1", "192.0.2.5")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Audited: creation, the holder's changes, the bureau's resets.
    assert_eq!(audit(&app, "password_change").await.len(), 2);
    assert_eq!(audit(&app, "password_reset").await.len(), 2);
    assert!(audit(&app, "create")
        .await
        .iter()
        .any(|e| e.entry.entity == "user" && e.entry.entity_id == new_id.to_string()));
}
storage_test!(the_password_policy_applies_to_create_change_and_reset);

async fn disabled_accounts_and_idle_sessions_end(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let unit_id = app
        .db
        .store
        .user_by_username("unit")
        .await
        .unwrap()
        .unwrap()
        .id;
    let unit_browser = app.login("unit").await;
    let unit_token = app.token("unit").await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&unit_token), None)
            .await
            .status,
        StatusCode::OK
    );
    let url = format!("/api/v1/users/{unit_id}");
    let r = app
        .api(
            Method::PATCH,
            &url,
            Some(&bureau),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["disabled"], true);
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&unit_token), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = app.page(&unit_browser, "/account").await;
    assert!(r.location().unwrap_or_default().starts_with("/login"));
    assert_eq!(
        login_from(
            &app,
            "unit",
            chengguo_store::demo::DEMO_PASSWORD,
            "192.0.2.1"
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    // The bureau cannot disable itself.
    let bureau_id = app
        .db
        .store
        .user_by_username("bureau")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{bureau_id}"),
            Some(&bureau),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Enabled again through the page.
    let b = app.login("bureau").await;
    let r = app
        .form(&b, &format!("/users/{unit_id}/enable"), &[], None)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        login_from(
            &app,
            "unit",
            chengguo_store::demo::DEMO_PASSWORD,
            "192.0.2.1"
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    // A role change through the API.
    let r = app
        .api(
            Method::PATCH,
            &url,
            Some(&bureau),
            Some(json!({"roles": ["unit", "broker"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut roles: Vec<String> = r.json()["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    roles.sort();
    assert_eq!(roles, ["broker", "unit"]);
    let ch = audit(&app, "change_roles").await;
    assert_eq!(ch.len(), 1);
    assert_eq!(ch[0].change["before"], json!(["unit"]));
    assert_eq!(audit(&app, "disable").await.len(), 1);
    assert_eq!(audit(&app, "enable").await.len(), 1);
    // A unit cannot manage accounts.
    let unit_token = app.token("unit").await;
    assert_eq!(
        app.api(
            Method::PATCH,
            &url,
            Some(&unit_token),
            Some(json!({"disabled": true}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Idle sessions end: 31 idle minutes with the default 30.
    let s = app.login("district").await;
    assert_eq!(app.page(&s, "/account").await.status, StatusCode::OK);
    app.db
        .store
        .age_session(s.session.as_deref().unwrap(), 31 * 60)
        .await
        .unwrap();
    let r = app.page(&s, "/account").await;
    assert!(
        r.location().unwrap_or_default().starts_with("/login"),
        "idle session ended"
    );
    // A session used within the timeout lives on.
    let s = app.login("district").await;
    app.db
        .store
        .age_session(s.session.as_deref().unwrap(), 29 * 60)
        .await
        .unwrap();
    assert_eq!(app.page(&s, "/account").await.status, StatusCode::OK);
}
storage_test!(disabled_accounts_and_idle_sessions_end);

async fn api_tokens_expire_and_can_be_revoked(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let unit = app.token("unit").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/me/tokens",
            Some(&unit),
            Some(json!({"name": "macro"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let t = r.json();
    let token = t["token"].as_str().unwrap().to_string();
    let id = t["id"].as_i64().unwrap();
    // 90 days by default; more is refused.
    let exp = t["expires_at"].as_str().unwrap().to_string();
    let in_89 = (time::OffsetDateTime::now_utc() + time::Duration::days(89))
        .date()
        .to_string();
    let in_91 = (time::OffsetDateTime::now_utc() + time::Duration::days(91))
        .date()
        .to_string();
    assert!(
        exp.as_str() > in_89.as_str() && exp.as_str() < in_91.as_str(),
        "{exp}"
    );
    let r = app
        .api(
            Method::POST,
            "/api/v1/me/tokens",
            Some(&unit),
            Some(json!({"expires_in_days": 365})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Used: last use recorded; listed with the owner's others.
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&token), None)
            .await
            .status,
        StatusCode::OK
    );
    let list = app
        .api(Method::GET, "/api/v1/me/tokens", Some(&unit), None)
        .await
        .json();
    let mine = list.as_array().unwrap();
    assert!(mine.iter().all(|x| x["username"] == "unit"));
    let row = mine.iter().find(|x| x["id"] == id).unwrap();
    assert!(row["last_used_at"].is_string(), "{row}");
    assert_eq!(row["active"], true);
    assert!(row.get("token").is_none());
    // Another account cannot revoke it, nor list others'.
    let ent = app.token("enterprise").await;
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{id}"),
            Some(&ent),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.api(Method::GET, "/api/v1/tokens", Some(&ent), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The owner revokes it: 401 from then on.
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{id}"),
            Some(&unit),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["active"], false);
    let r = app.api(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], "unauthorized");
    // An expired token is 401.
    let (t2, info) = app
        .db
        .store
        .create_token_expiring(
            &chengguo_core::Actor::system("test"),
            info_user(&app, "unit").await,
            "t2",
            5,
        )
        .await
        .unwrap();
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&t2), None)
            .await
            .status,
        StatusCode::OK
    );
    app.db.store.expire_token(info.id).await.unwrap();
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&t2), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // The bureau lists all tokens and revokes any, through the API and the page.
    let bureau = app.token("bureau").await;
    let all = app
        .api(Method::GET, "/api/v1/tokens", Some(&bureau), None)
        .await
        .json();
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["username"] == "enterprise"));
    let ent_id = all
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["username"] == "enterprise")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let b = app.login("bureau").await;
    let page = app.page(&b, "/users").await.text();
    assert!(page.contains(&format!("/users/tokens/{ent_id}/revoke")));
    let r = app
        .form(&b, &format!("/users/tokens/{ent_id}/revoke"), &[], None)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&ent), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Own tokens on the account page: create (shown once) and revoke.
    let u = app.login("unit").await;
    let r = app
        .form(&u, "/account/tokens", &[("name", "sheet")], None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.text().contains("cg_"));
    // Audited.
    let created = audit(&app, "create").await;
    assert!(
        created
            .iter()
            .filter(|e| e.entry.entity == "api_token")
            .count()
            >= 5
    );
    let revoked = audit(&app, "revoke").await;
    assert_eq!(revoked.len(), 2);
    assert!(revoked.iter().all(|e| e.entry.entity == "api_token"));
}
storage_test!(api_tokens_expire_and_can_be_revoked);

async fn info_user(app: &TestApp, name: &str) -> i64 {
    app.db
        .store
        .user_by_username(name)
        .await
        .unwrap()
        .unwrap()
        .id
}
