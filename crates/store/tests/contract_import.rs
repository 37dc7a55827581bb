//! The streamed contracts import (`Store::import_contract_feed`), on both databases: rows are
//! written only while the file is clean and committed only after a clean end; a problem in any
//! batch, a stored duplicate or a feed that stops early leaves nothing behind (contracts,
//! organizations, audit entries, summary); every stored duplicate is named even after writing
//! has stopped; a dry run writes nothing; large loads (secondary indexes rebuilt on SQLite)
//! leave a consistent database.

use chengguo_core::contract::{ContractInput, NewContract};
use chengguo_core::{Actor, OrgKind};
use chengguo_store::testing::TestDb;
use chengguo_store::{
    storage_test, ContractFeed, ContractQuery, FeedOutcome, FeedProgress, Store, StoredDuplicate,
    Table,
};

/// Contract `n` of seller `n % 7` (new parties, all domestic), registered in 2025.
fn contract(n: usize) -> NewContract {
    let seller =
        chengguo_store::demo::demo_credit_code(OrgKind::University, "210112", 7_000 + n % 7)
            .to_string();
    let buyer =
        chengguo_store::demo::demo_credit_code(OrgKind::Enterprise, "210106", 7_100 + n % 5)
            .to_string();
    let on = format!("2025-{:02}-{:02}", 1 + n % 12, 1 + n % 28);
    let f = |name: &str| -> Option<String> {
        Some(match name {
            "contract_no" => format!("F-{n}"),
            "title" => "流式导入测试合同".into(),
            "category" => "development".into(),
            "signed_on" => "2025-01-01".into(),
            "registered_on" => on.clone(),
            "registration_no" => format!("2025210112{n:06}"),
            "seller_name" => format!("流式卖方{}", n % 7),
            "seller_credit_code" => seller.clone(),
            "seller_division_code" => "210112".into(),
            "seller_nature" => "022".into(),
            "buyer_name" => format!("流式买方{}", n % 5),
            "buyer_credit_code" => buyer.clone(),
            "buyer_division_code" => "210106".into(),
            "buyer_country" => "156".into(),
            "buyer_nature" => "150".into(),
            "contract_amount" => format!("{}.{:02}", 1_000 + n, n % 100),
            "tech_transaction_amount" => format!("{}.00", 500 + n),
            "tech_field" => "电子信息".into(),
            "ip_type" => "专利".into(),
            _ => return None,
        })
    };
    ContractInput::from_fields(f).into_new().unwrap()
}

/// Rows `range` as a batch, row numbers from 2 like a file's.
fn rows(range: std::ops::Range<usize>) -> Vec<(usize, NewContract)> {
    range.map(|n| (n + 2, contract(n))).collect()
}

/// Feeds `messages` (in one go: the channel holds them all) and returns the outcome.
async fn feed(s: &Store, messages: Vec<ContractFeed>, dry_run: bool) -> FeedOutcome {
    feed_watched(s, messages, dry_run).await.0
}

/// [`feed`], with the progress reported on the way.
async fn feed_watched(
    s: &Store,
    messages: Vec<ContractFeed>,
    dry_run: bool,
) -> (FeedOutcome, Vec<FeedProgress>) {
    let (tx, rx) = tokio::sync::mpsc::channel(messages.len().max(1));
    for m in messages {
        tx.try_send(m).unwrap();
    }
    drop(tx);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let out = s
        .import_contract_feed(&Actor::system("test"), rx, dry_run, move |p| {
            record.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    let progress = seen.lock().unwrap().clone();
    (out, progress)
}

fn batch(range: std::ops::Range<usize>, clean: bool) -> ContractFeed {
    ContractFeed::Rows {
        rows: rows(range),
        clean,
        read: 1,
        total: 1,
    }
}

fn end(clean: bool) -> ContractFeed {
    ContractFeed::End {
        clean,
        source_digest: "ab".repeat(32),
    }
}

/// What must not change when an import writes nothing.
async fn state(s: &Store) -> (i64, i64, i64, Vec<chengguo_store::SummaryRow>) {
    (
        s.count(Table::Contracts).await.unwrap(),
        s.count(Table::Organizations).await.unwrap(),
        s.count(Table::AuditLog).await.unwrap(),
        s.contract_summary().await.unwrap(),
    )
}

async fn clean_feed_is_committed_with_parties_summary_and_audit(db: &TestDb) {
    let s = &db.store;
    let before = state(s).await;
    let (out, progress) = feed_watched(
        s,
        vec![batch(0..40, true), batch(40..90, true), end(true)],
        false,
    )
    .await;
    assert!(out.committed, "{out:?}");
    // One report per batch, then one as the transaction is finished.
    let steps: Vec<(usize, usize, bool)> = progress
        .iter()
        .map(|p| (p.rows, p.written, p.finishing))
        .collect();
    assert_eq!(steps, [(40, 40, false), (90, 90, false), (90, 90, true)]);
    assert_eq!((out.rows, out.created), (90, 90));
    // Seven sellers and five buyers, new to the platform.
    assert_eq!(out.organizations_created, 12);
    let after = state(s).await;
    assert_eq!(after.0, before.0 + 90);
    assert_eq!(after.1, before.1 + 12);
    // One audit entry per organization and one for the import.
    assert_eq!(after.2, before.2 + 13);
    assert!(s.audit_verify().await.unwrap().is_ok());
    // The summary gathered while writing equals its rebuild from the stored contracts.
    let summary = s.contract_summary().await.unwrap();
    s.rebuild_contract_summary(&Actor::system("test"))
        .await
        .unwrap();
    assert_eq!(s.contract_summary().await.unwrap(), summary);
    // The parties are linked to the organizations created for them.
    let page = s
        .list_contracts(&ContractQuery {
            limit: 200,
            ..Default::default()
        })
        .await
        .unwrap();
    let imported: Vec<_> = page
        .items
        .iter()
        .filter(|c| c.contract_no.starts_with("F-"))
        .collect();
    assert_eq!(imported.len(), 90);
    assert!(imported
        .iter()
        .all(|c| c.seller.org_id.is_some() && c.buyer.org_id.is_some()));
}
storage_test!(clean_feed_is_committed_with_parties_summary_and_audit);

/// On SQLite: the contracts table's indexes and the file's integrity check (which compares
/// every index with the table).
fn sqlite_indexes(db: &TestDb) -> Option<(Vec<String>, String)> {
    let path = db.url.strip_prefix("sqlite://")?;
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contracts' AND sql IS NOT NULL ORDER BY name")
        .unwrap();
    let indexes = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap();
    let check = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    Some((indexes, check))
}

/// A new SQLite database gets 16 KiB pages (fewer, fuller pages for bulk loads) in WAL mode;
/// opening it again keeps both.
#[tokio::test]
async fn a_new_sqlite_database_has_16k_pages_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let url = format!("sqlite://{}", path.display());
    for _ in 0..2 {
        let store = chengguo_store::Store::open(&url).await.unwrap();
        store.close().await;
        let conn = rusqlite::Connection::open(&path).unwrap();
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!((page_size, mode.as_str()), (16_384, "wal"));
    }
}

async fn large_load_rebuilds_indexes_and_keeps_them(db: &TestDb) {
    let s = &db.store;
    let indexes_before = sqlite_indexes(db);
    let large = |range, total| ContractFeed::Rows {
        rows: rows(range),
        clean: true,
        read: 1,
        total,
    };
    // Into the empty table, a large feed that breaks its promise of no in-file duplicates
    // (row 50 again at the end; the SQLite writer has dropped the unique index too, and finds
    // it when building it again): an error, nothing written.
    let orgs = s.count(Table::Organizations).await.unwrap();
    let audit = s.count(Table::AuditLog).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.try_send(large(0..200, 1_000_000)).unwrap();
    tx.try_send(batch(50..51, true)).unwrap();
    tx.try_send(end(true)).unwrap();
    drop(tx);
    let e = s
        .import_contract_feed(&Actor::system("test"), rx, false, |_| {})
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("contract"),
        "the error names the duplicate contract number: {e}"
    );
    assert_eq!(s.count(Table::Contracts).await.unwrap(), 0);
    assert_eq!(s.count(Table::Organizations).await.unwrap(), orgs);
    assert_eq!(s.count(Table::AuditLog).await.unwrap(), audit);
    assert_eq!(
        sqlite_indexes(db),
        indexes_before,
        "the rollback restores every index"
    );

    // A first batch that says it is a small part of a large file: the SQLite writer drops the
    // secondary indexes and builds them again before committing.
    let first = ContractFeed::Rows {
        rows: rows(0..200),
        clean: true,
        read: 1,
        total: 1_000_000,
    };
    let out = feed(s, vec![first, batch(200..300, true), end(true)], false).await;
    assert!(out.committed && out.created == 300, "{out:?}");
    // Every index is back, and agrees with the table.
    if let (Some((before, _)), Some((after, check))) = (indexes_before, sqlite_indexes(db)) {
        assert_eq!(after, before);
        assert_eq!(after.len(), 6);
        assert_eq!(check, "ok");
    }
    // The unique index on (seller, contract number) is in place, and is kept during a large
    // load into a table that has contracts: a stored number is named.
    let again = feed(s, vec![large(150..160, 1_000_000), end(true)], false).await;
    assert!(!again.committed);
    assert_eq!(again.stored_duplicates.len(), 10);
    assert_eq!(again.stored_duplicates[0].line, 152);
    assert_eq!(s.count(Table::Contracts).await.unwrap(), 300);
    // Lists by party still answer (served by the rebuilt indexes).
    let org = s
        .list_contracts(&ContractQuery {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .iter()
        .find(|c| c.contract_no == "F-0")
        .and_then(|c| c.seller.org_id)
        .unwrap();
    let mine = s
        .list_contracts(&ContractQuery {
            party_org: Some(org),
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.total, 300 / 7 + 1);
}
storage_test!(large_load_rebuilds_indexes_and_keeps_them);

async fn a_problem_in_any_batch_writes_nothing(db: &TestDb) {
    let s = &db.store;
    let before = state(s).await;
    // The first batch is written, then the file shows a problem.
    let out = feed(
        s,
        vec![batch(0..50, true), batch(50..80, false), end(false)],
        false,
    )
    .await;
    assert!(!out.committed);
    assert_eq!(
        (out.rows, out.created, out.organizations_created),
        (80, 0, 0)
    );
    assert_eq!(state(s).await, before);
    // A clean last batch does not make a file clean whose end says otherwise.
    let out = feed(s, vec![batch(0..50, true), end(false)], false).await;
    assert!(!out.committed);
    assert_eq!(state(s).await, before);
}
storage_test!(a_problem_in_any_batch_writes_nothing);

async fn a_feed_that_stops_early_is_rolled_back(db: &TestDb) {
    let s = &db.store;
    let before = state(s).await;
    let out = feed(s, vec![batch(0..50, true)], false).await;
    assert!(!out.committed && out.created == 0);
    assert_eq!(state(s).await, before);
    // A feed without rows (a file without data rows) writes nothing, not even an audit entry.
    let out = feed(s, vec![end(true)], false).await;
    assert_eq!(out, FeedOutcome::default());
    assert_eq!(state(s).await, before);
}
storage_test!(a_feed_that_stops_early_is_rolled_back);

async fn every_stored_duplicate_is_named_and_nothing_written(db: &TestDb) {
    let s = &db.store;
    let stored = feed(s, vec![batch(0..20, true), end(true)], false).await;
    assert!(stored.committed);
    let before = state(s).await;
    // New rows, then two stored numbers (rows 5 and 17), new rows, then a file problem
    // after which the stored number of row 3 must still be named.
    let messages = vec![
        batch(100..130, true),
        ContractFeed::Rows {
            rows: vec![
                (200, contract(5)),
                (201, contract(131)),
                (202, contract(17)),
            ],
            clean: true,
            read: 1,
            total: 1,
        },
        batch(132..140, false),
        ContractFeed::Rows {
            rows: vec![(300, contract(3))],
            clean: false,
            read: 1,
            total: 1,
        },
        end(false),
    ];
    let out = feed(s, messages, false).await;
    assert!(!out.committed);
    let lines: Vec<usize> = out.stored_duplicates.iter().map(|d| d.line).collect();
    assert_eq!(lines, [200, 202, 300]);
    assert_eq!(
        out.stored_duplicates[0],
        StoredDuplicate {
            line: 200,
            seller_name: "流式卖方5".into(),
            contract_no: "F-5".into()
        }
    );
    assert_eq!(state(s).await, before);
}
storage_test!(every_stored_duplicate_is_named_and_nothing_written);

async fn dry_run_finds_duplicates_and_writes_nothing(db: &TestDb) {
    let s = &db.store;
    assert!(
        feed(s, vec![batch(0..10, true), end(true)], false)
            .await
            .committed
    );
    let before = state(s).await;
    let out = feed(s, vec![batch(5..30, true), end(true)], true).await;
    assert!(!out.committed);
    assert_eq!((out.rows, out.created), (25, 0));
    let lines: Vec<usize> = out.stored_duplicates.iter().map(|d| d.line).collect();
    assert_eq!(lines, [7, 8, 9, 10, 11]);
    assert_eq!(state(s).await, before);
}
storage_test!(dry_run_finds_duplicates_and_writes_nothing);
