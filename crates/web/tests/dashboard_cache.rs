//! The dashboard costs nothing to repeat (issue #11, finding 9), on both databases: indicators,
//! scorecards and the rendered dashboard are computed once per data version (the audit
//! sequence), a repeated view computes nothing, and a write shows in the next view.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use chengguo_web::AppState;
use serde_json::json;
use tower::ServiceExt;

/// The demo behind the real router, with the state kept to read the cache's counter.
async fn app(db: &TestDb) -> (common::TestApp, AppState) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let (search, _) = chengguo_store::SearchService::open(db.store.clone(), None)
        .await
        .unwrap();
    let state = AppState::new(
        db.store.clone(),
        chengguo_web::WebConfig::default(),
        std::sync::Arc::new(search),
    );
    let app = common::TestApp {
        app: chengguo_web::app(state.clone()),
        db: db.clone_for_test(),
    };
    (app, state)
}

async fn get(app: &common::TestApp, uri: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .uri(uri)
        .header(header::COOKIE, format!("cg_csrf={}", common::CSRF))
        .body(Body::empty())
        .unwrap();
    let resp = app.app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn repeated_views_compute_nothing_and_writes_show(db: &TestDb) {
    let (app, state) = app(db).await;
    let (status, first) = get(&app, "/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let computed = state.figures.computations();
    assert!(computed > 0, "the first view computes");

    // Repeated views (and the API for the same figures) compute nothing.
    for _ in 0..3 {
        let (status, again) = get(&app, "/dashboard").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again, first);
    }
    let (_, api) = get(&app, "/api/v1/indicators").await;
    let api: serde_json::Value = serde_json::from_str(&api).unwrap();
    let year = api["year"].as_i64().unwrap();
    assert_eq!(
        state.figures.computations(),
        computed,
        "repeated views and the API share the cached figures"
    );
    // Another language is another rendering, of the same figures.
    let (_, en) = get(&app, "/dashboard?lang=en").await;
    assert!(en.contains("Technology contract turnover"));
    assert_eq!(state.figures.computations(), computed + 1);
    let computed = state.figures.computations();

    // A write (an audited figure) shows in the next view: the dashboard and the API.
    assert!(!first.contains("98,765"));
    let bureau = app.token("bureau").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/indicators/high_tech_enterprises/values",
            Some(&bureau),
            Some(
                json!({"year": year, "value": "98765", "source_document": "统计快报",
                        "source_date": format!("{year}-01-20")}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (_, after) = get(&app, "/dashboard").await;
    assert!(after.contains("98,765"), "the new figure is shown");
    assert!(state.figures.computations() > computed, "recomputed");
    let (_, api) = get(&app, "/api/v1/indicators").await;
    let api: serde_json::Value = serde_json::from_str(&api).unwrap();
    let item = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "high_tech_enterprises")
        .cloned()
        .unwrap();
    assert_eq!(item["value"], 98765.0);
    let computed = state.figures.computations();
    let (_, again) = get(&app, "/dashboard").await;
    assert_eq!(again, after);
    assert_eq!(state.figures.computations(), computed);

    // A district target (audited) shows in the district's indicators and scorecard.
    let uri = format!("/api/v1/indicators?year={year}&district=210106");
    let target = |v: &serde_json::Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == "contract_turnover")
            .map(|i| (i["target"].clone(), i["target_basis"].clone()))
            .unwrap()
    };
    let before: serde_json::Value = serde_json::from_str(&get(&app, &uri).await.1).unwrap();
    assert_ne!(target(&before).1, "district");
    let r = app
        .api(
            Method::PUT,
            "/api/v1/district-targets",
            Some(&bureau),
            Some(
                json!({"indicator": "contract_turnover", "year": year, "division": "210106",
                        "value": 4.2e9}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let after: serde_json::Value = serde_json::from_str(&get(&app, &uri).await.1).unwrap();
    assert_eq!(target(&after), (json!(4.2e9), json!("district")));
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/scorecards/210106?year={year}"),
            Some(&bureau),
            None,
        )
        .await;
    let item = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"]["key"] == "contract_turnover")
        .cloned()
        .unwrap();
    assert_eq!(item["indicator"]["target"], 4.2e9);
}
storage_test!(repeated_views_compute_nothing_and_writes_show);
