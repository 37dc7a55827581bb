//! The JSON API, through the real router, on both databases.

mod common;

use axum::http::{Method, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::{fresh_code, TestApp, ROLES};
use serde_json::json;

fn org_body(n: usize) -> serde_json::Value {
    json!({"name": format!("沈阳测试{n}有限公司"), "credit_code": fresh_code(n), "division_code": "210106", "nature": "150", "kind": "enterprise"})
}

async fn create_organization_acceptance(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    // anonymous → 401 with a stable code
    let r = app
        .api(
            Method::POST,
            "/api/v1/organizations",
            None,
            Some(org_body(1)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], "unauthorized");

    let bureau = app.token("bureau").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/organizations",
            Some(&bureau),
            Some(org_body(1)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let created = r.json();
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["kind"], "enterprise");
    assert_eq!(created["division_name"], "辽宁省沈阳市铁西区");

    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/organizations/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["credit_code"], fresh_code(1));

    // wrong check character → 422 naming credit_code
    let mut bad = org_body(2);
    let mut code = fresh_code(2);
    let last = code.pop().unwrap();
    code.push(if last == '0' { '1' } else { '0' });
    bad["credit_code"] = json!(code);
    let r = app
        .api(
            Method::POST,
            "/api/v1/organizations",
            Some(&bureau),
            Some(bad),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.json();
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["fields"][0]["field"], "credit_code");

    // the same credit code again → 409 naming credit_code
    let r = app
        .api(
            Method::POST,
            "/api/v1/organizations",
            Some(&bureau),
            Some(org_body(1)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["fields"][0]["field"], "credit_code");

    // PATCH by a unit account of another organization → 403; of its own → 200
    let unit = app.token("unit").await;
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/organizations/{id}"),
            Some(&unit),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["code"], "forbidden");
    let neu = app.org_id("东北大学").await;
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/organizations/{neu}"),
            Some(&unit),
            Some(json!({"description": "技术转移办公室"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["description"], "技术转移办公室");
    // …but not its kind
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/organizations/{neu}"),
            Some(&unit),
            Some(json!({"kind": "enterprise"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // every change is in the audit chain, which still verifies
    let r = app
        .api(Method::GET, "/api/v1/audit/verify", Some(&bureau), None)
        .await;
    assert_eq!(r.json()["ok"], true);
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/audit?entity=organization&entity_id={neu}"),
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.json()["items"][0]["action"], "update");
    assert_eq!(r.json()["items"][0]["actor"], "unit");
}
storage_test!(create_organization_acceptance);

/// Every mutating API endpoint × every role (and anonymous).
async fn mutating_endpoints_by_role(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let neu = app.org_id("东北大学").await;
    let mut tokens = Vec::new();
    for r in ROLES {
        tokens.push((r, Some(app.token(r).await)));
    }
    tokens.push(("anonymous", None));
    let csv = format!(
        "name,credit_code,division_code,nature,kind\n甲,{},210106,150,enterprise\n",
        fresh_code(500)
    )
    .into_bytes();
    // A published achievement of the demo unit and a published demand of the demo enterprise,
    // for the match decisions.
    let (unit, ent, bureau) = (
        app.token("unit").await,
        app.token("enterprise").await,
        app.token("bureau").await,
    );
    let aid = app
        .api(
            Method::POST,
            "/api/v1/achievements",
            Some(&unit),
            Some(json!({"title": "矩阵匹配成果", "keywords": ["矩阵匹配"]})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let did = app
        .api(
            Method::POST,
            "/api/v1/demands",
            Some(&ent),
            Some(json!({"title": "矩阵匹配需求", "keywords": ["矩阵匹配"]})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    for (t, path) in [
        (&unit, format!("/api/v1/achievements/{aid}/actions/submit")),
        (
            &bureau,
            format!("/api/v1/achievements/{aid}/actions/publish"),
        ),
        (&ent, format!("/api/v1/demands/{did}/actions/publish")),
    ] {
        let r = app.api(Method::POST, &path, Some(t), None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    }
    for (i, (role, token)) in tokens.iter().enumerate() {
        let t = token.as_deref();
        let expect = |allowed: bool, ok: StatusCode| {
            if t.is_none() {
                StatusCode::UNAUTHORIZED
            } else if allowed {
                ok
            } else {
                StatusCode::FORBIDDEN
            }
        };

        let r = app
            .api(
                Method::POST,
                "/api/v1/organizations",
                t,
                Some(org_body(100 + i)),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::CREATED),
            "POST organizations as {role}"
        );

        let r = app
            .api(
                Method::PATCH,
                &format!("/api/v1/organizations/{neu}"),
                t,
                Some(json!({"description": role})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(matches!(*role, "bureau" | "unit"), StatusCode::OK),
            "PATCH organization as {role}"
        );

        let r = app
            .raw(
                Method::POST,
                "/api/v1/organizations/import?dry_run=true",
                t,
                csv.clone(),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::OK),
            "POST import as {role}"
        );

        let user = json!({"username": format!("new_{i}"), "password": "Long enough 1", "roles": ["enterprise"]});
        let r = app.api(Method::POST, "/api/v1/users", t, Some(user)).await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::CREATED),
            "POST users as {role}"
        );

        let r = app
            .api(
                Method::POST,
                "/api/v1/me/tokens",
                t,
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(true, StatusCode::CREATED),
            "POST me/tokens as {role}"
        );

        let r = app
            .api(
                Method::POST,
                "/api/v1/matches/decisions",
                t,
                Some(json!({"achievement_id": aid, "demand_id": did, "decision": "accepted"})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(
                matches!(*role, "bureau" | "unit" | "enterprise" | "broker"),
                StatusCode::CREATED
            ),
            "POST matches/decisions as {role}"
        );

        let r = app
            .api(
                Method::PUT,
                "/api/v1/matches/settings",
                t,
                Some(json!({"threshold": 60})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::OK),
            "PUT matches/settings as {role}"
        );
    }
}
storage_test!(mutating_endpoints_by_role);

async fn lists_paginate_filter_and_sort(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/organizations?limit=5&offset=0&sort=-name",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["limit"], 5);
    let total = page["total"].as_i64().unwrap();
    assert!(total >= 30);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, sorted);

    let r = app
        .api(
            Method::GET,
            "/api/v1/organizations?kind=university&limit=200",
            None,
            None,
        )
        .await;
    assert!(r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["kind"] == "university"));
    let r = app
        .api(
            Method::GET,
            "/api/v1/organizations?division=210112&limit=200",
            None,
            None,
        )
        .await;
    assert!(r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["division_code"] == "210112"));
    let r = app
        .api(Method::GET, "/api/v1/organizations?kind=shop", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "kind");
    let r = app
        .api(
            Method::GET,
            "/api/v1/organizations?limit=100000",
            None,
            None,
        )
        .await;
    assert_eq!(r.json()["limit"], 200);
}
storage_test!(lists_paginate_filter_and_sort);

async fn api_import_is_all_or_nothing(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let before = app
        .db
        .store
        .count(chengguo_store::Table::Organizations)
        .await
        .unwrap();
    let csv = format!(
        "name,credit_code,division_code,nature,kind\n好,{},210106,150,enterprise\n坏,{},210106,999,enterprise\n",
        fresh_code(700),
        fresh_code(701)
    );
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations/import",
            Some(&bureau),
            csv.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = r.json()["problems"].clone();
    assert_eq!(problems[0]["row"], 3);
    assert_eq!(problems[0]["column"], "nature");
    assert_eq!(
        app.db
            .store
            .count(chengguo_store::Table::Organizations)
            .await
            .unwrap(),
        before
    );
}
storage_test!(api_import_is_all_or_nothing);

async fn me_tokens_and_bad_tokens(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let t = app.token("district").await;
    let r = app.api(Method::GET, "/api/v1/me", Some(&t), None).await;
    assert_eq!(r.json()["roles"], json!(["district"]));
    assert_eq!(r.json()["district_code"], "210112");
    let r = app
        .api(Method::GET, "/api/v1/me", Some("cg_wrong"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // a token made through the API works
    let r = app
        .api(
            Method::POST,
            "/api/v1/me/tokens",
            Some(&t),
            Some(json!({"name": "excel"})),
        )
        .await;
    let t2 = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&t2), None)
            .await
            .status,
        StatusCode::OK
    );
}
storage_test!(me_tokens_and_bad_tokens);
