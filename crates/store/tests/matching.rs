//! Match decisions in the store, on both databases: the side is the row rule's, a later
//! decision of a side replaces its earlier one, every decision is audited in its transaction,
//! lists show all (the bureau) or one's own, and the table is in the backup.

use chengguo_core::achievement::AchievementInput;
use chengguo_core::demand::DemandInput;
use chengguo_core::matching::{Decision, NewDecision, Side, DEFAULT_THRESHOLD, THRESHOLD_SETTING};
use chengguo_core::{Actor, Role};
use chengguo_search::DocKind;
use chengguo_store::testing::TestDb;
use chengguo_store::{storage_test, AuditFilter, MatchDecisionQuery, RecordError, Table};

fn actor(id: i64, name: &str, role: Role, org: Option<i64>) -> Actor {
    Actor {
        user_id: id,
        username: name.into(),
        roles: vec![role],
        org_id: org,
        district_code: None,
    }
}

async fn org(db: &TestDb, name: &str) -> i64 {
    db.store
        .list_orgs(&chengguo_store::OrgQuery {
            q: Some(name.into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|o| o.name == name)
        .unwrap()
        .id
}

fn decline(reason: &str) -> NewDecision {
    NewDecision {
        decision: Decision::Declined,
        reason: reason.into(),
    }
}

async fn decisions_by_side_replaced_audited_and_listed(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let s = &db.store;
    let neu = org(db, "东北大学").await;
    let ent_org = org(db, "沈阳新松机器人自动化股份有限公司").await;
    let unit = actor(11, "unit", Role::Unit, Some(neu));
    let ent = actor(12, "enterprise", Role::Enterprise, Some(ent_org));
    let broker = actor(13, "broker", Role::Broker, None);
    let stranger = actor(14, "stranger", Role::Enterprise, Some(neu + 1000));
    let bureau = actor(15, "bureau", Role::Bureau, None);
    let a = s
        .create_achievement(
            &unit,
            neu,
            &AchievementInput {
                title: Some("匹配存储测试成果".into()),
                ..Default::default()
            }
            .into_new()
            .unwrap(),
        )
        .await
        .unwrap()
        .achievement
        .id;
    let d = s
        .create_demand(
            &ent,
            ent_org,
            &DemandInput {
                title: Some("匹配存储测试需求".into()),
                ..Default::default()
            }
            .into_new()
            .unwrap(),
        )
        .await
        .unwrap()
        .demand
        .id;
    let audit_before = s.count(Table::AuditLog).await.unwrap();

    let m = s
        .decide_match(&ent, a, d, &decline("不合适"))
        .await
        .unwrap();
    assert_eq!((m.side, m.decision), (Side::Demand, Decision::Declined));
    assert_eq!(m.decided_by_org_id, Some(ent_org));
    let m = s
        .decide_match(
            &unit,
            a,
            d,
            &NewDecision {
                decision: Decision::Accepted,
                reason: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(m.side, Side::Achievement);
    assert_eq!(
        s.decide_match(&broker, a, d, &decline("经纪人意见"))
            .await
            .unwrap()
            .side,
        Side::Broker
    );
    // the bureau decides for the broker side: it replaces the broker's decision
    let m = s
        .decide_match(&bureau, a, d, &decline("科技局意见"))
        .await
        .unwrap();
    assert_eq!(m.side, Side::Broker);
    assert!(matches!(
        s.decide_match(&stranger, a, d, &decline("x")).await,
        Err(RecordError::Denied(_))
    ));
    assert!(matches!(
        s.decide_match(&ent, a, 999_999, &decline("x")).await,
        Err(RecordError::Store(chengguo_store::StoreError::NotFound(_)))
    ));
    assert_eq!(s.count(Table::MatchDecisions).await.unwrap(), 3);
    assert_eq!(s.count(Table::AuditLog).await.unwrap(), audit_before + 4);
    let audit = s
        .audit_list(&AuditFilter {
            entity: Some("match".into()),
            entity_id: Some(format!("{a}-{d}")),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.total, 4);
    assert!(s.audit_verify().await.unwrap().is_ok());

    let of_a = s.match_decisions_of(DocKind::Achievement, a).await.unwrap();
    let of_d = s.match_decisions_of(DocKind::Demand, d).await.unwrap();
    assert_eq!(of_a, of_d);
    let broker_side = of_a.iter().find(|m| m.side == Side::Broker).unwrap();
    assert_eq!(broker_side.reason, "科技局意见");
    assert_eq!(broker_side.decided_by, "bureau");

    let all = s
        .list_match_decisions(&MatchDecisionQuery {
            all: true,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.items[0].achievement_title, "匹配存储测试成果");
    assert_eq!(
        all.items[0].demand_owner,
        "沈阳新松机器人自动化股份有限公司"
    );
    let declined = s
        .list_match_decisions(&MatchDecisionQuery {
            all: true,
            decision: Some(Decision::Declined),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(declined.total, 2);
    // an enterprise's own: those of its organization's accounts
    let colleague = actor(99, "colleague", Role::Enterprise, Some(ent_org));
    let own = s
        .list_match_decisions(&MatchDecisionQuery {
            user_id: colleague.user_id,
            org_id: colleague.org_id,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(own.total, 1);
    assert_eq!(own.items[0].decision.reason, "不合适");
    let none = s
        .list_match_decisions(&MatchDecisionQuery {
            user_id: 13,
            org_id: None,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        none.total, 0,
        "the broker's decision was replaced by the bureau's"
    );

    assert_eq!(s.match_threshold().await.unwrap(), DEFAULT_THRESHOLD);
    s.set_setting(&bureau, THRESHOLD_SETTING, &serde_json::json!(75))
        .await
        .unwrap();
    assert_eq!(s.match_threshold().await.unwrap(), 75);

    // the backup carries the decisions
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup.db");
    let summary = s.backup_to(&path).await.unwrap();
    assert!(summary
        .tables
        .iter()
        .any(|(t, n)| t == "match_decisions" && *n == 3));
}
storage_test!(decisions_by_side_replaced_audited_and_listed);
