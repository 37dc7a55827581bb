//! Pages and browser-facing behaviour: login, sessions, CSRF, throttling, forms, the page-side
//! role matrix, language switch, import preview, exports, operations and the OpenAPI document.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::{fresh_code, Browser, TestApp, ROLES};

async fn login_sets_safe_cookies_and_logout_ends_session(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let r = app.page(&Browser::new(), "/login").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("name=\"username\"") && html.contains("name=\"csrf\""));

    let b = Browser::new();
    let r = app
        .form(
            &b,
            "/login",
            &[
                ("username", "bureau"),
                ("password", "chengguo-demo"),
                ("next", "/audit"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location().as_deref(), Some("/audit"));
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("cg_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // an open redirect is refused
    let r = app
        .form(
            &b,
            "/login",
            &[
                ("username", "bureau"),
                ("password", "chengguo-demo"),
                ("next", "//evil.example"),
            ],
            None,
        )
        .await;
    assert_eq!(r.location().as_deref(), Some("/"));

    let b = app.login("bureau").await;
    let r = app.page(&b, "/").await;
    assert!(r.text().contains("action=\"/logout\""));
    let r = app.form(&b, "/logout", &[], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.page(&b, "/audit").await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "session must be gone after logout"
    );
    assert!(r.location().unwrap().starts_with("/login?next="));
}
storage_test!(login_sets_safe_cookies_and_logout_ends_session);

async fn forms_without_csrf_are_refused(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let b = Browser::new();
    let r = app
        .form(
            &b,
            "/login",
            &[("username", "bureau"), ("password", "chengguo-demo")],
            Some(""),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let b = app.login("bureau").await;
    let fields = [
        ("name", "甲"),
        ("credit_code", "x"),
        ("division_code", "210106"),
        ("nature", "150"),
        ("kind", "enterprise"),
    ];
    let r = app
        .form(
            &b,
            "/organizations/new",
            &fields,
            Some("f".repeat(64).as_str()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An API write with the session cookie but no X-CSRF-Token header is refused too.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/organizations")
        .header(header::COOKIE, b.cookie_header())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
}
storage_test!(forms_without_csrf_are_refused);

async fn repeated_failed_logins_are_throttled(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let b = Browser::new();
    for _ in 0..5 {
        let r = app
            .form(
                &b,
                "/login",
                &[("username", "unit"), ("password", "wrong password")],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.text().contains("用户名或密码错误"));
    }
    // Even the right password is refused now.
    let r = app
        .form(
            &b,
            "/login",
            &[("username", "unit"), ("password", "chengguo-demo")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("登录失败次数过多"));
    // Other accounts are not affected.
    app.login("bureau").await;
}
storage_test!(repeated_failed_logins_are_throttled);

/// Every mutating page form × every role (and anonymous).
async fn page_forms_by_role(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let neu = app.org_id("东北大学").await;
    let neu_code = app
        .db
        .store
        .get_org(neu)
        .await
        .unwrap()
        .unwrap()
        .credit_code;
    let mut browsers = Vec::new();
    for r in ROLES {
        browsers.push((r, Some(app.login(r).await)));
    }
    browsers.push(("anonymous", None));
    for (i, (role, b)) in browsers.iter().enumerate() {
        let anon = Browser::new();
        let br = b.as_ref().unwrap_or(&anon);
        let expect = |allowed: bool, ok: StatusCode| {
            if b.is_none() {
                StatusCode::SEE_OTHER
            } else if allowed {
                ok
            } else {
                StatusCode::FORBIDDEN
            }
        };
        let code = fresh_code(200 + i);
        let r = app
            .form(
                br,
                "/organizations/new",
                &[
                    ("name", "页面新建"),
                    ("credit_code", &code),
                    ("division_code", "210106"),
                    ("nature", "150"),
                    ("kind", "enterprise"),
                ],
                None,
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::SEE_OTHER),
            "new organization as {role}"
        );
        if b.is_none() {
            assert!(r.location().unwrap().starts_with("/login"));
        }

        let r = app
            .form(
                br,
                &format!("/organizations/{neu}/edit"),
                &[
                    ("name", "东北大学"),
                    ("credit_code", &neu_code),
                    ("division_code", "210102"),
                    ("nature", "022"),
                    ("kind", "university"),
                    ("description", role),
                ],
                None,
            )
            .await;
        assert_eq!(
            r.status,
            expect(matches!(*role, "bureau" | "unit"), StatusCode::SEE_OTHER),
            "edit organization as {role}"
        );

        let uname = format!("page_user_{i}");
        let r = app
            .form(
                br,
                "/users",
                &[
                    ("username", &uname),
                    ("password", "Long enough 1"),
                    ("roles", "enterprise"),
                    ("roles", "broker"),
                ],
                None,
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::SEE_OTHER),
            "create account as {role}"
        );

        let r = app.page(br, "/audit").await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::OK),
            "audit page as {role}"
        );
    }
    let u = app
        .db
        .store
        .user_by_username("page_user_0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.roles.len(), 2);
}
storage_test!(page_forms_by_role);

async fn form_errors_are_shown_inline(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let b = app.login("bureau").await;
    let r = app
        .form(
            &b,
            "/organizations/new",
            &[
                ("name", ""),
                ("credit_code", "91210106DM00000010"),
                ("division_code", "999999"),
                ("nature", "150"),
                ("kind", "enterprise"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("class=\"field-error\""));
    assert!(html.contains("统一社会信用代码无效"));
    assert!(html.contains("行政区划代码无效"));
    assert!(html.contains("必填"));
    // what the user typed is kept
    assert!(html.contains("value=\"91210106DM00000010\""));
}
storage_test!(form_errors_are_shown_inline);

async fn import_preview_then_commit(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let b = app.login("bureau").await;
    let upload = |csv: Vec<u8>| {
        let boundary = "XBOUNDARYX";
        let mut body = Vec::new();
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n",
                b.csrf
            )
            .as_bytes(),
        );
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"orgs.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
        body.extend(csv);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::builder()
            .method(Method::POST)
            .uri("/organizations/import")
            .header(header::COOKIE, b.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    // With a bad row: the preview lists it, nothing is written, no confirm button.
    let before = app
        .db
        .store
        .count(chengguo_store::Table::Organizations)
        .await
        .unwrap();
    let bad = format!("机构名称,统一社会信用代码,行政区划代码,单位性质,机构类型\n甲,{},210106,150,企业\n乙,123,210106,150,企业\n", fresh_code(1));
    let r = app
        .send(upload(encoding_rs::GB18030.encode(&bad).0.into_owned()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("<td>3</td><td>统一社会信用代码</td>"),
        "{html}"
    );
    assert!(!html.contains("/commit"));
    assert_eq!(
        app.db
            .store
            .count(chengguo_store::Table::Organizations)
            .await
            .unwrap(),
        before
    );

    // A good file: preview, then confirm.
    let good = format!(
        "机构名称,统一社会信用代码,行政区划代码,单位性质,机构类型\n甲,{},210106,150,企业\n",
        fresh_code(1)
    );
    let r = app
        .send(upload(encoding_rs::GB18030.encode(&good).0.into_owned()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("GB18030"));
    let action = html
        .split("action=\"/organizations/import/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .form(&b, &format!("/organizations/import/{action}"), &[], None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("导入完成"));
    assert_eq!(
        app.db
            .store
            .count(chengguo_store::Table::Organizations)
            .await
            .unwrap(),
        before + 1
    );
}
storage_test!(import_preview_then_commit);

async fn pages_render_in_both_languages_with_exports(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let anon = Browser::new();
    let r = app.page(&anon, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("<html lang=\"zh-CN\">"));
    assert!(r.text().contains("<svg"), "home has server-rendered charts");
    let r = app.page(&anon, "/?lang=en").await;
    assert!(r.text().contains("<html lang=\"en\">"));
    assert!(r.set_cookies().iter().any(|c| c.starts_with("cg_lang=en")));

    let r = app
        .page(&anon, "/organizations?kind=university&sort=-name")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("东北大学"));
    assert!(!r.text().contains("新松"));
    let r = app.page(&anon, "/organizations?q=不存在的机构").await;
    assert!(r.text().contains("没有符合条件的机构"));

    let r = app
        .page(&anon, "/organizations/export.csv?kind=university")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let csv = r.text();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("东北大学") && !csv.contains("新松"));
    let r = app.page(&anon, "/organizations/export.xlsx").await;
    assert_eq!(&r.body[..2], b"PK");
    let t = chengguo_io::read_table(&r.body, chengguo_io::Format::Xlsx).unwrap();
    assert!(t.rows.len() > 30);

    let neu = app.org_id("东北大学").await;
    let r = app.page(&anon, &format!("/organizations/{neu}")).await;
    assert!(r.text().contains("辽宁省沈阳市和平区"));
    assert_eq!(
        app.page(&anon, "/organizations/999999").await.status,
        StatusCode::NOT_FOUND
    );

    let b = app.login("bureau").await;
    let r = app.page(&b, "/audit?entity=organization").await;
    assert!(r.text().contains("审计链完整"));
    let r = app.page(&b, "/audit/export.xlsx").await;
    assert_eq!(&r.body[..2], b"PK");
    let r = app.page(&b, "/users").await;
    assert!(r.text().contains("registrar"));
}
storage_test!(pages_render_in_both_languages_with_exports);

async fn operations_and_openapi(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let anon = Browser::new();
    let r = app.page(&anon, "/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    app.page(&anon, "/organizations").await;
    // /metrics answers this machine only (or the metrics token): a request from loopback.
    let mut req = Request::builder()
        .uri("/metrics")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    let r = app.send(req).await;
    let text = r.text();
    assert!(text.contains("chengguo_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/organizations\""));

    let r = app.page(&anon, "/api/openapi.json").await;
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/organizations/import",
        "/api/v1/me",
        "/api/v1/me/tokens",
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/audit/verify",
        "/api/v1/reference/divisions",
        "/api/v1/reference/codes/{list}",
        "/api/v1/reference/chains",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    assert!(paths["/api/v1/organizations/{id}"].get("patch").is_some());
    let r = app.page(&anon, "/api/docs").await;
    assert!(r.text().contains("/api/v1/organizations/{id}"));

    let r = app
        .page(&anon, "/api/v1/reference/divisions?parent=210100")
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 13);
    let r = app.page(&anon, "/api/v1/reference/codes/tech_fields").await;
    assert_eq!(r.json().as_array().unwrap().len(), 11);
}
storage_test!(operations_and_openapi);
