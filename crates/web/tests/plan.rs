//! The plan as data through the real router, on both databases: the plan with every target of
//! the seed, malformed plans refused with locations, reported figures with history and audit,
//! every new mutating endpoint × every role, and the dashboard and scorecards with their exports.

mod common;

use axum::http::{Method, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::{TestApp, ROLES};
use serde_json::{json, Value};

fn target(plan: &Value, key: &str, year: &str) -> f64 {
    let o = plan["plan"]["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == key)
        .unwrap_or_else(|| panic!("objective {key}"));
    o["targets"][year]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} {year}"))
}

async fn plan_has_every_target_and_task(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let r = app.api(Method::GET, "/api/v1/plan", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = r.json();
    for (key, year, value) in [
        ("contract_turnover", "2022", 36_000_000_000.0),
        ("contract_turnover", "2025", 50_000_000_000.0),
        ("local_absorption_growth", "2022", 20.0),
        ("local_absorption_growth", "2025", 50.0),
        ("local_conversion_rate", "2022", 40.0),
        ("local_conversion_rate", "2025", 50.0),
        ("carriers", "2022", 240.0),
        ("carriers", "2025", 300.0),
        ("incubating_enterprises", "2022", 18_000.0),
        ("incubating_enterprises", "2025", 30_000.0),
        ("high_tech_output_share", "2022", 58.0),
        ("high_tech_output_share", "2025", 60.0),
        ("strategic_emerging_share", "2025", 15.0),
        ("high_tech_enterprises", "2022", 4_500.0),
        ("high_tech_enterprises", "2025", 8_000.0),
        ("national_platforms", "2025", 70.0),
        ("integrated_platforms", "2025", 500.0),
        ("platform_achievements", "2025", 1_500.0),
        ("sitri_institutes", "2025", 30.0),
        ("sitri_joint_centres", "2025", 100.0),
        ("sitri_incubated", "2025", 100.0),
        ("sitri_enterprises_served", "2025", 2_000.0),
        ("alliances", "2025", 300.0),
        ("transformation_fund", "2023", 1_000_000_000.0),
        ("tech_finance_institutions", "2025", 10.0),
        ("maker_spaces", "2025", 300.0),
        ("achievements_published", "2024", 2_000.0),
        ("docking_events", "2023", 100.0),
        ("roadshows", "2022", 1_000.0),
        ("transfer_institutions", "2025", 100.0),
        ("brokers", "2025", 1_000.0),
    ] {
        assert_eq!(target(&p, key, year), value, "{key} {year}");
    }
    let policy = |k: &str| {
        p["plan"]["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == k)
            .unwrap_or_else(|| panic!("policy {k}"))["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(policy("startup_capital"), 10_000_000.0);
    assert_eq!(policy("unveil_prefunding_rate"), 50.0);
    assert_eq!(policy("unveil_prefunding_cap"), 3_000_000.0);
    assert_eq!(policy("record_keeping_reward"), 100_000.0);
    assert_eq!(policy("student_roadshow_support"), 100_000.0);
    let tasks = p["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 19);
    for t in tasks {
        assert!(!t["departments"].as_array().unwrap().is_empty(), "{t}");
    }
    let names = |n: usize| -> Vec<String> {
        tasks[n - 1]["departments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name_en"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(3),
        [
            "Municipal Science and Technology Bureau",
            "Financial Development Bureau",
            "Finance Bureau"
        ]
    );
    assert_eq!(
        names(7),
        ["Shenyang Industrial Technology Research Institute"]
    );
    assert_eq!(
        names(17),
        [
            "Municipal Bureau of Commerce",
            "Municipal Science and Technology Bureau",
            "district, county (city) government"
        ]
    );
    assert_eq!(p["plan"]["safeguards"].as_array().unwrap().len(), 4);
    // Overdue: task 18's last report (demo, 2025-03-31) is older than the 90-day cadence; task
    // 19 has none but the plan was loaded today; task 1 is completed.
    assert_eq!(p["report_cadence_days"], 90);
    assert_eq!(tasks[17]["overdue"], true, "{}", tasks[17]);
    assert_eq!(tasks[17]["departments"][0]["overdue"], true);
    assert_eq!(tasks[18]["overdue"], false);
    assert_eq!(tasks[0]["status"], "completed");
    assert_eq!(tasks[0]["overdue"], false);

    // Every objective is an indicator of the year.
    let r = app
        .api(Method::GET, "/api/v1/indicators?year=2025", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(
        items.len(),
        p["plan"]["objectives"].as_array().unwrap().len()
    );
    for i in &items {
        for k in [
            "key", "name_zh", "unit", "target", "value", "source", "progress", "status",
        ] {
            assert!(i.get(k).is_some(), "{k} missing in {i}");
        }
        assert!(["met", "on_track", "behind", "no_data"].contains(&i["status"].as_str().unwrap()));
    }
    let carriers = items.iter().find(|i| i["key"] == "carriers").unwrap();
    assert_eq!(carriers["source"], "computed");
    assert!(carriers["records_url"]
        .as_str()
        .unwrap()
        .contains("kind=incubator"));
    let r = app
        .api(
            Method::GET,
            "/api/v1/indicators?year=2025&district=999999",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
storage_test!(plan_has_every_target_and_task);

async fn malformed_plan_is_refused_with_locations(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let bad = chengguo_core::plan::SHENYANG_2022
        .replacen("2025 = 50000000000", "2025 = \"lots\"", 1)
        .replacen("key = \"sti\"", "key = \"sti\"\ncolour = \"red\"", 1);
    let r = app
        .raw(
            Method::POST,
            "/api/v1/plan",
            Some(&bureau),
            bad.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let fields: Vec<(String, String)> = r.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().into(),
                f["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        fields
            .iter()
            .any(|(f, m)| f == "departments[0].colour" && m.contains("line ")),
        "{fields:?}"
    );
    assert!(
        fields
            .iter()
            .any(|(f, m)| f == "objectives[0].targets.2025" && m.contains("column")),
        "{fields:?}"
    );
    // The good plan loads as version 2.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/plan",
            Some(&bureau),
            chengguo_core::plan::SHENYANG_2022.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["version"], 2);
}
storage_test!(malformed_plan_is_refused_with_locations);

async fn reported_figure_keeps_history_and_is_audited(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let district = app.token("district").await;
    let body = |v: &str, doc: &str| json!({"year": 2023, "value": v, "source_document": doc, "source_date": "2024-01-20"});
    let r = app
        .api(
            Method::POST,
            "/api/v1/indicators/high_tech_enterprises/values",
            Some(&bureau),
            Some(body("7100", "2025年统计公报")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .api(
            Method::POST,
            "/api/v1/indicators/high_tech_enterprises/values",
            Some(&bureau),
            Some(body("7240", "2025年统计公报（修订）")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Missing source → 422 naming the fields; a computed indicator cannot be reported.
    let r = app
        .api(
            Method::POST,
            "/api/v1/indicators/high_tech_enterprises/values",
            Some(&bureau),
            Some(json!({"year": 2023, "value": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body_json = r.json();
    let fields: Vec<&str> = body_json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"value")
            && fields.contains(&"source_document")
            && fields.contains(&"source_date")
    );
    let r = app
        .api(
            Method::POST,
            "/api/v1/indicators/contract_turnover/values",
            Some(&bureau),
            Some(body("1", "x")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .api(
            Method::GET,
            "/api/v1/indicators/high_tech_enterprises/history",
            Some(&district),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.json();
    let mine: Vec<&Value> = h
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["year"] == 2023)
        .collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0]["value"], 7240.0);
    assert_eq!(mine[0]["source_document"], "2025年统计公报（修订）");
    assert_eq!(mine[1]["source_document"], "2025年统计公报");
    let r = app
        .api(Method::GET, "/api/v1/indicators?year=2023", None, None)
        .await;
    let v = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "high_tech_enterprises")
        .unwrap()
        .clone();
    assert_eq!(v["value"], 7240.0);
    assert_eq!(v["source"], "reported");
    assert_eq!(v["reported"]["source_document"], "2025年统计公报（修订）");
    let audit = app
        .db
        .store
        .audit_list(&chengguo_store::AuditFilter {
            entity: Some("indicator_value".into()),
            entity_id: Some("high_tech_enterprises/2023/210100".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.total, 2);
    assert_eq!(audit.items[0].entry.actor, "bureau");
    assert_eq!(audit.items[0].change["previous"], "7100");
}
storage_test!(reported_figure_keeps_history_and_is_audited);

/// Every new mutating endpoint × every role (and anonymous).
async fn plan_endpoints_by_role(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let mut tokens = Vec::new();
    for r in ROLES {
        tokens.push((r, Some(app.token(r).await)));
    }
    tokens.push(("anonymous", None));
    for (role, token) in &tokens {
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
            .raw(
                Method::POST,
                "/api/v1/plan",
                t,
                chengguo_core::plan::SHENYANG_2022.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::CREATED),
            "POST plan as {role}"
        );

        // A district figure of the demo district: the bureau and that district's officer.
        let r = app
            .api(Method::POST, "/api/v1/indicators/roadshows/values", t,
                Some(json!({"year": 2025, "division": "210112", "value": 10, "source_document": role, "source_date": "2026-01-01"})))
            .await;
        assert_eq!(
            r.status,
            expect(matches!(*role, "bureau" | "district"), StatusCode::CREATED),
            "POST values (210112) as {role}"
        );
        // The city's figure: the bureau only (a district officer is refused by the row rule).
        let r = app
            .api(Method::POST, "/api/v1/indicators/roadshows/values", t,
                Some(json!({"year": 2025, "value": 10, "source_document": role, "source_date": "2026-01-01"})))
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::CREATED),
            "POST values (city) as {role}"
        );

        let r = app
            .api(Method::PUT, "/api/v1/district-targets", t,
                Some(json!({"indicator": "contract_turnover", "year": 2025, "division": "210106", "value": 5e9})))
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::NO_CONTENT),
            "PUT district-targets as {role}"
        );

        // Task 16: 市科技局 (the bureau's organization) and every district government.
        let r = app
            .api(Method::POST, "/api/v1/plan/tasks/16/reports", t,
                Some(json!({"text": format!("{role} 报送"), "figures": "1 场", "attachments": ["a.pdf"]})))
            .await;
        assert_eq!(
            r.status,
            expect(matches!(*role, "bureau" | "district"), StatusCode::CREATED),
            "POST task report as {role}"
        );

        let r = app
            .api(
                Method::PUT,
                "/api/v1/plan/settings",
                t,
                Some(json!({"report_cadence_days": 60})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::OK),
            "PUT plan settings as {role}"
        );

        let r = app
            .api(
                Method::PATCH,
                "/api/v1/plan/tasks/16",
                t,
                Some(json!({"status": "in_progress"})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::OK),
            "PATCH task as {role}"
        );
    }
    // Task 7 is the Institute's: the bureau may report for it, a district may not.
    let district = app.token("district").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/plan/tasks/7/reports",
            Some(&district),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            Method::GET,
            "/api/v1/plan/tasks/16/reports",
            Some(&district),
            None,
        )
        .await;
    assert!(r.json().as_array().unwrap().len() >= 2);
}
storage_test!(plan_endpoints_by_role);

async fn dashboard_and_scorecards_render_and_export(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let anon = common::Browser::new();
    let r = app.page(&anon, "/dashboard").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("class=\"gauge\""));
    assert!(html.contains("技术合同成交额"));
    assert!(html.contains("/plan/tasks/19"));
    let r = app.page(&anon, "/dashboard.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..2], b"PK");
    let r = app.page(&anon, "/plan").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("沈政办发〔2022〕4号"));
    let r = app.page(&anon, "/dashboard?lang=en").await;
    assert!(r.text().contains("Technology contract turnover"));

    // Scorecards are for the bureau and districts.
    let r = app.page(&anon, "/scorecards/210112").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let unit = app.login("unit").await;
    assert_eq!(
        app.page(&unit, "/scorecards").await.status,
        StatusCode::FORBIDDEN
    );
    let district = app.login("district").await;
    let r = app.page(&district, "/").await;
    assert!(
        r.text().contains("plan-panel"),
        "the district's home page shows the plan"
    );
    let r = app.page(&district, "/scorecards/210112").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("浑南区"));
    let r = app.page(&district, "/scorecards/210112/export.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..2], b"PK");
    let r = app.page(&district, "/scorecards/export.xlsx").await;
    assert_eq!(&r.body[..2], b"PK");
    let r = app.page(&district, "/scorecards").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.page(&district, "/scorecards/999999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let bureau = app.token("bureau").await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/scorecards?year=2025",
            Some(&bureau),
            None,
        )
        .await;
    let cards = r.json();
    assert_eq!(cards.as_array().unwrap().len(), 13);
    assert_eq!(cards[0]["rank"], 1);
}
storage_test!(dashboard_and_scorecards_render_and_export);

async fn page_forms_report_figures_and_progress(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let district = app.login("district").await;
    let r = app.page(&district, "/plan/indicators/roadshows").await;
    assert!(r.text().contains("name=\"source_document\""));
    let r = app
        .form(
            &district,
            "/plan/indicators/roadshows",
            &[
                ("year", "2025"),
                ("division", "210112"),
                ("value", "31"),
                ("source_document", "浑南区路演台账"),
                ("source_date", "2026-01-05"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = app
        .form(
            &district,
            "/plan/indicators/roadshows",
            &[
                ("year", "2025"),
                ("division", "210112"),
                ("value", "abc"),
                ("source_document", ""),
                ("source_date", ""),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("field-error"));
    assert!(r.text().contains("value=\"abc\""), "keeps what was typed");
    let r = app
        .form(
            &district,
            "/plan/tasks/16/reports",
            &[
                ("department", "district_governments"),
                ("text", "组织路演 12 场"),
                ("figures", "12"),
                ("attachments", "台账.xlsx"),
                ("date", "2026-01-05"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = app.page(&district, "/plan/tasks/16").await;
    assert!(r.text().contains("组织路演 12 场"));
    // Without the CSRF field → refused.
    let r = app
        .form(
            &district,
            "/plan/tasks/16/reports",
            &[("text", "x")],
            Some(""),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
storage_test!(page_forms_report_figures_and_progress);
