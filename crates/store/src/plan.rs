//! The plan as data: versioned plans (the current plan is the latest loaded), task status and
//! progress reports, reported indicator values with their history, district targets, and the
//! counts of records the computed indicators read. Every change is audited in its transaction.

use crate::audit::append;
use crate::{now, Result, Store, StoreError};
use chengguo_core::access::Denied;
use chengguo_core::plan::{
    can_report_indicator, can_set_district_targets, NewIndicatorValue, NewTaskReport, Plan,
    TaskStatus,
};
use chengguo_core::{Actor, OrgKind};
use serde::Serialize;
use serde_json::json;

/// A plan as stored: one version of it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredPlan {
    pub id: i64,
    pub version: i64,
    pub plan: Plan,
    /// The file as loaded.
    #[serde(skip)]
    pub source: String,
    pub loaded_by: String,
    pub loaded_at: String,
}

/// One loaded version, for the list of versions.
#[derive(Debug, Clone, Serialize)]
pub struct PlanVersion {
    pub id: i64,
    pub key: String,
    pub version: i64,
    pub title: String,
    pub loaded_by: String,
    pub loaded_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskState {
    pub task_number: u32,
    pub status: TaskStatus,
    pub note: String,
    pub updated_by: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    pub id: i64,
    pub task_number: u32,
    pub department: String,
    pub date: String,
    pub text: String,
    pub figures: String,
    pub attachments: Vec<String>,
    pub author: String,
    pub org_id: Option<i64>,
    pub created_at: String,
}

/// One entry of a reported indicator.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorEntry {
    pub id: i64,
    pub indicator: String,
    pub year: i32,
    pub division: String,
    pub value: f64,
    pub source_document: String,
    pub source_date: String,
    pub note: String,
    pub entered_by: String,
    pub entered_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DistrictTarget {
    pub indicator: String,
    pub year: i32,
    pub division: String,
    pub value: f64,
    pub set_by: String,
    pub set_at: String,
}

/// Why a plan write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PlanWriteError {
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PlanWriteError {
    fn from(e: sqlx::Error) -> Self {
        PlanWriteError::Store(StoreError::Db(e))
    }
}

/// The setting that says how often responsible departments report (days).
pub const REPORT_CADENCE_SETTING: &str = "plan.report_cadence_days";
/// The default cadence: quarterly.
pub const DEFAULT_REPORT_CADENCE_DAYS: i64 = 90;

fn num(s: &str) -> f64 {
    s.parse().unwrap_or(0.0)
}

/// A figure as stored: the shortest decimal text that reads back as the same number.
fn text(v: f64) -> String {
    format!("{v}")
}

type EntryTuple = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn to_entry(t: EntryTuple) -> IndicatorEntry {
    IndicatorEntry {
        id: t.0,
        indicator: t.1,
        year: t.2 as i32,
        division: t.3,
        value: num(&t.4),
        source_document: t.5,
        source_date: t.6,
        note: t.7,
        entered_by: t.8,
        entered_at: t.9,
    }
}

const ENTRY_COLUMNS: &str = "id, indicator_key, year, division_code, value, source_document, source_date, note, entered_by, entered_at";

type ReportTuple = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
);

fn to_report(t: ReportTuple) -> TaskReport {
    TaskReport {
        id: t.0,
        task_number: t.1 as u32,
        department: t.2,
        date: t.3,
        text: t.4,
        figures: t.5,
        attachments: serde_json::from_str(&t.6).unwrap_or_default(),
        author: t.7,
        org_id: t.8,
        created_at: t.9,
    }
}

const REPORT_COLUMNS: &str = "id, task_number, department_key, report_date, body, figures, attachments, author, org_id, created_at";

impl Store {
    /// Stores a checked plan as the next version of its key; it becomes the current plan.
    pub async fn load_plan(&self, actor: &Actor, plan: &Plan, source: &str) -> Result<StoredPlan> {
        let mut tx = self.begin_write().await?;
        let (prev,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM plans WHERE plan_key = $1")
                .bind(&plan.key)
                .fetch_one(&mut *tx)
                .await?;
        let version = prev + 1;
        let at = now();
        let content =
            serde_json::to_string(plan).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO plans (plan_key, version, title, source, content, loaded_by, loaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&plan.key)
        .bind(version)
        .bind(&plan.title_zh)
        .bind(source)
        .bind(&content)
        .bind(&actor.username)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        for (i, o) in plan.objectives.iter().enumerate() {
            let targets: serde_json::Map<String, serde_json::Value> = o
                .targets
                .iter()
                .map(|(y, v)| (y.to_string(), json!(text(*v))))
                .collect();
            sqlx::query(
                "INSERT INTO plan_objectives (plan_id, position, objective_key, name_zh, name_en, unit, direction, \
                 measurement, metric, per_district, district_weight, targets) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(&o.key)
            .bind(&o.name_zh)
            .bind(&o.name_en)
            .bind(o.unit.as_str())
            .bind(json!(o.direction).as_str().unwrap_or("at_least").to_string())
            .bind(o.measurement.as_str())
            .bind(o.metric.map(|m| m.as_str().to_string()))
            .bind(i64::from(o.per_district))
            .bind(text(o.district_weight))
            .bind(serde_json::Value::Object(targets).to_string())
            .execute(&mut *tx)
            .await?;
        }
        for t in &plan.tasks {
            let (task_id,): (i64,) = sqlx::query_as(
                "INSERT INTO plan_tasks (plan_id, number, section, title_zh, title_en, body) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(id)
            .bind(i64::from(t.number))
            .bind(&t.section)
            .bind(&t.title_zh)
            .bind(&t.title_en)
            .bind(&t.text)
            .fetch_one(&mut *tx)
            .await?;
            for (pos, key) in t.departments.iter().enumerate() {
                let d = plan.department(key);
                sqlx::query(
                    "INSERT INTO plan_task_departments (task_id, position, department_key, name_zh, name_en) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(task_id)
                .bind(pos as i64)
                .bind(key)
                .bind(d.map(|d| d.name_zh.clone()).unwrap_or_else(|| key.clone()))
                .bind(d.map(|d| d.name_en.clone()).unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            }
        }
        append(
            &mut tx,
            &actor.username,
            "load",
            "plan",
            &id.to_string(),
            &json!({"key": plan.key, "version": version, "title": plan.title_zh,
                    "objectives": plan.objectives.len(), "tasks": plan.tasks.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(StoredPlan {
            id,
            version,
            plan: plan.clone(),
            source: source.to_string(),
            loaded_by: actor.username.clone(),
            loaded_at: at,
        })
    }

    /// The current plan: the one loaded last.
    pub async fn current_plan(&self) -> Result<Option<StoredPlan>> {
        let row: Option<(i64, i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, version, source, content, loaded_by, loaded_at FROM plans ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        let Some((id, version, source, content, loaded_by, loaded_at)) = row else {
            return Ok(None);
        };
        // The stored JSON is what this code wrote; re-check the source so the types stay the
        // domain's (and a plan stored by an older format reads as its file says).
        let plan = chengguo_core::plan::parse_plan(&source).map_err(|e| {
            StoreError::Invalid(format!(
                "stored plan {id} no longer parses: {}",
                e.first().map(|e| e.to_string()).unwrap_or_default()
            ))
        })?;
        let _ = content;
        Ok(Some(StoredPlan {
            id,
            version,
            plan,
            source,
            loaded_by,
            loaded_at,
        }))
    }

    pub async fn plan_versions(&self) -> Result<Vec<PlanVersion>> {
        let rows: Vec<(i64, String, i64, String, String, String)> = sqlx::query_as(
            "SELECT id, plan_key, version, title, loaded_by, loaded_at FROM plans ORDER BY id DESC",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PlanVersion {
                id: r.0,
                key: r.1,
                version: r.2,
                title: r.3,
                loaded_by: r.4,
                loaded_at: r.5,
            })
            .collect())
    }

    /// Loads the given plan text when no plan is stored yet. Returns whether it loaded.
    pub async fn ensure_plan(&self, actor: &Actor, source: &str) -> Result<bool> {
        if self.current_plan().await?.is_some() {
            return Ok(false);
        }
        let plan = chengguo_core::plan::parse_plan(source).map_err(|e| {
            StoreError::Invalid(
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        self.load_plan(actor, &plan, source).await?;
        Ok(true)
    }

    /// Sets a task's status on the board (the bureau's).
    pub async fn set_task_status(
        &self,
        actor: &Actor,
        plan_key: &str,
        number: u32,
        status: TaskStatus,
        note: &str,
    ) -> std::result::Result<TaskState, PlanWriteError> {
        if !actor.is_bureau() {
            return Err(PlanWriteError::Denied(Denied::Forbidden(
                "only the bureau sets a task's status".into(),
            )));
        }
        let mut tx = self.begin_write().await?;
        let at = now();
        sqlx::query(
            "INSERT INTO task_states (plan_key, task_number, status, note, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (plan_key, task_number) DO UPDATE SET \
             status = excluded.status, note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(plan_key)
        .bind(i64::from(number))
        .bind(status.as_str())
        .bind(note)
        .bind(&actor.username)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            &actor.username,
            "update",
            "plan_task",
            &format!("{plan_key}#{number}"),
            &json!({"status": status.as_str(), "note": note}),
        )
        .await?;
        tx.commit().await?;
        Ok(TaskState {
            task_number: number,
            status,
            note: note.to_string(),
            updated_by: actor.username.clone(),
            updated_at: at,
        })
    }

    pub async fn task_states(&self, plan_key: &str) -> Result<Vec<TaskState>> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT task_number, status, note, updated_by, updated_at FROM task_states WHERE plan_key = $1 ORDER BY task_number",
        )
        .bind(plan_key)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TaskState {
                task_number: r.0 as u32,
                status: TaskStatus::parse(&r.1).unwrap_or(TaskStatus::NotStarted),
                note: r.2,
                updated_by: r.3,
                updated_at: r.4,
            })
            .collect())
    }

    /// Stores a progress report for a department the caller has been found to act for.
    pub async fn add_task_report(
        &self,
        actor: &Actor,
        plan_key: &str,
        number: u32,
        department: &str,
        r: &NewTaskReport,
    ) -> Result<TaskReport> {
        let mut tx = self.begin_write().await?;
        let at = now();
        let attachments = serde_json::to_string(&r.attachments).unwrap_or_else(|_| "[]".into());
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO task_reports (plan_key, task_number, department_key, report_date, body, figures, attachments, author, org_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(plan_key)
        .bind(i64::from(number))
        .bind(department)
        .bind(&r.date)
        .bind(&r.text)
        .bind(&r.figures)
        .bind(&attachments)
        .bind(&actor.username)
        .bind(actor.org_id)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "task_report",
            &id.to_string(),
            &json!({"plan": plan_key, "task": number, "department": department, "date": r.date,
                    "text": r.text, "figures": r.figures, "attachments": r.attachments}),
        )
        .await?;
        tx.commit().await?;
        Ok(TaskReport {
            id,
            task_number: number,
            department: department.to_string(),
            date: r.date.clone(),
            text: r.text.clone(),
            figures: r.figures.clone(),
            attachments: r.attachments.clone(),
            author: actor.username.clone(),
            org_id: actor.org_id,
            created_at: at,
        })
    }

    /// Progress reports of a plan (of one task), newest first.
    pub async fn task_reports(
        &self,
        plan_key: &str,
        number: Option<u32>,
    ) -> Result<Vec<TaskReport>> {
        let rows: Vec<ReportTuple> = match number {
            Some(n) => sqlx::query_as(&format!(
                "SELECT {REPORT_COLUMNS} FROM task_reports WHERE plan_key = $1 AND task_number = $2 ORDER BY report_date DESC, id DESC"
            ))
            .bind(plan_key)
            .bind(i64::from(n))
            .fetch_all(self.pool())
            .await?,
            None => sqlx::query_as(&format!(
                "SELECT {REPORT_COLUMNS} FROM task_reports WHERE plan_key = $1 ORDER BY report_date DESC, id DESC"
            ))
            .bind(plan_key)
            .fetch_all(self.pool())
            .await?,
        };
        Ok(rows.into_iter().map(to_report).collect())
    }

    /// Records a reported figure (a new entry; earlier ones stay as history), after checking that
    /// the caller may report for its division.
    pub async fn record_indicator_value(
        &self,
        actor: &Actor,
        indicator: &str,
        v: &NewIndicatorValue,
    ) -> std::result::Result<IndicatorEntry, PlanWriteError> {
        can_report_indicator(actor, &v.division).map_err(PlanWriteError::Denied)?;
        let mut tx = self.begin_write().await?;
        let at = now();
        let previous: Option<(String,)> = sqlx::query_as(
            "SELECT value FROM indicator_values WHERE indicator_key = $1 AND year = $2 AND division_code = $3 ORDER BY id DESC LIMIT 1",
        )
        .bind(indicator)
        .bind(i64::from(v.year))
        .bind(&v.division)
        .fetch_optional(&mut *tx)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO indicator_values (indicator_key, year, division_code, value, source_document, source_date, note, entered_by, entered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(indicator)
        .bind(i64::from(v.year))
        .bind(&v.division)
        .bind(text(v.value))
        .bind(&v.source_document)
        .bind(&v.source_date)
        .bind(&v.note)
        .bind(&actor.username)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            &actor.username,
            if previous.is_some() { "update" } else { "create" },
            "indicator_value",
            &format!("{indicator}/{}/{}", v.year, v.division),
            &json!({"entry": id, "value": text(v.value), "previous": previous.map(|p| p.0),
                    "source_document": v.source_document, "source_date": v.source_date, "note": v.note}),
        )
        .await?;
        tx.commit().await?;
        Ok(IndicatorEntry {
            id,
            indicator: indicator.to_string(),
            year: v.year,
            division: v.division.clone(),
            value: v.value,
            source_document: v.source_document.clone(),
            source_date: v.source_date.clone(),
            note: v.note.clone(),
            entered_by: actor.username.clone(),
            entered_at: at,
        })
    }

    /// Every entry of a reported indicator, newest first.
    pub async fn indicator_history(&self, indicator: &str) -> Result<Vec<IndicatorEntry>> {
        let rows: Vec<EntryTuple> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM indicator_values WHERE indicator_key = $1 ORDER BY id DESC"
        ))
        .bind(indicator)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(to_entry).collect())
    }

    /// The current value (latest entry) of every reported (indicator, year, division).
    pub async fn reported_values(&self) -> Result<Vec<IndicatorEntry>> {
        let rows: Vec<EntryTuple> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM indicator_values v WHERE id = \
             (SELECT MAX(id) FROM indicator_values w WHERE w.indicator_key = v.indicator_key \
              AND w.year = v.year AND w.division_code = v.division_code) \
             ORDER BY indicator_key, year, division_code"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(to_entry).collect())
    }

    /// Sets (or, with `None`, removes) a district's own target.
    pub async fn set_district_target(
        &self,
        actor: &Actor,
        indicator: &str,
        year: i32,
        division: &str,
        value: Option<f64>,
    ) -> std::result::Result<(), PlanWriteError> {
        can_set_district_targets(actor).map_err(PlanWriteError::Denied)?;
        let mut tx = self.begin_write().await?;
        let at = now();
        match value {
            Some(v) => {
                sqlx::query(
                    "INSERT INTO district_targets (indicator_key, year, division_code, value, set_by, set_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (indicator_key, year, division_code) DO UPDATE SET \
                     value = excluded.value, set_by = excluded.set_by, set_at = excluded.set_at",
                )
                .bind(indicator)
                .bind(i64::from(year))
                .bind(division)
                .bind(text(v))
                .bind(&actor.username)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "DELETE FROM district_targets WHERE indicator_key = $1 AND year = $2 AND division_code = $3",
                )
                .bind(indicator)
                .bind(i64::from(year))
                .bind(division)
                .execute(&mut *tx)
                .await?;
            }
        }
        append(
            &mut tx,
            &actor.username,
            if value.is_some() { "update" } else { "delete" },
            "district_target",
            &format!("{indicator}/{year}/{division}"),
            &json!({"value": value.map(text)}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn district_targets(&self) -> Result<Vec<DistrictTarget>> {
        let rows: Vec<(String, i64, String, String, String, String)> = sqlx::query_as(
            "SELECT indicator_key, year, division_code, value, set_by, set_at FROM district_targets \
             ORDER BY indicator_key, year, division_code",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DistrictTarget {
                indicator: r.0,
                year: r.1 as i32,
                division: r.2,
                value: num(&r.3),
                set_by: r.4,
                set_at: r.5,
            })
            .collect())
    }

    /// The reporting cadence in days (setting `plan.report_cadence_days`, default 90).
    pub async fn report_cadence_days(&self) -> Result<i64> {
        Ok(self
            .setting(REPORT_CADENCE_SETTING)
            .await?
            .and_then(|v| v.as_i64())
            .filter(|d| *d > 0)
            .unwrap_or(DEFAULT_REPORT_CADENCE_DAYS))
    }

    /// Organizations of a kind created up to `until` (an RFC 3339 prefix such as `2025-12-31`),
    /// per division code.
    pub async fn org_counts_until(&self, kind: OrgKind, until: &str) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT division_code, COUNT(*) FROM organizations WHERE kind = $1 AND created_at < $2 \
             GROUP BY division_code ORDER BY division_code",
        )
        .bind(kind.as_str())
        .bind(format!("{until}\u{7f}"))
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// Enabled accounts holding the broker role created up to `until`, per the division of their
    /// organization (`None` without one).
    pub async fn broker_counts_until(&self, until: &str) -> Result<Vec<(Option<String>, i64)>> {
        let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT o.division_code, COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id \
             LEFT JOIN organizations o ON o.id = u.org_id \
             WHERE r.role = 'broker' AND u.disabled = 0 AND u.created_at < $1 \
             GROUP BY o.division_code ORDER BY o.division_code",
        )
        .bind(format!("{until}\u{7f}"))
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// The name of an organization (for matching accounts to departments).
    pub async fn org_name(&self, id: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT name FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.0))
    }
}

/// The demo's share of the plan: the Shenyang plan, reported figures with their sources (one of
/// them corrected, so its history shows), a district's own figure and target, task progress.
/// Every figure is a record marked as demo data; pages show only what is stored.
pub async fn load_demo(store: &Store) -> Result<()> {
    let actor = Actor::system("demo");
    store
        .ensure_plan(&actor, chengguo_core::plan::SHENYANG_2022)
        .await?;
    let Some(current) = store.current_plan().await? else {
        return Ok(());
    };
    let plan = &current.plan;
    let today = now()[..10].to_string();
    const SOURCE: &str = "演示数据 / demo figure";
    // (indicator, years before this one, division, value, day of the source document in the
    // following year). Relative to today, so that the dashboard of the current year has figures.
    let this_year: i32 = today[..4].parse().unwrap_or(2025);
    let figures: &[(&str, i32, &str, f64, &str)] = &[
        ("high_tech_enterprises", 2, "210100", 4_900.0, "02-22"),
        ("high_tech_enterprises", 1, "210100", 5_850.0, "02-18"),
        ("high_tech_enterprises", 1, "210100", 5_902.0, "03-10"),
        ("high_tech_enterprises", 0, "210100", 6_480.0, "01-15"),
        ("high_tech_output_share", 2, "210100", 58.4, "03-15"),
        ("high_tech_output_share", 1, "210100", 59.1, "03-14"),
        ("high_tech_output_share", 0, "210100", 59.6, "01-15"),
        ("incubating_enterprises", 2, "210100", 21_300.0, "01-29"),
        ("incubating_enterprises", 1, "210100", 24_800.0, "01-27"),
        ("incubating_enterprises", 0, "210100", 27_100.0, "01-15"),
        ("strategic_emerging_share", 1, "210100", 13.8, "04-02"),
        ("strategic_emerging_share", 0, "210100", 14.6, "01-15"),
        ("docking_events", 1, "210100", 112.0, "01-10"),
        ("docking_events", 0, "210100", 87.0, "01-15"),
        ("roadshows", 1, "210100", 860.0, "01-10"),
        ("roadshows", 0, "210100", 640.0, "01-15"),
        ("roadshows", 0, "210112", 140.0, "01-08"),
        ("alliances", 0, "210100", 236.0, "01-15"),
        ("transformation_fund", 0, "210100", 1_000_000_000.0, "01-15"),
        ("national_platforms", 0, "210100", 64.0, "01-15"),
        ("sitri_institutes", 0, "210100", 26.0, "01-15"),
        ("sitri_joint_centres", 0, "210100", 71.0, "01-15"),
        ("sitri_incubated", 0, "210100", 58.0, "01-15"),
        ("sitri_enterprises_served", 0, "210100", 1_460.0, "01-15"),
        ("platform_achievements", 0, "210100", 1_120.0, "01-15"),
        ("tech_finance_institutions", 0, "210100", 9.0, "01-15"),
    ];
    for (key, back, division, value, day) in figures {
        if plan.objective(key).is_none() {
            continue;
        }
        let year = this_year - back;
        // The source of a year's figure is published the year after; this year's so far, today.
        let date = if *back == 0 {
            today.clone()
        } else {
            format!("{}-{day}", year + 1).min(today.clone())
        };
        let v = NewIndicatorValue {
            year,
            division: division.to_string(),
            value: *value,
            source_document: SOURCE.into(),
            source_date: date,
            note: String::new(),
        };
        store
            .record_indicator_value(&actor, key, &v)
            .await
            .map_err(|e| match e {
                PlanWriteError::Store(s) => s,
                PlanWriteError::Denied(d) => StoreError::Invalid(d.to_string()),
            })?;
    }
    let deny = |e: PlanWriteError| match e {
        PlanWriteError::Store(s) => s,
        PlanWriteError::Denied(d) => StoreError::Invalid(d.to_string()),
    };
    store
        .set_district_target(
            &actor,
            "contract_turnover",
            this_year,
            "210112",
            Some(12_000_000_000.0),
        )
        .await
        .map_err(deny)?;
    // (task, department, date, text, figures, attachments)
    type DemoReport<'a> = (u32, &'a str, &'a str, &'a str, &'a str, &'a [&'a str]);
    let reports: &[DemoReport] = &[
        (
            2,
            "sti",
            "2025-06-30",
            "上半年新增技术合同登记服务站点 3 个，重点单位成果登记备案制度已印发。",
            "登记站点 3 个",
            &["成果登记备案制度.pdf"],
        ),
        (
            7,
            "sitri",
            "2025-06-30",
            "前院+后园模式在浑南、铁西落地，新建专业研究所 4 个。",
            "专业研究所 4 个",
            &[],
        ),
        (
            16,
            "sti",
            "2025-09-30",
            "三季度组织成果对接活动 31 场、精准路演 260 场。",
            "对接 31 场；路演 260 场",
            &["三季度对接活动清单.xlsx"],
        ),
        (
            16,
            "district_governments",
            "2025-09-28",
            "浑南区组织路演 48 场。",
            "路演 48 场",
            &[],
        ),
        (
            18,
            "sti",
            "2025-03-31",
            "技术经纪人培训 2 期，结业 180 人。",
            "结业 180 人",
            &[],
        ),
    ];
    for (task, dept, date, text_, figures, attachments) in reports {
        if plan.task(*task).is_none() {
            continue;
        }
        let r = NewTaskReport {
            text: text_.to_string(),
            figures: figures.to_string(),
            attachments: attachments.iter().map(|s| s.to_string()).collect(),
            date: if *date > today.as_str() {
                today.clone()
            } else {
                date.to_string()
            },
            department: Some(dept.to_string()),
        };
        store
            .add_task_report(&actor, &plan.key, *task, dept, &r)
            .await?;
    }
    for (task, status) in [
        (1, TaskStatus::Completed),
        (2, TaskStatus::InProgress),
        (7, TaskStatus::InProgress),
        (16, TaskStatus::InProgress),
        (18, TaskStatus::InProgress),
        (14, TaskStatus::Completed),
    ] {
        store
            .set_task_status(&actor, &plan.key, task, status, "")
            .await
            .map_err(deny)?;
    }
    Ok(())
}
