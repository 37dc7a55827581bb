//! Online backup to a single SQLite file that is itself a working Chengguo database (it can be
//! served, verified with `chengguo audit verify`, or inspected with any SQLite tool), and the
//! restore of such a file into an empty SQLite or PostgreSQL database.
//!
//! Backup. SQLite: `VACUUM INTO`, which copies one consistent snapshot while other connections
//! keep working. PostgreSQL: every table is read inside one `REPEATABLE READ` transaction (a
//! single snapshot) and written into a freshly migrated SQLite file.
//!
//! Restore: the backup is copied to a temporary file (the backup itself is never written) and
//! migrated there, so a backup made by an older version loads into a newer one; then, inside one
//! write transaction of the target, the target is checked empty, every table is copied, identity
//! sequences (PostgreSQL) are set past the restored ids, and the restore is appended to the audit
//! chain. All or nothing.
//!
//! Both copy the tables of the migrated schema ([`crate::schema`]) in dependency order, and
//! refuse to go on when the two sides' schemas differ.

use crate::schema::{ColumnKind, TableInfo};
use crate::{audit, Backend, Result, Store, StoreError};
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BackupSummary {
    pub tables: Vec<(String, u64)>,
}

/// What a restore loaded.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RestoreSummary {
    /// Rows per table, in the order they were loaded.
    pub tables: Vec<(String, u64)>,
    /// The sequence number of the audit entry that records the restore.
    pub audit_seq: i64,
    /// Migrations the backup lacked and that were applied to its temporary copy.
    pub migrated: Vec<i64>,
}

/// Progress of one table's copy: `(table, rows copied, rows in the table)`, reported after every
/// batch and once when the table is done.
pub type Progress<'a> = dyn FnMut(&str, u64, u64) + Send + 'a;

/// Parameters per multi-row insert: sqlx's SQLite binding slows down sharply with thousands.
const PARAMS_PER_INSERT: usize = 600;

impl Store {
    pub async fn backup_to(&self, path: &Path) -> Result<BackupSummary> {
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} already exists; choose a new file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid("backup path is not UTF-8".into()))?;
        match self.backend() {
            Backend::Sqlite => {
                sqlx::query(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
                    .execute(self.pool())
                    .await?;
                let copy = Store::connect(&format!("sqlite://{target}")).await?;
                let mut summary = BackupSummary::default();
                for t in copy.schema_tables().await? {
                    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", t.name))
                        .fetch_one(copy.pool())
                        .await?;
                    summary.tables.push((t.name, n as u64));
                }
                copy.close().await;
                Ok(summary)
            }
            Backend::Postgres => self.copy_into_sqlite(target).await,
        }
    }

    async fn copy_into_sqlite(&self, target: &str) -> Result<BackupSummary> {
        let dest = Store::open(&format!("sqlite://{target}")).await?;
        let tables = matching_schemas(&self.schema_tables().await?, &dest.schema_tables().await?)?;
        let mut src = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let mut out = dest.pool().begin().await?;
        let mut summary = BackupSummary::default();
        for t in &tables {
            let n = copy_table(&mut src, &mut out, t, &mut |_, _, _| {}).await?;
            summary.tables.push((t.name.clone(), n));
        }
        out.commit().await?;
        src.commit().await?;
        // Everything into the main file now, the write-ahead log emptied: the backup is that one
        // file even if this process ends before the pool's connections have closed.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(dest.pool())
            .await?;
        dest.close().await;
        Ok(summary)
    }

    /// Loads the backup at `backup` (an SQLite file written by [`Store::backup_to`], from either
    /// database) into this database, which must be migrated and empty. See the module doc.
    pub async fn restore_from(
        &self,
        backup: &Path,
        progress: &mut Progress<'_>,
    ) -> Result<RestoreSummary> {
        if !backup.is_file() {
            return Err(StoreError::Invalid(format!(
                "backup file {} not found",
                backup.display()
            )));
        }
        let mut magic = [0u8; 16];
        let is_sqlite = std::fs::File::open(backup)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok()
            && &magic == b"SQLite format 3\0";
        if !is_sqlite {
            return Err(StoreError::Invalid(format!(
                "{} is not a Chengguo backup (not an SQLite database)",
                backup.display()
            )));
        }
        let work = tempfile::tempdir()?;
        let copy_path = work.path().join("backup.db");
        std::fs::copy(backup, &copy_path)?;
        // A write-ahead log beside the file (a backup copied while its writer was still closing)
        // holds committed pages: take it along.
        let mut wal = backup.as_os_str().to_owned();
        wal.push("-wal");
        let wal = std::path::PathBuf::from(wal);
        if wal.is_file() {
            std::fs::copy(&wal, work.path().join("backup.db-wal"))?;
        }
        let copy_url = format!("sqlite://{}", copy_path.display());
        let src = Store::connect(&copy_url).await?;
        let result = self.restore_from_copy(&src, backup, progress).await;
        src.close().await;
        result
    }

    async fn restore_from_copy(
        &self,
        src: &Store,
        backup: &Path,
        progress: &mut Progress<'_>,
    ) -> Result<RestoreSummary> {
        let not_a_backup = || {
            StoreError::Invalid(format!(
                "{} is not a Chengguo backup (no migration history in it)",
                backup.display()
            ))
        };
        let has_history: Option<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(src.pool())
        .await
        .map_err(|_| not_a_backup())?;
        has_history.ok_or_else(not_a_backup)?;
        let versions = |m: Vec<(i64, String)>| m.into_iter().map(|(v, _)| v).collect::<Vec<_>>();
        let before = versions(src.applied_migrations().await?);
        let ours = versions(self.applied_migrations().await?);
        if let Some(newer) = before.iter().find(|v| !ours.contains(v)) {
            return Err(StoreError::Invalid(format!(
                "the backup was made by a newer version of Chengguo (it has migration {newer}, \
                 which this one does not know); restore it with that version"
            )));
        }
        src.migrate().await?;
        let after = versions(src.applied_migrations().await?);
        if after != ours {
            return Err(StoreError::Invalid(format!(
                "the backup's migrations {after:?} differ from the target database's {ours:?}"
            )));
        }
        let migrated: Vec<i64> = after
            .iter()
            .filter(|v| !before.contains(v))
            .copied()
            .collect();
        let tables = matching_schemas(&src.schema_tables().await?, &self.schema_tables().await?)?;

        let mut tx = self.begin_write().await?;
        let mut occupied = Vec::new();
        for t in &tables {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", t.name))
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                occupied.push(format!("{} ({n} rows)", t.name));
            }
        }
        if !occupied.is_empty() {
            let more = occupied.len().saturating_sub(5);
            occupied.truncate(5);
            if more > 0 {
                occupied.push(format!("and {more} more tables"));
            }
            return Err(StoreError::Invalid(format!(
                "the target database is not empty: {}; restore only into a new, empty database",
                occupied.join(", ")
            )));
        }
        let mut reader = src.pool().acquire().await?;
        let mut summary = RestoreSummary {
            migrated,
            ..Default::default()
        };
        let mut total = 0u64;
        for t in &tables {
            let n = copy_table(&mut reader, &mut tx, t, progress).await?;
            total += n;
            summary.tables.push((t.name.clone(), n));
        }
        drop(reader);
        if self.backend() == Backend::Postgres {
            for t in &tables {
                for col in &t.identity {
                    // The next id is one past the largest restored (1 for an empty table).
                    sqlx::query(&format!(
                        "SELECT CAST(setval(pg_get_serial_sequence($1, $2), \
                                COALESCE(MAX({col}), 0) + 1, false) AS BIGINT) FROM {}",
                        t.name
                    ))
                    .bind(&t.name)
                    .bind(col)
                    .fetch_one(&mut *tx)
                    .await?;
                }
            }
        }
        let file = backup
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        summary.audit_seq = audit::append(
            &mut tx,
            "system:restore",
            "restore",
            "database",
            "",
            &serde_json::json!({
                "file": file,
                "tables": summary.tables.len(),
                "rows": total,
                "migrated": summary.migrated,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }
}

/// The tables to copy, in the target's dependency order, after checking that both sides have the
/// same tables and columns (a schema difference means the two databases' migrations diverged:
/// copying would silently drop data).
fn matching_schemas(source: &[TableInfo], target: &[TableInfo]) -> Result<Vec<TableInfo>> {
    let names = |ts: &[TableInfo]| ts.iter().map(|t| t.name.clone()).collect::<BTreeSet<_>>();
    let (s, t) = (names(source), names(target));
    let only_source: Vec<_> = s.difference(&t).cloned().collect();
    let only_target: Vec<_> = t.difference(&s).cloned().collect();
    if !only_source.is_empty() || !only_target.is_empty() {
        return Err(StoreError::Invalid(format!(
            "the schemas differ: tables only in the source: [{}]; only in the target: [{}]",
            only_source.join(", "),
            only_target.join(", ")
        )));
    }
    for tt in target {
        let st = source
            .iter()
            .find(|x| x.name == tt.name)
            .expect("same names");
        let cols = |t: &TableInfo| {
            t.columns
                .iter()
                .map(|c| c.name.clone())
                .collect::<BTreeSet<_>>()
        };
        if cols(st) != cols(tt) {
            return Err(StoreError::Invalid(format!(
                "the schemas differ: table {} has columns [{}] in the source and [{}] in the target",
                tt.name,
                st.column_list(),
                tt.column_list()
            )));
        }
    }
    Ok(target.to_vec())
}

enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// Reads column `i` as the target column's kind (SQLite may hold either in any column).
fn value(row: &sqlx::any::AnyRow, i: usize, kind: ColumnKind, what: &str) -> Result<Value> {
    Ok(match kind {
        ColumnKind::Integer => match row.try_get::<Option<i64>, _>(i) {
            Ok(v) => Value::Int(v),
            Err(_) => {
                let s: Option<String> = row.try_get(i)?;
                Value::Int(match s {
                    None => None,
                    Some(s) => Some(s.trim().parse().map_err(|_| {
                        StoreError::Invalid(format!("{what}: '{s}' is not an integer"))
                    })?),
                })
            }
        },
        ColumnKind::Text => match row.try_get::<Option<String>, _>(i) {
            Ok(v) => Value::Text(v),
            Err(_) => Value::Text(row.try_get::<Option<i64>, _>(i)?.map(|n| n.to_string())),
        },
    })
}

/// Copies one table's rows in key order with multi-row inserts; returns the rows copied.
async fn copy_table(
    src: &mut AnyConnection,
    dst: &mut AnyConnection,
    t: &TableInfo,
    progress: &mut Progress<'_>,
) -> Result<u64> {
    let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", t.name))
        .fetch_one(&mut *src)
        .await?;
    let total = total as u64;
    let ncols = t.columns.len();
    let per_insert = (PARAMS_PER_INSERT / ncols.max(1)).max(1);
    let insert_sql = |rows: usize| {
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", t.name, t.column_list());
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..ncols {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", r * ncols + c + 1));
            }
            sql.push(')');
        }
        sql
    };
    let full_sql = insert_sql(per_insert);
    let select = format!(
        "SELECT {} FROM {} ORDER BY {}",
        t.column_list(),
        t.name,
        t.order_by()
    );
    let mut batch: Vec<Value> = Vec::with_capacity(per_insert * ncols);
    let mut done = 0u64;
    let mut rows = sqlx::query(&select).fetch(&mut *src);
    loop {
        let row = rows.try_next().await?;
        if let Some(row) = &row {
            for (i, c) in t.columns.iter().enumerate() {
                batch.push(value(row, i, c.kind, &format!("{}.{}", t.name, c.name))?);
            }
        }
        let rows_in_batch = batch.len() / ncols.max(1);
        if rows_in_batch == per_insert || (row.is_none() && rows_in_batch > 0) {
            let partial;
            let sql = if rows_in_batch == per_insert {
                &full_sql
            } else {
                partial = insert_sql(rows_in_batch);
                &partial
            };
            let mut q = sqlx::query(sql);
            for v in batch.drain(..) {
                q = match v {
                    Value::Int(v) => q.bind(v),
                    Value::Text(v) => q.bind(v),
                };
            }
            q.execute(&mut *dst).await?;
            done += rows_in_batch as u64;
            progress(&t.name, done, total);
        }
        if row.is_none() {
            break;
        }
    }
    if done == 0 {
        progress(&t.name, 0, total);
    }
    Ok(done)
}
