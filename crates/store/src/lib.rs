//! The Store: everything Chengguo keeps, behind one API, on SQLite or PostgreSQL.
//!
//! One SQL code path serves both databases (through sqlx's `Any` driver, `$n` placeholders, and a
//! schema restricted to BIGINT/TEXT columns so that rows decode alike); what differs lives in
//! [`Backend`]: connection set-up, each database's own embedded migrations, how a write
//! transaction takes the lock that serialises the audit chain, and the online backup. No sqlx type
//! leaks past this crate: callers see domain types and [`StoreError`].

mod audit;
mod backup;
pub use backup::{BackupSummary, Progress, RestoreSummary};
mod contracts;
pub mod schema;
pub use contracts::{
    today_cn, Contract, ContractError, ContractEvent, ContractFeed, ContractImportOutcome,
    ContractQuery, ContractSettings, FeedOutcome, FeedProgress, Measure, PartyRow, RecordsQuery,
    StatsOutcome, StoredDuplicate, SummaryRow,
};
mod achievements;
pub use achievements::{
    import_status_refused, months_before, AchievementImportRow, AchievementQuery, AchievementSort,
    AchievementView, RecordError, RecordImportOutcome, UnitScore,
};
mod demands;
pub use demands::{DemandImportRow, DemandQuery, DemandSort, DemandView};
pub mod demo;
mod indicators;
mod matching;
pub use matching::{MatchDecision, MatchDecisionQuery, MatchDecisionView};
mod orgs;
pub use indicators::{region_prefix, Indicator, ScoreItem, Scorecard, YearFacts};
mod plan;
pub use plan::{
    DistrictTarget, IndicatorEntry, PlanVersion, PlanWriteError, StoredPlan, TaskReport, TaskState,
    DEFAULT_REPORT_CADENCE_DAYS, REPORT_CADENCE_SETTING,
};
pub mod search;
pub use search::{SearchService, SyncReport};
mod sql;
mod uploads;
pub use uploads::Upload;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod users;
pub use users::random_token;

pub use audit::{AuditColumn, AuditFilter, AuditRow};
pub use orgs::{division_prefix, OrgGroup, OrgImportOutcome, OrgQuery, OrgSort, UpdateError};
pub use users::{
    ApiToken, LoginAttempt, LoginLimits, NewUser, User, DEFAULT_IDLE_MINUTES, DEFAULT_TOKEN_DAYS,
    MIN_PASSWORD_LEN,
};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL '{url}': use sqlite://FILE or postgres://USER@HOST/DB"
            )))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    /// A unique value already taken; `field` names the input field.
    #[error("{field} '{value}' already exists")]
    Conflict { field: String, value: String },
    #[error("{0}")]
    Invalid(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Search(#[from] chengguo_search::SearchError),
}

impl StoreError {
    /// Maps a unique-constraint violation to the field it concerns.
    pub(crate) fn from_db(e: sqlx::Error, fields: &[(&str, &str)]) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                let text = format!("{} {}", db.message(), db.constraint().unwrap_or(""));
                for (field, value) in fields {
                    if text.contains(field) {
                        return StoreError::Conflict {
                            field: field.to_string(),
                            value: value.to_string(),
                        };
                    }
                }
            }
        }
        StoreError::Db(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A page of a list: the items, and where they sit in the whole.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: String,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Current time as RFC 3339 UTC with microseconds: fixed width, so text order is time order.
pub fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// The file of an SQLite database URL (`sqlite://FILE?…` or `sqlite:FILE`); `None` for other
/// databases and in-memory SQLite.
pub(crate) fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path.contains(":memory:") || query.contains("mode=memory") {
        return None;
    }
    Some(path)
}

impl Store {
    /// Connects (creating an SQLite file when missing) without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            // `mode=rwc` creates the file; keep any options the caller gave.
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        // Statements are not logged: a slow bulk insert would print thousands of placeholders.
        let opts = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // 16 KiB pages for a new database (no effect on an existing one),
                            // before WAL mode writes its first page: bulk loads write and
                            // checkpoint fewer, fuller pages (a million-contract import: commit
                            // 1.5 → 0.85 s, the whole import ≈ 15 % faster; docs/benchmarks.md).
                            conn.execute("PRAGMA page_size = 16384").await?;
                            // WAL lets readers run beside the writer; the busy timeout makes a
                            // second process (an import while the server runs) wait, not fail.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts)
                    .await?
            }
        };
        Ok(Store {
            pool,
            backend,
            url: url.to_string(),
        })
    }

    /// Connects and applies this database's migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let s = Store::connect(url).await?;
        s.migrate().await?;
        Ok(s)
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.pool).await?,
        }
        Ok(())
    }

    /// The migrations this database has applied, as `(version, description)`.
    pub async fn applied_migrations(&self) -> Result<Vec<(i64, String)>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT version, description FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL with any password removed, for logs.
    pub fn display_url(&self) -> String {
        match self.url.split_once('@') {
            Some((head, tail)) if head.contains("://") => {
                let (scheme, creds) = head.split_once("://").unwrap_or((head, ""));
                let user = creds.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{tail}")
            }
            _ => self.url.clone(),
        }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> Result<()> {
        let _: (i64,) = sqlx::query_as("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a write transaction that holds the database's write lock from its first statement.
    /// SQLite: `BEGIN IMMEDIATE`, so that a read-then-write transaction never fails to upgrade;
    /// PostgreSQL: a lock on the audit table, which serialises the audit chain's appends.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Reads a setting's JSON value.
    pub async fn setting(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(v,)| serde_json::from_str(&v).ok()))
    }

    /// Writes a setting (audited).
    pub async fn set_setting(
        &self,
        actor: &chengguo_core::Actor,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let now = now();
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &actor.username,
            "update",
            "setting",
            key,
            &serde_json::json!({ "value": value }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts the rows of a table (for status pages and tests).
    pub async fn count(&self, table: Table) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {}", table.name());
        let (n,): (i64,) = sqlx::query_as(&sql).fetch_one(&self.pool).await?;
        Ok(n)
    }
}

/// Tables named in code (counts for status pages and tests). Backup and restore do not use this
/// list: they copy every table of the migrated schema ([`schema`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Organizations,
    Users,
    UserRoles,
    Sessions,
    ApiTokens,
    LoginFailures,
    LoginThrottle,
    AuditLog,
    Settings,
    Uploads,
    Contracts,
    CertificateCounters,
    ContractEvents,
    ContractSummary,
    Achievements,
    Demands,
    Plans,
    PlanObjectives,
    PlanTasks,
    PlanTaskDepartments,
    TaskStates,
    TaskReports,
    IndicatorValues,
    DistrictTargets,
    MatchDecisions,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Organizations => "organizations",
            Table::Users => "users",
            Table::UserRoles => "user_roles",
            Table::Sessions => "sessions",
            Table::ApiTokens => "api_tokens",
            Table::LoginFailures => "login_failures",
            Table::LoginThrottle => "login_throttle",
            Table::AuditLog => "audit_log",
            Table::Settings => "settings",
            Table::Uploads => "uploads",
            Table::Contracts => "contracts",
            Table::CertificateCounters => "certificate_counters",
            Table::ContractEvents => "contract_events",
            Table::ContractSummary => "contract_summary",
            Table::Achievements => "achievements",
            Table::Demands => "demands",
            Table::Plans => "plans",
            Table::PlanObjectives => "plan_objectives",
            Table::PlanTasks => "plan_tasks",
            Table::PlanTaskDepartments => "plan_task_departments",
            Table::TaskStates => "task_states",
            Table::TaskReports => "task_reports",
            Table::IndicatorValues => "indicator_values",
            Table::DistrictTargets => "district_targets",
            Table::MatchDecisions => "match_decisions",
        }
    }
}
