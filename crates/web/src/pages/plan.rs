//! The plan's pages: the dashboard (public, and the home panel of bureau and district accounts),
//! the plan with its tasks board, a task with its progress reports, an indicator with its history
//! and the reporting form, and the district scorecards, each with an XLSX export.

use super::{render, Ctx};
use crate::api::plan::{
    cached_indicators, cached_plan, cached_scorecards, check_params, current, record_value,
    scorecards_xlsx, submit_report, tasks_out, today, value_cell, TaskOut,
};
use crate::auth::{Auth, Bureau, BureauOrDistrict, CsrfForm, OrgMember};
use crate::cache::{Key, Version};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chengguo_core::plan::{
    reporting_departments, IndicatorValueInput, Measurement, Plan, TaskReportInput, TaskStatus,
};
use chengguo_core::{refdata, FieldError, Role};
use chengguo_io::Cell;
use chengguo_store::{Indicator, IndicatorEntry, Scorecard, StoredPlan, TaskReport};
use serde::Deserialize;
use std::sync::Arc;

/// A figure for people: yuan in 亿元 (10^8) or 万元, counts with separators, percent.
pub fn fmt_value(ctx: &Ctx, unit: &str, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "—".into();
    };
    match unit {
        "yuan" if v.abs() >= 1e8 => format!("{:.2} {}", v / 1e8, ctx.pick("亿元", "×10⁸ yuan")),
        "yuan" if v.abs() >= 1e4 => format!("{:.1} {}", v / 1e4, ctx.pick("万元", "×10⁴ yuan")),
        "yuan" => format!("{v:.2} {}", ctx.pick("元", "yuan")),
        "percent" => format!("{v:.1}%"),
        _ => group(v.round() as i64),
    }
}

fn group(n: i64) -> String {
    let digits: Vec<char> = n.abs().to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|c| c.iter().collect())
        .collect();
    let out = groups.join(",");
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn status_label(ctx: &Ctx, s: &str) -> String {
    let st = match s {
        "met" => chengguo_core::plan::Status::Met,
        "on_track" => chengguo_core::plan::Status::OnTrack,
        "behind" => chengguo_core::plan::Status::Behind,
        _ => chengguo_core::plan::Status::NoData,
    };
    ctx.pick(st.zh(), st.en()).to_string()
}

fn task_status_label(ctx: &Ctx, s: &str) -> String {
    TaskStatus::parse(s)
        .map(|t| ctx.pick(t.zh(), t.en()).to_string())
        .unwrap_or_else(|| s.to_string())
}

/// An indicator as a row of a page.
pub struct IndRow {
    pub key: String,
    pub name: String,
    pub value: String,
    pub target: String,
    pub progress: String,
    pub status: String,
    pub status_label: String,
    pub source: String,
    pub records_url: String,
    pub gauge: String,
    pub note: String,
}

fn ind_row(ctx: &Ctx, i: &Indicator) -> IndRow {
    let name = ctx.pick(&i.name_zh, &i.name_en).to_string();
    let value = fmt_value(ctx, &i.unit, i.value);
    let mut target = fmt_value(ctx, &i.unit, i.target);
    if i.target_basis == "interpolated" {
        target = format!("{target} *");
    } else if i.target_basis == "equal_share" {
        target = format!("{target} ÷");
    }
    let gauge = crate::charts::gauge(
        &name,
        i.progress,
        &value,
        &format!("{} {target}", ctx.pick("目标", "target")),
        &i.status,
    );
    IndRow {
        key: i.key.clone(),
        progress: i
            .progress
            .map(|p| format!("{:.0}%", p * 100.0))
            .unwrap_or_else(|| "—".into()),
        status_label: status_label(ctx, &i.status),
        status: i.status.clone(),
        source: if i.source == "computed" {
            ctx.pick("平台计算", "computed").into()
        } else {
            ctx.pick("填报", "reported").into()
        },
        records_url: i.records_url.clone(),
        note: i.note.clone(),
        name,
        value,
        target,
        gauge,
    }
}

fn task_board(ctx: &Ctx, tasks: &[TaskOut]) -> Vec<(String, Vec<TaskCard>)> {
    TaskStatus::ALL
        .iter()
        .map(|s| {
            let cards = tasks
                .iter()
                .filter(|t| t.status == s.as_str())
                .map(|t| TaskCard::new(ctx, t))
                .collect();
            (ctx.pick(s.zh(), s.en()).to_string(), cards)
        })
        .collect()
}

pub struct TaskCard {
    pub number: u32,
    pub title: String,
    pub departments: String,
    pub overdue: bool,
    pub reports: usize,
    pub last_report: String,
    pub status_label: String,
}

impl TaskCard {
    fn new(ctx: &Ctx, t: &TaskOut) -> Self {
        TaskCard {
            number: t.number,
            title: ctx.pick(&t.title_zh, &t.title_en).to_string(),
            departments: t
                .departments
                .iter()
                .map(|d| ctx.pick(&d.name_zh, &d.name_en).to_string())
                .collect::<Vec<_>>()
                .join("、"),
            overdue: t.overdue,
            reports: t.reports,
            last_report: t.last_report.clone().unwrap_or_default(),
            status_label: task_status_label(ctx, &t.status),
        }
    }
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i32>,
}

/// Indicators of the city for each year from the year before the plan to `last` (cached).
async fn by_year(
    state: &AppState,
    v: Version,
    plan: &Plan,
    last: i32,
) -> Result<Vec<(i32, Arc<Vec<Indicator>>)>, ApiError> {
    let mut out = Vec::new();
    let first = plan.start_year - 1;
    for y in first..=last.max(first) {
        out.push((y, cached_indicators(state, v, plan, y, None).await?));
    }
    Ok(out)
}

/// The dashboard page: the layout around the cached body.
#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    ctx: &'a Ctx,
    body: &'a str,
}

/// The dashboard's content, rendered once per data version, year, language and audience (it
/// reads nothing else of the viewer: `ctx` only picks the language).
#[derive(Template)]
#[template(path = "dashboard_body.html")]
struct DashboardBody<'a> {
    ctx: &'a Ctx,
    title: String,
    document: String,
    year: i32,
    years: Vec<i32>,
    rows: Vec<IndRow>,
    trends: Vec<String>,
    monthly: String,
    districts: String,
    districts_title: String,
    board: Vec<(String, Vec<TaskCard>)>,
    overdue: usize,
    internal: bool,
}

/// What the dashboard shows, for the page and for the home panel (all from the figures cache).
struct DashboardData {
    stored: Arc<StoredPlan>,
    year: i32,
    city: Arc<Vec<Indicator>>,
    cards: Arc<Vec<Scorecard>>,
    tasks: Arc<Vec<TaskOut>>,
}

async fn dashboard_data(
    state: &AppState,
    v: Version,
    year: Option<i32>,
) -> Result<DashboardData, ApiError> {
    let stored = cached_plan(state, v).await?;
    let (year, _) = check_params(&stored.plan, year, None)?;
    let city = cached_indicators(state, v, &stored.plan, year, None).await?;
    let cards = cached_scorecards(state, v, &stored.plan, year).await?;
    let tasks = state
        .figures
        .get(v, Key::Tasks, || async {
            Ok::<_, ApiError>(tasks_out(&state.store, &stored).await?.0)
        })
        .await?;
    Ok(DashboardData {
        stored,
        year,
        city,
        cards,
        tasks,
    })
}

fn internal(ctx: &Ctx) -> bool {
    ctx.user
        .as_ref()
        .is_some_and(|u| u.roles.contains(&Role::Bureau) || u.roles.contains(&Role::District))
}

/// `/dashboard` (public): a repeated view reads the audit sequence and renders the layout around
/// the cached body; the figures are computed once per data version.
async fn dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Response {
    let internal = internal(&ctx);
    let body = async {
        let v = Version::now(&state.store).await?;
        let key = Key::Dashboard {
            year: q.year,
            lang: ctx.lang,
            internal,
        };
        state
            .figures
            .get(v, key, || dashboard_body(&state, &ctx, v, q.year, internal))
            .await
    }
    .await;
    match body {
        Ok(body) => render(&DashboardPage {
            ctx: &ctx,
            body: &body,
        }),
        Err(e) => e.into_page(&ctx),
    }
}

/// Computes and renders the dashboard's content.
async fn dashboard_body(
    state: &AppState,
    ctx: &Ctx,
    v: Version,
    year: Option<i32>,
    internal: bool,
) -> Result<String, ApiError> {
    let data = dashboard_data(state, v, year).await?;
    let plan = &data.stored.plan;
    let history = by_year(state, v, plan, data.year).await?;
    let empty = ctx.pick("暂无数据", "No data yet");
    let x: Vec<String> = history.iter().map(|(y, _)| y.to_string()).collect();
    let trends = plan
        .objectives
        .iter()
        .filter(|o| o.per_district)
        .map(|o| {
            let pick = |f: &dyn Fn(&Indicator) -> Option<f64>| -> Vec<Option<f64>> {
                history
                    .iter()
                    .map(|(_, inds)| inds.iter().find(|i| i.key == o.key).and_then(f))
                    .collect()
            };
            let scale = if o.unit.as_str() == "yuan" { 1e8 } else { 1.0 };
            let name = ctx.pick(&o.name_zh, &o.name_en);
            let unit = match o.unit.as_str() {
                "yuan" => ctx.pick("亿元", "10⁸ yuan"),
                "percent" => "%",
                _ => "",
            };
            let title = if unit.is_empty() {
                name.to_string()
            } else {
                format!("{name}（{unit}）")
            };
            let body = crate::charts::line(
                &title,
                &x,
                &[
                    (
                        ctx.pick("实际", "actual").to_string(),
                        pick(&|i| i.value.map(|v| v / scale)),
                    ),
                    (
                        ctx.pick("目标", "target").to_string(),
                        pick(&|i| i.target.map(|v| v / scale)),
                    ),
                ],
                420.0,
                empty,
            );
            format!(
                "<figure><figcaption>{}</figcaption>{body}</figure>",
                super::escape(&title)
            )
        })
        .collect();
    let months = state
        .store
        .turnover_by_month(plan, data.year)
        .await
        .unwrap_or_default();
    let monthly = crate::charts::line(
        ctx.pick("技术合同成交额（万元）", "Contract turnover (10⁴ yuan)"),
        &months.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>(),
        &[(
            ctx.pick("成交额", "turnover").to_string(),
            months.iter().map(|(_, v)| Some(v / 1e4)).collect(),
        )],
        860.0,
        ctx.pick(
            "本年度尚无登记的技术合同",
            "No registered contracts this year yet",
        ),
    );
    let (districts_title, bars): (String, Vec<(String, i64)>) = if internal {
        (
            ctx.pick("区县考核得分", "District scores").into(),
            data.cards
                .iter()
                .map(|c| (c.name.clone(), c.score.round() as i64))
                .collect(),
        )
    } else {
        let mut v: Vec<(String, i64)> = data
            .cards
            .iter()
            .map(|c| {
                let t = c
                    .items
                    .iter()
                    .find(|i| i.indicator.key == "contract_turnover")
                    .and_then(|i| i.indicator.value)
                    .unwrap_or(0.0);
                (c.name.clone(), (t / 1e4).round() as i64)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        v.sort_by_key(|d| std::cmp::Reverse(d.1));
        (
            ctx.pick(
                "各区县技术合同成交额（万元）",
                "Contract turnover by district (10⁴ yuan)",
            )
            .into(),
            v,
        )
    };
    let districts = crate::charts::hbar(&districts_title, &bars, 560.0, empty);
    let t = DashboardBody {
        title: ctx.pick(&plan.title_zh, &plan.title_en).to_string(),
        document: format!(
            "{} {} · {}",
            ctx.pick(&plan.issuer_zh, &plan.issuer_en),
            plan.document_number,
            plan.date
        ),
        year: data.year,
        years: (plan.start_year - 1..=v.day.year().max(plan.end_year)).collect(),
        rows: data.city.iter().map(|i| ind_row(ctx, i)).collect(),
        trends,
        monthly,
        districts,
        districts_title,
        overdue: data.tasks.iter().filter(|t| t.overdue).count(),
        board: task_board(ctx, &data.tasks),
        internal,
        ctx,
    };
    t.render().map_err(ApiError::internal)
}

/// The dashboard's figures as a workbook: every objective for every year of the plan.
async fn dashboard_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Response {
    let result = async {
        let v = Version::now(&state.store).await?;
        let stored = cached_plan(&state, v).await?;
        let (year, _) = check_params(&stored.plan, q.year, None)?;
        let history = by_year(&state, v, &stored.plan, year).await?;
        let headers = [
            "year",
            "indicator",
            "name_zh",
            "name_en",
            "unit",
            "source",
            "target",
            "target_basis",
            "value",
            "progress_percent",
            "status",
            "records",
        ];
        let mut rows = Vec::new();
        for (y, inds) in &history {
            for i in inds.iter() {
                rows.push(vec![
                    Cell::Int(i64::from(*y)),
                    Cell::Text(i.key.clone()),
                    Cell::Text(i.name_zh.clone()),
                    Cell::Text(i.name_en.clone()),
                    Cell::Text(i.unit.clone()),
                    Cell::Text(i.source.clone()),
                    value_cell(&i.unit, i.target),
                    Cell::Text(i.target_basis.clone()),
                    value_cell(&i.unit, i.value),
                    value_cell("percent", i.progress.map(|p| p * 100.0)),
                    Cell::Text(i.status.clone()),
                    Cell::Text(i.records_url.clone()),
                ]);
            }
        }
        let bytes =
            chengguo_io::write_xlsx("indicators", &headers, &rows).map_err(ApiError::internal)?;
        Ok::<_, ApiError>(super::orgs::download(
            &format!("indicators-{year}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ))
    }
    .await;
    result.unwrap_or_else(|e| e.into_page(&ctx))
}

#[derive(Template)]
#[template(path = "plan_panel.html")]
struct PanelTemplate<'a> {
    ctx: &'a Ctx,
    year: i32,
    rows: Vec<IndRow>,
    overdue: usize,
    district: Option<(String, String, usize, String)>,
}

/// The plan panel of the home page for bureau and district accounts (empty for others, or when
/// no plan is loaded).
pub async fn home_panel(state: &AppState, ctx: &Ctx) -> String {
    if !internal(ctx) {
        return String::new();
    }
    let Ok(v) = Version::now(&state.store).await else {
        return String::new();
    };
    let Ok(data) = dashboard_data(state, v, None).await else {
        return String::new();
    };
    let district = ctx
        .user
        .as_ref()
        .and_then(|u| u.district_code.clone())
        .and_then(|d| {
            data.cards.iter().find(|c| c.division == d).map(|c| {
                (
                    c.division.clone(),
                    c.name.clone(),
                    c.rank,
                    format!("{:.1}", c.score),
                )
            })
        });
    let t = PanelTemplate {
        ctx,
        year: data.year,
        rows: data
            .city
            .iter()
            .filter(|i| i.per_district)
            .map(|i| ind_row(ctx, i))
            .collect(),
        overdue: data.tasks.iter().filter(|t| t.overdue).count(),
        district,
    };
    t.render().unwrap_or_default()
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage<'a> {
    ctx: &'a Ctx,
    stored: StoredPlan,
    years: Vec<i32>,
    objectives: Vec<(String, String, String, String, Vec<String>)>,
    policies: Vec<(u32, String, String)>,
    board: Vec<(String, Vec<TaskCard>)>,
    versions: Vec<chengguo_store::PlanVersion>,
    cadence: i64,
}

async fn plan_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let stored = match current(&state.store).await {
        Ok(s) => s,
        Err(e) => return e.into_page(&ctx),
    };
    let (tasks, cadence) = match tasks_out(&state.store, &stored).await {
        Ok(t) => t,
        Err(e) => return e.into_page(&ctx),
    };
    let versions = state.store.plan_versions().await.unwrap_or_default();
    let plan = &stored.plan;
    let years: Vec<i32> = (plan.start_year..=plan.end_year).collect();
    let objectives = plan
        .objectives
        .iter()
        .map(|o| {
            (
                o.key.clone(),
                ctx.pick(&o.name_zh, &o.name_en).to_string(),
                if o.measurement == Measurement::Computed {
                    ctx.pick("平台计算", "computed").to_string()
                } else {
                    ctx.pick("填报", "reported").to_string()
                },
                o.source.clone(),
                years
                    .iter()
                    .map(|y| match o.targets.get(y) {
                        Some(v) => {
                            let sign = match o.direction {
                                chengguo_core::plan::Direction::AtLeast => "≥ ",
                                chengguo_core::plan::Direction::AtMost => "≤ ",
                            };
                            format!("{sign}{}", fmt_value(&ctx, o.unit.as_str(), Some(*v)))
                        }
                        None => String::new(),
                    })
                    .collect(),
            )
        })
        .collect();
    let policies = plan
        .policies
        .iter()
        .map(|p| {
            let limit = match p.limit.as_str() {
                "at_most" => ctx.pick("最高 ", "up to "),
                "at_least" => ctx.pick("不少于 ", "at least "),
                _ => "",
            };
            (
                p.task,
                ctx.pick(&p.name_zh, &p.name_en).to_string(),
                format!("{limit}{}", fmt_value(&ctx, p.unit.as_str(), Some(p.value))),
            )
        })
        .collect();
    let t = PlanPage {
        board: task_board(&ctx, &tasks),
        objectives,
        policies,
        years,
        versions,
        cadence,
        stored,
        ctx: &ctx,
    };
    render(&t)
}

#[derive(Template)]
#[template(path = "plan_task.html")]
struct TaskPage<'a> {
    ctx: &'a Ctx,
    task: TaskOut,
    indicators: Vec<(String, String)>,
    reports: Vec<TaskReport>,
    dept_names: Vec<(String, String)>,
    /// Departments the viewer may report for (empty: no form).
    my_departments: Vec<(String, String)>,
    form: ReportForm,
    errors: Vec<FieldError>,
    can_set_status: bool,
    statuses: Vec<(String, String)>,
    saved: bool,
}

impl TaskPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    fn dept_name(&self, key: &str) -> String {
        self.dept_names
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| key.to_string())
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ReportForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    figures: String,
    #[serde(default)]
    attachments: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    department: String,
}

#[derive(Deserialize, Default)]
struct Saved {
    saved: Option<String>,
}

async fn task_page_render(
    state: &AppState,
    ctx: &Ctx,
    number: u32,
    form: ReportForm,
    errors: Vec<FieldError>,
    saved: bool,
) -> Response {
    let result = async {
        let stored = current(&state.store).await?;
        let plan = &stored.plan;
        let Some(task) = plan.task(number) else {
            return Err(ApiError::not_found(format!("task {number}")));
        };
        let (tasks, _) = tasks_out(&state.store, &stored).await?;
        let out = tasks
            .into_iter()
            .find(|t| t.number == number)
            .expect("task exists");
        // Progress reports (with their authors) are for signed-in accounts, as in
        // `GET /api/v1/plan/tasks/{number}/reports`; the task itself is public.
        let reports = if ctx.signed_in() {
            state.store.task_reports(&plan.key, Some(number)).await?
        } else {
            Vec::new()
        };
        let my_departments = match &ctx.user {
            Some(u) => {
                let org = match u.org_id {
                    Some(id) => state.store.org_name(id).await?,
                    None => None,
                };
                reporting_departments(plan, task, &u.actor(), org.as_deref())
                    .map(|ds| {
                        ds.into_iter()
                            .map(|d| (d.key.clone(), ctx.pick(&d.name_zh, &d.name_en).to_string()))
                            .collect()
                    })
                    .unwrap_or_default()
            }
            None => Vec::new(),
        };
        Ok(TaskPage {
            ctx,
            indicators: task
                .indicators
                .iter()
                .filter_map(|k| plan.objective(k))
                .map(|o| (o.key.clone(), ctx.pick(&o.name_zh, &o.name_en).to_string()))
                .collect(),
            dept_names: plan
                .departments
                .iter()
                .map(|d| (d.key.clone(), ctx.pick(&d.name_zh, &d.name_en).to_string()))
                .collect(),
            task: out,
            reports,
            my_departments,
            form,
            can_set_status: ctx.has("bureau"),
            statuses: TaskStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), ctx.pick(s.zh(), s.en()).to_string()))
                .collect(),
            errors,
            saved,
        })
    }
    .await;
    match result {
        Ok(page) => {
            let status = if page.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut r = render(&page);
            *r.status_mut() = status;
            r
        }
        Err(e) => e.into_page(ctx),
    }
}

async fn task_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<u32>,
    Query(s): Query<Saved>,
) -> Response {
    let form = ReportForm {
        date: today().to_string(),
        ..Default::default()
    };
    task_page_render(&state, &ctx, number, form, vec![], s.saved.is_some()).await
}

async fn task_report_post(
    State(state): State<AppState>,
    auth: Auth<OrgMember>,
    ctx: Ctx,
    Path(number): Path<u32>,
    CsrfForm(form): CsrfForm<ReportForm>,
) -> Response {
    let stored = match current(&state.store).await {
        Ok(s) => s,
        Err(e) => return e.into_page(&ctx),
    };
    let input = TaskReportInput {
        text: Some(form.text.clone()),
        figures: Some(form.figures.clone()),
        attachments: vec![form.attachments.clone()],
        date: Some(form.date.clone()),
        department: Some(form.department.clone()),
    };
    match submit_report(&state.store, &stored.plan, &auth.actor(), number, input).await {
        Ok(_) => Redirect::to(&format!("/plan/tasks/{number}?saved=1")).into_response(),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            task_page_render(&state, &ctx, number, form, e.fields, false).await
        }
        Err(e) => e.into_page(&ctx),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
    #[serde(default)]
    note: String,
}

async fn task_status_post(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Path(number): Path<u32>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> Response {
    let result = async {
        let stored = current(&state.store).await?;
        if stored.plan.task(number).is_none() {
            return Err(ApiError::not_found(format!("task {number}")));
        }
        let status = TaskStatus::parse(&form.status)
            .ok_or_else(|| ApiError::bad_request("unknown status"))?;
        state
            .store
            .set_task_status(
                &auth.actor(),
                &stored.plan.key,
                number,
                status,
                form.note.trim(),
            )
            .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/plan/tasks/{number}?saved=1")).into_response(),
        Err(e) => e.into_page(&ctx),
    }
}

#[derive(Template)]
#[template(path = "plan_indicator.html")]
struct IndicatorPage<'a> {
    ctx: &'a Ctx,
    key: String,
    name: String,
    unit: String,
    reported: bool,
    targets: Vec<(i32, String)>,
    years: Vec<(i32, IndRow)>,
    districts: Vec<(String, String, IndRow)>,
    history: Vec<IndicatorEntry>,
    can_see_history: bool,
    can_report: bool,
    division_choices: Vec<(String, String)>,
    form: ValueForm,
    errors: Vec<FieldError>,
    saved: bool,
    year: i32,
}

impl IndicatorPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    fn fmt(&self, v: &f64) -> String {
        fmt_value(self.ctx, &self.unit, Some(*v))
    }
    fn division_name(&self, code: &str) -> String {
        refdata::division(code)
            .map(|d| d.name.to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ValueForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    division: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    source_document: String,
    #[serde(default)]
    source_date: String,
    #[serde(default)]
    note: String,
}

async fn indicator_render(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    year: Option<i32>,
    form: Option<ValueForm>,
    errors: Vec<FieldError>,
    saved: bool,
) -> Response {
    let result = async {
        let v = Version::now(&state.store).await?;
        let stored = cached_plan(state, v).await?;
        let plan = &stored.plan;
        let o = plan
            .objective(key)
            .ok_or_else(|| ApiError::not_found(format!("objective {key}")))?;
        let (year, _) = check_params(plan, year, None)?;
        let history_years = by_year(state, v, plan, year).await?;
        let years = history_years
            .iter()
            .filter_map(|(y, inds)| {
                inds.iter()
                    .find(|i| i.key == key)
                    .map(|i| (*y, ind_row(ctx, i)))
            })
            .collect();
        let mut districts = Vec::new();
        for d in refdata::children(&plan.region)
            .into_iter()
            .filter(|d| d.level == 3 && !d.retired)
        {
            let inds = cached_indicators(state, v, plan, year, Some(d.code)).await?;
            if let Some(i) = inds.iter().find(|i| i.key == key) {
                districts.push((d.code.to_string(), d.name.to_string(), ind_row(ctx, i)));
            }
        }
        let viewer_internal = internal(ctx);
        let reported = o.measurement == Measurement::Reported;
        let district_code = ctx.user.as_ref().and_then(|u| {
            u.roles
                .contains(&Role::District)
                .then(|| u.district_code.clone())
                .flatten()
        });
        let mut division_choices = Vec::new();
        if ctx.has("bureau") {
            division_choices.push((
                plan.region.clone(),
                ctx.pick("全市", "whole city").to_string(),
            ));
            for d in refdata::children(&plan.region)
                .into_iter()
                .filter(|d| d.level == 3 && !d.retired)
            {
                division_choices.push((d.code.to_string(), d.name.to_string()));
            }
        } else if let Some(d) = &district_code {
            division_choices.push((
                d.clone(),
                refdata::division(d)
                    .map(|x| x.name.to_string())
                    .unwrap_or_default(),
            ));
        }
        let form = form.unwrap_or_else(|| ValueForm {
            year: year.to_string(),
            division: division_choices
                .first()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            ..Default::default()
        });
        Ok::<_, ApiError>(IndicatorPage {
            ctx,
            key: key.to_string(),
            name: ctx.pick(&o.name_zh, &o.name_en).to_string(),
            unit: o.unit.as_str().to_string(),
            reported,
            targets: o
                .targets
                .iter()
                .map(|(y, v)| (*y, fmt_value(ctx, o.unit.as_str(), Some(*v))))
                .collect(),
            years,
            districts,
            history: if viewer_internal && reported {
                state.store.indicator_history(key).await?
            } else {
                Vec::new()
            },
            can_see_history: viewer_internal,
            can_report: reported && !division_choices.is_empty(),
            division_choices,
            form,
            errors,
            saved,
            year,
        })
    }
    .await;
    match result {
        Ok(page) => {
            let status = if page.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut r = render(&page);
            *r.status_mut() = status;
            r
        }
        Err(e) => e.into_page(ctx),
    }
}

#[derive(Deserialize, Default)]
struct IndicatorQuery {
    year: Option<i32>,
    saved: Option<String>,
}

async fn indicator_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
    Query(q): Query<IndicatorQuery>,
) -> Response {
    indicator_render(&state, &ctx, &key, q.year, None, vec![], q.saved.is_some()).await
}

async fn indicator_post(
    State(state): State<AppState>,
    auth: Auth<BureauOrDistrict>,
    ctx: Ctx,
    Path(key): Path<String>,
    CsrfForm(form): CsrfForm<ValueForm>,
) -> Response {
    let stored = match current(&state.store).await {
        Ok(s) => s,
        Err(e) => return e.into_page(&ctx),
    };
    let year = form.year.trim().parse::<i64>().ok();
    let input = IndicatorValueInput {
        year,
        division: Some(form.division.clone()),
        value: Some(serde_json::Value::String(form.value.clone())),
        source_document: Some(form.source_document.clone()),
        source_date: Some(form.source_date.clone()),
        note: Some(form.note.clone()),
    };
    match record_value(&state.store, &stored.plan, &auth.actor(), &key, input).await {
        Ok(e) => {
            Redirect::to(&format!("/plan/indicators/{key}?year={}&saved=1", e.year)).into_response()
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            indicator_render(
                &state,
                &ctx,
                &key,
                year.map(|y| y as i32),
                Some(form),
                e.fields,
                false,
            )
            .await
        }
        Err(e) => e.into_page(&ctx),
    }
}

#[derive(Template)]
#[template(path = "scorecards.html")]
struct ScorecardsPage<'a> {
    ctx: &'a Ctx,
    year: i32,
    cards: Vec<Scorecard>,
    chart: String,
    objectives: Vec<(String, String)>,
}

impl ScorecardsPage<'_> {
    fn points(&self, c: &Scorecard, key: &str) -> String {
        c.items
            .iter()
            .find(|i| i.indicator.key == key)
            .map(|i| format!("{:.1}", i.points))
            .unwrap_or_default()
    }
}

async fn scorecards_data(
    state: &AppState,
    year: Option<i32>,
) -> Result<(Arc<StoredPlan>, i32, Arc<Vec<Scorecard>>), ApiError> {
    let v = Version::now(&state.store).await?;
    let stored = cached_plan(state, v).await?;
    let (year, _) = check_params(&stored.plan, year, None)?;
    let cards = cached_scorecards(state, v, &stored.plan, year).await?;
    Ok((stored, year, cards))
}

async fn scorecards_page(
    State(state): State<AppState>,
    _auth: Auth<BureauOrDistrict>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Response {
    let (stored, year, cards) = match scorecards_data(&state, q.year).await {
        Ok(d) => d,
        Err(e) => return e.into_page(&ctx),
    };
    let bars: Vec<(String, i64)> = cards
        .iter()
        .map(|c| (c.name.clone(), c.score.round() as i64))
        .collect();
    let t = ScorecardsPage {
        chart: crate::charts::hbar(
            ctx.pick("得分", "Score"),
            &bars,
            560.0,
            ctx.pick("暂无数据", "No data yet"),
        ),
        objectives: stored
            .plan
            .objectives
            .iter()
            .filter(|o| o.per_district)
            .map(|o| {
                (
                    o.key.clone(),
                    format!(
                        "{}（{}）",
                        ctx.pick(&o.name_zh, &o.name_en),
                        o.district_weight
                    ),
                )
            })
            .collect(),
        year,
        cards: cards.as_ref().clone(),
        ctx: &ctx,
    };
    render(&t)
}

async fn scorecards_export(
    State(state): State<AppState>,
    _auth: Auth<BureauOrDistrict>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Response {
    match scorecards_data(&state, q.year).await {
        Ok((_, year, cards)) => {
            scorecards_xlsx(&cards, year, None).unwrap_or_else(|e| e.into_page(&ctx))
        }
        Err(e) => e.into_page(&ctx),
    }
}

#[derive(Template)]
#[template(path = "scorecard.html")]
struct ScorecardPage<'a> {
    ctx: &'a Ctx,
    card: Scorecard,
    total: usize,
    rows: Vec<(IndRow, String, String, String, String, String)>,
}

async fn scorecard_page(
    State(state): State<AppState>,
    _auth: Auth<BureauOrDistrict>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Response {
    let (_, _, cards) = match scorecards_data(&state, q.year).await {
        Ok(d) => d,
        Err(e) => return e.into_page(&ctx),
    };
    let total = cards.len();
    let Some(card) = cards.iter().find(|c| c.division == code).cloned() else {
        return super::not_found(&ctx);
    };
    let rows = card
        .items
        .iter()
        .map(|i| {
            let basis = match i.indicator.target_basis.as_str() {
                "district" => ctx.pick("市局下达", "set by the bureau"),
                "equal_share" => ctx.pick("全市目标均分", "city target ÷ districts"),
                "interpolated" => ctx.pick("按年度插值", "interpolated"),
                "plan" => ctx.pick("方案目标", "plan target"),
                _ => "—",
            };
            (
                ind_row(&ctx, &i.indicator),
                fmt_value(&ctx, &i.indicator.unit, i.city_value),
                i.share
                    .map(|s| format!("{:.1}%", s * 100.0))
                    .unwrap_or_else(|| "—".into()),
                format!("{}", i.indicator.district_weight),
                format!("{:.1}", i.points),
                basis.to_string(),
            )
        })
        .collect();
    render(&ScorecardPage {
        ctx: &ctx,
        total,
        rows,
        card,
    })
}

async fn scorecard_export(
    State(state): State<AppState>,
    _auth: Auth<BureauOrDistrict>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Response {
    match scorecards_data(&state, q.year).await {
        Ok((_, year, cards)) if cards.iter().any(|c| c.division == code) => {
            scorecards_xlsx(&cards, year, Some(&code)).unwrap_or_else(|e| e.into_page(&ctx))
        }
        Ok(_) => super::not_found(&ctx),
        Err(e) => e.into_page(&ctx),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/dashboard.xlsx", get(dashboard_xlsx))
        .route("/plan", get(plan_page))
        .route("/plan/tasks/{number}", get(task_page))
        .route("/plan/tasks/{number}/reports", post(task_report_post))
        .route("/plan/tasks/{number}/status", post(task_status_post))
        .route(
            "/plan/indicators/{key}",
            get(indicator_page).post(indicator_post),
        )
        .route("/scorecards", get(scorecards_page))
        .route("/scorecards/export.xlsx", get(scorecards_export))
        .route("/scorecards/{code}", get(scorecard_page))
        .route("/scorecards/{code}/export.xlsx", get(scorecard_export))
}
