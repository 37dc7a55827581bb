//! Files are read within limits (issue #11, finding 1 and "What to build" 1): hostile files are
//! refused through the API and the upload pages with the limit named, a report lists at most
//! 1,000 problems with their total, bodies over the upload size are refused, and imports run
//! under a concurrency limit (503 with `Retry-After` beyond it). On both databases.

mod common;

#[path = "../../io/tests/hostile/zipfile.rs"]
#[allow(dead_code)]
mod zipfile;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::{Browser, TestApp};

/// The 6.5 KB workbook of the finding: a sheet declaring `A1:XFD1048576` with a cell there.
fn dimension_bomb() -> Vec<u8> {
    zipfile::workbook(
        r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ref</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>"#,
    )
}

/// A workbook whose sheet is a zip bomb (3 GiB of rows from about 3 MB).
fn zip_bomb() -> Vec<u8> {
    let (sheet, _) = zipfile::deflate_bomb(3 * 1024);
    let mut parts = zipfile::workbook_parts();
    parts.retain(|e| e.name != "xl/worksheets/sheet1.xml");
    parts.push(zipfile::Entry {
        name: "xl/worksheets/sheet1.xml".into(),
        data: sheet,
        method: 8,
        crc: 0,
        size: 1_000,
    });
    zipfile::zip(&parts)
}

async fn app_with(
    db: &TestDb,
    config: chengguo_web::WebConfig,
) -> (TestApp, chengguo_web::AppState) {
    let db = db.clone_for_test();
    chengguo_store::demo::load(&db.store).await.unwrap();
    let (search, _) = chengguo_store::SearchService::open(db.store.clone(), None)
        .await
        .unwrap();
    let state = chengguo_web::AppState::new(db.store.clone(), config, std::sync::Arc::new(search));
    let app = chengguo_web::app(state.clone());
    (TestApp { app, db }, state)
}

fn upload(b: &Browser, uri: &str, filename: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "XBOUNDARYX";
    let mut body = Vec::new();
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n",
            b.csrf
        )
        .as_bytes(),
    );
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
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

/// The one problem of a refused file, which names the limit in Chinese and English.
fn only_problem(r: &common::Resp) -> String {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let j = r.json();
    assert_eq!(j["problems_total"], 1, "{j}");
    assert_eq!(j["problems"].as_array().unwrap().len(), 1, "{j}");
    assert_eq!(j["problems"][0]["column"], "file", "{j}");
    j["problems"][0]["message"].as_str().unwrap().to_string()
}

async fn hostile_files_are_refused_through_the_api_and_the_pages(db: &TestDb) {
    let (app, _) = app_with(db, chengguo_web::WebConfig::default()).await;
    let unit = app.token("unit").await;
    let bureau = app.token("bureau").await;
    let bomb = dimension_bomb();
    assert!(bomb.len() < 7_000);

    // The finding: a unit's dry run of the 6.5 KB workbook aborted the server.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import?dry_run=true",
            Some(&unit),
            bomb.clone(),
        )
        .await;
    assert_eq!(
        only_problem(&r),
        "超过 200 列（上限：import.max_columns） / more than 200 columns (limit: import.max_columns)"
    );
    assert_eq!(r.json()["problems"][0]["row"], 1_048_576);

    // Every import of the API reads through the same limits.
    for (uri, token) in [
        ("/api/v1/demands/import?dry_run=true&format=xlsx", &bureau),
        (
            "/api/v1/organizations/import?dry_run=true&format=xlsx",
            &bureau,
        ),
        ("/api/v1/contracts/import?dry_run=true&format=xlsx", &bureau),
    ] {
        let r = app.raw(Method::POST, uri, Some(token), bomb.clone()).await;
        assert!(
            only_problem(&r).contains("(limit: import.max_columns)"),
            "{uri}"
        );
    }
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import?dry_run=true",
            Some(&bureau),
            zip_bomb(),
        )
        .await;
    let m = only_problem(&r);
    assert!(
        m.contains("xl/worksheets/sheet1.xml") && m.contains("import.max_xlsx_"),
        "{m}"
    );

    let mut line = String::from("name,credit_code,division_code,nature,kind\n");
    line.push_str(&"x".repeat(2 << 20));
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations/import?dry_run=true&format=csv",
            Some(&bureau),
            line.into_bytes(),
        )
        .await;
    assert_eq!(
        only_problem(&r),
        "该行超过 1 MiB（上限：import.max_row_bytes） / the row is longer than 1 MiB (limit: import.max_row_bytes)"
    );
    let keys: Vec<String> = (0..201).map(|i| format!("\"k{i}\":1")).collect();
    let r = app
        .raw(
            Method::POST,
            "/api/v1/demands/import?dry_run=true&format=jsonl",
            Some(&bureau),
            format!("{{{}}}\n", keys.join(",")).into_bytes(),
        )
        .await;
    assert!(only_problem(&r).contains("import.max_columns"));

    // The upload pages: the same refusal, on the page.
    let b = app.login("unit").await;
    let r = app
        .send(upload(&b, "/achievements/import", "bomb.xlsx", &bomb))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("超过 200 列（上限：import.max_columns）"),
        "{}",
        r.text()
    );
    let b = app.login("bureau").await;
    for uri in [
        "/contracts/import",
        "/organizations/import",
        "/demands/import",
    ] {
        let r = app.send(upload(&b, uri, "bomb.xlsx", &bomb)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
        assert!(r.text().contains("import.max_columns"), "{uri}");
    }
}
storage_test!(hostile_files_are_refused_through_the_api_and_the_pages);

async fn uploads_over_the_size_limit_are_refused(db: &TestDb) {
    let config = chengguo_web::WebConfig {
        max_upload_bytes: 4096,
        ..Default::default()
    };
    let (app, _) = app_with(db, config).await;
    let bureau = app.token("bureau").await;
    let big = format!("ref,title,owner_credit_code\n{}\n", "x,".repeat(3000)).into_bytes();
    for uri in [
        "/api/v1/organizations/import?dry_run=true",
        "/api/v1/achievements/import?dry_run=true",
        "/api/v1/demands/import?dry_run=true",
        "/api/v1/contracts/import?dry_run=true",
    ] {
        let r = app.raw(Method::POST, uri, Some(&bureau), big.clone()).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
    }
    let r = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/plan")
                .header(header::AUTHORIZATION, format!("Bearer {bureau}"))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("#".repeat(5000)))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let b = app.login("bureau").await;
    let r = app
        .send(upload(&b, "/organizations/import", "big.csv", &big))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.text()
            .contains("文件超过 4 KiB（上限：import.max_upload_bytes）"),
        "{}",
        r.text()
    );
    // Under the limit, the same routes read.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import?dry_run=true",
            Some(&bureau),
            b"ref,title,owner_credit_code\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("header but no data rows"));
}
storage_test!(uploads_over_the_size_limit_are_refused);

async fn a_report_lists_the_first_1000_problems_and_counts_all(db: &TestDb) {
    let (app, _) = app_with(db, chengguo_web::WebConfig::default()).await;
    let bureau = app.token("bureau").await;
    // 1,500 rows, each with one problem: an owner the platform does not know.
    let mut csv = String::from("ref,title,owner_credit_code\n");
    for i in 0..1500 {
        csv.push_str(&format!("R-{i},成果{i},{}\n", common::fresh_code(1)));
    }
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import?dry_run=true",
            Some(&bureau),
            csv.clone().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let j = r.json();
    assert_eq!(j["problems_total"], 1500);
    let listed = j["problems"].as_array().unwrap();
    assert_eq!(listed.len(), 1000);
    assert_eq!(listed[0]["row"], 2);
    assert_eq!(listed[999]["row"], 1001);

    // Contracts: each row of 1,500 lacks its required fields.
    let mut contracts = String::from(
        "contract_no,title,category,signed_on,seller_name,seller_credit_code,seller_division_code,seller_nature,buyer_name,buyer_credit_code,buyer_division_code,buyer_nature,contract_amount,tech_transaction_amount,tech_field,ip_type\n",
    );
    for i in 0..1500 {
        contracts.push_str(&format!("C-{i},,,,,,,,,,,,,,,\n"));
    }
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import?dry_run=true",
            Some(&bureau),
            contracts.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let j = r.json();
    let total = j["problems_total"].as_u64().unwrap();
    assert!(total >= 1500 * 2, "{total}");
    assert_eq!(j["problems"].as_array().unwrap().len(), 1000);

    // The page says how many there are in all.
    let b = app.login("bureau").await;
    let r = app
        .send(upload(
            &b,
            "/achievements/import",
            "many.csv",
            csv.as_bytes(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("共 1500 个问题，仅列出前 1000 个。"),
        "{html}"
    );
    assert_eq!(html.matches("<tr><td>").count(), 1000);
}
storage_test!(a_report_lists_the_first_1000_problems_and_counts_all);

async fn imports_beyond_the_concurrency_limit_answer_503(db: &TestDb) {
    let config = chengguo_web::WebConfig {
        import_concurrency: 1,
        import_queue_wait_ms: 50,
        ..Default::default()
    };
    let (app, state) = app_with(db, config).await;
    let bureau = app.token("bureau").await;
    let csv = b"ref,title,owner_credit_code\n".to_vec();

    // Another import holds the only permit.
    let held = state.imports.clone().acquire_owned().await.unwrap();
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import?dry_run=true",
            Some(&bureau),
            csv.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "10");
    assert_eq!(r.json()["code"], "busy");
    let b = app.login("bureau").await;
    let r = app
        .send(upload(&b, "/organizations/import", "x.csv", &csv))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    assert!(r.text().contains("服务器正在处理其他导入"), "{}", r.text());
    let r = app
        .form(&b, "/organizations/import/nothing/commit", &[], None)
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    // Other requests are not held up.
    let r = app
        .api(Method::GET, "/api/v1/achievements", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Once it is done, the next import runs.
    drop(held);
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import?dry_run=true",
            Some(&bureau),
            csv,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(state.imports.available_permits(), 1);
}
storage_test!(imports_beyond_the_concurrency_limit_answer_503);

#[test]
fn import_requests_are_recognized() {
    use chengguo_web::imports::is_import_request;
    let post = Method::POST;
    for p in [
        "/api/v1/achievements/import",
        "/api/v1/contracts/import",
        "/organizations/import",
        "/demands/import/abc123/commit",
        "/contracts/import/x/commit/",
    ] {
        assert!(is_import_request(&post, p), "{p}");
    }
    for p in ["/organizations/import", "/api/v1/achievements"] {
        assert!(!is_import_request(&Method::GET, p), "{p}");
    }
    for p in ["/api/v1/achievements", "/imports", "/a/commit", "/login"] {
        assert!(!is_import_request(&post, p), "{p}");
    }
}
