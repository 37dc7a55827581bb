//! The search index kept in step with the database.
//!
//! The database is the source of truth; the tantivy index ([`chengguo_search::SearchIndex`]) is
//! derived from it. The change feed is the audit chain: every committed change to an achievement,
//! a demand or an organization appends an audit entry in its own transaction, with a sequence
//! number that grows in commit order (writes are serialised by [`Store::begin_write`]). The index
//! records the sequence it reflects; [`SearchService::sync`] reads the entries after it, reloads
//! the records they name and commits them with the new sequence. So a change committed by any
//! process (an import on the command line, a second server on the same PostgreSQL database) is
//! picked up by every server's loop, and nothing is lost when a server was down.
//!
//! Who may see a document is indexed with it as audience strings ([`audiences`]); the rules are
//! the read scopes of the achievements and demands modules.

use crate::achievements::split_list;
use crate::{Result, Store, StoreError};
use chengguo_core::{Actor, Role};
use chengguo_search::{dir_in_use, DocKind, SearchDoc, SearchError, SearchIndex};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The setting whose change asks every server to rebuild its index (`chengguo reindex`).
pub const REBUILD_SETTING: &str = "search.rebuild_requested";

/// At most this many audit entries are applied per index commit (a bulk import of a million
/// records is applied in slices, each visible as soon as it is committed).
const SYNC_WINDOW: i64 = 20_000;
/// Records loaded per query.
const LOAD_CHUNK: usize = 500;

/// The audience strings of a viewer (`None`: anonymous). A document is visible when one of these
/// is among its own ([`SearchDoc::visible_to`]).
pub fn audiences(viewer: Option<&Actor>) -> Vec<String> {
    let mut v = vec!["public".to_string()];
    if let Some(a) = viewer {
        v.push("signed_in".into());
        if a.has_any(&[Role::Broker, Role::Bureau]) {
            v.push("broker".into());
        }
        if a.is_bureau() {
            v.push("bureau".into());
        }
        if let Some(o) = a.org_id {
            v.push(format!("org:{o}"));
        }
    }
    v
}

/// Audiences of a record: its owner and the bureau always; when published, everyone (public)
/// or the restricted audience (`signed_in` for achievements, `broker` for demands).
fn record_audiences(owner: i64, published: bool, public: bool, restricted_to: &str) -> Vec<String> {
    let mut v = vec![format!("org:{owner}"), "bureau".to_string()];
    if published {
        v.push(if public { "public" } else { restricted_to }.to_string());
    }
    v
}

fn unix_seconds(ts: &str) -> i64 {
    time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .unwrap_or(0)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|x| !x.trim().is_empty())
}

const ACH_SQL: &str =
    "SELECT a.id, a.owner_org_id, a.ref, a.title, a.abstract AS body, a.keywords, \
    a.chains, a.tech_field, a.stage, a.status, a.visibility, a.updated_at, o.division_code, o.kind \
    FROM achievements a JOIN organizations o ON o.id = a.owner_org_id";
const DEM_SQL: &str = "SELECT d.id, d.owner_org_id, d.ref, d.title, d.description AS body, d.keywords, \
    d.chain AS chains, d.tech_field, NULL AS stage, d.status, d.visibility, d.updated_at, \
    d.district AS division_code, o.kind FROM demands d JOIN organizations o ON o.id = d.owner_org_id";

fn to_doc(kind: DocKind, r: &AnyRow) -> std::result::Result<SearchDoc, sqlx::Error> {
    let owner: i64 = r.try_get("owner_org_id")?;
    let status: String = r.try_get("status")?;
    let visibility: String = r.try_get("visibility")?;
    let chains: Option<String> = r.try_get("chains")?;
    let chain = match kind {
        DocKind::Achievement => split_list(chains.as_deref().unwrap_or("")),
        DocKind::Demand => non_empty(chains).into_iter().collect(),
    };
    let restricted_to = match kind {
        DocKind::Achievement => "signed_in",
        DocKind::Demand => "broker",
    };
    Ok(SearchDoc {
        id: r.try_get("id")?,
        kind,
        ref_: r.try_get("ref")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        keywords: split_list(&r.try_get::<String, _>("keywords")?),
        chain,
        tech_field: non_empty(r.try_get("tech_field")?),
        stage: non_empty(r.try_get("stage")?),
        district: non_empty(r.try_get("division_code")?),
        owner_kind: non_empty(r.try_get("kind")?),
        visible_to: record_audiences(
            owner,
            status == "published",
            visibility == "public",
            restricted_to,
        ),
        updated_at: unix_seconds(&r.try_get::<String, _>("updated_at")?),
    })
}

/// What changed after a sequence number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SearchChanges {
    pub achievements: BTreeSet<i64>,
    pub demands: BTreeSet<i64>,
    /// Organizations whose records' owner kind or district may have changed.
    pub organizations: BTreeSet<i64>,
    /// `chengguo reindex` asked for a full rebuild.
    pub rebuild: bool,
}

impl Store {
    /// The sequence of the last committed change (0 when nothing was ever written).
    pub async fn last_change_seq(&self) -> Result<i64> {
        let (m,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM audit_log")
            .fetch_one(&self.pool)
            .await?;
        Ok(m.unwrap_or(0))
    }

    /// The records changed by the entries `after < seq <= upto`.
    pub async fn search_changes(&self, after: i64, upto: i64) -> Result<SearchChanges> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT entity, entity_id FROM audit_log WHERE seq > $1 AND seq <= $2 \
             AND entity IN ('achievement', 'demand', 'organization', 'setting', 'database') ORDER BY seq",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&self.pool)
        .await?;
        let mut c = SearchChanges::default();
        for (entity, id) in rows {
            let num = id.parse::<i64>().ok();
            match (entity.as_str(), num) {
                ("achievement", Some(n)) => {
                    c.achievements.insert(n);
                }
                ("demand", Some(n)) => {
                    c.demands.insert(n);
                }
                ("organization", Some(n)) => {
                    c.organizations.insert(n);
                }
                ("setting", _) if id == REBUILD_SETTING => c.rebuild = true,
                // A restore replaced the whole database: an index of what was there before
                // (the same URL or file) must not survive it.
                ("database", _) => c.rebuild = true,
                _ => {}
            }
        }
        Ok(c)
    }

    /// The index documents of these records (ids not found are left out: deleted).
    pub async fn search_docs(&self, kind: DocKind, ids: &[i64]) -> Result<Vec<SearchDoc>> {
        let base = match kind {
            DocKind::Achievement => ACH_SQL,
            DocKind::Demand => DEM_SQL,
        };
        let alias = match kind {
            DocKind::Achievement => "a",
            DocKind::Demand => "d",
        };
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(LOAD_CHUNK) {
            let list = chunk
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            // The ids are integers formatted here, not user text.
            let sql = format!("{base} WHERE {alias}.id IN ({list})");
            let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
            for r in &rows {
                out.push(to_doc(kind, r)?);
            }
        }
        Ok(out)
    }

    /// Index documents in id order after `after_id` (for rebuilds).
    pub async fn search_docs_after(
        &self,
        kind: DocKind,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<SearchDoc>> {
        let (base, alias) = match kind {
            DocKind::Achievement => (ACH_SQL, "a"),
            DocKind::Demand => (DEM_SQL, "d"),
        };
        let sql = format!("{base} WHERE {alias}.id > $1 ORDER BY {alias}.id LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| to_doc(kind, r).map_err(StoreError::from))
            .collect()
    }

    /// Ids of the achievements and demands owned by these organizations.
    async fn records_of_orgs(&self, orgs: &BTreeSet<i64>) -> Result<(Vec<i64>, Vec<i64>)> {
        let mut a = Vec::new();
        let mut d = Vec::new();
        for o in orgs {
            let ra: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM achievements WHERE owner_org_id = $1")
                    .bind(*o)
                    .fetch_all(&self.pool)
                    .await?;
            a.extend(ra.into_iter().map(|(i,)| i));
            let rd: Vec<(i64,)> = sqlx::query_as("SELECT id FROM demands WHERE owner_org_id = $1")
                .bind(*o)
                .fetch_all(&self.pool)
                .await?;
            d.extend(rd.into_iter().map(|(i,)| i));
        }
        Ok((a, d))
    }
}

/// What one [`SearchService::sync`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Documents added or replaced.
    pub upserted: usize,
    /// Documents removed (records deleted).
    pub deleted: usize,
    /// The whole index was rebuilt (missing, corrupt, of another database, or asked for).
    pub rebuilt: bool,
    /// The change sequence the index now reflects.
    pub seq: i64,
}

/// Where the index lives and what happened when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexLocation {
    /// In this directory.
    Dir(PathBuf),
    /// In memory: no directory was configured, or another process holds the directory.
    Memory { reason: String },
}

/// The search index of one process, kept in step with the database.
pub struct SearchService {
    store: Store,
    index: Arc<SearchIndex>,
    location: IndexLocation,
    /// One sync at a time (the background loop and read-your-writes catch-ups).
    sync_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SearchService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchService")
            .field("location", &self.location)
            .finish()
    }
}

/// The default index directory for a database URL: next to an SQLite file
/// (`chengguo.db` → `chengguo.db.search`), or `chengguo-search-<hash of the URL>` in the working
/// directory for PostgreSQL (one index per database).
pub fn default_index_dir(database_url: &str) -> Option<PathBuf> {
    if database_url.starts_with("sqlite:") {
        return crate::sqlite_file(database_url)
            .map(|path| PathBuf::from(format!("{path}.search")));
    }
    use sha2::Digest;
    let h = hex::encode(sha2::Sha256::digest(database_url.as_bytes()));
    Some(PathBuf::from(format!("chengguo-search-{}", &h[..12])))
}

impl SearchService {
    /// Opens the index in `dir` (or in memory when `None`) and brings it up to date: rebuilt from
    /// the database when missing, corrupt, of another schema, or ahead of the database (an index
    /// of another database); otherwise only the changes since it was last committed are applied.
    /// When another process holds `dir`, this process keeps its own index in memory.
    pub async fn open(store: Store, dir: Option<&Path>) -> Result<(SearchService, SyncReport)> {
        let (index, location, mut rebuild) = match dir {
            None => (
                SearchIndex::in_memory()?,
                IndexLocation::Memory {
                    reason: "no index directory configured".into(),
                },
                true,
            ),
            Some(dir) if dir_in_use(dir) => {
                let reason = format!(
                    "{} is in use by another process; this one keeps its index in memory",
                    dir.display()
                );
                tracing::warn!("{reason}");
                (
                    SearchIndex::in_memory()?,
                    IndexLocation::Memory { reason },
                    true,
                )
            }
            Some(dir) => {
                let opened = if dir.join("meta.json").is_file() {
                    match SearchIndex::open(dir) {
                        Ok(ix) => Some(ix),
                        Err(SearchError::Unusable(reason)) => {
                            tracing::warn!(dir = %dir.display(), %reason, "search index unusable; rebuilding");
                            None
                        }
                        Err(e) => return Err(e.into()),
                    }
                } else {
                    None
                };
                let fresh = opened.is_none();
                let ix = match opened {
                    Some(ix) => ix,
                    None => SearchIndex::create(dir)?,
                };
                ix.hold_writer()?;
                (ix, IndexLocation::Dir(dir.to_path_buf()), fresh)
            }
        };
        let last = store.last_change_seq().await?;
        if index.synced_seq() as i64 > last {
            tracing::warn!("search index is ahead of the database (another database?); rebuilding");
            rebuild = true;
        }
        let svc = SearchService {
            store,
            index: Arc::new(index),
            location,
            sync_lock: tokio::sync::Mutex::new(()),
        };
        let report = if rebuild {
            let _g = svc.sync_lock.lock().await;
            svc.rebuild_locked().await?
        } else {
            svc.sync().await?
        };
        Ok((svc, report))
    }

    /// The index (for queries).
    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Where the index lives.
    pub fn location(&self) -> &IndexLocation {
        &self.location
    }

    /// The database change sequence the index reflects.
    pub fn synced_seq(&self) -> i64 {
        self.index.synced_seq() as i64
    }

    /// Replaces the index content with every record of the database.
    pub async fn rebuild(&self) -> Result<SyncReport> {
        let _g = self.sync_lock.lock().await;
        self.rebuild_locked().await
    }

    async fn rebuild_locked(&self) -> Result<SyncReport> {
        // The sequence is read first: changes committed while the records are read are applied
        // again by the next sync, which is harmless (upserts).
        let seq = self.store.last_change_seq().await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<SearchDoc>(4096);
        let index = self.index.clone();
        let writer = tokio::task::spawn_blocking(move || {
            index.rebuild(std::iter::from_fn(|| rx.blocking_recv()), seq.max(0) as u64)
        });
        let mut sent = 0usize;
        let mut failure = None;
        'kinds: for kind in [DocKind::Achievement, DocKind::Demand] {
            let mut after = 0;
            loop {
                let docs = match self.store.search_docs_after(kind, after, 2000).await {
                    Ok(d) => d,
                    Err(e) => {
                        failure = Some(e);
                        break 'kinds;
                    }
                };
                let Some(last) = docs.last() else { break };
                after = last.id;
                for d in docs {
                    if tx.send(d).await.is_err() {
                        break 'kinds;
                    }
                    sent += 1;
                }
            }
        }
        drop(tx);
        if let Some(e) = failure {
            // The writer has seen a short stream; the next rebuild repairs it.
            let _ = writer.await;
            return Err(e);
        }
        let n = writer
            .await
            .map_err(|e| StoreError::Config(format!("search rebuild task: {e}")))??;
        debug_assert_eq!(n, sent);
        tracing::info!(documents = n, seq, "search index rebuilt");
        Ok(SyncReport {
            upserted: n,
            deleted: 0,
            rebuilt: true,
            seq,
        })
    }

    /// Applies every change committed since the index was last committed.
    pub async fn sync(&self) -> Result<SyncReport> {
        let _g = self.sync_lock.lock().await;
        let mut total = SyncReport {
            seq: self.synced_seq(),
            ..SyncReport::default()
        };
        loop {
            let from = self.synced_seq();
            let last = self.store.last_change_seq().await?;
            if last < from {
                return self.rebuild_locked().await;
            }
            if last == from {
                total.seq = from;
                return Ok(total);
            }
            let upto = last.min(from + SYNC_WINDOW);
            let ch = self.store.search_changes(from, upto).await?;
            if ch.rebuild {
                return self.rebuild_locked().await;
            }
            let mut ach: BTreeSet<i64> = ch.achievements;
            let mut dem: BTreeSet<i64> = ch.demands;
            let (oa, od) = self.store.records_of_orgs(&ch.organizations).await?;
            ach.extend(oa);
            dem.extend(od);
            let ach: Vec<i64> = ach.into_iter().collect();
            let dem: Vec<i64> = dem.into_iter().collect();
            let mut docs = self.store.search_docs(DocKind::Achievement, &ach).await?;
            docs.extend(self.store.search_docs(DocKind::Demand, &dem).await?);
            let found: BTreeSet<(DocKind, i64)> = docs.iter().map(|d| (d.kind, d.id)).collect();
            let gone: Vec<(DocKind, i64)> = ach
                .iter()
                .map(|i| (DocKind::Achievement, *i))
                .chain(dem.iter().map(|i| (DocKind::Demand, *i)))
                .filter(|k| !found.contains(k))
                .collect();
            let index = self.index.clone();
            let (up, del) = (docs.len(), gone.len());
            tokio::task::spawn_blocking(move || -> chengguo_search::Result<()> {
                index.upsert(docs.iter())?;
                for (k, i) in gone {
                    index.delete(k, i)?;
                }
                index.commit_synced(upto as u64)
            })
            .await
            .map_err(|e| StoreError::Config(format!("search sync task: {e}")))??;
            total.upserted += up;
            total.deleted += del;
            total.seq = upto;
        }
    }

    /// Brings the index up to date before a query when it lags by at most `max_lag` changes
    /// (so that a user finds what was just committed); a larger lag is left to the background
    /// loop, so that a query never waits for a bulk import to be indexed.
    pub async fn catch_up(&self, max_lag: i64) -> Result<()> {
        let last = self.store.last_change_seq().await?;
        let lag = last - self.synced_seq();
        if lag > 0 && lag <= max_lag {
            self.sync().await?;
        }
        Ok(())
    }

    /// Runs [`SearchService::sync`] every `every` until `stop` resolves. Errors are logged and
    /// retried at the next tick.
    pub async fn run(
        self: Arc<Self>,
        every: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tick.tick() => {
                    match self.sync().await {
                        Ok(r) if r.upserted + r.deleted > 0 || r.rebuilt => {
                            tracing::debug!(upserted = r.upserted, deleted = r.deleted, rebuilt = r.rebuilt, seq = r.seq, "search index synced");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "search index sync failed"),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_dir_follows_the_database() {
        assert_eq!(
            default_index_dir("sqlite://data/chengguo.db?mode=rwc"),
            Some(PathBuf::from("data/chengguo.db.search"))
        );
        assert_eq!(default_index_dir("sqlite::memory:"), None);
        let pg = default_index_dir("postgres://u@h/db").unwrap();
        assert!(pg.to_string_lossy().starts_with("chengguo-search-"));
        assert_ne!(Some(pg), default_index_dir("postgres://u@h/other"));
    }

    #[test]
    fn audiences_follow_the_read_scopes() {
        assert_eq!(audiences(None), vec!["public"]);
        let broker = Actor {
            user_id: 1,
            username: "b".into(),
            roles: vec![Role::Broker],
            org_id: Some(7),
            district_code: None,
        };
        let a = audiences(Some(&broker));
        assert!(a.contains(&"broker".to_string()) && a.contains(&"org:7".to_string()));
        assert!(!a.contains(&"bureau".to_string()));
        // A restricted demand is for brokers; a restricted achievement for any account.
        assert_eq!(
            record_audiences(3, true, false, "broker"),
            vec!["org:3", "bureau", "broker"]
        );
        assert_eq!(
            record_audiences(3, false, true, "signed_in"),
            vec!["org:3", "bureau"]
        );
    }
}
