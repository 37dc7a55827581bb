//! The plan as data on both databases: versions, reported figures with history and audit,
//! district rules, and computed indicators that equal the contract statistics.

use chengguo_core::contract::ContractInput;
use chengguo_core::plan::{parse_plan, IndicatorValueInput, SHENYANG_2022};
use chengguo_core::{Actor, Role};
use chengguo_store::testing::TestDb;
use chengguo_store::{storage_test, AuditFilter, PlanWriteError};

fn district_actor(code: &str) -> Actor {
    Actor {
        user_id: 99,
        username: "district_x".into(),
        roles: vec![Role::District],
        org_id: None,
        district_code: Some(code.into()),
    }
}

fn figure(
    year: i64,
    division: &str,
    value: &str,
    doc: &str,
) -> chengguo_core::plan::NewIndicatorValue {
    IndicatorValueInput {
        year: Some(year),
        division: Some(division.into()),
        value: Some(serde_json::json!(value)),
        source_document: Some(doc.into()),
        source_date: Some("2025-02-01".into()),
        note: None,
    }
    .into_new("210100", "2099-01-01")
    .unwrap()
}

async fn plan_versions_and_reported_history(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    assert!(s.current_plan().await.unwrap().is_none());
    assert!(s.ensure_plan(&bureau, SHENYANG_2022).await.unwrap());
    assert!(!s.ensure_plan(&bureau, SHENYANG_2022).await.unwrap());
    let plan = parse_plan(SHENYANG_2022).unwrap();
    let second = s.load_plan(&bureau, &plan, SHENYANG_2022).await.unwrap();
    assert_eq!(second.version, 2);
    let current = s.current_plan().await.unwrap().unwrap();
    assert_eq!(current.id, second.id);
    assert_eq!(current.plan.tasks.len(), 19);
    assert_eq!(s.plan_versions().await.unwrap().len(), 2);

    // A reported figure keeps every entry; the latest counts; each change is audited.
    s.record_indicator_value(
        &bureau,
        "high_tech_enterprises",
        &figure(2024, "210100", "5850", "统计公报 2024"),
    )
    .await
    .unwrap();
    s.record_indicator_value(
        &bureau,
        "high_tech_enterprises",
        &figure(2024, "210100", "5902", "统计公报 2024（修订）"),
    )
    .await
    .unwrap();
    let history = s.indicator_history("high_tech_enterprises").await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].value, 5902.0);
    assert_eq!(history[1].source_document, "统计公报 2024");
    let current: Vec<_> = s.reported_values().await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].value, 5902.0);
    let audit = s
        .audit_list(&AuditFilter {
            entity: Some("indicator_value".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.total, 2);
    assert_eq!(audit.items[0].entry.action, "update");
    assert_eq!(audit.items[0].change["previous"], "5850");

    // A district reports for itself only; only the bureau sets district targets.
    let hunnan = district_actor("210112");
    s.record_indicator_value(
        &hunnan,
        "roadshows",
        &figure(2024, "210112", "140", "浑南区年报"),
    )
    .await
    .unwrap();
    assert!(matches!(
        s.record_indicator_value(&hunnan, "roadshows", &figure(2024, "210106", "1", "x"))
            .await,
        Err(PlanWriteError::Denied(_))
    ));
    assert!(matches!(
        s.set_district_target(&hunnan, "contract_turnover", 2025, "210112", Some(1.0))
            .await,
        Err(PlanWriteError::Denied(_))
    ));
    s.set_district_target(&bureau, "contract_turnover", 2025, "210112", Some(12e9))
        .await
        .unwrap();
    assert_eq!(s.district_targets().await.unwrap().len(), 1);
}
storage_test!(plan_versions_and_reported_history);

fn contract(
    n: usize,
    seller_div: &str,
    buyer_div: &str,
    amount: &str,
    on: &str,
) -> chengguo_core::contract::NewContract {
    let seller = chengguo_store::demo::demo_credit_code(
        chengguo_core::OrgKind::University,
        seller_div,
        700 + n,
    )
    .to_string();
    let buyer = chengguo_store::demo::demo_credit_code(
        chengguo_core::OrgKind::Enterprise,
        buyer_div,
        800 + n,
    )
    .to_string();
    let no = format!("T-{n}");
    let reg = format!("2025210101{n:06}");
    let f = |name: &str| -> Option<String> {
        Some(
            match name {
                "contract_no" => no.as_str(),
                "title" => "测试合同",
                "category" => "技术开发",
                "signed_on" => "2024-01-02",
                "registered_on" => on,
                "registration_no" => reg.as_str(),
                "seller_name" => "卖方",
                "seller_credit_code" => seller.as_str(),
                "seller_division_code" => seller_div,
                "seller_nature" => "022",
                "buyer_name" => "买方",
                "buyer_credit_code" => buyer.as_str(),
                "buyer_division_code" => buyer_div,
                "buyer_country" => "156",
                "buyer_nature" => "150",
                "contract_amount" => amount,
                "tech_transaction_amount" => amount,
                "tech_field" => "新材料及其应用",
                "ip_type" => "专利",
                _ => return None,
            }
            .to_string(),
        )
    };
    ContractInput::from_fields(f).into_new().unwrap()
}

async fn computed_indicators_equal_contract_statistics(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    s.ensure_plan(&bureau, SHENYANG_2022).await.unwrap();
    let plan = s.current_plan().await.unwrap().unwrap().plan;
    let rows = vec![
        contract(1, "210112", "210106", "1000000.00", "2025-03-01"),
        contract(2, "210112", "110105", "3000000.00", "2025-04-01"),
        contract(3, "210106", "210112", "500000.50", "2025-05-01"),
        contract(4, "210106", "210106", "200000.00", "2024-05-01"),
    ];
    s.import_contracts(&bureau, &rows, "test").await.unwrap();
    let today = time::Date::from_calendar_date(2026, time::Month::June, 1).unwrap();
    for (division, region) in [(None, "2101"), (Some("210112"), "210112")] {
        let mut facts = s.year_facts(&plan, 2025, today).await.unwrap();
        let inds = s.indicators(&plan, &mut facts, division).await.unwrap();
        let (from, to) = (
            time::Date::from_calendar_date(2025, time::Month::January, 1).unwrap(),
            time::Date::from_calendar_date(2025, time::Month::December, 31).unwrap(),
        );
        let stats = s
            .contract_stats(region, from, to, Default::default())
            .await
            .unwrap()
            .stats;
        let get = |k: &str| inds.iter().find(|i| i.key == k).unwrap().clone();
        let turnover = get("contract_turnover");
        assert_eq!(turnover.source, "computed");
        assert_eq!(
            turnover.value,
            Some(stats.turnover.contract_amount.0 as f64 / 100.0)
        );
        let rate = get("local_conversion_rate");
        assert_eq!(rate.value, stats.local_conversion_rate.map(|r| r * 100.0));
        assert!(turnover.records_url.contains(region));
    }
    let mut facts = s.year_facts(&plan, 2025, today).await.unwrap();
    let city = s.indicators(&plan, &mut facts, None).await.unwrap();
    let turnover = city.iter().find(|i| i.key == "contract_turnover").unwrap();
    assert_eq!(turnover.value, Some(4_500_000.5));
    // 2021 has no locally absorbed contract: growth over it cannot be computed.
    let growth = city
        .iter()
        .find(|i| i.key == "local_absorption_growth")
        .unwrap();
    assert_eq!(growth.status, "no_data");

    let cards = s.scorecards(&plan, &mut facts).await.unwrap();
    assert_eq!(cards.len(), 13);
    assert_eq!(cards[0].rank, 1);
    let hunnan = cards.iter().find(|c| c.division == "210112").unwrap();
    let t = hunnan
        .items
        .iter()
        .find(|i| i.indicator.key == "contract_turnover")
        .unwrap();
    assert_eq!(t.indicator.value, Some(4_000_000.0));
    assert!((t.share.unwrap() - 4_000_000.0 / 4_500_000.5).abs() < 1e-9);
    assert_eq!(t.indicator.target_basis, "equal_share");
}
storage_test!(computed_indicators_equal_contract_statistics);

async fn demo_fills_the_plan(db: &TestDb) {
    let s = &db.store;
    chengguo_store::demo::load(s).await.unwrap();
    let plan = s.current_plan().await.unwrap().unwrap();
    assert_eq!(plan.plan.key, "shenyang-2022");
    assert!(!s.reported_values().await.unwrap().is_empty());
    assert!(!s
        .task_reports(&plan.plan.key, None)
        .await
        .unwrap()
        .is_empty());
}
storage_test!(demo_fills_the_plan);
