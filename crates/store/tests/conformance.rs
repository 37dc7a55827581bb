//! The storage story, told once and run on both databases: every test here expands to
//! `<name>::sqlite` and `<name>::postgres` (the latter when CHENGGUO_TEST_DATABASE_URL is set).

use chengguo_core::org::OrgInput;
use chengguo_core::{Actor, OrgKind, Role};
use chengguo_store::testing::TestDb;
use chengguo_store::{
    storage_test, AuditFilter, NewUser, OrgQuery, OrgSort, StoreError, Table, UpdateError,
};

fn org_input(name: &str, code: &str, kind: &str) -> OrgInput {
    OrgInput {
        name: Some(name.into()),
        credit_code: Some(code.into()),
        division_code: Some("210106".into()),
        nature: Some("150".into()),
        kind: Some(kind.into()),
        description: None,
    }
}

fn code(n: usize) -> String {
    chengguo_store::demo::demo_credit_code(OrgKind::Enterprise, "210106", n).to_string()
}

async fn organizations_round_trip(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    let new = org_input("沈阳测试科技有限公司", &code(1), "enterprise")
        .into_new()
        .unwrap();
    let created = s.create_org(&bureau, &new).await.unwrap();
    assert!(created.id > 0);
    let got = s.get_org(created.id).await.unwrap().unwrap();
    assert_eq!(got, created);
    assert_eq!(
        s.org_by_credit_code(&code(1)).await.unwrap().unwrap().id,
        created.id
    );

    // The same credit code again is a conflict naming the field, not a database error.
    match s.create_org(&bureau, &new).await {
        Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "credit_code"),
        other => panic!("expected conflict, got {other:?}"),
    }

    let patch = OrgInput {
        name: Some("沈阳测试科技股份有限公司".into()),
        ..Default::default()
    }
    .into_patch()
    .unwrap();
    let updated = s.update_org(&bureau, created.id, &patch).await.unwrap();
    assert_eq!(updated.name, "沈阳测试科技股份有限公司");
    assert!(updated.updated_at >= created.updated_at);
}
storage_test!(organizations_round_trip);

async fn organizations_list_filters_sorts_and_pages(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    let mut rows = Vec::new();
    for i in 0..25 {
        let kind = if i % 5 == 0 {
            "university"
        } else {
            "enterprise"
        };
        let mut input = org_input(&format!("机构{i:02}"), &code(100 + i), kind);
        if i % 2 == 0 {
            input.division_code = Some("210112".into());
        }
        rows.push(input.into_new().unwrap());
    }
    let out = s.import_orgs(&bureau, &rows).await.unwrap();
    assert_eq!(out.created, 25);

    let page = s
        .list_orgs(&OrgQuery {
            limit: 10,
            offset: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 25);
    assert_eq!(page.items.len(), 5);
    assert_eq!(page.items[0].name, "机构20");

    let unis = s
        .list_orgs(&OrgQuery {
            kind: Some(OrgKind::University),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(unis.total, 5);

    let hunnan = s
        .list_orgs(&OrgQuery {
            division: Some("210112".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hunnan.total, 13);
    let city = s
        .list_orgs(&OrgQuery {
            division: Some("210100".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(city.total, 25);

    let by_name = s
        .list_orgs(&OrgQuery {
            q: Some("机构1".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_name.total, 10);
    // LIKE wildcards typed by a user are taken literally.
    let literal = s
        .list_orgs(&OrgQuery {
            q: Some("机构_".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(literal.total, 0);

    let desc = s
        .list_orgs(&OrgQuery {
            sort: OrgSort::Name,
            desc: true,
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(desc.items[0].name, "机构24");
}
storage_test!(organizations_list_filters_sorts_and_pages);

async fn import_creates_and_updates_by_credit_code(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    let a = org_input("甲公司", &code(201), "enterprise")
        .into_new()
        .unwrap();
    s.import_orgs(&bureau, std::slice::from_ref(&a))
        .await
        .unwrap();

    // Re-import with a change and a new row: one update, one create.
    let mut a2 = a.clone();
    a2.name = "甲公司（新）".into();
    let b = org_input("乙公司", &code(202), "enterprise")
        .into_new()
        .unwrap();
    let out = s
        .import_orgs(&bureau, &[a2.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!((out.created, out.updated, out.unchanged), (1, 1, 0));
    let again = s.import_orgs(&bureau, &[a2, b]).await.unwrap();
    assert_eq!(again.unchanged, 2);

    let audit = s
        .audit_list(&AuditFilter {
            action: Some("import".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    // 1 create, then 1 create + 1 update; the unchanged re-import writes no audit entry.
    assert_eq!(audit.total, 3);
}
storage_test!(import_creates_and_updates_by_credit_code);

async fn failed_transaction_leaves_nothing(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    s.create_org(
        &bureau,
        &org_input("甲", &code(301), "enterprise")
            .into_new()
            .unwrap(),
    )
    .await
    .unwrap();
    let orgs = s.count(Table::Organizations).await.unwrap();
    let audit = s.count(Table::AuditLog).await.unwrap();
    // Renaming a second organization onto the first one's credit code fails inside the
    // transaction after the audit read: neither the row nor an audit entry may remain.
    let b = s
        .create_org(
            &bureau,
            &org_input("乙", &code(302), "enterprise")
                .into_new()
                .unwrap(),
        )
        .await
        .unwrap();
    let patch = OrgInput {
        credit_code: Some(code(301)),
        ..Default::default()
    }
    .into_patch()
    .unwrap();
    match s.update_org(&bureau, b.id, &patch).await {
        Err(UpdateError::Store(StoreError::Conflict { field, .. })) => {
            assert_eq!(field, "credit_code")
        }
        other => panic!("expected conflict, got {other:?}"),
    }
    assert_eq!(s.count(Table::Organizations).await.unwrap(), orgs + 1);
    assert_eq!(s.count(Table::AuditLog).await.unwrap(), audit + 1);
    assert_eq!(
        s.get_org(b.id).await.unwrap().unwrap().credit_code,
        code(302)
    );
    assert_eq!(s.audit_verify().await.unwrap().unwrap(), (audit + 1) as u64);
}
storage_test!(failed_transaction_leaves_nothing);

async fn row_level_rule_is_enforced_in_the_store(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    let mine = s
        .create_org(
            &bureau,
            &org_input("本单位", &code(401), "university")
                .into_new()
                .unwrap(),
        )
        .await
        .unwrap();
    let other = s
        .create_org(
            &bureau,
            &org_input("他单位", &code(402), "university")
                .into_new()
                .unwrap(),
        )
        .await
        .unwrap();
    let unit = Actor {
        user_id: 5,
        username: "u".into(),
        roles: vec![Role::Unit],
        org_id: Some(mine.id),
        district_code: None,
    };
    let rename = OrgInput {
        name: Some("改名".into()),
        ..Default::default()
    }
    .into_patch()
    .unwrap();
    assert!(s.update_org(&unit, mine.id, &rename).await.is_ok());
    assert!(matches!(
        s.update_org(&unit, other.id, &rename).await,
        Err(UpdateError::Denied(_))
    ));
    assert_eq!(s.get_org(other.id).await.unwrap().unwrap().name, "他单位");
}
storage_test!(row_level_rule_is_enforced_in_the_store);

async fn accounts_sessions_tokens_and_throttling(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    let u = s
        .create_user(
            &bureau,
            &NewUser {
                username: "alice".into(),
                password: "correct horse".into(),
                display_name: "Alice".into(),
                roles: vec![Role::Broker, Role::Enterprise],
                org_id: None,
                district_code: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(u.roles, vec![Role::Enterprise, Role::Broker]);
    assert!(s
        .check_password("alice", "correct horse")
        .await
        .unwrap()
        .is_some());
    assert!(s.check_password("alice", "wrong").await.unwrap().is_none());
    assert!(s.check_password("nobody", "x").await.unwrap().is_none());

    let dup = s
        .create_user(
            &bureau,
            &NewUser {
                username: "alice".into(),
                password: "another one".into(),
                display_name: String::new(),
                roles: vec![Role::Public],
                org_id: None,
                district_code: None,
            },
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict { ref field, .. }) if field == "username"));

    let session = s.create_session(u.id, 1).await.unwrap();
    assert_eq!(
        s.session_user(&session).await.unwrap().unwrap().username,
        "alice"
    );
    s.delete_session(&session).await.unwrap();
    assert!(s.session_user(&session).await.unwrap().is_none());
    let expired = s.create_session(u.id, -1).await.unwrap();
    assert!(s.session_user(&expired).await.unwrap().is_none());

    let token = s.create_token(&bureau, u.id, "cli").await.unwrap();
    assert_eq!(s.token_user(&token).await.unwrap().unwrap().id, u.id);
    assert!(s.token_user("cg_not_a_token").await.unwrap().is_none());

    // Throttling: attempts are numbered per (username, address) and per address; a success
    // starts the account's count at that address again.
    let limits = chengguo_store::LoginLimits {
        per_account: 3,
        per_address: 5,
        window_secs: 900,
    };
    for n in 1..=3 {
        let a = s
            .begin_login_attempt("alice", "192.0.2.1", limits)
            .await
            .unwrap();
        assert_eq!((a.account_count, a.address_count), (n, n));
        assert!(!a.refused());
        assert_eq!(a.locks_account(), n == 3);
    }
    let a = s
        .begin_login_attempt("alice", "192.0.2.1", limits)
        .await
        .unwrap();
    assert!(a.refused());
    // Another address is counted on its own.
    let b = s
        .begin_login_attempt("alice", "192.0.2.2", limits)
        .await
        .unwrap();
    assert_eq!((b.account_count, b.address_count), (1, 1));
    s.login_succeeded(&b).await.unwrap();
    let b = s
        .begin_login_attempt("alice", "192.0.2.2", limits)
        .await
        .unwrap();
    assert_eq!((b.account_count, b.address_count), (1, 1));
    // Other usernames from the first address hit the address's limit.
    let c = s
        .begin_login_attempt("bob", "192.0.2.1", limits)
        .await
        .unwrap();
    assert_eq!((c.account_count, c.address_count), (1, 5));
    assert!(c.locks_address() && !c.refused());
    let c = s
        .begin_login_attempt("carol", "192.0.2.1", limits)
        .await
        .unwrap();
    assert!(c.refused());
    // A window that has passed starts again.
    let short = chengguo_store::LoginLimits {
        window_secs: 0,
        ..limits
    };
    let d = s
        .begin_login_attempt("alice", "192.0.2.1", short)
        .await
        .unwrap();
    assert_eq!((d.account_count, d.address_count), (1, 1));
}
storage_test!(accounts_sessions_tokens_and_throttling);

async fn audit_chain_verifies_and_detects_tampering(db: &TestDb) {
    let s = &db.store;
    let bureau = Actor::system("test");
    assert_eq!(s.audit_verify().await.unwrap().unwrap(), 0);
    for i in 0..5 {
        s.create_org(
            &bureau,
            &org_input(&format!("审计{i}"), &code(500 + i), "enterprise")
                .into_new()
                .unwrap(),
        )
        .await
        .unwrap();
    }
    assert_eq!(s.audit_verify().await.unwrap().unwrap(), 5);
    let page = s
        .audit_list(&AuditFilter {
            entity: Some("organization".into()),
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].entry.seq, 5);
    assert_eq!(page.items[0].entry.actor, "cli:test");

    // The log refuses the edit; someone with the owner's rights who drops the guard first is
    // still found out by the chain.
    assert!(s
        .execute_raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
        .await
        .is_err());
    s.drop_audit_guard().await.unwrap();
    s.execute_raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
        .await
        .unwrap();
    let err = s.audit_verify().await.unwrap().unwrap_err();
    assert!(err.to_string().starts_with("audit entry 3:"), "{err}");
}
storage_test!(audit_chain_verifies_and_detects_tampering);

/// The audit log is append-only on both databases: UPDATE and DELETE (and on PostgreSQL
/// TRUNCATE) are refused by triggers, the entries stay as they were, and appending still works.
async fn audit_log_refuses_update_and_delete(db: &TestDb) {
    let s = &db.store;
    for i in 0..3 {
        s.audit_event(
            "cli:test",
            "note",
            "test",
            &i.to_string(),
            &serde_json::json!({"i": i}),
        )
        .await
        .unwrap();
    }
    for sql in [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2",
        "UPDATE audit_log SET change = '{}'",
        "DELETE FROM audit_log WHERE seq = 3",
        "DELETE FROM audit_log",
    ] {
        let err = s.execute_raw(sql).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    if s.backend() == chengguo_store::Backend::Postgres {
        let err = s.execute_raw("TRUNCATE audit_log").await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let page = s
        .audit_list(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert!(page.items.iter().all(|r| r.entry.actor == "cli:test"));
    assert_eq!(s.audit_verify().await.unwrap().unwrap(), 3);
    s.audit_event("cli:test", "note", "test", "3", &serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(s.audit_verify().await.unwrap().unwrap(), 4);
}
storage_test!(audit_log_refuses_update_and_delete);

async fn concurrent_writers_keep_one_chain(db: &TestDb) {
    let s = db.store.clone();
    let mut tasks = Vec::new();
    for t in 0..4 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let n = 600 + t * 10 + i;
                let o = org_input(&format!("并发{n}"), &code(n), "enterprise")
                    .into_new()
                    .unwrap();
                s.create_org(&Actor::system("t"), &o).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(s.count(Table::Organizations).await.unwrap(), 40);
    assert_eq!(s.audit_verify().await.unwrap().unwrap(), 40);
}
storage_test!(concurrent_writers_keep_one_chain);

async fn backup_is_a_working_database(db: &TestDb) {
    let s = &db.store;
    chengguo_store::demo::load(s).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup.db");
    let summary = s.backup_to(&path).await.unwrap();
    let orgs = summary
        .tables
        .iter()
        .find(|(t, _)| t == "organizations")
        .unwrap()
        .1;
    assert_eq!(orgs as i64, s.count(Table::Organizations).await.unwrap());
    let copy = chengguo_store::Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert_eq!(
        copy.count(Table::Users).await.unwrap(),
        s.count(Table::Users).await.unwrap()
    );
    assert_eq!(
        copy.audit_verify().await.unwrap().unwrap(),
        s.audit_verify().await.unwrap().unwrap()
    );
    assert!(copy
        .check_password("bureau", chengguo_store::demo::DEMO_PASSWORD)
        .await
        .unwrap()
        .is_some());
    // Refuses to overwrite.
    assert!(s.backup_to(&path).await.is_err());
}
storage_test!(backup_is_a_working_database);

async fn demo_loads_once(db: &TestDb) {
    let s = &db.store;
    let first = chengguo_store::demo::load(s).await.unwrap();
    assert!(!first.skipped);
    assert!(first.organizations > 30);
    let second = chengguo_store::demo::load(s).await.unwrap();
    assert!(second.skipped);
    let bureau = s.user_by_username("bureau").await.unwrap().unwrap();
    assert_eq!(bureau.roles, vec![Role::Bureau]);
    let versions: Vec<i64> = s
        .applied_migrations()
        .await
        .unwrap()
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    assert!(versions.starts_with(&[1, 2]), "{versions:?}");
    assert_eq!(db.backend_name(), s.backend().name());
}
storage_test!(demo_loads_once);
