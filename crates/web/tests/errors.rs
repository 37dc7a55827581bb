//! Errors are always well-formed (issue #11, finding 10 and "What to build" 8 and 9): the JSON
//! error body under `/api` for every rejection, styled error pages elsewhere, every error status
//! in the OpenAPI document, refused writes in the audit log, the audit log filtered and exported
//! by the bureau only.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::{Browser, Resp, TestApp};
use serde_json::{json, Value};
use std::net::SocketAddr;

/// The error body: JSON, a known stable code, a message, and none of `secret` anywhere.
fn assert_error(r: &Resp, status: StatusCode, code: &str, secret: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    let ct = r
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(ct.starts_with("application/json"), "{ct}: {}", r.text());
    let body = r.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    if !secret.is_empty() {
        assert!(!r.text().contains(secret), "echoes the input: {}", r.text());
    }
    body
}

fn request(method: Method, uri: &str, content_type: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// The app with a 4 KiB body limit, to reach the limit without sending 64 MiB.
async fn small_limit_app(app: &TestApp) -> axum::Router {
    let (search, _) = chengguo_store::SearchService::open(app.db.store.clone(), None)
        .await
        .unwrap();
    chengguo_web::app(chengguo_web::AppState::new(
        app.db.store.clone(),
        chengguo_web::WebConfig {
            max_upload_bytes: 4096,
            ..Default::default()
        },
        std::sync::Arc::new(search),
    ))
}

async fn send_to(router: &axum::Router, req: Request<Body>) -> Resp {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = router.clone().oneshot(req).await.unwrap();
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

async fn api_rejections_are_the_json_error_body(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let secret = "zq7secret";

    // A path parameter that does not parse names the parameter, not the value.
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/organizations/{secret}"),
            None,
            None,
        )
        .await;
    let b = assert_error(&r, StatusCode::BAD_REQUEST, "bad_request", secret);
    assert!(b["message"].as_str().unwrap().contains("`id`"), "{b}");

    // A query string that does not parse.
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/organizations?limit={secret}"),
            None,
            None,
        )
        .await;
    let b = assert_error(&r, StatusCode::BAD_REQUEST, "bad_request", secret);
    assert_eq!(b["fields"][0]["field"], "limit", "{b}");
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements?include_stale={secret}"),
            None,
            None,
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request", secret);

    // Wrong content type, broken JSON, a JSON value of the wrong type, a body that is no object.
    let mut req = request(
        Method::POST,
        "/api/v1/organizations",
        Some("text/plain"),
        secret,
    );
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {bureau}").parse().unwrap(),
    );
    assert_error(
        &app.send(req).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        secret,
    );
    let mut req = request(
        Method::POST,
        "/api/v1/organizations",
        Some("application/json"),
        &format!("{{\"name\": \"{secret}"),
    );
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {bureau}").parse().unwrap(),
    );
    let r = app.send(req).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request", secret);
    let r = app
        .api(
            Method::POST,
            "/api/v1/organizations",
            Some(&bureau),
            Some(json!({"name": {"zq7secret": 1}})),
        )
        .await;
    let b = assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        secret,
    );
    assert_eq!(b["fields"][0]["field"], "name", "{b}");
    let r = app
        .api(
            Method::PATCH,
            "/api/v1/achievements/1",
            Some(&bureau),
            Some(json!([secret])),
        )
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        secret,
    );

    // A method the route does not have keeps its Allow header.
    let r = app
        .api(Method::DELETE, "/api/v1/organizations", Some(&bureau), None)
        .await;
    assert_error(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "");
    assert!(r.headers.get(header::ALLOW).is_some());

    // An unknown route.
    let r = app
        .api(Method::GET, &format!("/api/v1/{secret}"), None, None)
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found", secret);

    // A body over the limit: a JSON body and a raw import body.
    let small = small_limit_app(&app).await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(10_000));
    let mut req = request(
        Method::POST,
        "/api/v1/organizations",
        Some("application/json"),
        &big,
    );
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {bureau}").parse().unwrap(),
    );
    assert_error(
        &send_to(&small, req).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "",
    );
    let mut req = request(
        Method::POST,
        "/api/v1/organizations/import?format=csv",
        Some("text/csv"),
        &"a,b\n".repeat(5_000),
    );
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {bureau}").parse().unwrap(),
    );
    assert_error(
        &send_to(&small, req).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "",
    );
}
storage_test!(api_rejections_are_the_json_error_body);

/// A styled page: the site's layout with its navigation, in one language.
fn assert_page(r: &Resp, status: StatusCode, zh_title: &str, en: bool) {
    assert_eq!(r.status, status, "{}", r.text());
    let ct = r
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(ct.starts_with("text/html"), "{ct}");
    let html = r.text();
    assert!(html.contains("class=\"mainnav\""), "no navigation: {html}");
    assert!(html.contains("/static/app.css"), "not styled: {html}");
    if en {
        assert!(
            !html.contains(zh_title),
            "Chinese on an English page: {html}"
        );
        assert!(html.contains("<html lang=\"en\""), "{html}");
    } else {
        assert!(html.contains(zh_title), "{html}");
    }
}

/// The error panel of a page (the language switch links back to the page's own URL).
fn message_of(r: &Resp) -> String {
    let html = r.text();
    let start = html
        .find("<section class=\"panel empty\">")
        .expect("error panel");
    let end = html[start..].find("</section>").unwrap() + start;
    html[start..end].to_string()
}

async fn pages_answer_styled_error_pages(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let anon = Browser::new();
    let secret = "zq7secret";

    // An unknown URL: the 404 page, not an empty body.
    let r = app.page(&anon, &format!("/{secret}")).await;
    assert_page(&r, StatusCode::NOT_FOUND, "未找到", false);
    assert!(!message_of(&r).contains(secret), "{}", r.text());
    let r = app.page(&anon, &format!("/{secret}?lang=en")).await;
    assert_page(&r, StatusCode::NOT_FOUND, "未找到", true);
    assert!(r.text().contains("Not found"));

    // A path parameter that does not parse.
    let r = app.page(&anon, &format!("/organizations/{secret}")).await;
    assert_page(&r, StatusCode::BAD_REQUEST, "请求有误", false);
    assert!(!message_of(&r).contains(secret), "{}", r.text());

    // A page of another role: 403 with the navigation of the signed-in account.
    let unit = app.login("unit").await;
    let r = app.page(&unit, "/audit").await;
    assert_page(&r, StatusCode::FORBIDDEN, "无权访问", false);
    assert!(
        r.text().contains("退出") || r.text().contains("logout"),
        "not signed in?"
    );
    let r = app.page(&unit, "/audit?lang=en").await;
    assert_page(&r, StatusCode::FORBIDDEN, "无权访问", true);
    assert!(!r.text().contains("bureau,"), "role codes on the page");

    // A form without its CSRF token.
    let r = app
        .form(&unit, "/organizations/new", &[("name", secret)], Some(""))
        .await;
    assert_page(&r, StatusCode::FORBIDDEN, "无权访问", false);

    // A method the page does not take.
    let req = Request::builder()
        .method(Method::DELETE)
        .uri("/organizations")
        .body(Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_page(&r, StatusCode::METHOD_NOT_ALLOWED, "不支持的操作", false);

    // A form over the body limit.
    let small = small_limit_app(&app).await;
    let bureau = app.login("bureau").await;
    let body = format!("csrf={}&name={}", bureau.csrf, "x".repeat(10_000));
    let req = Request::builder()
        .method(Method::POST)
        .uri("/organizations/new")
        .header(header::COOKIE, bureau.cookie_header())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let r = send_to(&small, req).await;
    assert_page(&r, StatusCode::PAYLOAD_TOO_LARGE, "内容过大", false);
}
storage_test!(pages_answer_styled_error_pages);

#[test]
fn openapi_documents_every_error_status() {
    let doc = serde_json::to_value(chengguo_web::api::openapi()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let has = |code: &str| responses.contains_key(code);
            let params = op["parameters"].as_array().map(Vec::len).unwrap_or(0) > 0;
            let body = op.get("requestBody").is_some();
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            assert!(has("500"), "{method} {path}");
            if params || body {
                assert!(has("400") && has("422"), "{method} {path}");
            }
            if secured {
                assert!(has("401") && has("403"), "{method} {path}");
            }
            if path.contains('{') {
                assert!(has("404"), "{method} {path}");
            }
            if method != "get" {
                assert!(has("409"), "{method} {path}");
            }
            if body {
                assert!(has("413"), "{method} {path}");
            }
            for (code, r) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    let schema = r["content"]["application/json"]["schema"].to_string();
                    assert!(
                        schema.contains("ErrorBody"),
                        "{method} {path} {code}: {schema}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} operations");
}

/// Every `$ref` in the document names a schema it defines (a parameter enum derived `ToSchema`
/// but not inlined or registered left `AuditFormat` dangling, which validators refuse).
#[test]
fn openapi_refs_resolve() {
    fn walk(v: &Value, doc: &Value, seen: &mut usize) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    let ptr = r
                        .strip_prefix('#')
                        .unwrap_or_else(|| panic!("external $ref {r}"));
                    assert!(doc.pointer(ptr).is_some(), "$ref {r} does not resolve");
                    *seen += 1;
                }
                m.values().for_each(|x| walk(x, doc, seen));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, doc, seen)),
            _ => {}
        }
    }
    let doc = serde_json::to_value(chengguo_web::api::openapi()).unwrap();
    let mut seen = 0;
    walk(&doc, &doc, &mut seen);
    assert!(seen > 100, "{seen} references");
}

/// A request from a client address (as `serve` sets it).
fn from(addr: &str, mut req: Request<Body>) -> Request<Body> {
    let a: SocketAddr = format!("{addr}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(a));
    req
}

async fn refusals(app: &TestApp) -> Vec<Value> {
    let page = app
        .db
        .store
        .audit_list(&chengguo_store::AuditFilter {
            action: Some("refused".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    page.items
        .into_iter()
        .map(|r| {
            let mut c = r.change;
            c["actor"] = json!(r.entry.actor);
            c["entity"] = json!(r.entry.entity);
            c
        })
        .collect()
}

async fn refused_writes_are_audit_entries(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let body = json!({"name": "x"}).to_string();
    let post = |uri: &str| request(Method::POST, uri, Some("application/json"), &body);

    // Anonymous API write: 401, audited with path and client address.
    let r = app
        .send(from("203.0.113.5", post("/api/v1/organizations")))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let got = refusals(&app).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["actor"], "anonymous");
    assert_eq!(got[0]["entity"], "request");
    assert_eq!(got[0]["method"], "POST");
    assert_eq!(got[0]["path"], "/api/v1/organizations");
    assert_eq!(got[0]["status"], 401);
    assert_eq!(got[0]["client"], "203.0.113.5");

    // A flood from one address is one entry a minute; the next entry carries the count.
    for _ in 0..20 {
        let r = app.send(from("203.0.113.5", post("/api/v1/demands"))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(refusals(&app).await.len(), 1);
    // And many addresses are capped in all.
    for i in 0..40 {
        let addr = format!("198.51.100.{i}");
        app.send(from(&addr, post("/api/v1/achievements"))).await;
    }
    let n = refusals(&app).await.len() as u32;
    assert_eq!(
        n,
        chengguo_web::refusals::ANON_PER_MINUTE,
        "anonymous entries"
    );
    let all_anon = refusals(&app).await;
    assert_eq!(all_anon[0]["suppressed"], json!(null), "{:?}", all_anon[0]);
    assert_eq!(all_anon[n as usize - 2]["suppressed"], 20, "{all_anon:?}");

    // A signed-in account's refusal (wrong role): 403, audited under its name.
    let unit = app.token("unit").await;
    let mut req = from("192.0.2.7", post("/api/v1/organizations"));
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {unit}").parse().unwrap(),
    );
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    let got = refusals(&app).await;
    assert_eq!(got[0]["actor"], "unit", "{:?}", got[0]);
    assert_eq!(got[0]["status"], 403);
    assert_eq!(got[0]["credentials"], "bearer");
    assert_eq!(got[0]["client"], "192.0.2.7");
    // It carries the anonymous refusals that were counted but not written.
    assert!(got[0]["suppressed"].as_u64().unwrap() > 0, "{:?}", got[0]);

    // A page form of another role.
    let browser = app.login("unit").await;
    let form = format!("csrf={}&name=x", browser.csrf);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/users")
        .header(header::COOKIE, browser.cookie_header())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let r = app.send(from("192.0.2.8", req)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let got = refusals(&app).await;
    assert_eq!(got[0]["actor"], "unit");
    assert_eq!(got[0]["path"], "/users");
    assert_eq!(got[0]["credentials"], "session");

    // Reads are not refused writes.
    let before = refusals(&app).await.len();
    let mut req = from("192.0.2.7", request(Method::GET, "/api/v1/audit", None, ""));
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {unit}").parse().unwrap(),
    );
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(refusals(&app).await.len(), before);
    assert!(app.db.store.audit_verify().await.unwrap().is_ok());
}
storage_test!(refused_writes_are_audit_entries);

async fn the_bureau_filters_and_exports_the_audit_log(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    // A marker entry to find by text.
    app.db
        .store
        .audit_event(
            "bureau",
            "note",
            "test",
            "77",
            &json!({"memo": "东北大学 zq7marker"}),
        )
        .await
        .unwrap();

    let r = app
        .api(
            Method::GET,
            "/api/v1/audit?q=ZQ7MARKER",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let b = r.json();
    assert_eq!(b["total"], 1, "{b}");
    assert_eq!(b["items"][0]["entity_id"], "77");
    let r = app
        .api(
            Method::GET,
            "/api/v1/audit?entity=achievement&action=create&actor=cli:demo&limit=5",
            Some(&bureau),
            None,
        )
        .await;
    let b = r.json();
    assert!(b["total"].as_i64().unwrap() > 0, "{b}");
    for it in b["items"].as_array().unwrap() {
        assert_eq!(it["entity"], "achievement");
        assert_eq!(it["action"], "create");
    }
    let r = app
        .api(
            Method::GET,
            "/api/v1/audit?from=2000-01-01&to=2000-12-31",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 0);

    // Exports of the filtered list: CSV and XLSX, recorded as exports.
    let r = app
        .api(
            Method::GET,
            "/api/v1/audit?q=zq7marker&format=csv",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("seq,at,actor,action,entity,entity_id,change"),
        "{csv}"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains("zq7marker"));
    let r = app
        .api(
            Method::GET,
            "/api/v1/audit?q=zq7marker&format=xlsx",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"PK"), "not a workbook");
    let exports = app
        .db
        .store
        .audit_list(&chengguo_store::AuditFilter {
            action: Some("export".into()),
            entity: Some("audit_log".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(exports.total, 2);

    // The page: the text filter, and CSV with headers in the page's language.
    let browser = app.login("bureau").await;
    let r = app.page(&browser, "/audit?q=zq7marker").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("zq7marker"));
    assert!(r.text().contains("/audit/export.csv?q=zq7marker"));
    let r = app.page(&browser, "/audit/export.csv?q=zq7marker").await;
    assert_eq!(r.status, StatusCode::OK);
    let csv = r.text();
    assert!(
        csv.trim_start_matches('\u{feff}')
            .starts_with("序号,时间,操作人,操作,对象"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let r = app
        .page(&browser, "/audit/export.csv?q=zq7marker&lang=en")
        .await;
    assert!(r
        .text()
        .trim_start_matches('\u{feff}')
        .starts_with("seq,at,actor"));
    let r = app.page(&browser, "/audit/export.xlsx?q=zq7marker").await;
    assert!(r.body.starts_with(b"PK"));

    // Other roles cannot, on the API or the pages.
    for who in ["unit", "district", "enterprise", "broker", "registrar"] {
        let t = app.token(who).await;
        for uri in [
            "/api/v1/audit",
            "/api/v1/audit?format=csv",
            "/api/v1/audit?format=xlsx",
        ] {
            let r = app.api(Method::GET, uri, Some(&t), None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {uri}");
        }
        let b = app.login(who).await;
        for uri in ["/audit", "/audit/export.csv", "/audit/export.xlsx"] {
            let r = app.page(&b, uri).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {uri}");
        }
    }
    let r = app
        .api(Method::GET, "/api/v1/audit?format=csv", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
storage_test!(the_bureau_filters_and_exports_the_audit_log);
