//! Backup and recovery (issue #11, point 13): the demo backed up from each database and restored
//! into the other compares equal table by table — every table of the migrated schema, listed here
//! from the database's own catalogue, so a table the backup forgets fails — and the audit chain
//! verifies; after a restore the platform keeps working (fresh ids, the chain continues).

use chengguo_core::org::OrgInput;
use chengguo_core::Actor;
use chengguo_store::testing::{self, TestDb};
use chengguo_store::{storage_test, Backend, Store, Table};
use sqlx::Row;
use std::collections::BTreeSet;

/// The demo plus one row in each table the demo leaves empty (sessions, tokens, login failures,
/// uploads, a certificate counter), so that every table has rows to lose.
async fn fill(db: &TestDb) {
    let s = &db.store;
    chengguo_store::demo::load(s).await.unwrap();
    let bureau = s.user_by_username("bureau").await.unwrap().unwrap();
    s.create_session(bureau.id, 12).await.unwrap();
    s.create_token(&Actor::system("test"), bureau.id, "backup test")
        .await
        .unwrap();
    s.begin_login_attempt(
        "bureau",
        "192.0.2.7",
        chengguo_store::LoginLimits {
            per_account: 5,
            per_address: 20,
            window_secs: 900,
        },
    )
    .await
    .unwrap();
    s.set_setting(
        &Actor::system("test"),
        "matching.threshold",
        &serde_json::json!(35),
    )
    .await
    .unwrap();
    s.save_upload(bureau.id, "organizations", "orgs.csv", b"name\n")
        .await
        .unwrap();
    // The demo's contracts are imported (no certificate serial), so no counter exists yet.
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    // The table of the old login throttling, kept by the migrations though no longer written.
    sqlx::query(
        "INSERT INTO login_failures (username, ip, at) VALUES ('bureau', '192.0.2.7', '2026-01-01T00:00:00Z')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO certificate_counters (site_id, year, last_serial) \
         SELECT MIN(id), 2026, 41 FROM organizations",
    )
    .execute(&pool)
    .await
    .unwrap();
    // A decision on a proposed pair (with a reason in Chinese and a NULL column).
    sqlx::query(
        "INSERT INTO match_decisions (achievement_id, demand_id, side, decision, reason, \
         decided_by, decided_by_user_id, decided_by_org_id, decided_at) \
         SELECT (SELECT MIN(id) FROM achievements), (SELECT MIN(id) FROM demands), 'broker', \
         'declined', '预算不符', 'broker', MIN(id), NULL, '2026-01-05T08:00:00.000000Z' FROM users",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// The tables as the database's catalogue lists them (independent of `Store::schema_tables`).
async fn catalogue(s: &Store, url: &str) -> BTreeSet<String> {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let sql = match s.backend() {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = current_schema()"
        }
    };
    let names: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
    pool.close().await;
    names
        .into_iter()
        .map(|(n,)| n)
        .filter(|n| !n.starts_with("_sqlx") && !n.starts_with("sqlite_"))
        .collect()
}

#[derive(Debug, PartialEq)]
enum V {
    Int(Option<i64>),
    Text(Option<String>),
}

/// Every row of a table as values, in key order; `where_` limits it (the audit chain's entries
/// up to the source's last).
async fn rows(s: &Store, url: &str, table: &str, where_: &str) -> Vec<Vec<V>> {
    let t = s
        .schema_tables()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == table)
        .unwrap_or_else(|| panic!("{table} is not in the schema of {url}"));
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let sql = format!(
        "SELECT {} FROM {} {where_} ORDER BY {}",
        t.column_list(),
        t.name,
        t.order_by()
    );
    let out = sqlx::query(&sql)
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            t.columns
                .iter()
                .enumerate()
                .map(|(i, c)| match c.kind {
                    chengguo_store::schema::ColumnKind::Integer => V::Int(r.try_get(i).unwrap()),
                    chengguo_store::schema::ColumnKind::Text => V::Text(r.try_get(i).unwrap()),
                })
                .collect()
        })
        .collect();
    pool.close().await;
    out
}

async fn last_seq(s: &Store) -> i64 {
    s.audit_verify().await.unwrap().unwrap() as i64
}

/// Backs `src` up, restores into `dst`, and checks every table's rows, the chain, and that the
/// platform works on the restored database.
async fn backup_restore_compare(src: &TestDb, dst: &TestDb) {
    let (s, d) = (&src.store, &dst.store);
    fill(src).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let backup = s.backup_to(&file).await.unwrap();
    let wal = dir.path().join("backup.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the backup is one file; {} holds part of it",
        wal.display()
    );
    let source_seq = last_seq(s).await;

    let mut reports = Vec::new();
    let summary = d
        .restore_from(&file, &mut |t: &str, done, total| {
            reports.push((t.to_string(), done, total))
        })
        .await
        .unwrap();

    // Every table of the migrated schema, as each database's catalogue lists it, was backed up,
    // restored, has rows, and compares equal.
    let tables = catalogue(s, &src.url).await;
    assert_eq!(
        tables,
        catalogue(d, &dst.url).await,
        "the two schemas differ"
    );
    let names = |v: &[(String, u64)]| v.iter().map(|(t, _)| t.clone()).collect::<BTreeSet<_>>();
    assert_eq!(names(&backup.tables), tables, "tables the backup left out");
    assert_eq!(
        names(&summary.tables),
        tables,
        "tables the restore left out"
    );
    let mut empty = Vec::new();
    for t in &tables {
        if rows(s, &src.url, t, "").await.is_empty() {
            empty.push(t.clone());
        }
    }
    assert!(
        empty.is_empty(),
        "tables empty in the source (add rows to `fill` so that their backup is checked): {empty:?}"
    );
    for t in &tables {
        let where_ = if t == "audit_log" {
            format!("WHERE seq <= {source_seq}")
        } else {
            String::new()
        };
        let a = rows(s, &src.url, t, &where_).await;
        let b = rows(d, &dst.url, t, &where_).await;
        assert_eq!(a.len(), b.len(), "{t}: row counts differ");
        assert!(a == b, "{t}: rows differ after backup and restore");
        // Progress was reported for every table, ending at its row count.
        let last = reports.iter().rev().find(|(n, _, _)| n == t).unwrap();
        assert_eq!((last.1, last.2), (a.len() as u64, a.len() as u64), "{t}");
    }
    // The restore is itself the next entry of the chain, which verifies.
    assert_eq!(summary.audit_seq, source_seq + 1);
    assert_eq!(last_seq(d).await, source_seq + 1);

    // The platform works: a new record gets a fresh id past the restored ones, logins work, and
    // the chain continues.
    let max_org = rows(d, &dst.url, "organizations", "")
        .await
        .iter()
        .map(|r| match &r[0] {
            V::Int(Some(n)) => *n,
            other => panic!("organization id {other:?}"),
        })
        .max()
        .unwrap();
    let org = OrgInput {
        name: Some("恢复后新建科技有限公司".into()),
        credit_code: Some(
            chengguo_store::demo::demo_credit_code(
                chengguo_core::OrgKind::Enterprise,
                "210106",
                9001,
            )
            .to_string(),
        ),
        division_code: Some("210106".into()),
        nature: Some("150".into()),
        kind: Some("enterprise".into()),
        description: None,
    }
    .into_new()
    .unwrap();
    let created = d.create_org(&Actor::system("test"), &org).await.unwrap();
    assert!(created.id > max_org, "{} after {max_org}", created.id);
    let bureau = d
        .check_password("bureau", chengguo_store::demo::DEMO_PASSWORD)
        .await
        .unwrap()
        .expect("the bureau logs in on the restored database");
    let token = d.create_session(bureau.id, 1).await.unwrap();
    assert_eq!(d.session_user(&token).await.unwrap().unwrap().id, bureau.id);
    assert!(last_seq(d).await > source_seq + 1);
    assert_eq!(
        d.count(Table::Organizations).await.unwrap(),
        s.count(Table::Organizations).await.unwrap() + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_restores_into_postgres() {
    let src = testing::sqlite().await;
    let Some(dst) = testing::postgres().await else {
        eprintln!("skipped: CHENGGUO_TEST_DATABASE_URL is not set, PostgreSQL not tested");
        return;
    };
    backup_restore_compare(&src, &dst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backup_restores_into_sqlite() {
    let Some(src) = testing::postgres().await else {
        eprintln!("skipped: CHENGGUO_TEST_DATABASE_URL is not set, PostgreSQL not tested");
        return;
    };
    let dst = testing::sqlite().await;
    backup_restore_compare(&src, &dst).await;
}

/// The same round trip into a database of the same kind (runs without PostgreSQL too).
async fn backup_restores_into_the_same_kind(db: &TestDb) {
    let dst = match db.store.backend() {
        Backend::Sqlite => testing::sqlite().await,
        Backend::Postgres => testing::postgres().await.unwrap(),
    };
    backup_restore_compare(db, &dst).await;
}
storage_test!(backup_restores_into_the_same_kind);

/// A target with data is refused, naming what it holds, and is left as it was; a restore that
/// fails half-way (a row the target's constraints refuse, in a late table) writes nothing.
async fn restore_refuses_a_non_empty_target_and_is_all_or_nothing(db: &TestDb) {
    let s = &db.store;
    let source = testing::sqlite().await;
    fill(&source).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    source.store.backup_to(&file).await.unwrap();

    s.create_org(
        &Actor::system("test"),
        &OrgInput {
            name: Some("已有机构".into()),
            credit_code: Some(
                chengguo_store::demo::demo_credit_code(
                    chengguo_core::OrgKind::Enterprise,
                    "210106",
                    9100,
                )
                .to_string(),
            ),
            division_code: Some("210106".into()),
            nature: Some("150".into()),
            kind: Some("enterprise".into()),
            description: None,
        }
        .into_new()
        .unwrap(),
    )
    .await
    .unwrap();
    let audit = s.count(Table::AuditLog).await.unwrap();
    let e = s
        .restore_from(&file, &mut |_: &str, _, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not empty") && e.contains("organizations (1 rows)"),
        "{e}"
    );
    assert_eq!(s.count(Table::Organizations).await.unwrap(), 1);
    assert_eq!(s.count(Table::AuditLog).await.unwrap(), audit);

    // A backup whose last table in copy order holds a row pointing nowhere: the earlier tables
    // were copied when the target refuses it, and the whole restore is undone.
    let empty = match s.backend() {
        Backend::Sqlite => testing::sqlite().await,
        Backend::Postgres => testing::postgres().await.unwrap(),
    };
    let broken = dir.path().join("broken.db");
    std::fs::copy(&file, &broken).unwrap();
    {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!(
            "sqlite://{}",
            broken.display()
        ))
        .await
        .unwrap();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES (999999, 'bureau')")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let order: Vec<String> = empty
        .store
        .schema_tables()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    let pos = |n: &str| order.iter().position(|t| t == n).unwrap();
    assert!(pos("user_roles") > pos("organizations"), "{order:?}");
    assert!(pos("user_roles") > pos("users"), "{order:?}");
    let mut copied = Vec::new();
    let e = empty
        .store
        .restore_from(&broken, &mut |t: &str, done, _| {
            copied.push((t.to_string(), done))
        })
        .await;
    assert!(e.is_err(), "a dangling user_roles row must be refused");
    assert!(copied.iter().any(|(t, n)| t == "organizations" && *n > 0));
    for t in [
        Table::Organizations,
        Table::Users,
        Table::UserRoles,
        Table::AuditLog,
    ] {
        assert_eq!(
            empty.store.count(t).await.unwrap(),
            0,
            "{t:?} after a failed restore"
        );
    }
    // The backup file itself was never written.
    assert!(source.store.audit_verify().await.unwrap().is_ok());
    let backup_copy = Store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    assert_eq!(
        backup_copy.count(Table::AuditLog).await.unwrap(),
        source.store.count(Table::AuditLog).await.unwrap()
    );
}
storage_test!(restore_refuses_a_non_empty_target_and_is_all_or_nothing);

#[tokio::test]
async fn restore_refuses_a_file_that_is_no_backup() {
    let db = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let e = db
        .store
        .restore_from(&junk, &mut |_: &str, _, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a Chengguo backup"), "{e}");
    let e = db
        .store
        .restore_from(&dir.path().join("missing.db"), &mut |_: &str, _, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not found"), "{e}");
}

/// An index left from the database a restore replaced (the same file or URL, hence the same index
/// directory) is rebuilt: the restore's audit entry asks every index to rebuild, so a record of the
/// old database is not found in the restored one.
async fn a_restore_rebuilds_the_search_index(db: &TestDb) {
    use chengguo_core::achievement::AchievementInput;
    use chengguo_store::search::{audiences, SearchService};
    let old = &db.store;
    chengguo_store::demo::load(old).await.unwrap();
    let neu = old
        .org_by_credit_code(
            &old.list_orgs(&chengguo_store::OrgQuery {
                q: Some("东北大学".into()),
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .items[0]
                .credit_code,
        )
        .await
        .unwrap()
        .unwrap()
        .id;
    let unit = Actor {
        user_id: 1,
        username: "unit".into(),
        roles: vec![chengguo_core::Role::Unit],
        org_id: Some(neu),
        district_code: None,
    };
    let only_old = AchievementInput {
        reference: Some("OLD-1".into()),
        title: Some("旧库独有成果 qzxvbnoldrecord".into()),
        ..Default::default()
    }
    .into_new()
    .unwrap();
    old.create_achievement(&unit, neu, &only_old).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("index");
    let bureau = Actor::system("test");
    let found = |svc: &SearchService| {
        svc.index()
            .search(&chengguo_search::Query {
                text: "qzxvbnoldrecord".into(),
                visible_to: audiences(Some(&bureau)),
                limit: 10,
                ..Default::default()
            })
            .unwrap()
            .total
    };
    let (svc, _) = SearchService::open(old.clone(), Some(&idx)).await.unwrap();
    assert_eq!(found(&svc), 1);
    drop(svc);

    // The backup: the demo and more changes than the old database has, none of them that record.
    let source = testing::sqlite().await;
    chengguo_store::demo::load(&source.store).await.unwrap();
    for i in 0..5 {
        source
            .store
            .set_setting(&bureau, "matching.threshold", &serde_json::json!(30 + i))
            .await
            .unwrap();
    }
    assert!(last_seq(&source.store).await > last_seq(old).await);
    let file = dir.path().join("backup.db");
    source.store.backup_to(&file).await.unwrap();
    let restored = match old.backend() {
        Backend::Sqlite => testing::sqlite().await,
        Backend::Postgres => testing::postgres().await.unwrap(),
    };
    restored
        .store
        .restore_from(&file, &mut |_: &str, _, _| {})
        .await
        .unwrap();
    // The old index, behind the restored database's sequence, is opened on it.
    let (svc, report) = SearchService::open(restored.store.clone(), Some(&idx))
        .await
        .unwrap();
    assert!(report.rebuilt, "{report:?}");
    assert_eq!(
        found(&svc),
        0,
        "a record of the replaced database is still found"
    );
}
storage_test!(a_restore_rebuilds_the_search_index);
