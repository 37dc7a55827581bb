//! Every page route × every caller (the 7 demo accounts and anonymous), on both databases: a page
//! refuses exactly what its JSON API twin refuses, and no page shows a record that its caller
//! may not read. The routes come from the pages' source (`crates/web/src/pages/*.rs`), so a page
//! added without a case here fails the test.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::{fresh_code, Browser, Resp, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Callers, the bureau last (it may act on everything, so its writes come after the others').
const CALLERS: [&str; 8] = [
    "anonymous",
    "public",
    "registrar",
    "broker",
    "enterprise",
    "unit",
    "district",
    "bureau",
];

/// The page routes registered by `crates/web/src/pages/*.rs`: (method, path) for every
/// `.route("…", get(…).post(…))`.
fn page_routes() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let Some(start) = src.find("pub fn router()") else {
            continue;
        };
        let body = &src[start..];
        let body = &body[..body.find("\n}\n").unwrap_or(body.len())];
        let parts: Vec<&str> = body.split(".route(").skip(1).collect();
        for part in parts {
            let part = part.split(".merge(").next().unwrap();
            let lit = part.split('"').nth(1).expect("a route path literal");
            let handlers = &part[part.find(',').unwrap()..];
            let handlers: String = handlers.split_whitespace().collect();
            if handlers.starts_with(",get(") || handlers.contains(".get(") {
                out.insert(("GET".to_string(), lit.to_string()));
            }
            if handlers.starts_with(",post(") || handlers.contains(".post(") {
                out.insert(("POST".to_string(), lit.to_string()));
            }
        }
    }
    out
}

/// What a page request sends.
enum Send {
    Get,
    Form(Vec<(String, String)>),
    Upload(Vec<u8>),
}

/// What the page is compared with.
enum Twin {
    /// The JSON API call that reads or writes the same thing: the page must be refused exactly
    /// when it is.
    Api {
        method: Method,
        uri: String,
        body: Option<Value>,
        raw: Option<Vec<u8>>,
    },
    /// No API twin (a form page, an upload of one's own): these callers are allowed.
    Roles(&'static [&'static str]),
    /// Open to everyone (login, static files, the public dashboard).
    Public,
}

struct Case {
    method: &'static str,
    route: &'static str,
    uri: String,
    send: Send,
    twin: Twin,
}

fn get(route: &'static str, uri: impl Into<String>, twin: Twin) -> Case {
    Case {
        method: "GET",
        route,
        uri: uri.into(),
        send: Send::Get,
        twin,
    }
}

fn post(route: &'static str, uri: impl Into<String>, send: Send, twin: Twin) -> Case {
    Case {
        method: "POST",
        route,
        uri: uri.into(),
        send,
        twin,
    }
}

fn api(method: Method, uri: impl Into<String>) -> Twin {
    Twin::Api {
        method,
        uri: uri.into(),
        body: None,
        raw: None,
    }
}

fn api_json(method: Method, uri: impl Into<String>, body: Value) -> Twin {
    Twin::Api {
        method,
        uri: uri.into(),
        body: Some(body),
        raw: None,
    }
}

fn api_raw(uri: impl Into<String>, raw: Vec<u8>) -> Twin {
    Twin::Api {
        method: Method::POST,
        uri: uri.into(),
        body: None,
        raw: Some(raw),
    }
}

fn fields(pairs: &[(&str, &str)]) -> Send {
    Send::Form(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Past the access checks (the answer, a redirect after a write, a validation or state
    /// error).
    Allowed,
    /// 401, 403, 404, or a redirect to the login page.
    Refused,
}

fn class_of(r: &Resp, what: &str) -> Class {
    let s = r.status;
    assert!(!s.is_server_error(), "{what}: {s} {}", r.text());
    if matches!(
        s,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) || r.location().is_some_and(|l| l.starts_with("/login"))
    {
        Class::Refused
    } else {
        Class::Allowed
    }
}

/// The text of a response, workbooks unpacked.
fn text_of(r: &Resp) -> String {
    let xlsx = r
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("spreadsheetml"));
    if xlsx {
        match chengguo_io::read_table(&r.body, chengguo_io::Format::Xlsx) {
            Ok(t) => {
                let mut s = t.headers.join(",");
                for row in &t.rows {
                    s.push('\n');
                    s.push_str(&row.cells.join(","));
                }
                s
            }
            Err(e) => panic!("unreadable workbook: {e}"),
        }
    } else {
        r.text()
    }
}

fn upload_request(b: &Browser, uri: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "MATRIXBOUNDARY";
    let mut body = Vec::new();
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n",
            b.csrf
        )
        .as_bytes(),
    );
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, b.cookie_header())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn page_request(app: &TestApp, b: &Browser, c: &Case) -> Resp {
    match &c.send {
        Send::Get => app.page(b, &c.uri).await,
        Send::Form(f) => {
            let pairs: Vec<(&str, &str)> =
                f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.form(b, &c.uri, &pairs, None).await
        }
        Send::Upload(bytes) => app.send(upload_request(b, &c.uri, bytes)).await,
    }
}

/// The id of an upload previewed by `b` (the commit form's action).
async fn preview(app: &TestApp, b: &Browser, uri: &str, bytes: &[u8]) -> String {
    let r = app.send(upload_request(b, uri, bytes)).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    let html = r.text();
    html.split(&format!("action=\"{uri}/"))
        .nth(1)
        .unwrap_or_else(|| panic!("no commit form on {uri}: {html}"))
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

async fn created_id(r: Resp) -> i64 {
    assert!(r.status.is_success(), "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

async fn pages_by_role(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let s = &app.db.store;
    let bureau_t = app.token("bureau").await;
    // Records of other owners and another site, each with a title that marks it.
    let other_unit = s
        .get_org(app.org_id("沈阳工业大学").await)
        .await
        .unwrap()
        .unwrap();
    let other_ent = s
        .get_org(app.org_id("沈阳机床股份有限公司").await)
        .await
        .unwrap()
        .unwrap();
    let neu = s
        .get_org(app.org_id("东北大学").await)
        .await
        .unwrap()
        .unwrap();
    let xinsong = s
        .get_org(app.org_id("沈阳新松机器人自动化股份有限公司").await)
        .await
        .unwrap()
        .unwrap();
    let tiexi = app.org_id("沈阳市技术合同登记铁西服务站").await;
    const ACH: &str = "矩阵他人草稿成果";
    const DEM: &str = "矩阵他人草稿需求";
    const CON: &str = "矩阵他人合同";
    let aid = created_id(
        app.api(
            Method::POST,
            "/api/v1/achievements",
            Some(&bureau_t),
            Some(json!({"title": ACH, "owner_org_id": other_unit.id, "keywords": ["矩阵"]})),
        )
        .await,
    )
    .await;
    let did = created_id(
        app.api(
            Method::POST,
            "/api/v1/demands",
            Some(&bureau_t),
            Some(json!({"title": DEM, "owner_org_id": other_ent.id, "keywords": ["矩阵"]})),
        )
        .await,
    )
    .await;
    let cid = created_id(
        app.api(
            Method::POST,
            "/api/v1/contracts",
            Some(&bureau_t),
            Some(json!({
                "contract_no": "MATRIX-1", "title": CON, "category": "development",
                "signed_on": "2026-03-02", "seller_name": other_unit.name,
                "seller_credit_code": other_unit.credit_code, "seller_division_code": other_unit.division_code,
                "seller_nature": other_unit.nature, "buyer_name": other_ent.name,
                "buyer_credit_code": other_ent.credit_code, "buyer_division_code": other_ent.division_code,
                "buyer_nature": other_ent.nature, "contract_amount": "123456.00",
                "tech_transaction_amount": "100000.00", "tech_field": "先进制造", "ip_type": "专利",
                "site_id": tiexi
            })),
        )
        .await,
    )
    .await;
    // A progress report on task 1 (the bureau reports on any task).
    const REP: &str = "矩阵进展报告";
    let r = app
        .api(
            Method::POST,
            "/api/v1/plan/tasks/1/reports",
            Some(&bureau_t),
            Some(json!({"text": REP, "department": "sti"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Who may read each marked record (the API's read rules).
    let readers: [(&str, &[&str]); 4] = [
        (ACH, &["bureau"]),
        (DEM, &["bureau"]),
        (CON, &["bureau", "district"]),
        (
            REP,
            &[
                "public",
                "registrar",
                "broker",
                "enterprise",
                "unit",
                "district",
                "bureau",
            ],
        ),
    ];

    let mut browsers = Vec::new();
    let mut tokens = Vec::new();
    for who in CALLERS {
        if who == "anonymous" {
            browsers.push(Browser::new());
            tokens.push(None);
        } else {
            browsers.push(app.login(who).await);
            tokens.push(Some(app.token(who).await));
        }
    }
    let browser = |who: &str| &browsers[CALLERS.iter().position(|c| *c == who).unwrap()];

    // Files, and uploads previewed by their owners (whom alone the commit is for).
    let org_csv = format!(
        "name,credit_code,division_code,nature,kind\n矩阵导入机构,{},210106,150,enterprise\n",
        fresh_code(880)
    )
    .into_bytes();
    let ach_csv = format!(
        "owner_credit_code,ref,title\n{},MATRIX-A-1,矩阵导入成果\n",
        neu.credit_code
    )
    .into_bytes();
    let dem_csv = format!(
        "owner_credit_code,ref,title\n{},MATRIX-D-1,矩阵导入需求\n",
        xinsong.credit_code
    )
    .into_bytes();
    let con_csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/contracts.csv"
    ))
    .unwrap();
    let org_up = preview(&app, browser("bureau"), "/organizations/import", &org_csv).await;
    let ach_up = preview(&app, browser("unit"), "/achievements/import", &ach_csv).await;
    let dem_up = preview(&app, browser("enterprise"), "/demands/import", &dem_csv).await;
    let con_up = preview(&app, browser("bureau"), "/contracts/import", &con_csv).await;

    let o2 = other_unit.id;
    let org_form = [
        ("name", other_unit.name.as_str()),
        ("credit_code", other_unit.credit_code.as_str()),
        ("division_code", other_unit.division_code.as_str()),
        ("nature", other_unit.nature.as_str()),
        ("kind", other_unit.kind.as_str()),
        ("description", other_unit.description.as_str()),
    ];
    let ind = "incubating_enterprises";
    let q = "q=%E7%9F%A9%E9%98%B5"; // 矩阵
    let records = "measure=turnover&from=2021-01-01&to=2026-12-31";
    let cases = vec![
        // static files, home, login, the public dashboard
        get("/static/app.css", "/static/app.css", Twin::Public),
        get("/static/app.js", "/static/app.js", Twin::Public),
        get("/favicon.ico", "/favicon.ico", Twin::Public),
        get("/", "/", Twin::Public),
        get("/login", "/login", Twin::Public),
        post(
            "/login",
            "/login",
            fields(&[("username", "nobody"), ("password", "wrong"), ("next", "/")]),
            Twin::Public,
        ),
        get("/dashboard", "/dashboard", Twin::Public),
        get("/dashboard.xlsx", "/dashboard.xlsx", Twin::Public),
        // organizations
        get(
            "/organizations",
            "/organizations",
            api(Method::GET, "/api/v1/organizations"),
        ),
        get(
            "/organizations/export.csv",
            "/organizations/export.csv",
            api(Method::GET, "/api/v1/organizations"),
        ),
        get(
            "/organizations/export.xlsx",
            "/organizations/export.xlsx",
            api(Method::GET, "/api/v1/organizations"),
        ),
        get(
            "/organizations/new",
            "/organizations/new",
            Twin::Roles(&["bureau"]),
        ),
        post(
            "/organizations/new",
            "/organizations/new",
            fields(&[("name", "")]),
            api_json(Method::POST, "/api/v1/organizations", json!({})),
        ),
        get(
            "/organizations/import",
            "/organizations/import",
            Twin::Roles(&["bureau"]),
        ),
        post(
            "/organizations/import",
            "/organizations/import",
            Send::Upload(org_csv.clone()),
            api_raw("/api/v1/organizations/import?dry_run=true", org_csv.clone()),
        ),
        post(
            "/organizations/import/{upload}/commit",
            format!("/organizations/import/{org_up}/commit"),
            fields(&[]),
            Twin::Roles(&["bureau"]),
        ),
        get(
            "/organizations/{id}",
            format!("/organizations/{o2}"),
            api(Method::GET, format!("/api/v1/organizations/{o2}")),
        ),
        get(
            "/organizations/{id}/edit",
            format!("/organizations/{o2}/edit"),
            api_json(
                Method::PATCH,
                format!("/api/v1/organizations/{o2}"),
                json!({}),
            ),
        ),
        post(
            "/organizations/{id}/edit",
            format!("/organizations/{o2}/edit"),
            fields(&org_form),
            api_json(
                Method::PATCH,
                format!("/api/v1/organizations/{o2}"),
                json!({}),
            ),
        ),
        // achievements
        get(
            "/achievements",
            format!("/achievements?{q}"),
            api(Method::GET, format!("/api/v1/achievements?{q}")),
        ),
        get(
            "/achievements/export.csv",
            format!("/achievements/export.csv?{q}"),
            api(Method::GET, format!("/api/v1/achievements?{q}")),
        ),
        get(
            "/achievements/export.xlsx",
            format!("/achievements/export.xlsx?{q}"),
            api(Method::GET, format!("/api/v1/achievements?{q}")),
        ),
        get(
            "/achievements/mine",
            "/achievements/mine",
            Twin::Roles(&["bureau", "unit"]),
        ),
        get(
            "/achievements/review",
            "/achievements/review",
            Twin::Roles(&["bureau"]),
        ),
        get(
            "/achievements/new",
            "/achievements/new",
            Twin::Roles(&["bureau", "unit"]),
        ),
        post(
            "/achievements/new",
            "/achievements/new",
            fields(&[("title", "")]),
            api_json(Method::POST, "/api/v1/achievements", json!({})),
        ),
        get(
            "/achievements/import",
            "/achievements/import",
            Twin::Roles(&["bureau", "unit"]),
        ),
        post(
            "/achievements/import",
            "/achievements/import",
            Send::Upload(ach_csv.clone()),
            api_raw("/api/v1/achievements/import?dry_run=true", ach_csv.clone()),
        ),
        post(
            "/achievements/import/{upload}/commit",
            format!("/achievements/import/{ach_up}/commit"),
            fields(&[]),
            Twin::Roles(&["unit"]),
        ),
        get(
            "/achievements/scores",
            "/achievements/scores",
            api(Method::GET, "/api/v1/achievements/scores"),
        ),
        get(
            "/achievements/scores/export.xlsx",
            "/achievements/scores/export.xlsx",
            api(Method::GET, "/api/v1/achievements/scores"),
        ),
        get(
            "/achievements/rewards.xlsx",
            "/achievements/rewards.xlsx",
            api(Method::GET, "/api/v1/achievements/rewards"),
        ),
        get(
            "/achievements/publications",
            "/achievements/publications",
            api(Method::GET, "/api/v1/achievements/publications"),
        ),
        get(
            "/achievements/{id}",
            format!("/achievements/{aid}"),
            api(Method::GET, format!("/api/v1/achievements/{aid}")),
        ),
        get(
            "/achievements/{id}/edit",
            format!("/achievements/{aid}/edit"),
            api_json(
                Method::PATCH,
                format!("/api/v1/achievements/{aid}"),
                json!({}),
            ),
        ),
        post(
            "/achievements/{id}/edit",
            format!("/achievements/{aid}/edit"),
            fields(&[("title", ""), ("keywords", "矩阵")]),
            api_json(
                Method::PATCH,
                format!("/api/v1/achievements/{aid}"),
                json!({}),
            ),
        ),
        post(
            "/achievements/{id}/actions/{action}",
            format!("/achievements/{aid}/actions/submit"),
            fields(&[]),
            api(
                Method::POST,
                format!("/api/v1/achievements/{aid}/actions/submit"),
            ),
        ),
        // demands
        get(
            "/demands",
            format!("/demands?{q}"),
            api(Method::GET, format!("/api/v1/demands?{q}")),
        ),
        get(
            "/demands/export.csv",
            format!("/demands/export.csv?{q}"),
            api(Method::GET, format!("/api/v1/demands?{q}")),
        ),
        get(
            "/demands/export.xlsx",
            format!("/demands/export.xlsx?{q}"),
            api(Method::GET, format!("/api/v1/demands?{q}")),
        ),
        get(
            "/demands/mine",
            "/demands/mine",
            Twin::Roles(&["bureau", "enterprise"]),
        ),
        get(
            "/demands/new",
            "/demands/new",
            Twin::Roles(&["bureau", "enterprise"]),
        ),
        post(
            "/demands/new",
            "/demands/new",
            fields(&[("title", "")]),
            api_json(Method::POST, "/api/v1/demands", json!({})),
        ),
        get(
            "/demands/import",
            "/demands/import",
            Twin::Roles(&["bureau", "enterprise"]),
        ),
        post(
            "/demands/import",
            "/demands/import",
            Send::Upload(dem_csv.clone()),
            api_raw("/api/v1/demands/import?dry_run=true", dem_csv.clone()),
        ),
        post(
            "/demands/import/{upload}/commit",
            format!("/demands/import/{dem_up}/commit"),
            fields(&[]),
            Twin::Roles(&["enterprise"]),
        ),
        get(
            "/demands/{id}",
            format!("/demands/{did}"),
            api(Method::GET, format!("/api/v1/demands/{did}")),
        ),
        get(
            "/demands/{id}/edit",
            format!("/demands/{did}/edit"),
            api_json(Method::PATCH, format!("/api/v1/demands/{did}"), json!({})),
        ),
        post(
            "/demands/{id}/edit",
            format!("/demands/{did}/edit"),
            fields(&[("title", ""), ("keywords", "矩阵")]),
            api_json(Method::PATCH, format!("/api/v1/demands/{did}"), json!({})),
        ),
        post(
            "/demands/{id}/actions/{action}",
            format!("/demands/{did}/actions/publish"),
            fields(&[]),
            api(
                Method::POST,
                format!("/api/v1/demands/{did}/actions/publish"),
            ),
        ),
        // matching and search
        get(
            "/matches/decisions",
            "/matches/decisions",
            api(Method::GET, "/api/v1/matches/decisions"),
        ),
        post(
            "/matches/decisions",
            "/matches/decisions",
            fields(&[("decision", "")]),
            api_json(Method::POST, "/api/v1/matches/decisions", json!({})),
        ),
        get(
            "/matches/decisions.xlsx",
            "/matches/decisions.xlsx",
            api(Method::GET, "/api/v1/matches/decisions?format=xlsx"),
        ),
        get(
            "/search",
            format!("/search?{q}"),
            api(Method::GET, format!("/api/v1/search?{q}")),
        ),
        // contracts
        get(
            "/contracts",
            format!("/contracts?{q}"),
            api(Method::GET, format!("/api/v1/contracts?{q}")),
        ),
        get(
            "/contracts/new",
            "/contracts/new",
            Twin::Roles(&["bureau", "unit", "enterprise", "broker", "registrar"]),
        ),
        post(
            "/contracts/new",
            "/contracts/new",
            fields(&[("title", "")]),
            api_json(Method::POST, "/api/v1/contracts", json!({})),
        ),
        get(
            "/contracts/queue",
            "/contracts/queue",
            api(Method::GET, "/api/v1/contracts/queue"),
        ),
        get(
            "/contracts/import",
            "/contracts/import",
            Twin::Roles(&["bureau"]),
        ),
        post(
            "/contracts/import",
            "/contracts/import",
            Send::Upload(con_csv.clone()),
            api_raw("/api/v1/contracts/import?dry_run=true", con_csv.clone()),
        ),
        post(
            "/contracts/import/{upload}/commit",
            format!("/contracts/import/{con_up}/commit"),
            fields(&[]),
            Twin::Roles(&["bureau"]),
        ),
        get(
            "/contracts/{id}",
            format!("/contracts/{cid}"),
            api(Method::GET, format!("/api/v1/contracts/{cid}")),
        ),
        get(
            "/contracts/{id}/edit",
            format!("/contracts/{cid}/edit"),
            api_json(Method::PATCH, format!("/api/v1/contracts/{cid}"), json!({})),
        ),
        post(
            "/contracts/{id}/edit",
            format!("/contracts/{cid}/edit"),
            fields(&[("title", "")]),
            api_json(Method::PATCH, format!("/api/v1/contracts/{cid}"), json!({})),
        ),
        post(
            "/contracts/{id}/actions/{action}",
            format!("/contracts/{cid}/actions/submit"),
            fields(&[]),
            api(
                Method::POST,
                format!("/api/v1/contracts/{cid}/actions/submit"),
            ),
        ),
        get(
            "/stats/contracts",
            "/stats/contracts",
            api(Method::GET, "/api/v1/stats/contracts"),
        ),
        get(
            "/stats/contracts/records",
            format!("/stats/contracts/records?{records}"),
            api(
                Method::GET,
                format!("/api/v1/stats/contracts/records?{records}"),
            ),
        ),
        get(
            "/stats/contracts/records.xlsx",
            format!("/stats/contracts/records.xlsx?{records}"),
            api(
                Method::GET,
                format!("/api/v1/stats/contracts/records?{records}&format=xlsx"),
            ),
        ),
        // plan and scorecards
        get("/plan", "/plan", api(Method::GET, "/api/v1/plan")),
        // the task is public (as in the plan); its reports are for accounts (marked)
        get(
            "/plan/tasks/{number}",
            "/plan/tasks/1",
            api(Method::GET, "/api/v1/plan"),
        ),
        post(
            "/plan/tasks/{number}/reports",
            "/plan/tasks/1/reports",
            fields(&[("progress", "")]),
            api_json(Method::POST, "/api/v1/plan/tasks/1/reports", json!({})),
        ),
        post(
            "/plan/tasks/{number}/status",
            "/plan/tasks/1/status",
            fields(&[("status", "")]),
            api_json(
                Method::PATCH,
                "/api/v1/plan/tasks/1",
                json!({"status": "bogus"}),
            ),
        ),
        // the figures are public (as the indicators); the history of entries is internal
        get(
            "/plan/indicators/{key}",
            format!("/plan/indicators/{ind}"),
            api(Method::GET, "/api/v1/indicators"),
        ),
        post(
            "/plan/indicators/{key}",
            format!("/plan/indicators/{ind}"),
            fields(&[("value", "")]),
            api_json(
                Method::POST,
                format!("/api/v1/indicators/{ind}/values"),
                json!({}),
            ),
        ),
        get(
            "/scorecards",
            "/scorecards",
            api(Method::GET, "/api/v1/scorecards"),
        ),
        get(
            "/scorecards/export.xlsx",
            "/scorecards/export.xlsx",
            api(Method::GET, "/api/v1/scorecards?format=xlsx"),
        ),
        get(
            "/scorecards/{code}",
            "/scorecards/210112",
            api(Method::GET, "/api/v1/scorecards/210112"),
        ),
        get(
            "/scorecards/{code}/export.xlsx",
            "/scorecards/210112/export.xlsx",
            api(Method::GET, "/api/v1/scorecards/210112?format=xlsx"),
        ),
        // audit and users
        get("/audit", "/audit", api(Method::GET, "/api/v1/audit")),
        get(
            "/audit/export.xlsx",
            "/audit/export.xlsx",
            api(Method::GET, "/api/v1/audit"),
        ),
        get("/users", "/users", api(Method::GET, "/api/v1/users")),
        post(
            "/users",
            "/users",
            fields(&[("username", "")]),
            api_json(Method::POST, "/api/v1/users", json!({})),
        ),
        get(
            "/audit/export.csv",
            "/audit/export.csv",
            api(Method::GET, "/api/v1/audit"),
        ),
        // one's own account (no real change: empty forms, records that do not exist)
        get(
            "/account",
            "/account",
            api(Method::GET, "/api/v1/me/tokens"),
        ),
        post(
            "/account/password",
            "/account/password",
            fields(&[("current", ""), ("password", "")]),
            api_json(Method::POST, "/api/v1/me/password", json!({})),
        ),
        post(
            "/account/tokens",
            "/account/tokens",
            fields(&[("name", "matrix")]),
            api_json(Method::POST, "/api/v1/me/tokens", json!({"name": "matrix"})),
        ),
        post(
            "/account/tokens/{id}/revoke",
            "/account/tokens/999999/revoke",
            fields(&[]),
            api(Method::DELETE, "/api/v1/me/tokens/999999"),
        ),
        // the bureau's account administration, on an account that does not exist
        post(
            "/users/tokens/{id}/revoke",
            "/users/tokens/999999/revoke",
            fields(&[]),
            api(Method::DELETE, "/api/v1/tokens/999999"),
        ),
        post(
            "/users/{id}/disable",
            "/users/999999/disable",
            fields(&[]),
            api_json(
                Method::PATCH,
                "/api/v1/users/999999",
                json!({"disabled": true}),
            ),
        ),
        post(
            "/users/{id}/enable",
            "/users/999999/enable",
            fields(&[]),
            api_json(
                Method::PATCH,
                "/api/v1/users/999999",
                json!({"disabled": false}),
            ),
        ),
        post(
            "/users/{id}/password",
            "/users/1/password",
            fields(&[("password", "")]),
            api_json(Method::POST, "/api/v1/users/1/password", json!({})),
        ),
        // last: it ends the sessions
        post("/logout", "/logout", fields(&[]), Twin::Public),
    ];

    // Every registered page route has a case, and every case is a registered route.
    let registered = page_routes();
    let covered: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_string(), c.route.to_string()))
        .collect();
    let missing: Vec<_> = registered.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "page routes without a case: {missing:?}"
    );
    let unknown: Vec<_> = covered.difference(&registered).collect();
    assert!(
        unknown.is_empty(),
        "cases of no registered route: {unknown:?}"
    );
    assert!(registered.len() > 50, "{} routes found", registered.len());

    let mut mismatches = Vec::new();
    for c in &cases {
        for (i, who) in CALLERS.iter().enumerate() {
            let what = format!("{} {} as {who}", c.method, c.uri);
            let page = page_request(&app, &browsers[i], c).await;
            let page_class = class_of(&page, &what);
            let expected = match &c.twin {
                Twin::Public => None,
                Twin::Roles(roles) => Some(if roles.contains(who) {
                    Class::Allowed
                } else {
                    Class::Refused
                }),
                Twin::Api {
                    method,
                    uri,
                    body,
                    raw,
                } => {
                    let t = tokens[i].as_deref();
                    let r = match raw {
                        Some(bytes) => app.raw(method.clone(), uri, t, bytes.clone()).await,
                        None => app.api(method.clone(), uri, t, body.clone()).await,
                    };
                    Some(class_of(&r, &format!("{what} (API {method} {uri})")))
                }
            };
            if let Some(e) = expected {
                if e != page_class {
                    mismatches.push(format!(
                        "{what}: page {:?} ({}), expected {e:?}",
                        page_class, page.status
                    ));
                }
            }
            // No page shows a marked record to a caller who may not read it.
            let text = text_of(&page);
            for (marker, may) in &readers {
                if text.contains(marker) && !may.contains(who) {
                    mismatches.push(format!("{what}: shows '{marker}'"));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
storage_test!(pages_by_role);
