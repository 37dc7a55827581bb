//! Bulk import of contracts as a stream: the reader of the file sends parsed rows in batches
//! ([`ContractFeed`]) while this side writes them into one open write transaction, so that
//! reading and writing overlap and the file's rows are never all in memory.
//!
//! All or nothing: rows are written only while the file has shown no problem. Once a batch
//! arrives marked not clean, or a row turns out to be a stored contract (the same seller's
//! contract number), writing stops, the remaining rows are only checked against the contracts
//! stored before the import (so that every duplicate is named), and the transaction is rolled
//! back. It commits only after an `End` that says the whole file was clean.
//!
//! Two writers, one behaviour: an SQLite file is written through its own connection with
//! prepared statements ([`native`]; single-row inserts need no statement journal, and binding
//! costs no more than SQLite's own `.import`), every other database through sqlx in batches of
//! one JSON parameter each ([`bulk_insert_sql`]). Both create unknown parties as organizations
//! (audited), add the rows to `contract_summary`, and append the import's audit entry.

use super::*;
use crate::audit::{append, ChainEnd};
use tokio::sync::mpsc::Receiver;

/// What the reader of a contracts file sends, in file order.
#[derive(Debug)]
pub enum ContractFeed {
    /// Parsed rows with their row numbers. `clean` is false once the file has shown any
    /// problem (in this batch or before): nothing more is written, the rows are only checked
    /// against the stored contracts. `read` of `total` says how far the reading is.
    Rows {
        rows: Vec<(usize, NewContract)>,
        clean: bool,
        read: u64,
        total: u64,
    },
    /// The end of the file: whether the whole file was clean, and its SHA-256 (hex) for the
    /// audit entry.
    End { clean: bool, source_digest: String },
}

/// A row whose contract number the same seller already has on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDuplicate {
    pub line: usize,
    pub seller_name: String,
    pub contract_no: String,
}

/// What a streamed import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeedOutcome {
    /// Rows received.
    pub rows: usize,
    /// Contracts written (0 unless committed).
    pub created: usize,
    /// Parties unknown to the platform, created as organizations (0 unless committed).
    pub organizations_created: usize,
    pub stored_duplicates: Vec<StoredDuplicate>,
    /// Whether the transaction was committed.
    pub committed: bool,
}

/// How far a streamed import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedProgress {
    pub rows: usize,
    pub written: usize,
    pub read: u64,
    pub total: u64,
    /// Every row is in; what remains is finishing the transaction (rebuilding indexes, the
    /// summary, the audit entry, the commit), which takes seconds for a large file.
    pub finishing: bool,
}

/// Rows per message when a slice is imported ([`Store::import_contracts`]).
const SLICE_BATCH: usize = 10_000;

impl Store {
    /// Imports a stream of parsed rows in one transaction (see the module documentation).
    /// A dry run writes nothing and takes no write lock; it only looks for stored duplicates.
    pub async fn import_contract_feed(
        &self,
        actor: &Actor,
        feed: Receiver<ContractFeed>,
        dry_run: bool,
        progress: impl Fn(FeedProgress) + Send + 'static,
    ) -> Result<FeedOutcome> {
        let started = std::time::Instant::now();
        let out = match crate::sqlite_file(&self.url).map(std::path::PathBuf::from) {
            Some(path) => {
                let username = actor.username.clone();
                tokio::task::spawn_blocking(move || {
                    native::import(&path, &username, feed, dry_run, progress)
                })
                .await
                .map_err(|e| StoreError::Invalid(format!("the import's writer failed: {e}")))??
            }
            None => {
                self.import_feed_sqlx(actor, feed, dry_run, progress)
                    .await?
            }
        };
        // Debug, not info: the CLI draws a progress bar on the same terminal.
        tracing::debug!(
            rows = out.rows,
            created = out.created,
            committed = out.committed,
            total_s = started.elapsed().as_secs_f64(),
            "contracts import finished"
        );
        Ok(out)
    }

    /// Imports rows known to be valid (the demo, tests) through [`Store::import_contract_feed`]:
    /// rows with registration data as registered, others as drafts; a contract number the same
    /// seller already has is a conflict on `contract_no` and nothing is written.
    pub async fn import_contracts(
        &self,
        actor: &Actor,
        rows: &[NewContract],
        source_digest: &str,
    ) -> Result<ContractImportOutcome> {
        let (tx, rx) = tokio::sync::mpsc::channel(rows.len() / SLICE_BATCH + 2);
        let total = rows.len() as u64;
        for (k, chunk) in rows.chunks(SLICE_BATCH).enumerate() {
            let read = ((k + 1) * SLICE_BATCH).min(rows.len()) as u64;
            let rows = chunk
                .iter()
                .enumerate()
                .map(|(i, c)| (k * SLICE_BATCH + i + 1, c.clone()))
                .collect();
            // The channel holds every message, so sending cannot wait.
            let _ = tx.try_send(ContractFeed::Rows {
                rows,
                clean: true,
                read,
                total,
            });
        }
        let _ = tx.try_send(ContractFeed::End {
            clean: true,
            source_digest: source_digest.to_string(),
        });
        drop(tx);
        let out = self.import_contract_feed(actor, rx, false, |_| {}).await?;
        if let Some(d) = out.stored_duplicates.first() {
            return Err(StoreError::Conflict {
                field: "contract_no".into(),
                value: d.contract_no.clone(),
            });
        }
        Ok(ContractImportOutcome {
            created: out.created,
            organizations_created: out.organizations_created,
        })
    }

    /// The writer over sqlx (PostgreSQL; SQLite in memory): per batch, the stored duplicates
    /// are looked up first (a failed statement would abort a PostgreSQL transaction), then new
    /// parties are created and the rows inserted as one JSON parameter.
    async fn import_feed_sqlx(
        &self,
        actor: &Actor,
        mut feed: Receiver<ContractFeed>,
        dry_run: bool,
        progress: impl Fn(FeedProgress),
    ) -> Result<FeedOutcome> {
        // The transaction (and its write lock) starts with the first rows, not while the file
        // is still being opened (an XLSX workbook is read whole first).
        let Some(first) = feed.recv().await.filter(has_rows) else {
            return Ok(FeedOutcome::default());
        };
        let mut first = Some(first);
        let mut tx = if dry_run {
            self.pool().begin().await?
        } else {
            self.begin_write().await?
        };
        let before_max = max_contract_id(&mut tx).await?;
        let mut out = FeedOutcome::default();
        let mut writing = !dry_run;
        let mut cache: Option<HashMap<String, i64>> = None;
        let sql = bulk_insert_sql(self.backend());
        let at = now();
        let mut json = String::new();
        let mut end_clean = false;
        let mut last_read = (0, 0);
        loop {
            let msg = match first.take() {
                Some(m) => m,
                None => match feed.recv().await {
                    Some(m) => m,
                    None => break,
                },
            };
            let (rows, clean, read, total) = match msg {
                ContractFeed::Rows {
                    rows,
                    clean,
                    read,
                    total,
                } => (rows, clean, read, total),
                ContractFeed::End {
                    clean,
                    source_digest,
                } => {
                    end_clean = clean;
                    if writing && clean {
                        progress(report(&out, last_read, true));
                        add_to_summary_after(&mut tx, before_max).await?;
                        append(
                            &mut tx,
                            &actor.username,
                            "import",
                            "contract",
                            &import_range(before_max, out.created),
                            &import_change(&out, &source_digest),
                        )
                        .await?;
                    }
                    break;
                }
            };
            out.rows += rows.len();
            last_read = (read, total);
            writing &= clean;
            let found = stored_in(&mut tx, self.backend(), &rows, before_max).await?;
            if !found.is_empty() {
                writing = false;
                out.stored_duplicates.extend(found);
            }
            if writing {
                let cache = match &mut cache {
                    Some(c) => c,
                    None => cache.insert(org_cache(&mut tx).await?),
                };
                let contracts: Vec<NewContract> = rows.into_iter().map(|(_, c)| c).collect();
                out.organizations_created +=
                    create_parties(&mut tx, actor, &contracts, cache).await?;
                json.clear();
                json.push('[');
                for c in &contracts {
                    if json.len() > 1 {
                        json.push(',');
                    }
                    push_bulk_row(&mut json, &import_insert(c, cache));
                }
                json.push(']');
                sqlx::query(&sql)
                    .bind(json.as_str())
                    .bind(actor.username.as_str())
                    .bind(at.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict(e, &contracts[0]))?;
                out.created += contracts.len();
            }
            progress(report(&out, last_read, false));
        }
        if writing && end_clean {
            tx.commit().await?;
            out.committed = true;
        } else {
            tx.rollback().await?;
            out.created = 0;
            out.organizations_created = 0;
        }
        Ok(out)
    }
}

/// The progress of `out` after reading `(read, total)`.
fn report(out: &FeedOutcome, (read, total): (u64, u64), finishing: bool) -> FeedProgress {
    FeedProgress {
        rows: out.rows,
        written: out.created,
        read,
        total,
        finishing,
    }
}

/// Whether a first message brings rows: a feed that ends before any (a file without data rows,
/// or whose header is wrong) writes nothing and needs no transaction.
fn has_rows(first: &ContractFeed) -> bool {
    matches!(first, ContractFeed::Rows { .. })
}

/// The status an imported row gets: registered when it has registration data, else a draft.
fn import_status(c: &NewContract) -> ContractStatus {
    if c.registration.is_some() {
        ContractStatus::Registered
    } else {
        ContractStatus::Draft
    }
}

/// The `Insert` of an imported row, its parties resolved from `cache` (which holds every
/// domestic party by now).
fn import_insert<'a>(c: &'a NewContract, cache: &HashMap<String, i64>) -> Insert<'a> {
    let org = |p: &Party| {
        p.credit_code
            .as_ref()
            .filter(|_| p.division_code.is_some())
            .and_then(|code| cache.get(code.as_str()).copied())
    };
    Insert {
        c,
        seller_org: org(&c.seller),
        buyer_org: org(&c.buyer),
        status: import_status(c),
        imported: true,
    }
}

fn import_range(before_max: i64, created: usize) -> String {
    format!("{}-{}", before_max + 1, before_max + created as i64)
}

fn import_change(out: &FeedOutcome, source_digest: &str) -> serde_json::Value {
    json!({"rows": out.created, "organizations_created": out.organizations_created,
           "source_sha256": source_digest})
}

async fn max_contract_id(tx: &mut Tx) -> Result<i64> {
    let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM contracts")
        .fetch_one(&mut **tx)
        .await?;
    Ok(max.unwrap_or(0))
}

async fn org_cache(tx: &mut Tx) -> Result<HashMap<String, i64>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, credit_code FROM organizations")
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(|(id, code)| (code, id)).collect())
}

/// The rows whose (seller, contract number) a contract stored before the import (`id <=
/// before_max`) already has, looked up through the unique index with one JSON parameter.
async fn stored_in(
    tx: &mut Tx,
    backend: crate::Backend,
    rows: &[(usize, NewContract)],
    before_max: i64,
) -> Result<Vec<StoredDuplicate>> {
    if rows.is_empty() || before_max == 0 {
        return Ok(Vec::new());
    }
    let source = match backend {
        crate::Backend::Sqlite => "json_each($1) AS j",
        crate::Backend::Postgres => "json_array_elements(CAST($1 AS JSON)) AS j(value)",
    };
    let sql = format!(
        "SELECT c.seller_key, c.contract_no FROM {source} \
         JOIN contracts c ON c.seller_key = j.value ->> 0 AND c.contract_no = j.value ->> 1 \
         WHERE c.id <= $2"
    );
    let keys: Vec<(String, &str)> = rows
        .iter()
        .map(|(_, c)| (seller_key(&c.seller), c.contract_no.as_str()))
        .collect();
    let json = serde_json::to_string(&keys).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let found: std::collections::HashSet<(String, String)> =
        sqlx::query_as::<_, (String, String)>(&sql)
            .bind(json)
            .bind(before_max)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
    Ok(rows
        .iter()
        .zip(&keys)
        .filter(|(_, (key, no))| found.contains(&(key.clone(), no.to_string())))
        .map(|((line, c), _)| StoredDuplicate {
            line: *line,
            seller_name: c.seller.name.clone(),
            contract_no: c.contract_no.clone(),
        })
        .collect())
}

/// The SQLite writer: its own connection to the database file, a write transaction taken
/// with `BEGIN IMMEDIATE` (so it waits for, and excludes, every other writer as the pool's
/// transactions do), and prepared single-row statements.
mod native {
    use super::*;
    use crate::audit::{INSERT_ENTRY, LAST_ENTRY};
    use rusqlite::{ffi, params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

    fn err(e: rusqlite::Error) -> StoreError {
        StoreError::Invalid(format!("SQLite: {e}"))
    }

    /// Whether `e` is the unique index on (seller_key, contract_no).
    fn is_seller_no_conflict(e: &rusqlite::Error) -> bool {
        matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
            if f.code == ErrorCode::ConstraintViolation
                && f.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                && msg.contains("contracts.seller_key"))
    }

    /// The import connection's page cache (KiB): the indexes of a large table stay in memory.
    const CACHE_KIB: u32 = 256 * 1024;
    /// The page cache while dropped indexes are built again: the sorter's chunk size.
    const SORT_CACHE_KIB: u32 = 4 * 1024;

    pub(super) fn import(
        path: &std::path::Path,
        actor: &str,
        mut feed: Receiver<ContractFeed>,
        dry_run: bool,
        progress: impl Fn(FeedProgress),
    ) -> Result<FeedOutcome> {
        // As for the sqlx writer: nothing is locked before the first rows arrive.
        let Some(first) = feed.blocking_recv().filter(has_rows) else {
            return Ok(FeedOutcome::default());
        };
        let mut first = Some(first);
        let started = std::time::Instant::now();
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        // As the pool's connections (`Store::connect`), with a page cache big enough for the
        // indexes of a large table (this connection closes after the import), and without
        // SQLite's foreign-key checks: every organization id written comes from the
        // organizations table in this very transaction (`Parties`), and site ids are checked
        // there too, so three lookups per row would check what is true by construction.
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = OFF; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{CACHE_KIB};"
        ))
        .map_err(err)?;
        let behavior = if dry_run {
            TransactionBehavior::Deferred
        } else {
            TransactionBehavior::Immediate
        };
        let tx = conn.transaction_with_behavior(behavior).map_err(err)?;
        let before_max: i64 = tx
            .query_row("SELECT COALESCE(MAX(id), 0) FROM contracts", [], |r| {
                r.get(0)
            })
            .map_err(err)?;
        let mut out = FeedOutcome::default();
        let mut writing = !dry_run;
        let at = now();
        let mut end_clean = false;
        let mut last_read = (0, 0);
        let mut rebuild: Vec<String> = Vec::new();
        let mut waited = std::time::Duration::ZERO;
        let mut summary_s = 0.0;
        let mut indexes_s = 0.0;
        {
            let mut stored = tx
                .prepare(
                    "SELECT 1 FROM contracts WHERE seller_key = ?1 AND contract_no = ?2 AND id <= ?3",
                )
                .map_err(err)?;
            let names: Vec<&str> = BULK_COLUMNS.iter().map(|(n, _)| *n).collect();
            let placeholders: Vec<String> = (1..=BULK_COLUMNS.len() + 4)
                .map(|k| format!("?{k}"))
                .collect();
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO contracts ({}, imported, created_by, created_at, updated_at) \
                     VALUES ({})",
                    names.join(", "),
                    placeholders.join(", ")
                ))
                .map_err(err)?;
            // The columns every imported row has alike, bound once (SQLite keeps bindings from
            // one execution to the next).
            let n = BULK_COLUMNS.len();
            insert.raw_bind_parameter(n + 1, 1i64).map_err(err)?;
            insert.raw_bind_parameter(n + 2, actor).map_err(err)?;
            insert.raw_bind_parameter(n + 3, at.as_str()).map_err(err)?;
            insert.raw_bind_parameter(n + 4, at.as_str()).map_err(err)?;
            let mut parties = Parties::new(&tx, actor, &at);
            // Batches written whole go to a second thread, which adds them to the summary and
            // frees them: this thread only writes (the reader's thread is busy too, but not
            // all the time).
            let (written, to_summarize) = std::sync::mpsc::channel::<Vec<(usize, NewContract)>>();
            let mut written = Some(written);
            let mut summarizer = Some(std::thread::spawn(move || {
                let mut summary = Summary::default();
                for rows in to_summarize {
                    for (_, c) in &rows {
                        summary.add(c, import_status(c));
                    }
                }
                summary
            }));
            loop {
                let wait = std::time::Instant::now();
                let Some(msg) = first.take().or_else(|| feed.blocking_recv()) else {
                    break;
                };
                waited += wait.elapsed();
                let (rows, clean, read, total) = match msg {
                    ContractFeed::Rows {
                        rows,
                        clean,
                        read,
                        total,
                    } => (rows, clean, read, total),
                    ContractFeed::End {
                        clean,
                        source_digest,
                    } => {
                        end_clean = clean;
                        if writing && clean {
                            progress(report(&out, last_read, true));
                            out.organizations_created = parties.created;
                            let t = std::time::Instant::now();
                            if !rebuild.is_empty() {
                                // SQLite's sorter sorts in chunks of the page cache's size:
                                // small ones (4 MiB, its floor with 16 KiB pages) fit the CPU's
                                // caches, go to a temporary file as they fill, and are sorted by
                                // a helper thread while the next one is read. One big in-memory
                                // sort is about twice as slow (1M rows: 1.1–1.5 s against
                                // 2.3–2.7 s for the three indexes; docs/benchmarks.md).
                                tx.execute_batch(&format!(
                                    "PRAGMA threads = 2; PRAGMA cache_size = -{SORT_CACHE_KIB};"
                                ))
                                .map_err(err)?;
                                for sql in &rebuild {
                                    tx.execute_batch(sql).map_err(|e| {
                                        if is_seller_no_conflict(&e) {
                                            StoreError::Invalid(
                                                "two rows of the import have the same seller \
                                                 and contract number"
                                                    .into(),
                                            )
                                        } else {
                                            err(e)
                                        }
                                    })?;
                                }
                                tx.execute_batch(&format!(
                                    "PRAGMA threads = 0; PRAGMA cache_size = -{CACHE_KIB};"
                                ))
                                .map_err(err)?;
                            }
                            indexes_s = t.elapsed().as_secs_f64();
                            drop(written.take());
                            summarizer
                                .take()
                                .map(std::thread::JoinHandle::join)
                                .transpose()
                                .map_err(|_| {
                                    StoreError::Invalid("the import's summary failed".into())
                                })?
                                .unwrap_or_default()
                                .write(&tx)?;
                            summary_s = t.elapsed().as_secs_f64();
                            parties.audit(
                                "import",
                                "contract",
                                &import_range(before_max, out.created),
                                &import_change(&out, &source_digest),
                            )?;
                        }
                        break;
                    }
                };
                writing &= clean;
                if writing && out.rows == 0 {
                    rebuild = drop_secondary_indexes(&tx, rows.len(), read, total, before_max)?;
                }
                out.rows += rows.len();
                last_read = (read, total);
                for (line, c) in &rows {
                    // A conflict on the unique (seller, number) index: a stored contract
                    // (in-file duplicates never reach the writer: their batch is not clean).
                    let mut conflict = false;
                    if writing {
                        parties.check_site(c.site_id)?;
                        let seller_org = parties.resolve(&c.seller)?;
                        let buyer_org = parties.resolve(&c.buyer)?;
                        let row = Insert {
                            c,
                            seller_org,
                            buyer_org,
                            status: import_status(c),
                            imported: true,
                        };
                        let values = bulk_values(&row);
                        for (k, v) in values.iter().enumerate() {
                            let r = match v {
                                BulkValue::Text(s) => {
                                    insert.raw_bind_parameter(k + 1, s.as_deref())
                                }
                                BulkValue::Int(n) => insert.raw_bind_parameter(k + 1, n),
                            };
                            r.map_err(err)?;
                        }
                        match insert.raw_execute() {
                            Ok(_) => {
                                out.created += 1;
                                continue;
                            }
                            Err(e) if is_seller_no_conflict(&e) => conflict = true,
                            Err(e) => return Err(err(e)),
                        }
                    }
                    // Nothing is stored before an import into an empty table (whose unique
                    // index may be dropped: the lookup would scan the rows written so far).
                    let found = conflict
                        || (before_max > 0
                            && stored
                                .query_row(
                                    params![seller_key(&c.seller), c.contract_no, before_max],
                                    |_| Ok(()),
                                )
                                .optional()
                                .map_err(err)?
                                .is_some());
                    if found {
                        writing = false;
                        out.stored_duplicates.push(StoredDuplicate {
                            line: *line,
                            seller_name: c.seller.name.clone(),
                            contract_no: c.contract_no.clone(),
                        });
                    }
                }
                if writing {
                    if let Some(w) = &written {
                        // The summarizer only ends when this side drops the sender.
                        let _ = w.send(rows);
                    }
                }
                progress(report(&out, last_read, false));
            }
        }
        let written = started.elapsed();
        if writing && end_clean {
            tx.commit().map_err(err)?;
            out.committed = true;
        } else {
            tx.rollback().map_err(err)?;
            out.created = 0;
            out.organizations_created = 0;
        }
        tracing::debug!(
            waiting_for_rows_s = waited.as_secs_f64(),
            indexes_s,
            indexes_and_summary_s = summary_s,
            until_commit_s = written.as_secs_f64(),
            commit_s = (started.elapsed() - written).as_secs_f64(),
            indexes_rebuilt = rebuild.len(),
            "SQLite import writer"
        );
        Ok(out)
    }

    /// The rows' additions to `contract_summary`, gathered as they are written and added at
    /// the end (one upsert per group instead of grouping a million rows again in SQL).
    #[derive(Default)]
    struct Summary {
        /// The group's six key parts joined by `\u{1f}` → contracts, contract amount, technology
        /// transaction amount.
        groups: rustc_hash::FxHashMap<String, [i64; 3]>,
        key: String,
    }

    impl Summary {
        /// Counts a written row, as `summary_row` would count it once stored.
        fn add(&mut self, c: &NewContract, status: ContractStatus) {
            let Some(reg) = c
                .registration
                .as_ref()
                .filter(|_| status.counts_in_statistics())
            else {
                return;
            };
            self.key.clear();
            push_iso_date(&mut self.key, reg.registered_on);
            self.key.truncate(7); // YYYY-MM
            for part in [
                c.seller.division_code.as_ref().map_or("", |d| d.as_str()),
                c.buyer.division_code.as_ref().map_or("", |d| d.as_str()),
                c.buyer.country.as_str(),
                summary_nature(&c.seller.nature),
                c.category.as_str(),
            ] {
                self.key.push('\u{1f}');
                self.key.push_str(part);
            }
            let add = [1, c.contract_amount.0, c.tech_transaction_amount.0];
            match self.groups.get_mut(self.key.as_str()) {
                Some(sums) => sums.iter_mut().zip(add).for_each(|(s, a)| *s += a),
                None => {
                    self.groups.insert(self.key.clone(), add);
                }
            }
        }

        fn write(&self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
            let mut upsert = tx
                .prepare(&format!(
                    "{SUMMARY_INSERT}VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9){SUMMARY_UPSERT}"
                ))
                .map_err(err)?;
            // In key order, which is the table's key order (the parts joined by a separator
            // below every character they hold): the rows go in along the B-tree instead of
            // jumping about it (0.7 s for 327,426 groups in hash order).
            let mut groups: Vec<_> = self.groups.iter().collect();
            groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (key, [n, amount, tech]) in groups {
                let p: Vec<&str> = key.split('\u{1f}').collect();
                upsert
                    .execute(params![p[0], p[1], p[2], p[3], p[4], p[5], n, amount, tech])
                    .map_err(err)?;
            }
            Ok(())
        }
    }

    /// For a load that is large against the table (an estimated 100,000 rows or more, and at
    /// least as many as are stored), drops the table's non-unique indexes, to be built again
    /// before the commit (`CREATE INDEX` sorts once, where a million single inserts would
    /// each walk the indexes). Returns their definitions, empty when nothing was dropped.
    /// Partial indexes stay (those on the registration site leave out imported rows, which
    /// have none). The unique index on (seller, contract number) stays while contracts are
    /// stored: it names a stored duplicate as the row is written. Into an empty table (a first
    /// load) it is dropped too, as a bulk loader would: nothing stored can conflict, the
    /// reader refuses in-file duplicates, and a feed that brings one anyway fails when the
    /// index is built again (1M rows: building it takes 0.5 s, keeping it up ≈ 1.2 s).
    /// Within the transaction, so a rollback restores them; readers keep their snapshot
    /// meanwhile.
    fn drop_secondary_indexes(
        tx: &rusqlite::Transaction<'_>,
        first_batch: usize,
        read: u64,
        total: u64,
        stored: i64,
    ) -> Result<Vec<String>> {
        let estimate = (first_batch as u64)
            .saturating_mul(total)
            .checked_div(read)
            .unwrap_or(first_batch as u64);
        if estimate < 100_000 || i64::try_from(estimate).unwrap_or(i64::MAX) < stored {
            return Ok(Vec::new());
        }
        let mut stmt = tx
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name = 'contracts' AND sql IS NOT NULL \
                 AND (?1 OR sql NOT LIKE 'CREATE UNIQUE%') AND sql NOT LIKE '% WHERE %'",
            )
            .map_err(err)?;
        let indexes = stmt
            .query_map([stored == 0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(err)?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(err)?;
        let mut rebuild = Vec::with_capacity(indexes.len());
        for (name, sql) in indexes {
            tx.execute_batch(&format!("DROP INDEX \"{name}\""))
                .map_err(err)?;
            rebuild.push(sql);
        }
        Ok(rebuild)
    }

    /// The parties of the rows: organizations by credit code, created (and audited) when new.
    struct Parties<'c> {
        tx: &'c rusqlite::Transaction<'c>,
        actor: &'c str,
        at: &'c str,
        /// Loaded on first use (a dry run never needs it).
        cache: Option<rustc_hash::FxHashMap<String, i64>>,
        /// Site ids seen to exist.
        sites: Vec<i64>,
        chain: Option<ChainEnd>,
        created: usize,
    }

    impl<'c> Parties<'c> {
        fn new(tx: &'c rusqlite::Transaction<'c>, actor: &'c str, at: &'c str) -> Self {
            Parties {
                tx,
                actor,
                at,
                cache: None,
                sites: Vec::new(),
                chain: None,
                created: 0,
            }
        }

        /// A registration site must exist (what the foreign key on `site_id` would check).
        fn check_site(&mut self, site: Option<i64>) -> Result<()> {
            let Some(id) = site else { return Ok(()) };
            if self.sites.contains(&id) {
                return Ok(());
            }
            let found = self
                .tx
                .query_row(
                    "SELECT 1 FROM organizations WHERE id = ?1",
                    [id],
                    |_| Ok(()),
                )
                .optional()
                .map_err(err)?;
            if found.is_none() {
                return Err(StoreError::Invalid(format!(
                    "registration site {id} does not exist"
                )));
            }
            self.sites.push(id);
            Ok(())
        }

        fn resolve(&mut self, p: &Party) -> Result<Option<i64>> {
            let (Some(code), Some(division)) = (&p.credit_code, &p.division_code) else {
                return Ok(None);
            };
            let cache = match &mut self.cache {
                Some(c) => c,
                None => {
                    let mut stmt = self
                        .tx
                        .prepare("SELECT id, credit_code FROM organizations")
                        .map_err(err)?;
                    let rows = stmt
                        .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(0)?)))
                        .map_err(err)?
                        .collect::<std::result::Result<rustc_hash::FxHashMap<_, _>, _>>()
                        .map_err(err)?;
                    self.cache.insert(rows)
                }
            };
            if let Some(id) = cache.get(code.as_str()) {
                return Ok(Some(*id));
            }
            self.tx
                .prepare_cached(
                    "INSERT INTO organizations (name, credit_code, division_code, nature, kind, \
                     description, is_demo, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        p.name,
                        code.as_str(),
                        division.as_str(),
                        p.nature,
                        kind_for_nature(&p.nature).as_str(),
                        PARTY_DESCRIPTION,
                        self.at
                    ])
                })
                .map_err(err)?;
            let id = self.tx.last_insert_rowid();
            cache.insert(code.to_string(), id);
            self.created += 1;
            self.audit(
                "create",
                "organization",
                &id.to_string(),
                &party_change(id, p, self.at),
            )?;
            Ok(Some(id))
        }

        /// Appends an audit entry after the chain's end (read once, then carried).
        fn audit(
            &mut self,
            action: &str,
            entity: &str,
            entity_id: &str,
            change: &serde_json::Value,
        ) -> Result<()> {
            let chain = match &mut self.chain {
                Some(c) => c,
                None => {
                    let last: Option<(i64, String)> = self
                        .tx
                        .query_row(LAST_ENTRY, [], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                        .map_err(err)?;
                    self.chain.insert(ChainEnd::after(last))
                }
            };
            let e = chain.next(self.at, self.actor, action, entity, entity_id, change);
            self.tx
                .prepare_cached(INSERT_ENTRY)
                .and_then(|mut s| {
                    s.execute(params![
                        e.seq,
                        self.at,
                        self.actor,
                        action,
                        entity,
                        entity_id,
                        e.change,
                        e.digest,
                        e.prev_hash,
                        e.hash
                    ])
                })
                .map_err(err)?;
            Ok(())
        }
    }
}
