//! The search index follows the database, on both databases: changes committed through another
//! connection (another process) are applied by `sync`, read scopes are indexed with the records,
//! a corrupt or foreign index is rebuilt, a directory held by another process is left alone, and
//! `chengguo reindex`'s request rebuilds every server's index.

use chengguo_core::achievement::{AchievementAction, AchievementInput};
use chengguo_core::demand::{DemandAction, DemandInput};
use chengguo_core::{Actor, Role};
use chengguo_search::{DocKind, Query};
use chengguo_store::search::{audiences, IndexLocation, SearchService, REBUILD_SETTING};
use chengguo_store::testing::TestDb;
use chengguo_store::{storage_test, Store};

fn actor(name: &str, role: Role, org: Option<i64>) -> Actor {
    Actor {
        user_id: 1,
        username: name.into(),
        roles: vec![role],
        org_id: org,
        district_code: None,
    }
}

async fn org(store: &Store, name: &str) -> i64 {
    store
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

fn ids(svc: &SearchService, text: &str, viewer: Option<&Actor>) -> Vec<i64> {
    svc.index()
        .search(&Query {
            text: text.into(),
            visible_to: audiences(viewer),
            limit: 50,
            ..Query::default()
        })
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

async fn index_follows_the_database(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("index");
    let (svc, report) = SearchService::open(db.store.clone(), Some(&idx))
        .await
        .unwrap();
    assert!(report.rebuilt, "a missing index is built from the database");
    assert!(
        report.upserted > 100,
        "the demo records are indexed: {report:?}"
    );
    assert_eq!(svc.location(), &IndexLocation::Dir(idx.clone()));

    // Another process: its own connection pool on the same database.
    let other = Store::open(&db.url).await.unwrap();
    let neu = org(&other, "东北大学").await;
    let unit = actor("unit", Role::Unit, Some(neu));
    let bureau = actor("bureau", Role::Bureau, None);
    let new = AchievementInput {
        reference: Some("S-1".into()),
        title: Some("镍基高温合金涡轮叶片激光熔覆修复".into()),
        summary: Some(
            "针对航空发动机镍基高温合金涡轮叶片叶尖磨损，提出激光熔覆修复工艺，修复后叶片疲劳寿命恢复到新件的百分之九十以上。Laser cladding repair of turbine blades."
                .into(),
        ),
        keywords: Some("激光熔覆;涡轮叶片;高温合金".into()),
        stage: Some("pilot".into()),
        industrial_chain: Some("aviation".into()),
        tech_field: Some("advanced_manufacturing".into()),
        ..Default::default()
    }
    .into_new()
    .unwrap();
    let a = other.create_achievement(&unit, neu, &new).await.unwrap();
    let id = a.achievement.id;

    let r = svc.sync().await.unwrap();
    assert!(r.upserted >= 1 && !r.rebuilt, "{r:?}");
    assert_eq!(svc.synced_seq(), other.last_change_seq().await.unwrap());
    // A draft: its owner and the bureau find it, nobody else does.
    assert!(ids(&svc, "激光熔覆 涡轮叶片", Some(&unit)).contains(&id));
    assert!(ids(&svc, "激光熔覆 涡轮叶片", Some(&bureau)).contains(&id));
    assert!(!ids(&svc, "激光熔覆 涡轮叶片", None).contains(&id));
    let stranger = actor("s", Role::Enterprise, Some(neu + 1));
    assert!(!ids(&svc, "激光熔覆 涡轮叶片", Some(&stranger)).contains(&id));

    other
        .achievement_action(&unit, id, AchievementAction::Submit, None)
        .await
        .unwrap();
    other
        .achievement_action(&bureau, id, AchievementAction::Publish, None)
        .await
        .unwrap();
    svc.sync().await.unwrap();
    assert!(
        ids(&svc, "激光熔覆 涡轮叶片", None).contains(&id),
        "published: public"
    );
    assert!(
        ids(&svc, "laser cladding turbine", None).contains(&id),
        "English words too"
    );

    // A restricted demand: brokers and the bureau, not other accounts nor the public.
    let ent_org = org(&other, "沈阳鼓风机集团股份有限公司").await;
    let ent = actor("ent", Role::Enterprise, Some(ent_org));
    let d = DemandInput {
        reference: Some("SD-1".into()),
        title: Some("涡轮叶片叶尖磨损修复技术需求".into()),
        description: Some("我公司鼓风机涡轮叶片叶尖磨损严重，寻求激光熔覆等修复技术。".into()),
        industrial_chain: Some("general_machinery".into()),
        visibility: Some("restricted".into()),
        deadline: Some("2999-12-31".into()),
        ..Default::default()
    }
    .into_new()
    .unwrap();
    let d = other.create_demand(&ent, ent_org, &d).await.unwrap();
    let did = d.demand.id;
    other
        .demand_action(&ent, did, DemandAction::Publish)
        .await
        .unwrap();
    svc.sync().await.unwrap();
    let demand_hits = |viewer: Option<&Actor>| {
        svc.index()
            .search(&Query {
                text: "叶尖磨损修复".into(),
                kind: Some(DocKind::Demand),
                visible_to: audiences(viewer),
                limit: 50,
                ..Query::default()
            })
            .unwrap()
            .hits
            .iter()
            .any(|h| h.id == did)
    };
    let broker = actor(
        "broker",
        Role::Broker,
        Some(org(&other, "东北科技大市场").await),
    );
    assert!(demand_hits(Some(&broker)));
    assert!(demand_hits(Some(&ent)));
    assert!(!demand_hits(None));
    assert!(!demand_hits(Some(&unit)));

    // A second server on the same directory keeps its own index in memory.
    let (second, _) = SearchService::open(other.clone(), Some(&idx))
        .await
        .unwrap();
    assert!(matches!(second.location(), IndexLocation::Memory { .. }));
    assert!(ids(&second, "激光熔覆 涡轮叶片", None).contains(&id));
    drop(second);

    // `chengguo reindex` asks through the database; every server rebuilds.
    other
        .set_setting(&bureau, REBUILD_SETTING, &serde_json::json!("test"))
        .await
        .unwrap();
    let r = svc.sync().await.unwrap();
    assert!(r.rebuilt, "{r:?}");
    assert!(ids(&svc, "激光熔覆 涡轮叶片", None).contains(&id));
    drop(svc);

    // Reopened: up to date, nothing rebuilt.
    let (svc, r) = SearchService::open(db.store.clone(), Some(&idx))
        .await
        .unwrap();
    assert!(!r.rebuilt, "{r:?}");
    assert!(ids(&svc, "激光熔覆 涡轮叶片", None).contains(&id));
    drop(svc);

    // A corrupt index is rebuilt from the database.
    std::fs::write(idx.join("meta.json"), b"{ not json").unwrap();
    let (svc, r) = SearchService::open(db.store.clone(), Some(&idx))
        .await
        .unwrap();
    assert!(r.rebuilt);
    assert!(ids(&svc, "激光熔覆 涡轮叶片", None).contains(&id));
}
storage_test!(index_follows_the_database);
