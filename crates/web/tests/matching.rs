//! Matching through the real router, on both databases: proposals with their reasons, what
//! each caller may be proposed, accept / decline (declined pairs disappear both ways, the bureau
//! sees the reasons and exports them), the role matrix of the decision endpoint, the workspace
//! panel, the detail pages and the threshold setting.

mod common;

use axum::http::{header, Method, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::{Browser, Resp, TestApp};
use serde_json::{json, Value};

/// Words no demo record uses, so that the records made here match each other first.
const TITLE_A: &str = "钛合金整体叶盘电子束焊接变形控制技术";
const TITLE_D: &str = "寻求钛合金整体叶盘电子束焊接变形控制方案";
const KEYWORDS: [&str; 3] = ["电子束焊接", "整体叶盘", "变形控制"];

fn achievement_body(n: usize, visibility: &str) -> Value {
    json!({
        "ref": format!("MT-A-{n}"),
        "title": TITLE_A,
        "abstract": "面向航空发动机钛合金整体叶盘，研究电子束焊接变形控制技术，焊后变形降低百分之六十，已完成中试验证。",
        "keywords": KEYWORDS,
        "industrial_chain": ["aviation"],
        "tech_field": "advanced_manufacturing",
        "stage": "pilot",
        "trl": 6,
        "price": "800000",
        "visibility": visibility,
    })
}

fn demand_body(n: usize, visibility: &str, deadline: &str) -> Value {
    json!({
        "ref": format!("MT-D-{n}"),
        "title": TITLE_D,
        "description": "我公司生产航空发动机钛合金整体叶盘，电子束焊接后变形超差，寻求焊接变形控制技术合作。",
        "keywords": KEYWORDS,
        "industrial_chain": "aviation",
        "tech_field": "advanced_manufacturing",
        "budget_min": "500000",
        "budget_max": "1000000",
        "deadline": deadline,
        "district": "210112",
        "visibility": visibility,
    })
}

/// Creates an achievement of the demo unit (东北大学); submitted and published by the bureau
/// unless `draft`.
async fn achievement(app: &TestApp, n: usize, visibility: &str, draft: bool) -> i64 {
    let unit = app.token("unit").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/achievements",
            Some(&unit),
            Some(achievement_body(n, visibility)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    if !draft {
        let bureau = app.token("bureau").await;
        for (who, action) in [(&unit, "submit"), (&bureau, "publish")] {
            let r = app
                .api(
                    Method::POST,
                    &format!("/api/v1/achievements/{id}/actions/{action}"),
                    Some(who),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
        }
    }
    id
}

/// Creates and publishes a demand of the demo enterprise (新松).
async fn demand(app: &TestApp, n: usize, visibility: &str, deadline: &str) -> i64 {
    let ent = app.token("enterprise").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/demands",
            Some(&ent),
            Some(demand_body(n, visibility, deadline)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/demands/{id}/actions/publish"),
            Some(&ent),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}

async fn matches(app: &TestApp, kind: &str, id: i64, token: Option<&str>) -> Resp {
    app.api(
        Method::GET,
        &format!("/api/v1/{kind}/{id}/matches?limit=50"),
        token,
        None,
    )
    .await
}

fn ids(r: &Resp) -> Vec<i64> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

fn item(r: &Resp, id: i64) -> Value {
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not among {}", r.text()))
}

fn codes(item: &Value) -> Vec<String> {
    item["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

async fn decide(app: &TestApp, token: Option<&str>, body: Value) -> Resp {
    app.api(Method::POST, "/api/v1/matches/decisions", token, Some(body))
        .await
}

/// A demo demand is proposed relevant achievements, best first, each with its reasons in both
/// languages; the shared key terms are really in both records.
async fn demo_demand_matches_explain_themselves(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let r = app
        .api(Method::GET, "/api/v1/demands?limit=20", None, None)
        .await;
    let demands = r.json()["items"].as_array().unwrap().clone();
    assert!(!demands.is_empty(), "the demo has open public demands");
    let mut same_chain = false;
    for d in demands.iter().take(5) {
        let did = d["id"].as_i64().unwrap();
        let r = matches(&app, "demands", did, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let body = r.json();
        assert_eq!(body["source_kind"], "demand");
        assert_eq!(body["source_id"], did);
        let items = body["items"].as_array().unwrap();
        assert!(!items.is_empty(), "no match for demo demand {}", d["title"]);
        let mut last = 101;
        for it in items {
            assert_eq!(it["kind"], "achievement");
            assert!(it["ref"].is_string() && it["title"].is_string());
            assert!(it["owner_name"].as_str().is_some_and(|s| !s.is_empty()));
            let score = it["score"].as_i64().unwrap();
            assert!((0..=100).contains(&score));
            assert!(score <= last, "ranked best first");
            last = score;
            assert!(it["decision"].is_null());
            let reasons = it["reasons"].as_array().unwrap();
            for reason in reasons {
                assert!(reason["text_zh"].as_str().is_some_and(|s| !s.is_empty()));
                assert!(reason["text_en"].as_str().is_some_and(|s| !s.is_empty()));
            }
            let shared = reasons
                .iter()
                .find(|x| x["code"] == "shared_terms")
                .unwrap_or_else(|| panic!("a text match shares terms: {it}"));
            let terms = shared["text_zh"]
                .as_str()
                .unwrap()
                .strip_prefix("共同关键词：")
                .unwrap()
                .to_string();
            // The achievement, as anonymous readers see it, has the shared terms.
            let a = app
                .api(
                    Method::GET,
                    it["url"]
                        .as_str()
                        .map(|u| format!("/api/v1{u}"))
                        .unwrap()
                        .as_str(),
                    None,
                    None,
                )
                .await
                .json();
            let a_text =
                format!("{} {} {}", a["title"], a["abstract"], a["keywords"]).to_lowercase();
            let d_text =
                format!("{} {} {}", d["title"], d["description"], d["keywords"]).to_lowercase();
            let some_term_in_both = terms
                .split('、')
                .any(|t| a_text.contains(&t.to_lowercase()) && d_text.contains(&t.to_lowercase()));
            assert!(some_term_in_both, "{terms} in {a_text} / {d_text}");
            assert_eq!(a["status"], "published");
            same_chain |= codes(it).contains(&"same_chain".to_string());
        }
    }
    assert!(
        same_chain,
        "demo demands find achievements of their own chain"
    );

    // limit: default 10, at most 50
    let did = demands[0]["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/demands/{did}/matches?limit=2"),
            None,
            None,
        )
        .await;
    assert!(r.json()["items"].as_array().unwrap().len() <= 2);
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/demands/{did}/matches?limit=500"),
            None,
            None,
        )
        .await;
    assert_eq!(r.json()["limit"], 50);
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/demands/{did}/matches"),
            None,
            None,
        )
        .await;
    assert_eq!(r.json()["limit"], 10);
    let r = app
        .api(Method::GET, "/api/v1/demands/999999/matches", None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The records made here: a pair with every reason, scored near the top.
    let a = achievement(&app, 1, "public", false).await;
    let d = demand(&app, 1, "public", "2099-12-31").await;
    let r = matches(&app, "demands", d, None).await;
    assert_eq!(ids(&r)[0], a, "the twin achievement comes first");
    let top = item(&r, a);
    assert_eq!(
        codes(&top),
        [
            "shared_terms",
            "same_chain",
            "same_field",
            "stage_fits",
            "local",
            "within_budget"
        ]
    );
    assert!(top["score"].as_i64().unwrap() >= 90, "{top}");
    assert_eq!(top["owner_name"], "东北大学");
    let reasons = top["reasons"].as_array().unwrap();
    assert!(
        reasons[0]["text_zh"].as_str().unwrap().contains("电子束"),
        "{top}"
    );
    assert_eq!(reasons[1]["text_zh"], "同属产业链：航空");
    assert_eq!(reasons[1]["text_en"], "Same industrial chain: Aviation");
    assert!(reasons[4]["text_zh"].as_str().unwrap().contains("沈阳市"));
    assert_eq!(reasons[5]["text_zh"], "价格在预算内：80 万元 ≤ 100 万元");
    // and the other way round
    let r = matches(&app, "achievements", a, None).await;
    assert_eq!(ids(&r)[0], d);
    assert_eq!(r.json()["items"][0]["kind"], "demand");
}
storage_test!(demo_demand_matches_explain_themselves);

/// Only published records the caller may read are proposed: a draft with the same words never
/// (not even to its owner), a restricted achievement only to signed-in accounts, a restricted
/// demand only to brokers and the bureau, a demand past its deadline to nobody.
async fn only_published_records_the_caller_may_read(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let public_a = achievement(&app, 1, "public", false).await;
    let restricted_a = achievement(&app, 2, "restricted", false).await;
    let draft_a = achievement(&app, 3, "public", true).await;
    let d = demand(&app, 1, "public", "2099-12-31").await;
    let restricted_d = demand(&app, 2, "restricted", "2099-12-31").await;
    let expired_d = demand(&app, 3, "public", "2020-01-01").await;
    let unit = app.token("unit").await;
    let ent = app.token("enterprise").await;
    let broker = app.token("broker").await;
    let bureau = app.token("bureau").await;

    let anon = ids(&matches(&app, "demands", d, None).await);
    assert!(anon.contains(&public_a));
    assert!(!anon.contains(&restricted_a), "restricted: signed-in only");
    assert!(!anon.contains(&draft_a), "drafts: never");
    for (who, t) in [
        ("enterprise", &ent),
        ("unit", &unit),
        ("broker", &broker),
        ("bureau", &bureau),
    ] {
        let got = ids(&matches(&app, "demands", d, Some(t)).await);
        assert!(got.contains(&public_a), "{who}");
        assert!(got.contains(&restricted_a), "{who} is signed in");
        assert!(!got.contains(&draft_a), "{who} is not proposed the draft");
    }
    // the draft itself: 404 for anonymous and other organizations, no proposals of it anywhere
    for t in [None, Some(ent.as_str())] {
        let r = matches(&app, "achievements", draft_a, t).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = matches(&app, "achievements", restricted_a, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // the owner may look at its draft's matches
    let own = ids(&matches(&app, "achievements", draft_a, Some(&unit)).await);
    assert!(own.contains(&d));

    let anon = ids(&matches(&app, "achievements", public_a, None).await);
    assert!(anon.contains(&d));
    assert!(!anon.contains(&restricted_d), "restricted demands: brokers");
    assert!(!anon.contains(&expired_d), "past the deadline");
    let unit_sees = ids(&matches(&app, "achievements", public_a, Some(&unit)).await);
    assert!(!unit_sees.contains(&restricted_d));
    for t in [&broker, &bureau] {
        let got = ids(&matches(&app, "achievements", public_a, Some(t)).await);
        assert!(got.contains(&restricted_d));
        assert!(!got.contains(&expired_d));
    }
    // The owner of the restricted demand is proposed achievements for it, but no one else.
    assert!(ids(&matches(&app, "demands", restricted_d, Some(&ent)).await).contains(&public_a));
    assert_eq!(
        matches(&app, "demands", restricted_d, Some(&unit))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Anonymous callers never get anything unpublished or restricted, for any demo demand.
    let r = app
        .api(Method::GET, "/api/v1/demands?limit=10", None, None)
        .await;
    for dd in r.json()["items"].as_array().unwrap() {
        let r = matches(&app, "demands", dd["id"].as_i64().unwrap(), None).await;
        for it in r.json()["items"].as_array().unwrap() {
            let a = app
                .api(
                    Method::GET,
                    &format!("/api/v1/achievements/{}", it["id"]),
                    Some(&bureau),
                    None,
                )
                .await
                .json();
            assert_eq!(a["status"], "published");
            assert_eq!(a["visibility"], "public");
        }
    }
}
storage_test!(only_published_records_the_caller_may_read);

/// A decline needs a reason (422 naming the field); a declined pair disappears from both lists
/// for everyone; the bureau lists every decision with its reason and exports them; the decision
/// is audited; an acceptance is shown on the pair.
async fn declined_pairs_disappear_and_reasons_reach_the_bureau(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let a = achievement(&app, 1, "public", false).await;
    let a2 = achievement(&app, 2, "public", false).await;
    let d = demand(&app, 1, "public", "2099-12-31").await;
    let unit = app.token("unit").await;
    let ent = app.token("enterprise").await;
    let bureau = app.token("bureau").await;
    assert!(ids(&matches(&app, "demands", d, Some(&ent)).await).contains(&a));
    assert!(ids(&matches(&app, "achievements", a, Some(&unit)).await).contains(&d));

    for reason in [json!(null), json!(""), json!("   ")] {
        let r = decide(
            &app,
            Some(&ent),
            json!({"achievement_id": a, "demand_id": d, "decision": "declined", "reason": reason}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["code"], "validation_failed");
        assert_eq!(r.json()["fields"][0]["field"], "reason");
    }
    let r = decide(
        &app,
        Some(&ent),
        json!({"achievement_id": a, "demand_id": d, "decision": "maybe"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "decision");
    let r = decide(
        &app,
        Some(&ent),
        json!({"demand_id": d, "decision": "accepted"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "achievement_id");
    assert!(ids(&matches(&app, "demands", d, Some(&ent)).await).contains(&a));

    let r = decide(
        &app,
        Some(&ent),
        json!({"achievement_id": a, "demand_id": d, "decision": "declined", "reason": "技术路线与我公司产线不符"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["side"], "demand");
    assert_eq!(r.json()["decision"], "declined");
    assert_eq!(r.json()["decided_by"], "enterprise");

    // gone from both directions, for every caller
    for t in [
        None,
        Some(ent.as_str()),
        Some(unit.as_str()),
        Some(bureau.as_str()),
    ] {
        assert!(!ids(&matches(&app, "demands", d, t).await).contains(&a));
        assert!(ids(&matches(&app, "demands", d, t).await).contains(&a2));
        assert!(!ids(&matches(&app, "achievements", a, t).await).contains(&d));
    }

    // an acceptance shows on the pair
    let r = decide(
        &app,
        Some(&unit),
        json!({"achievement_id": a2, "demand_id": d, "decision": "accepted"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["side"], "achievement");
    let r = matches(&app, "demands", d, Some(&ent)).await;
    let it = item(&r, a2);
    assert_eq!(it["decision"], "accepted");
    assert_eq!(it["decisions"][0]["side"], "achievement");
    assert_eq!(it["decisions"][0]["decided_by"], "unit");

    // the bureau's list: every decision with its reason
    let r = app
        .api(
            Method::GET,
            "/api/v1/matches/decisions",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["total"], 2);
    let declined = app
        .api(
            Method::GET,
            "/api/v1/matches/decisions?decision=declined&limit=5",
            Some(&bureau),
            None,
        )
        .await
        .json();
    assert_eq!(declined["total"], 1);
    let row = &declined["items"][0];
    assert_eq!(row["reason"], "技术路线与我公司产线不符");
    assert_eq!(row["achievement_id"], a);
    assert_eq!(row["demand_id"], d);
    assert_eq!(row["achievement_title"], TITLE_A);
    assert_eq!(row["demand_owner"], "沈阳新松机器人自动化股份有限公司");
    assert_eq!(row["side"], "demand");
    // others see their own (their account's or organization's) decisions only
    let mine = app
        .api(Method::GET, "/api/v1/matches/decisions", Some(&ent), None)
        .await
        .json();
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["decision"], "declined");
    let broker = app.token("broker").await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/matches/decisions",
            Some(&broker),
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 0);
    let r = app
        .api(Method::GET, "/api/v1/matches/decisions", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .api(
            Method::GET,
            "/api/v1/matches/decisions?decision=perhaps",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // the XLSX export (the bureau's)
    let r = app
        .api(
            Method::GET,
            "/api/v1/matches/decisions?format=xlsx",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let t = chengguo_io::read_table(&r.body, chengguo_io::Format::Xlsx).unwrap();
    assert_eq!(t.headers[0], "decided_at");
    assert_eq!(t.rows.len(), 2);
    let reason_col = t.headers.iter().position(|h| h == "reason").unwrap();
    assert!(t
        .rows
        .iter()
        .any(|row| row.cells[reason_col] == "技术路线与我公司产线不符"));
    let r = app
        .api(
            Method::GET,
            "/api/v1/matches/decisions?format=xlsx",
            Some(&ent),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // audited in the chain, which still verifies
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/audit?entity=match&entity_id={a}-{d}"),
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["items"][0]["action"], "decline");
    assert_eq!(r.json()["items"][0]["actor"], "enterprise");
    let r = app
        .api(Method::GET, "/api/v1/audit/verify", Some(&bureau), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // a side changes its mind: the later decision replaces the earlier one
    let r = decide(
        &app,
        Some(&ent),
        json!({"achievement_id": a, "demand_id": d, "decision": "accepted"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(ids(&matches(&app, "demands", d, Some(&ent)).await).contains(&a));
    let r = app
        .api(
            Method::GET,
            "/api/v1/matches/decisions",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 2);
}
storage_test!(declined_pairs_disappear_and_reasons_reach_the_bureau);

/// `POST /api/v1/matches/decisions` by role: anonymous 401; public, district and registrar
/// 403; the owners of either record, brokers and the bureau may; another organization's unit or
/// enterprise 403; a record the caller may not read 404.
async fn decision_endpoint_by_role(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let a = achievement(&app, 1, "public", false).await;
    let d = demand(&app, 1, "public", "2099-12-31").await;
    let bureau = app.token("bureau").await;
    // a university and an enterprise of the demo that own neither record
    let stranger = |kind: &'static str, owner: &'static str| {
        let app = &app;
        async move {
            let r = app
                .api(
                    Method::GET,
                    &format!("/api/v1/organizations?kind={kind}&limit=50"),
                    None,
                    None,
                )
                .await;
            r.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["name"] != owner)
                .map(|o| o["credit_code"].as_str().unwrap().to_string())
                .unwrap()
        }
    };
    let unit_code = stranger("university", "东北大学").await;
    let ent_code = stranger("enterprise", "沈阳新松机器人自动化股份有限公司").await;
    for (name, role, code) in [
        ("stranger_unit", "unit", unit_code),
        ("stranger_ent", "enterprise", ent_code),
    ] {
        let r = app
            .api(
                Method::POST,
                "/api/v1/users",
                Some(&bureau),
                Some(json!({"username": name, "password": "Long-enough-pw1", "roles": [role], "org_credit_code": code})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let body = json!({"achievement_id": a, "demand_id": d, "decision": "accepted"});
    let r = decide(&app, None, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for (who, expected, side) in [
        ("public", StatusCode::FORBIDDEN, None),
        ("district", StatusCode::FORBIDDEN, None),
        ("registrar", StatusCode::FORBIDDEN, None),
        ("stranger_unit", StatusCode::FORBIDDEN, None),
        ("stranger_ent", StatusCode::FORBIDDEN, None),
        ("unit", StatusCode::CREATED, Some("achievement")),
        ("enterprise", StatusCode::CREATED, Some("demand")),
        ("broker", StatusCode::CREATED, Some("broker")),
        ("bureau", StatusCode::CREATED, Some("broker")),
    ] {
        let t = app.token(who).await;
        let r = decide(&app, Some(&t), body.clone()).await;
        assert_eq!(r.status, expected, "POST decision as {who}: {}", r.text());
        if let Some(s) = side {
            assert_eq!(r.json()["side"], s, "{who}");
        } else {
            assert_eq!(r.json()["code"], "forbidden", "{who}");
        }
    }
    // a record the caller may not read: 404
    let draft = achievement(&app, 2, "public", true).await;
    let ent = app.token("enterprise").await;
    let r = decide(
        &app,
        Some(&ent),
        json!({"achievement_id": draft, "demand_id": d, "decision": "accepted"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // browsers must send the CSRF token with an API write made with the session
    let b = app.login("unit").await;
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/matches/decisions")
        .header(header::COOKIE, b.cookie_header())
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);

    // the settings are the bureau's
    let unit = app.token("unit").await;
    let r = app
        .api(
            Method::PUT,
            "/api/v1/matches/settings",
            Some(&unit),
            Some(json!({"threshold": 10})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            Method::PUT,
            "/api/v1/matches/settings",
            Some(&bureau),
            Some(json!({"threshold": 101})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "threshold");
    let r = app
        .api(Method::GET, "/api/v1/matches/settings", Some(&bureau), None)
        .await;
    assert_eq!(
        r.json()["threshold"],
        chengguo_core::matching::DEFAULT_THRESHOLD
    );
}
storage_test!(decision_endpoint_by_role);

/// The home page of the owners lists a new match above the threshold, linking to the pair;
/// once their side has decided it is gone; a threshold of 100 empties it; accounts of other
/// roles have no panel.
async fn workspace_panel_shows_new_matches(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let a = achievement(&app, 1, "public", false).await;
    let d = demand(&app, 1, "public", "2099-12-31").await;
    let unit = app.login("unit").await;
    let r = app.page(&unit, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("新的匹配推荐"), "{html}");
    assert!(
        html.contains(&format!("href=\"/achievements/{a}#matches\"")),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"/demands/{d}\"")));
    assert!(html.contains(TITLE_D));
    let r = app.page(&unit, "/?lang=en").await;
    assert!(r.text().contains("New suggested matches"));

    let ent = app.login("enterprise").await;
    let html = app.page(&ent, "/").await.text();
    assert!(
        html.contains(&format!("href=\"/demands/{d}#matches\"")),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"/achievements/{a}\"")));
    let broker = app.login("broker").await;
    let html = app.page(&broker, "/").await.text();
    assert!(html.contains("新的匹配推荐"));
    assert!(
        html.contains(&format!("href=\"/demands/{d}#matches\"")),
        "{html}"
    );
    for other in ["bureau", "registrar", "public"] {
        let b = app.login(other).await;
        assert!(
            !app.page(&b, "/").await.text().contains("新的匹配推荐"),
            "{other}"
        );
    }
    assert!(!app
        .page(&Browser::new(), "/")
        .await
        .text()
        .contains("新的匹配推荐"));

    // the unit accepts: gone from its panel, still new for the enterprise (marked accepted)
    let r = app
        .form(
            &unit,
            "/matches/decisions",
            &[
                ("achievement_id", &a.to_string()),
                ("demand_id", &d.to_string()),
                ("decision", "accepted"),
                ("next", &format!("/achievements/{a}")),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = app.page(&unit, "/").await.text();
    assert!(!html.contains(&format!("href=\"/achievements/{a}#matches\"")));
    let html = app.page(&ent, "/").await.text();
    assert!(html.contains(&format!("href=\"/demands/{d}#matches\"")));
    assert!(html.contains("对方已接受"));

    // a threshold nobody reaches: the empty state
    let bureau = app.token("bureau").await;
    let r = app
        .api(
            Method::PUT,
            "/api/v1/matches/settings",
            Some(&bureau),
            Some(json!({"threshold": 100})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["threshold"], 100);
    let html = app.page(&ent, "/").await.text();
    assert!(!html.contains(&format!("href=\"/demands/{d}#matches\"")));
    assert!(html.contains("暂无匹配度高于 100 分的新推荐"), "{html}");
    let r = app
        .api(
            Method::PUT,
            "/api/v1/matches/settings",
            Some(&bureau),
            Some(json!({"threshold": 0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let broker_html = app.page(&broker, "/").await.text();
    assert!(broker_html.contains("class=\"match\""));
}
storage_test!(workspace_panel_shows_new_matches);

/// The detail pages list the matches for signed-in viewers with accept / decline forms; a
/// decline without a reason comes back with the problem, with one it removes the pair; the
/// decisions page lists it and the bureau exports it; anonymous visitors see no section.
async fn detail_pages_list_matches_and_take_decisions(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let a = achievement(&app, 1, "public", false).await;
    let d = demand(&app, 1, "public", "2099-12-31").await;
    let anon = Browser::new();
    let html = app.page(&anon, &format!("/achievements/{a}")).await.text();
    assert!(!html.contains("id=\"matches\""));

    let unit = app.login("unit").await;
    let r = app.page(&unit, &format!("/achievements/{a}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("匹配推荐"), "{html}");
    assert!(html.contains(TITLE_D));
    assert!(html.contains("共同关键词："));
    assert!(html.contains("action=\"/matches/decisions\""));
    assert!(html.contains(&format!("value=\"{}\"", unit.csrf)));
    let html = app
        .page(&unit, &format!("/achievements/{a}?lang=en"))
        .await
        .text();
    assert!(html.contains("Suggested matches") && html.contains("Shared key terms"));

    // without the CSRF field: refused
    let fields = [
        ("achievement_id", a.to_string()),
        ("demand_id", d.to_string()),
        ("decision", "declined".to_string()),
        ("next", format!("/achievements/{a}")),
    ];
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.form(&unit, "/matches/decisions", &f, Some("")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // without a reason: back with the problem
    let r = app.form(&unit, "/matches/decisions", &f, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = r.location().unwrap();
    assert!(
        back.starts_with(&format!("/achievements/{a}?match_error=")),
        "{back}"
    );
    let html = app.page(&unit, &back).await.text();
    assert!(html.contains("拒绝时必须填写理由"), "{html}");
    // with one: the pair is gone
    let mut f2 = f.clone();
    f2.push(("reason", "企业需求规模与成果不匹配"));
    let r = app.form(&unit, "/matches/decisions", &f2, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = r.location().unwrap();
    let html = app.page(&unit, &back).await.text();
    assert!(html.contains("已记录您的决定"), "{html}");
    assert!(!html.contains(TITLE_D));
    let ent = app.login("enterprise").await;
    let html = app.page(&ent, &format!("/demands/{d}")).await.text();
    assert!(html.contains("匹配推荐"));
    assert!(!html.contains(&format!("href=\"/achievements/{a}\"")));
    // a public account may read but not decide: no forms, and a post is refused
    let public = app.login("public").await;
    let html = app.page(&public, &format!("/demands/{d}")).await.text();
    assert!(html.contains("id=\"matches\""));
    assert!(!html.contains("action=\"/matches/decisions\""));
    let r = app.form(&public, "/matches/decisions", &f2, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // the decisions page and its export
    let html = app.page(&unit, "/matches/decisions").await.text();
    assert!(html.contains("企业需求规模与成果不匹配"));
    assert!(!html.contains("导出 XLSX"));
    let bureau = app.login("bureau").await;
    let html = app
        .page(&bureau, "/matches/decisions?decision=declined")
        .await
        .text();
    assert!(html.contains("企业需求规模与成果不匹配") && html.contains("导出 XLSX"));
    let r = app.page(&bureau, "/matches/decisions.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    let t = chengguo_io::read_table(&r.body, chengguo_io::Format::Xlsx).unwrap();
    assert_eq!(t.rows.len(), 1);
    let r = app.page(&unit, "/matches/decisions.xlsx").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // in the OpenAPI document
    let doc = app.page(&anon, "/api/openapi.json").await.json();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/demands/{id}/matches",
        "/api/v1/achievements/{id}/matches",
        "/api/v1/matches/decisions",
        "/api/v1/matches/settings",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    assert!(paths["/api/v1/matches/decisions"].get("post").is_some());
}
storage_test!(detail_pages_list_matches_and_take_decisions);
