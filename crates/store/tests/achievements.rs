//! Achievements and demands in the store, on both databases.

use chengguo_core::achievement::{
    AchievementAction, AchievementInput, AchievementStatus, ReadScope, STALE_MONTHS_SETTING,
};
use chengguo_core::demand::{self, DemandAction, DemandInput, DemandStatus};
use chengguo_core::{Actor, Role};
use chengguo_store::testing::TestDb;
use chengguo_store::{
    storage_test, AchievementImportRow, AchievementQuery, DemandImportRow, DemandQuery,
    RecordError, Table,
};

fn actor(name: &str, role: Role, org: Option<i64>) -> Actor {
    Actor {
        user_id: 1,
        username: name.into(),
        roles: vec![role],
        org_id: org,
        district_code: None,
    }
}

fn input(r: &str, title: &str) -> AchievementInput {
    AchievementInput {
        reference: Some(r.into()),
        title: Some(title.into()),
        summary: Some("本成果".repeat(20)),
        keywords: Some("甲;乙;丙".into()),
        stage: Some("pilot".into()),
        industrial_chain: Some("robotics".into()),
        tech_field: Some("advanced_manufacturing".into()),
        ..Default::default()
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

async fn achievements_workflow_scope_and_audit(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let s = &db.store;
    let neu = org(db, "东北大学").await;
    let sut = org(db, "沈阳工业大学").await;
    let unit = actor("unit", Role::Unit, Some(neu));
    let other = actor("other", Role::Unit, Some(sut));
    let bureau = actor("bureau", Role::Bureau, None);
    let audit_before = s.count(Table::AuditLog).await.unwrap();

    let new = input("T-001", "测试成果").into_new().unwrap();
    let a = s.create_achievement(&unit, neu, &new).await.unwrap();
    assert_eq!(a.achievement.status, AchievementStatus::Draft);
    assert_eq!(a.achievement.reference, "T-001");
    assert!(s.create_achievement(&other, neu, &new).await.is_err());
    // the same ref of the same owner is a conflict
    match s.create_achievement(&unit, neu, &new).await {
        Err(RecordError::Store(chengguo_store::StoreError::Conflict { field, .. })) => {
            assert_eq!(field, "ref")
        }
        other => panic!("{other:?}"),
    }

    let patch = AchievementInput {
        title: Some("测试成果（修订）".into()),
        ..Default::default()
    }
    .into_patch()
    .unwrap();
    assert!(matches!(
        s.update_achievement(&other, a.achievement.id, &patch).await,
        Err(RecordError::Denied(_))
    ));
    let up = s
        .update_achievement(&unit, a.achievement.id, &patch)
        .await
        .unwrap();
    assert_eq!(up.achievement.title, "测试成果（修订）");

    // anonymous never sees drafts
    let anon_q = AchievementQuery {
        owner: Some(neu),
        q: Some("测试成果".into()),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(s.list_achievements(&anon_q).await.unwrap().total, 0);
    let own_q = AchievementQuery {
        scope: ReadScope::achievements(Some(&unit)),
        ..anon_q.clone()
    };
    assert_eq!(s.list_achievements(&own_q).await.unwrap().total, 1);

    let id = a.achievement.id;
    assert!(matches!(
        s.achievement_action(&unit, id, AchievementAction::Publish, None)
            .await,
        Err(RecordError::Invalid(_))
    ));
    s.achievement_action(&unit, id, AchievementAction::Submit, None)
        .await
        .unwrap();
    assert!(matches!(
        s.achievement_action(&unit, id, AchievementAction::Publish, None)
            .await,
        Err(RecordError::Denied(_))
    ));
    assert!(matches!(
        s.achievement_action(&bureau, id, AchievementAction::Return, Some(""))
            .await,
        Err(RecordError::Field(_))
    ));
    let r = s
        .achievement_action(&bureau, id, AchievementAction::Return, Some("补充指标"))
        .await
        .unwrap();
    assert_eq!(r.achievement.return_reason, "补充指标");
    assert_eq!(r.achievement.returned_count, 1);
    s.achievement_action(&unit, id, AchievementAction::Submit, None)
        .await
        .unwrap();
    let p = s
        .achievement_action(&bureau, id, AchievementAction::Publish, None)
        .await
        .unwrap();
    assert!(p.achievement.published_at.is_some());
    assert_eq!(s.list_achievements(&anon_q).await.unwrap().total, 1);

    // filters work in SQL on both databases
    let by_chain = AchievementQuery {
        chain: Some("robotics".into()),
        stage: Some("pilot".into()),
        district: Some("210102".into()),
        ..anon_q.clone()
    };
    assert_eq!(s.list_achievements(&by_chain).await.unwrap().total, 1);
    let wrong_chain = AchievementQuery {
        chain: Some("aviation".into()),
        ..anon_q.clone()
    };
    assert_eq!(s.list_achievements(&wrong_chain).await.unwrap().total, 0);

    // stale: a cutoff in the future hides it unless asked for
    let stale_q = AchievementQuery {
        stale_cutoff: "2999-01-01".into(),
        ..anon_q.clone()
    };
    assert_eq!(s.list_achievements(&stale_q).await.unwrap().total, 0);
    let incl = AchievementQuery {
        include_stale: true,
        ..stale_q
    };
    assert_eq!(s.list_achievements(&incl).await.unwrap().total, 1);
    assert_eq!(s.achievement_stale_months().await.unwrap(), 12);
    s.set_setting(&bureau, STALE_MONTHS_SETTING, &serde_json::json!(6))
        .await
        .unwrap();
    assert_eq!(s.achievement_stale_months().await.unwrap(), 6);

    // every change above was audited, and the chain holds
    assert!(s.count(Table::AuditLog).await.unwrap() >= audit_before + 7);
    assert!(s.audit_verify().await.unwrap().is_ok());
}
storage_test!(achievements_workflow_scope_and_audit);

async fn achievements_import_updates_same_ref_and_scores_move(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let s = &db.store;
    let neu = org(db, "东北大学").await;
    let bureau = actor("bureau", Role::Bureau, None);
    let unit = actor("unit", Role::Unit, Some(neu));
    let today = time::OffsetDateTime::now_utc().date();
    let before_score = s
        .unit_scores(today)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.org_id == neu)
        .unwrap()
        .score;

    let rows = vec![
        AchievementImportRow {
            owner_org_id: neu,
            new: input("IMP-1", "导入成果一").into_new().unwrap(),
            status: Some(AchievementStatus::Published),
            patch: None,
        },
        AchievementImportRow {
            owner_org_id: neu,
            new: input("IMP-2", "导入成果二").into_new().unwrap(),
            status: None,
            patch: None,
        },
    ];
    let n = s.count(Table::Achievements).await.unwrap();
    let out = s.import_achievements(&bureau, &rows).await.unwrap();
    assert_eq!((out.created, out.updated), (2, 0));
    // a unit may not import new records as published
    let mut new_published = rows[..1].to_vec();
    new_published[0].new.reference = "IMP-3".into();
    assert!(s.import_achievements(&unit, &new_published).await.is_err());
    // nobody moves an existing record's status by import (published → draft)
    let mut moved = rows[..1].to_vec();
    moved[0].status = Some(AchievementStatus::Draft);
    match s.import_achievements(&bureau, &moved).await {
        Err(chengguo_store::RecordError::Field(f)) => assert_eq!(f.field, "status"),
        other => panic!("expected a status refusal, got {other:?}"),
    }
    let mut again = rows.clone();
    again[1].new.title = "导入成果二（更新）".into();
    let out = s.import_achievements(&bureau, &again).await.unwrap();
    assert_eq!((out.created, out.updated, out.unchanged), (0, 1, 1));
    assert_eq!(s.count(Table::Achievements).await.unwrap(), n + 2);

    let after_score = s
        .unit_scores(today)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.org_id == neu)
        .unwrap()
        .score;
    assert!(after_score.filings > before_score.filings);
    assert_ne!(after_score.total, before_score.total);

    let counts = s.publication_counts().await.unwrap();
    let this_year = today.year().to_string();
    assert!(counts
        .iter()
        .any(|(y, o, _, n)| *y == this_year && *o == neu && *n >= 1));
}
storage_test!(achievements_import_updates_same_ref_and_scores_move);

async fn demands_workflow_visibility_and_import(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let s = &db.store;
    let ent_org = org(db, "沈阳鼓风机集团股份有限公司").await;
    let ent = actor("ent", Role::Enterprise, Some(ent_org));
    let broker = actor(
        "broker",
        Role::Broker,
        Some(org(db, "东北科技大市场").await),
    );
    let unit = actor("unit", Role::Unit, Some(org(db, "东北大学").await));
    let input = DemandInput {
        reference: Some("D-1".into()),
        title: Some("鼓风机叶轮降噪".into()),
        industrial_chain: Some("general_machinery".into()),
        visibility: Some("restricted".into()),
        deadline: Some("2999-12-31".into()),
        ..Default::default()
    };
    let new = input.clone().into_new().unwrap();
    assert!(s.create_demand(&unit, ent_org, &new).await.is_err());
    let d = s.create_demand(&ent, ent_org, &new).await.unwrap();
    assert_eq!(
        d.demand.district, "210106",
        "falls back to the owner's district"
    );
    let id = d.demand.id;
    s.demand_action(&ent, id, DemandAction::Publish)
        .await
        .unwrap();
    let q = |scope| DemandQuery {
        scope,
        owner: Some(ent_org),
        q: Some("降噪".into()),
        today: "2026-01-01".into(),
        limit: 50,
        ..Default::default()
    };
    let seen = |v: Option<&Actor>| q(demand::read_scope(v));
    assert_eq!(s.list_demands(&seen(None)).await.unwrap().total, 0);
    assert_eq!(s.list_demands(&seen(Some(&unit))).await.unwrap().total, 0);
    assert_eq!(s.list_demands(&seen(Some(&broker))).await.unwrap().total, 1);
    assert!(s
        .demand_action(&ent, id, DemandAction::Expire)
        .await
        .is_err());
    s.demand_action(&ent, id, DemandAction::Match)
        .await
        .unwrap();
    assert_eq!(
        s.get_demand(id).await.unwrap().unwrap().demand.status,
        DemandStatus::Matched
    );

    let row = DemandImportRow {
        owner_org_id: ent_org,
        new: DemandInput {
            title: Some("鼓风机叶轮降噪（二期）".into()),
            ..input
        }
        .into_new()
        .unwrap(),
        status: None,
        input: None,
    };
    let out = s.import_demands(&ent, &[row]).await.unwrap();
    assert_eq!((out.created, out.updated), (0, 1));
    assert_eq!(
        s.get_demand(id).await.unwrap().unwrap().demand.title,
        "鼓风机叶轮降噪（二期）"
    );
}
storage_test!(demands_workflow_visibility_and_import);

async fn demo_generates_records_across_chains(db: &TestDb) {
    let sum = chengguo_store::demo::load(&db.store).await.unwrap();
    assert!(sum.achievements >= 150, "{}", sum.achievements);
    assert!(sum.demands >= 40);
    let published = db
        .store
        .list_achievements(&AchievementQuery {
            include_stale: true,
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let chains: std::collections::HashSet<_> = published
        .items
        .iter()
        .flat_map(|a| a.achievement.chains.clone())
        .collect();
    assert!(chains.len() >= 12, "{chains:?}");
    let years: std::collections::HashSet<_> = published
        .items
        .iter()
        .filter_map(|a| a.achievement.published_at.clone())
        .map(|p| p[..4].to_string())
        .collect();
    assert!(
        years.contains("2022") && years.contains("2025"),
        "{years:?}"
    );
    let scores = db
        .store
        .unit_scores(time::macros::date!(2026 - 11 - 01))
        .await
        .unwrap();
    assert!(scores.len() >= 15);
    assert!(scores.first().unwrap().score.total > scores.last().unwrap().score.total);
}
storage_test!(demo_generates_records_across_chains);
