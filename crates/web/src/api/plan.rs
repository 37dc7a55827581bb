//! `/api/v1/plan`, `/api/v1/indicators`, `/api/v1/scorecards`, `/api/v1/district-targets`: the
//! plan as data, its indicators measured live, task progress and the district scorecards.

use crate::auth::{Auth, Bureau, BureauOrDistrict, OrgMember};
use crate::cache::{Key, Version};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chengguo_core::plan::{
    parse_plan, report_overdue, reporting_departments, IndicatorValueInput, Measurement, Plan,
    TaskReportInput, TaskStatus,
};
use chengguo_core::{refdata, FieldError};
use chengguo_io::Cell;
use chengguo_store::{
    Indicator, IndicatorEntry, PlanWriteError, Scorecard, Store, StoredPlan, TaskReport,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

impl From<PlanWriteError> for ApiError {
    fn from(e: PlanWriteError) -> Self {
        match e {
            PlanWriteError::Denied(d) => ApiError::forbidden(d.to_string()),
            PlanWriteError::Store(s) => s.into(),
        }
    }
}

/// The current plan, or 404.
pub async fn current(store: &Store) -> Result<StoredPlan, ApiError> {
    store
        .current_plan()
        .await?
        .ok_or_else(|| ApiError::not_found("plan (load one with `chengguo plan load FILE`)"))
}

pub fn today() -> time::Date {
    chengguo_store::today_cn()
}

/// The current plan at `v`, from the figures cache (404 without one).
pub async fn cached_plan(state: &AppState, v: Version) -> Result<Arc<StoredPlan>, ApiError> {
    state
        .figures
        .get(v, Key::Plan, || current(&state.store))
        .await
}

/// Every objective of `plan` for `year` and the city or a district at `v`, from the figures
/// cache.
pub async fn cached_indicators(
    state: &AppState,
    v: Version,
    plan: &Plan,
    year: i32,
    district: Option<&str>,
) -> Result<Arc<Vec<Indicator>>, ApiError> {
    let key = Key::Indicators {
        year,
        district: district.map(str::to_string),
    };
    state
        .figures
        .get(v, key, || async {
            let mut facts = state.store.year_facts(plan, year, v.day).await?;
            Ok::<_, ApiError>(state.store.indicators(plan, &mut facts, district).await?)
        })
        .await
}

/// The districts' scorecards of `plan` for `year` at `v`, from the figures cache.
pub async fn cached_scorecards(
    state: &AppState,
    v: Version,
    plan: &Plan,
    year: i32,
) -> Result<Arc<Vec<Scorecard>>, ApiError> {
    state
        .figures
        .get(v, Key::Scorecards { year }, || async {
            let mut facts = state.store.year_facts(plan, year, v.day).await?;
            Ok::<_, ApiError>(state.store.scorecards(plan, &mut facts).await?)
        })
        .await
}

/// A responsible department of a task and whether its report is due.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskDepartmentOut {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// Date of its latest progress report.
    pub last_report: Option<String>,
    /// No report within the reporting cadence.
    pub overdue: bool,
}

/// A task with its departments, status and reporting state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskOut {
    pub number: u32,
    pub section: String,
    pub title_zh: String,
    pub title_en: String,
    pub text: String,
    pub departments: Vec<TaskDepartmentOut>,
    /// Objective keys the task serves.
    pub indicators: Vec<String>,
    pub features: Vec<String>,
    /// `not_started`, `in_progress`, `completed` or `delayed`.
    pub status: String,
    pub status_note: String,
    pub reports: usize,
    pub last_report: Option<String>,
    /// A responsible department has not reported within the cadence (completed tasks never are).
    pub overdue: bool,
}

/// The current plan: what the file says, and the tasks with their state.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    pub id: i64,
    pub version: i64,
    pub loaded_at: String,
    pub loaded_by: String,
    /// The plan as loaded (format: docs/plan-format.md): key, titles, issuer, document number,
    /// date, region, years, departments, objectives (with targets per year), tasks, policies,
    /// safeguards.
    #[schema(value_type = Object)]
    pub plan: Plan,
    pub tasks: Vec<TaskOut>,
    /// Days within which each responsible department reports (setting `plan.report_cadence_days`).
    pub report_cadence_days: i64,
}

/// The tasks of the current plan with departments, status and overdue flags.
pub async fn tasks_out(
    store: &Store,
    stored: &StoredPlan,
) -> Result<(Vec<TaskOut>, i64), ApiError> {
    let plan = &stored.plan;
    let cadence = store.report_cadence_days().await?;
    let states = store.task_states(&plan.key).await?;
    let reports = store.task_reports(&plan.key, None).await?;
    let today = today().to_string();
    let since = &stored.loaded_at[..10.min(stored.loaded_at.len())];
    let out = plan
        .tasks
        .iter()
        .map(|t| {
            let mine: Vec<&TaskReport> = reports
                .iter()
                .filter(|r| r.task_number == t.number)
                .collect();
            let state = states.iter().find(|s| s.task_number == t.number);
            let status = match state {
                Some(s) => s.status,
                None if mine.is_empty() => TaskStatus::NotStarted,
                None => TaskStatus::InProgress,
            };
            let departments: Vec<TaskDepartmentOut> = t
                .departments
                .iter()
                .map(|k| {
                    let d = plan.department(k);
                    let last = mine
                        .iter()
                        .filter(|r| &r.department == k)
                        .map(|r| r.date.clone())
                        .max();
                    TaskDepartmentOut {
                        key: k.clone(),
                        name_zh: d.map(|d| d.name_zh.clone()).unwrap_or_else(|| k.clone()),
                        name_en: d.map(|d| d.name_en.clone()).unwrap_or_default(),
                        overdue: status != TaskStatus::Completed
                            && report_overdue(last.as_deref(), since, &today, cadence),
                        last_report: last,
                    }
                })
                .collect();
            TaskOut {
                number: t.number,
                section: t.section.clone(),
                title_zh: t.title_zh.clone(),
                title_en: t.title_en.clone(),
                text: t.text.clone(),
                overdue: departments.iter().any(|d| d.overdue),
                departments,
                indicators: t.indicators.clone(),
                features: t.features.clone(),
                status: status.as_str().into(),
                status_note: state.map(|s| s.note.clone()).unwrap_or_default(),
                reports: mine.len(),
                last_report: mine.iter().map(|r| r.date.clone()).max(),
            }
        })
        .collect();
    Ok((out, cadence))
}

/// The current plan with its tasks' state (public).
#[utoipa::path(get, path = "/api/v1/plan", tag = "plan",
    responses((status = 200, body = PlanOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_plan(State(state): State<AppState>) -> ApiResult<Json<PlanOut>> {
    let stored = current(&state.store).await?;
    let (tasks, report_cadence_days) = tasks_out(&state.store, &stored).await?;
    Ok(Json(PlanOut {
        id: stored.id,
        version: stored.version,
        loaded_at: stored.loaded_at,
        loaded_by: stored.loaded_by,
        plan: stored.plan,
        tasks,
        report_cadence_days,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanLoaded {
    pub id: i64,
    pub key: String,
    pub version: i64,
    pub objectives: usize,
    pub tasks: usize,
}

/// Load a plan file (TOML, docs/plan-format.md) as the new current plan (bureau). A file with
/// problems is refused with every problem, its path and its line and column.
#[utoipa::path(post, path = "/api/v1/plan", tag = "plan", security(("bearer" = [])),
    request_body(content = String, content_type = "text/plain", description = "The plan file (TOML)"),
    responses((status = 201, body = PlanLoaded), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn load_plan(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    body: String,
) -> ApiResult<(StatusCode, Json<PlanLoaded>)> {
    let plan = parse_plan(&body)
        .map_err(|errs| ApiError::validation(errs.into_iter().map(FieldError::from).collect()))?;
    let stored = state.store.load_plan(&auth.actor(), &plan, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(PlanLoaded {
            id: stored.id,
            key: plan.key.clone(),
            version: stored.version,
            objectives: plan.objectives.len(),
            tasks: plan.tasks.len(),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorParams {
    /// The year (default: this year).
    pub year: Option<i32>,
    /// A district's division code (default: the whole city).
    pub district: Option<String>,
}

/// Checks `year` and `district`, returning the year and the district (None = city).
pub fn check_params(
    plan: &Plan,
    year: Option<i32>,
    district: Option<&str>,
) -> Result<(i32, Option<String>), ApiError> {
    let mut errs = Vec::new();
    let year = year.unwrap_or_else(|| today().year());
    if !(1990..=2100).contains(&year) {
        errs.push(FieldError::new(
            "year",
            format!("{year} is not a plausible year"),
        ));
    }
    let district = district
        .map(str::trim)
        .filter(|d| !d.is_empty() && *d != plan.region);
    if let Some(d) = district {
        let ok = refdata::division(d).is_some_and(|x| {
            x.level == 3 && x.code.starts_with(plan.region.trim_end_matches("00"))
        });
        if !ok {
            errs.push(FieldError::new(
                "district",
                format!("'{d}' is not a district of {}", plan.region),
            ));
        }
    }
    if errs.is_empty() {
        Ok((year, district.map(str::to_string)))
    } else {
        Err(ApiError::validation(errs))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorsOut {
    pub year: i32,
    /// `210100` or the district asked for.
    pub division: String,
    pub division_name: String,
    /// One per objective of the plan, in the plan's order: key, name_zh, name_en, unit, target,
    /// target_basis, value, source (computed|reported), progress, status
    /// (met|on_track|behind|no_data), records_url, reported (the entry of a reported value), note.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Indicator>,
}

/// Every objective measured for a year, for the city or a district (public).
#[utoipa::path(get, path = "/api/v1/indicators", tag = "plan", params(IndicatorParams),
    responses((status = 200, body = IndicatorsOut), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn indicators(
    State(state): State<AppState>,
    viewer: crate::auth::Viewer,
    Query(p): Query<IndicatorParams>,
) -> ApiResult<Json<IndicatorsOut>> {
    let v = Version::now(&state.store).await?;
    let stored = cached_plan(&state, v).await?;
    let plan = &stored.plan;
    let (year, district) = check_params(plan, p.year, p.district.as_deref())?;
    let mut items = cached_indicators(&state, v, plan, year, district.as_deref())
        .await?
        .as_ref()
        .clone();
    // Who entered a figure is for the bureau and the districts; the public sees its source.
    if !(viewer.has(chengguo_core::Role::Bureau) || viewer.has(chengguo_core::Role::District)) {
        for i in &mut items {
            if let Some(r) = &mut i.reported {
                r.entered_by.clear();
            }
        }
    }
    let division = district.unwrap_or_else(|| plan.region.clone());
    Ok(Json(IndicatorsOut {
        year,
        division_name: refdata::full_name(&division).unwrap_or_default(),
        division,
        items,
    }))
}

/// Every entry of a reported indicator, newest first: value, year, division, source document
/// and date, who entered it and when (bureau and districts).
#[utoipa::path(get, path = "/api/v1/indicators/{key}/history", tag = "plan", security(("bearer" = [])),
    params(("key" = String, Path, description = "Objective key")),
    responses((status = 200, body = Vec<Object>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    _auth: Auth<BureauOrDistrict>,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<IndicatorEntry>>> {
    let stored = current(&state.store).await?;
    if stored.plan.objective(&key).is_none() {
        return Err(ApiError::not_found(format!("objective {key}")));
    }
    Ok(Json(state.store.indicator_history(&key).await?))
}

/// A reported figure: year, division (default the city), value, source document and date.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"year": 2024, "division": "210100", "value": "5902", "source_document": "沈阳市2024年国民经济和社会发展统计公报", "source_date": "2025-03-10"}))]
pub struct IndicatorValueBody {
    pub year: Option<i64>,
    pub division: Option<String>,
    #[schema(value_type = Object)]
    pub value: Option<serde_json::Value>,
    pub source_document: Option<String>,
    pub source_date: Option<String>,
    pub note: Option<String>,
}

/// Enter a reported figure: the bureau for the city or any district, a district officer for
/// their own district. Earlier entries stay as history; every entry is audited.
#[utoipa::path(post, path = "/api/v1/indicators/{key}/values", tag = "plan", security(("bearer" = [])),
    params(("key" = String, Path, description = "Objective key (a reported objective)")),
    request_body = IndicatorValueBody,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_value(
    State(state): State<AppState>,
    auth: Auth<BureauOrDistrict>,
    Path(key): Path<String>,
    Json(b): Json<IndicatorValueBody>,
) -> ApiResult<(StatusCode, Json<IndicatorEntry>)> {
    let stored = current(&state.store).await?;
    let entry = record_value(
        &state.store,
        &stored.plan,
        &auth.actor(),
        &key,
        IndicatorValueInput {
            year: b.year,
            division: b.division,
            value: b.value,
            source_document: b.source_document,
            source_date: b.source_date,
            note: b.note,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// Checks and records a reported figure (API and pages).
pub async fn record_value(
    store: &Store,
    plan: &Plan,
    actor: &chengguo_core::Actor,
    key: &str,
    input: IndicatorValueInput,
) -> Result<IndicatorEntry, ApiError> {
    let o = plan
        .objective(key)
        .ok_or_else(|| ApiError::not_found(format!("objective {key}")))?;
    if o.measurement != Measurement::Reported {
        return Err(ApiError::validation(vec![FieldError::new(
            "key",
            format!("'{key}' 由平台根据记录计算，不能填报 / is computed from the platform's records and cannot be reported"),
        )]));
    }
    let v = input
        .into_new(&plan.region, &today().to_string())
        .map_err(ApiError::validation)?;
    Ok(store.record_indicator_value(actor, key, &v).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DistrictTargetBody {
    pub indicator: String,
    pub year: i32,
    /// A district's division code.
    pub division: String,
    /// The target in the objective's unit; `null` removes it.
    #[schema(value_type = Option<f64>)]
    pub value: Option<f64>,
}

/// Set (or remove) a district's own target for an objective and year (bureau).
#[utoipa::path(put, path = "/api/v1/district-targets", tag = "plan", security(("bearer" = [])),
    request_body = DistrictTargetBody,
    responses((status = 204), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_district_target(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Json(b): Json<DistrictTargetBody>,
) -> ApiResult<StatusCode> {
    let stored = current(&state.store).await?;
    let plan = &stored.plan;
    let mut errs = Vec::new();
    if plan.objective(&b.indicator).is_none() {
        errs.push(FieldError::new(
            "indicator",
            format!("unknown objective '{}'", b.indicator),
        ));
    }
    if let Err(e) = check_params(plan, Some(b.year), Some(&b.division)) {
        errs.extend(e.fields);
    }
    if b.division.trim() == plan.region {
        errs.push(FieldError::new(
            "division",
            "a district target needs a district",
        ));
    }
    if b.value.is_some_and(|v| !v.is_finite() || v < 0.0) {
        errs.push(FieldError::new("value", "must be a number ≥ 0"));
    }
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    state
        .store
        .set_district_target(
            &auth.actor(),
            &b.indicator,
            b.year,
            b.division.trim(),
            b.value,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScorecardParams {
    /// The year (default: this year).
    pub year: Option<i32>,
    /// `json` (default) or `xlsx`.
    pub format: Option<String>,
}

/// Every district's scorecard for a year, ranked (bureau and districts).
#[utoipa::path(get, path = "/api/v1/scorecards", tag = "plan", security(("bearer" = [])),
    params(ScorecardParams),
    responses((status = 200, body = Vec<Object>, description = "JSON, or XLSX with format=xlsx"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn scorecards(
    State(state): State<AppState>,
    _auth: Auth<BureauOrDistrict>,
    Query(p): Query<ScorecardParams>,
) -> ApiResult<Response> {
    let v = Version::now(&state.store).await?;
    let stored = cached_plan(&state, v).await?;
    let (year, _) = check_params(&stored.plan, p.year, None)?;
    let cards = cached_scorecards(&state, v, &stored.plan, year).await?;
    if p.format.as_deref() == Some("xlsx") {
        return scorecards_xlsx(&cards, year, None);
    }
    Ok(Json(cards.as_ref()).into_response())
}

/// One district's scorecard (bureau and districts).
#[utoipa::path(get, path = "/api/v1/scorecards/{district}", tag = "plan", security(("bearer" = [])),
    params(("district" = String, Path, description = "Division code of the district"), ScorecardParams),
    responses((status = 200, body = Object, description = "JSON, or XLSX with format=xlsx"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn scorecard(
    State(state): State<AppState>,
    _auth: Auth<BureauOrDistrict>,
    Path(district): Path<String>,
    Query(p): Query<ScorecardParams>,
) -> ApiResult<Response> {
    let v = Version::now(&state.store).await?;
    let stored = cached_plan(&state, v).await?;
    let (year, _) = check_params(&stored.plan, p.year, None)?;
    let cards = cached_scorecards(&state, v, &stored.plan, year).await?;
    let Some(card) = cards.iter().find(|c| c.division == district) else {
        return Err(ApiError::not_found(format!("district {district}")));
    };
    if p.format.as_deref() == Some("xlsx") {
        return scorecards_xlsx(&cards, year, Some(&district));
    }
    Ok(Json(card.clone()).into_response())
}

/// A figure as an XLSX cell: yuan as money, counts as integers, percent with two decimals.
pub fn value_cell(unit: &str, v: Option<f64>) -> Cell {
    match v {
        None => Cell::Empty,
        Some(v) if unit == "count" => Cell::Int(v.round() as i64),
        Some(v) => Cell::Money {
            fen: (v * 100.0).round() as i64,
        },
    }
}

/// The scorecards as a workbook sheet: one row per district and objective (only `district`'s
/// rows when given), with weight, value, city value, share, target, attainment and points.
pub fn scorecards_xlsx(
    cards: &[Scorecard],
    year: i32,
    district: Option<&str>,
) -> ApiResult<Response> {
    let headers = [
        "year",
        "rank",
        "division_code",
        "district",
        "score",
        "indicator",
        "name",
        "unit",
        "weight",
        "value",
        "city_value",
        "share_percent",
        "target",
        "target_basis",
        "attainment_percent",
        "points",
    ];
    let mut rows = Vec::new();
    for c in cards
        .iter()
        .filter(|c| district.is_none_or(|d| d == c.division))
    {
        for i in &c.items {
            let u = i.indicator.unit.as_str();
            rows.push(vec![
                Cell::Int(i64::from(year)),
                Cell::Int(c.rank as i64),
                Cell::Text(c.division.clone()),
                Cell::Text(c.name.clone()),
                value_cell("percent", Some(c.score)),
                Cell::Text(i.indicator.key.clone()),
                Cell::Text(i.indicator.name_zh.clone()),
                Cell::Text(u.to_string()),
                value_cell("percent", Some(i.indicator.district_weight)),
                value_cell(u, i.indicator.value),
                value_cell(u, i.city_value),
                value_cell("percent", i.share.map(|s| s * 100.0)),
                value_cell(u, i.indicator.target),
                Cell::Text(i.indicator.target_basis.clone()),
                value_cell("percent", i.attainment.map(|a| a * 100.0)),
                value_cell("percent", Some(i.points)),
            ]);
        }
    }
    let name = match district {
        Some(d) => format!("scorecard-{d}-{year}.xlsx"),
        None => format!("scorecards-{year}.xlsx"),
    };
    let bytes =
        chengguo_io::write_xlsx("scorecards", &headers, &rows).map_err(ApiError::internal)?;
    Ok(crate::pages::orgs::download(
        &name,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}

/// A progress report.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"text": "三季度组织对接活动 31 场。", "figures": "对接 31 场", "attachments": ["清单.xlsx"], "date": "2025-09-30"}))]
pub struct TaskReportBody {
    pub text: Option<String>,
    pub figures: Option<String>,
    #[serde(default)]
    pub attachments: Vec<String>,
    /// `YYYY-MM-DD` (default today).
    pub date: Option<String>,
    /// The department reported for, when the account acts for several.
    pub department: Option<String>,
}

/// Submit a progress report on a task: accounts of its responsible departments (matched by
/// organization name or district), or the bureau.
#[utoipa::path(post, path = "/api/v1/plan/tasks/{number}/reports", tag = "plan", security(("bearer" = [])),
    params(("number" = u32, Path, description = "Task number")), request_body = TaskReportBody,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_report(
    State(state): State<AppState>,
    auth: Auth<OrgMember>,
    Path(number): Path<u32>,
    Json(b): Json<TaskReportBody>,
) -> ApiResult<(StatusCode, Json<TaskReport>)> {
    let stored = current(&state.store).await?;
    let r = submit_report(
        &state.store,
        &stored.plan,
        &auth.actor(),
        number,
        TaskReportInput {
            text: b.text,
            figures: b.figures,
            attachments: b.attachments,
            date: b.date,
            department: b.department,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Checks who reports and what, and stores the report (API and pages).
pub async fn submit_report(
    store: &Store,
    plan: &Plan,
    actor: &chengguo_core::Actor,
    number: u32,
    input: TaskReportInput,
) -> Result<TaskReport, ApiError> {
    let task = plan
        .task(number)
        .ok_or_else(|| ApiError::not_found(format!("task {number}")))?;
    let org_name = match actor.org_id {
        Some(id) => store.org_name(id).await?,
        None => None,
    };
    let deps = reporting_departments(plan, task, actor, org_name.as_deref())
        .map_err(|d| ApiError::forbidden(d.to_string()))?;
    let new = input
        .into_new(&today().to_string())
        .map_err(ApiError::validation)?;
    let dept = match &new.department {
        Some(k) => deps
            .iter()
            .find(|d| &d.key == k)
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "department",
                    format!("'{k}' 不是您可代表的责任单位 / is not a responsible department you act for"),
                )])
            })?
            .key
            .clone(),
        None => deps[0].key.clone(),
    };
    Ok(store
        .add_task_report(actor, &plan.key, number, &dept, &new)
        .await?)
}

/// Progress reports of a task, newest first (signed-in accounts).
#[utoipa::path(get, path = "/api/v1/plan/tasks/{number}/reports", tag = "plan", security(("bearer" = [])),
    params(("number" = u32, Path, description = "Task number")),
    responses((status = 200, body = Vec<Object>), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_reports(
    State(state): State<AppState>,
    _auth: Auth<crate::auth::AnyAccount>,
    Path(number): Path<u32>,
) -> ApiResult<Json<Vec<TaskReport>>> {
    let stored = current(&state.store).await?;
    if stored.plan.task(number).is_none() {
        return Err(ApiError::not_found(format!("task {number}")));
    }
    Ok(Json(
        state
            .store
            .task_reports(&stored.plan.key, Some(number))
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TaskStatusBody {
    /// `not_started`, `in_progress`, `completed` or `delayed`.
    pub status: String,
    pub note: Option<String>,
}

/// Set a task's status on the plan board (bureau).
#[utoipa::path(patch, path = "/api/v1/plan/tasks/{number}", tag = "plan", security(("bearer" = [])),
    params(("number" = u32, Path, description = "Task number")), request_body = TaskStatusBody,
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_task_status(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Path(number): Path<u32>,
    Json(b): Json<TaskStatusBody>,
) -> ApiResult<Json<chengguo_store::TaskState>> {
    let stored = current(&state.store).await?;
    if stored.plan.task(number).is_none() {
        return Err(ApiError::not_found(format!("task {number}")));
    }
    let status = TaskStatus::parse(&b.status).ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(
            "status",
            "one of not_started, in_progress, completed, delayed",
        )])
    })?;
    let note = b.note.unwrap_or_default();
    Ok(Json(
        state
            .store
            .set_task_status(&auth.actor(), &stored.plan.key, number, status, note.trim())
            .await?,
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanSettingsBody {
    /// Days within which each responsible department reports on its tasks (1–366).
    pub report_cadence_days: i64,
}

/// Set how often responsible departments report (bureau); audited like every setting.
#[utoipa::path(put, path = "/api/v1/plan/settings", tag = "plan", security(("bearer" = [])),
    request_body = PlanSettingsBody,
    responses((status = 200, body = PlanSettingsBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_settings(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Json(b): Json<PlanSettingsBody>,
) -> ApiResult<Json<PlanSettingsBody>> {
    if !(1..=366).contains(&b.report_cadence_days) {
        return Err(ApiError::validation(vec![FieldError::new(
            "report_cadence_days",
            "1 到 366 天 / between 1 and 366 days",
        )]));
    }
    state
        .store
        .set_setting(
            &auth.actor(),
            chengguo_store::REPORT_CADENCE_SETTING,
            &serde_json::json!(b.report_cadence_days),
        )
        .await?;
    Ok(Json(b))
}
