//! The audit chain in the database: appended inside the transaction of the change it records,
//! listed and filtered for the bureau, and verified end to end.

use crate::sql::{like_pattern, Filter, Value};
use crate::{now, Page, Result, Store};
use chengguo_core::audit::{digest_of, entry_hash, AuditEntry, ChainError, ChainVerifier, GENESIS};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// The SQL that reads the chain's last entry.
pub(crate) const LAST_ENTRY: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
/// The SQL that inserts one entry, with the parameters of [`NewEntry`] in order.
pub(crate) const INSERT_ENTRY: &str = "INSERT INTO audit_log (seq, at, actor, action, entity, \
    entity_id, change, digest, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The end of the chain inside a write transaction: each [`ChainEnd::next`] is the entry that
/// follows the previous one. Every way of appending (one entry, many, the SQLite bulk path)
/// links entries through this.
pub(crate) struct ChainEnd {
    seq: i64,
    prev: String,
}

/// An entry ready to insert with [`INSERT_ENTRY`].
pub(crate) struct NewEntry {
    pub seq: i64,
    pub change: String,
    pub digest: String,
    pub prev_hash: String,
    pub hash: String,
}

impl ChainEnd {
    /// After the last stored entry `(seq, hash)`, or at the start of an empty chain.
    pub(crate) fn after(last: Option<(i64, String)>) -> ChainEnd {
        match last {
            Some((seq, prev)) => ChainEnd { seq, prev },
            None => ChainEnd {
                seq: 0,
                prev: GENESIS.to_string(),
            },
        }
    }

    pub(crate) async fn read(tx: &mut Transaction<'static, Any>) -> Result<ChainEnd> {
        let last: Option<(i64, String)> =
            sqlx::query_as(LAST_ENTRY).fetch_optional(&mut **tx).await?;
        Ok(ChainEnd::after(last))
    }

    pub(crate) fn next(
        &mut self,
        at: &str,
        actor: &str,
        action: &str,
        entity: &str,
        entity_id: &str,
        change: &serde_json::Value,
    ) -> NewEntry {
        self.seq += 1;
        let digest = digest_of(change);
        let hash = entry_hash(
            self.seq, at, actor, action, entity, entity_id, &digest, &self.prev,
        );
        let prev_hash = std::mem::replace(&mut self.prev, hash.clone());
        NewEntry {
            seq: self.seq,
            change: change.to_string(),
            digest,
            prev_hash,
            hash,
        }
    }
}

/// Appends one entry. The caller's write transaction already holds the write lock
/// ([`Store::begin_write`]), so reading the last entry and appending after it cannot interleave.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    change: &serde_json::Value,
) -> Result<i64> {
    let at = now();
    let e = ChainEnd::read(tx)
        .await?
        .next(&at, actor, action, entity, entity_id, change);
    sqlx::query(INSERT_ENTRY)
        .bind(e.seq)
        .bind(&at)
        .bind(actor)
        .bind(action)
        .bind(entity)
        .bind(entity_id)
        .bind(e.change)
        .bind(e.digest)
        .bind(e.prev_hash)
        .bind(e.hash)
        .execute(&mut **tx)
        .await?;
    Ok(e.seq)
}

/// Appends several entries by one actor in order, as [`append`] would one by one, with one
/// read of the chain's end and multi-row inserts (bulk imports create thousands of records).
pub(crate) async fn append_many(
    tx: &mut Transaction<'static, Any>,
    actor: &str,
    action: &str,
    entity: &str,
    entries: &[(String, serde_json::Value)],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut end = ChainEnd::read(tx).await?;
    let at = now();
    // Small statements: sqlx's SQLite binding slows down sharply with thousands of parameters.
    for chunk in entries.chunks(50) {
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, change, digest, prev_hash, hash) VALUES ",
        );
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, (entity_id, change)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 10;
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 10
            ));
            rows.push((
                entity_id,
                end.next(&at, actor, action, entity, entity_id, change),
            ));
        }
        let mut q = sqlx::query(&sql);
        for (entity_id, e) in rows {
            q = q
                .bind(e.seq)
                .bind(at.clone())
                .bind(actor.to_string())
                .bind(action.to_string())
                .bind(entity.to_string())
                .bind(entity_id.clone())
                .bind(e.change)
                .bind(e.digest)
                .bind(e.prev_hash)
                .bind(e.hash);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// One audit entry with its change, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub change: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Inclusive lower bound on `at`, e.g. `2026-01-01`.
    pub from: Option<String>,
    /// Inclusive upper bound on the date part of `at`.
    pub to: Option<String>,
    /// Text anywhere in the actor, action, entity, entity id or change (case-insensitive).
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

type EntryTuple = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn to_row(t: EntryTuple) -> AuditRow {
    let (seq, at, actor, action, entity, entity_id, change, digest, prev_hash, hash) = t;
    AuditRow {
        entry: AuditEntry {
            seq,
            at,
            actor,
            action,
            entity,
            entity_id,
            digest,
            prev_hash,
            hash,
        },
        change: serde_json::from_str(&change).unwrap_or(serde_json::Value::String(change)),
    }
}

const COLUMNS: &str = "seq, at, actor, action, entity, entity_id, change, digest, prev_hash, hash";

impl Store {
    /// Lists audit entries, newest first.
    pub async fn audit_list(&self, f: &AuditFilter) -> Result<Page<AuditRow>> {
        let mut w = Filter::default();
        if let Some(v) = f.actor.as_deref().filter(|s| !s.is_empty()) {
            w.push("actor = {}", Value::Str(v.into()));
        }
        if let Some(v) = f.action.as_deref().filter(|s| !s.is_empty()) {
            w.push("action = {}", Value::Str(v.into()));
        }
        if let Some(v) = f.entity.as_deref().filter(|s| !s.is_empty()) {
            w.push("entity = {}", Value::Str(v.into()));
        }
        if let Some(v) = f.entity_id.as_deref().filter(|s| !s.is_empty()) {
            w.push("entity_id = {}", Value::Str(v.into()));
        }
        if let Some(v) = f.from.as_deref().filter(|s| !s.is_empty()) {
            w.push("at >= {}", Value::Str(v.into()));
        }
        if let Some(v) = f.to.as_deref().filter(|s| !s.is_empty()) {
            // `to` is a day: everything up to its end.
            w.push("at < {}", Value::Str(format!("{v}\u{7f}")));
        }
        if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let p = w.param(Value::Str(like_pattern(&text.to_lowercase())));
            let any: Vec<String> = ["actor", "action", "entity", "entity_id", "change"]
                .iter()
                .map(|c| format!("LOWER({c}) LIKE {p} ESCAPE '\\'"))
                .collect();
            w.push_raw(&format!("({})", any.join(" OR ")));
        }
        let where_sql = w.where_sql();
        let (total,): (i64,) = sqlx::query_as_with(
            &format!("SELECT COUNT(*) FROM audit_log{where_sql}"),
            w.args(),
        )
        .fetch_one(self.pool())
        .await?;
        let limit = f.limit.clamp(1, 10_000);
        let offset = f.offset.max(0);
        let sql = format!("SELECT {COLUMNS} FROM audit_log{where_sql} ORDER BY seq DESC LIMIT {limit} OFFSET {offset}");
        let rows: Vec<EntryTuple> = sqlx::query_as_with(&sql, w.args())
            .fetch_all(self.pool())
            .await?;
        Ok(Page {
            items: rows.into_iter().map(to_row).collect(),
            total,
            limit,
            offset,
        })
    }

    /// Distinct values of a column of the audit log, for filter menus.
    pub async fn audit_distinct(&self, column: AuditColumn) -> Result<Vec<String>> {
        let col = match column {
            AuditColumn::Action => "action",
            AuditColumn::Entity => "entity",
        };
        let rows: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT DISTINCT {col} FROM audit_log ORDER BY {col}"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(s,)| s).collect())
    }

    /// Recomputes the whole chain in order. Returns the number of entries checked, or the first
    /// entry that does not match.
    pub async fn audit_verify(&self) -> Result<Result<u64, ChainError>> {
        let mut v = ChainVerifier::default();
        let batch = 5_000i64;
        let mut after = 0i64;
        loop {
            let rows: Vec<EntryTuple> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT {batch}"
            ))
            .bind(after)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for t in rows {
                let change = t.6.clone();
                let row = to_row(t);
                after = row.entry.seq;
                if let Err(e) = v.check(&row.entry, &change) {
                    return Ok(Err(e));
                }
            }
        }
        Ok(Ok(v.checked))
    }

    /// Appends an entry outside any other change (logins, exports).
    pub async fn audit_event(
        &self,
        actor: &str,
        action: &str,
        entity: &str,
        entity_id: &str,
        change: &serde_json::Value,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let seq = append(&mut tx, actor, action, entity, entity_id, change).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Removes the triggers that make the audit log append-only (migration 0011), as someone with
    /// the database owner's rights could. Only for tests that tamper with entries on purpose, to
    /// show that the chain still finds the change.
    #[doc(hidden)]
    pub async fn drop_audit_guard(&self) -> Result<()> {
        let statements: &[&str] = match self.backend() {
            crate::Backend::Sqlite => &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ],
            crate::Backend::Postgres => &[
                "DROP TRIGGER audit_log_no_change ON audit_log",
                "DROP TRIGGER audit_log_no_truncate ON audit_log",
            ],
        };
        for sql in statements {
            sqlx::query(sql).execute(self.pool()).await?;
        }
        Ok(())
    }

    /// Runs raw SQL against the database. Only for tests that tamper with rows on purpose.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(sqlx::query(sql).execute(self.pool()).await?.rows_affected())
    }
}

#[derive(Debug, Clone, Copy)]
pub enum AuditColumn {
    Action,
    Entity,
}
