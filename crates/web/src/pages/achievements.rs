//! Achievement pages: the public listing and detail (contacts hidden from anonymous visitors),
//! a unit's "my achievements" with a completeness meter per record, the create/edit form, the
//! bureau's review queue (publish / return with a reason), the record-keeping score ranking with
//! the reward list export, the publication counter, CSV/XLSX exports of any filtered list, and the
//! import upload with its preview (shared with demands).

use super::orgs::{download, Choice};
use super::{render, sort_href, Ctx, Pager};
use crate::api::achievements::{
    achievement_query, publication_years, readable, reward_list, today, AchievementListParams,
    Filers,
};
use crate::api::matching::Source;
use crate::api::Paging;
use crate::auth::{check_csrf, Auth, Bureau, CsrfForm};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::imports::records::{import_achievements, import_demands};
use crate::imports::{detect_format, ImportProblem, ImportReport};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chengguo_core::achievement::{
    self, AchievementAction, AchievementInput, AchievementStatus, ATTRIBUTES, LEVELS,
};
use chengguo_core::incentive::PUBLICATION_TARGET_PER_YEAR;
use chengguo_core::{refdata, FieldError, OrgKind};
use chengguo_io::Cell;
use chengguo_store::{AchievementView, OrgQuery, RecordError};
use serde::Deserialize;

pub(crate) fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}

fn code_name(ctx: &Ctx, list: &[refdata::Code], code: Option<&str>) -> String {
    code.and_then(|c| refdata::lookup(list, c))
        .map(|c| ctx.pick(c.zh, c.en).to_string())
        .unwrap_or_default()
}

pub(crate) fn chain_names(ctx: &Ctx, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| {
            refdata::chain(c)
                .map(|x| ctx.pick(x.zh, x.en).to_string())
                .unwrap_or_else(|| c.clone())
        })
        .collect::<Vec<_>>()
        .join("、")
}

pub(crate) fn choices(ctx: &Ctx, list: &[refdata::Code]) -> Vec<Choice> {
    list.iter()
        .map(|c| Choice {
            value: c.code.into(),
            label: ctx.pick(c.zh, c.en).into(),
        })
        .collect()
}

pub(crate) fn district_choices() -> Vec<Choice> {
    refdata::shenyang_districts()
        .into_iter()
        .map(|d| Choice {
            value: d.code.into(),
            label: d.name.to_string(),
        })
        .collect()
}

/// An achievement as a row of a page.
pub struct Row {
    pub v: AchievementView,
    pub status_name: String,
    pub stage_name: String,
    pub field_name: String,
    pub chain_names: String,
    pub category_name: String,
    pub price: String,
    pub stale: bool,
    pub published_on: String,
    pub updated_on: String,
    /// Names of the recommended fields still empty.
    pub missing: String,
}

impl Row {
    pub fn new(ctx: &Ctx, v: AchievementView, cutoff: &str) -> Row {
        let a = &v.achievement;
        let c = a.completeness();
        Row {
            status_name: ctx.pick(a.status.zh(), a.status.en()).into(),
            stage_name: code_name(ctx, refdata::stages(), a.stage.as_deref()),
            field_name: code_name(ctx, refdata::tech_fields(), a.tech_field.as_deref()),
            chain_names: chain_names(ctx, &a.chains),
            category_name: code_name(
                ctx,
                refdata::achievement_categories(),
                Some(a.category.as_str()),
            ),
            price: a
                .price
                .map(|p| format!("{} {}", p.to_display(), ctx.pick("元", "yuan")))
                .unwrap_or_else(|| ctx.pick("面议", "Negotiable").into()),
            stale: a.is_stale(cutoff),
            published_on: a
                .published_at
                .as_deref()
                .map(|s| s[..10].to_string())
                .unwrap_or_default(),
            updated_on: a.updated_at[..10].to_string(),
            missing: c
                .missing
                .iter()
                .map(|f| field_label(ctx, f))
                .collect::<Vec<_>>()
                .join("、"),
            v,
        }
    }
}

impl Row {
    pub fn awaits_review(&self) -> bool {
        self.v.achievement.status == AchievementStatus::Submitted
    }
}

/// The label of a recommended field (the completeness meter lists what is missing).
pub fn field_label(ctx: &Ctx, f: &str) -> String {
    let (zh, en) = match f {
        "abstract" => ("成果简介（≥50字）", "abstract (≥50 characters)"),
        "keywords" => ("关键词（≥3个）", "keywords (≥3)"),
        "category" => ("成果类别", "category"),
        "stage" => ("所处阶段", "stage"),
        "trl" => ("技术成熟度", "TRL"),
        "attribute" => ("成果属性", "attribute"),
        "level" => ("成果水平", "level"),
        "ip_type" => ("知识产权", "IP"),
        "discipline" => ("学科", "discipline"),
        "tech_field" => ("技术领域", "technology field"),
        "industrial_chain" => ("产业链", "industrial chain"),
        "transformation_modes" => ("转化方式", "transformation modes"),
        "completers" => ("完成人", "completers"),
        "period" => ("研究起止日期", "research period"),
        "contact" => ("联系人及电话/邮箱", "contact"),
        other => (other, other),
    };
    ctx.pick(zh, en).to_string()
}

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    chain: Option<String>,
    field: Option<String>,
    stage: Option<String>,
    district: Option<String>,
    owner: Option<i64>,
    include_stale: Option<String>,
    sort: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl ListQuery {
    fn params(&self) -> (AchievementListParams, Paging) {
        (
            AchievementListParams {
                q: self.q.clone(),
                status: self.status.clone(),
                owner: self.owner,
                chain: self.chain.clone(),
                field: self.field.clone(),
                stage: self.stage.clone(),
                category: None,
                district: self.district.clone(),
                include_stale: Some(self.include_stale.as_deref() == Some("1")),
                sort: self.sort.clone(),
            },
            Paging {
                limit: self.limit,
                offset: self.offset,
            },
        )
    }
}

#[derive(Template)]
#[template(path = "ach_list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    title: &'a str,
    /// "/achievements", "/achievements/mine" or "/achievements/review".
    base: &'a str,
    mode: &'a str,
    rows: Vec<Row>,
    pager: Pager,
    lq: ListQuery,
    sort: String,
    statuses: Vec<Choice>,
    chains: Vec<Choice>,
    fields: Vec<Choice>,
    stages: Vec<Choice>,
    districts: Vec<Choice>,
    export_query: String,
    error: Option<String>,
    notice: Option<String>,
}

impl ListPage<'_> {
    fn sort_link(&self, field: &str) -> String {
        let current = self.sort.trim_start_matches('-');
        sort_href(
            &self.ctx.here,
            (current == field && !self.sort.starts_with('-')).then_some(field),
            field,
        )
    }
    fn sort_mark(&self, field: &str) -> &'static str {
        if self.sort == field {
            "▲"
        } else if self.sort.strip_prefix('-') == Some(field) {
            "▼"
        } else {
            ""
        }
    }
    fn sel<'b>(&self, v: &'b Option<String>) -> &'b str {
        v.as_deref().unwrap_or("")
    }
}

fn status_choices(ctx: &Ctx) -> Vec<Choice> {
    AchievementStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: ctx.pick(s.zh(), s.en()).into(),
        })
        .collect()
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    mut lq: ListQuery,
    mode: &str,
    notice: Option<String>,
) -> Response {
    let actor = ctx.user.as_ref().map(|u| u.actor());
    if mode == "mine" {
        lq.owner = actor.as_ref().and_then(|a| a.org_id);
        if lq.sort.is_none() {
            lq.sort = Some("-updated_at".into());
        }
    }
    if mode == "review" && lq.status.is_none() {
        lq.status = Some("submitted".into());
        if lq.sort.is_none() {
            lq.sort = Some("updated_at".into());
        }
    }
    let (params, paging) = lq.params();
    let cutoff = match state.store.achievement_stale_cutoff().await {
        Ok(c) => c,
        Err(e) => return ApiError::from(e).into_page(ctx),
    };
    let (page, error) = match achievement_query(&params, &paging, actor.as_ref(), cutoff.clone()) {
        Ok(mut q) => {
            if mode != "public" {
                q.include_stale = true;
            }
            match state.store.list_achievements(&q).await {
                Ok(p) => (p, None),
                Err(e) => return ApiError::from(e).into_page(ctx),
            }
        }
        Err(e) => (
            chengguo_store::Page {
                items: vec![],
                total: 0,
                limit: paging.limit(),
                offset: 0,
            },
            Some(
                e.fields
                    .iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
    };
    let export_query = ctx
        .here
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default();
    let (title, base) = match mode {
        "mine" => (
            ctx.pick("我的成果", "My achievements"),
            "/achievements/mine",
        ),
        "review" => (ctx.pick("成果审核", "Review queue"), "/achievements/review"),
        _ => (ctx.pick("科技成果", "Achievements"), "/achievements"),
    };
    let t = ListPage {
        pager: Pager::new(&ctx.here, page.total, page.limit, page.offset),
        rows: page
            .items
            .into_iter()
            .map(|v| Row::new(ctx, v, &cutoff))
            .collect(),
        sort: lq.sort.clone().unwrap_or_else(|| "-published_at".into()),
        lq,
        statuses: status_choices(ctx),
        chains: choices(ctx, refdata::chains().items),
        fields: choices(ctx, refdata::tech_fields()),
        stages: choices(ctx, refdata::stages()),
        districts: district_choices(),
        export_query,
        error,
        notice,
        title,
        base,
        mode,
        ctx,
    };
    render(&t)
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(lq): Query<ListQuery>) -> Response {
    list_page(&state, &ctx, lq, "public", None).await
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

async fn mine(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    ctx: Ctx,
    Query(lq): Query<ListQuery>,
) -> Response {
    if auth.user.org_id.is_none() {
        return ApiError::forbidden("this account belongs to no organization").into_page(&ctx);
    }
    list_page(&state, &ctx, lq, "mine", None).await
}

async fn review(
    State(state): State<AppState>,
    _auth: Auth<Bureau>,
    ctx: Ctx,
    Query(lq): Query<ListQuery>,
    Query(n): Query<Notice>,
) -> Response {
    let notice = n
        .done
        .map(|d| format!("{}：{d}", ctx.pick("已处理", "Done")));
    list_page(&state, &ctx, lq, "review", notice).await
}

pub(crate) const EXPORT_HEADERS: [&str; 22] = [
    "ref",
    "title",
    "abstract",
    "keywords",
    "owner_credit_code",
    "owner_name",
    "category",
    "stage",
    "trl",
    "tech_field",
    "industrial_chain",
    "transformation_modes",
    "ip_type",
    "ip_numbers",
    "discipline",
    "price",
    "completers",
    "status",
    "stale",
    "completeness",
    "published_at",
    "updated_at",
];

async fn export_csv(state: State<AppState>, ctx: Ctx, lq: Query<ListQuery>) -> Response {
    export(state, ctx, "csv", lq).await
}

async fn export_xlsx(state: State<AppState>, ctx: Ctx, lq: Query<ListQuery>) -> Response {
    export(state, ctx, "xlsx", lq).await
}

/// Every record of the filtered list the viewer may see (exports ignore pagination).
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    file: &str,
    Query(lq): Query<ListQuery>,
) -> Response {
    let actor = ctx.user.as_ref().map(|u| u.actor());
    let cutoff = match state.store.achievement_stale_cutoff().await {
        Ok(c) => c,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let (params, _) = lq.params();
    let mut q = match achievement_query(
        &params,
        &Paging {
            limit: None,
            offset: None,
        },
        actor.as_ref(),
        cutoff.clone(),
    ) {
        Ok(q) => q,
        Err(e) => return e.into_page(&ctx),
    };
    q.limit = 10_000;
    q.offset = 0;
    let mut rows = Vec::new();
    loop {
        match state.store.list_achievements(&q).await {
            Ok(p) => {
                let n = p.items.len() as i64;
                rows.extend(p.items);
                if n < q.limit {
                    break;
                }
                q.offset += q.limit;
            }
            Err(e) => return ApiError::from(e).into_page(&ctx),
        }
    }
    let cells: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|v| {
            let stale = v.achievement.is_stale(&cutoff);
            let a = v.achievement;
            let t = |s: String| Cell::Text(s);
            vec![
                t(a.reference),
                t(a.title),
                t(a.summary),
                t(a.keywords.join(";")),
                t(v.owner_credit_code),
                t(v.owner_name),
                t(a.category),
                t(a.stage.unwrap_or_default()),
                a.trl.map(Cell::Int).unwrap_or(Cell::Empty),
                t(a.tech_field.unwrap_or_default()),
                t(a.chains.join(";")),
                t(a.transformation_modes.join(";")),
                t(a.ip_type.unwrap_or_default()),
                t(a.ip_numbers),
                t(a.discipline),
                a.price
                    .map(|p| Cell::Money { fen: p.0 })
                    .unwrap_or_else(|| t("面议".into())),
                t(a.completers.join(";")),
                t(a.status.as_str().into()),
                t(if stale { "1" } else { "0" }.into()),
                Cell::Int(i64::from(v.completeness)),
                t(a.published_at
                    .map(|s| s[..10].to_string())
                    .unwrap_or_default()),
                t(a.updated_at[..10].to_string()),
            ]
        })
        .collect();
    send_table(&ctx, "achievements", file, &EXPORT_HEADERS, cells)
}

/// Sends a table as CSV or XLSX.
pub(crate) fn send_table(
    ctx: &Ctx,
    name: &str,
    file: &str,
    headers: &[&str],
    cells: Vec<Vec<Cell>>,
) -> Response {
    if file == "csv" {
        let text: Vec<Vec<String>> = cells
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| match c {
                        Cell::Text(s) | Cell::Date(s) => s,
                        Cell::Int(n) => n.to_string(),
                        Cell::Money { fen } => chengguo_core::Fen(fen).to_string(),
                        _ => String::new(),
                    })
                    .collect()
            })
            .collect();
        download(
            &format!("{name}.csv"),
            "text/csv; charset=utf-8",
            chengguo_io::write_csv(headers, &text),
        )
    } else {
        match chengguo_io::write_xlsx(name, headers, &cells) {
            Ok(bytes) => download(
                &format!("{name}.xlsx"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bytes,
            ),
            Err(e) => ApiError::internal(e).into_page(ctx),
        }
    }
}

#[derive(Template)]
#[template(path = "ach_detail.html")]
struct DetailPage<'a> {
    ctx: &'a Ctx,
    row: Row,
    contacts: bool,
    can_edit: bool,
    actions: Vec<(String, String)>,
    attribute: String,
    level: String,
    ip_type: String,
    modes: String,
    division: String,
    completeness: u32,
    error: Option<String>,
    saved: bool,
    /// The "匹配推荐" section (signed-in viewers).
    matches_panel: String,
}

#[derive(Deserialize)]
struct DetailQuery {
    saved: Option<String>,
    error: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(dq): Query<DetailQuery>,
) -> Response {
    let actor = ctx.user.as_ref().map(|u| u.actor());
    let (v, scope) = match readable(&state, actor.as_ref(), id).await {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => return super::not_found(&ctx),
        Err(e) => return e.into_page(&ctx),
    };
    let cutoff = state
        .store
        .achievement_stale_cutoff()
        .await
        .unwrap_or_default();
    let a = &v.achievement;
    let actions = achievement::allowed_actions(actor.as_ref(), a.owner_org_id, a.status)
        .into_iter()
        .map(|x| {
            (
                x.as_str().to_string(),
                ctx.pick(x.zh(), x.as_str()).to_string(),
            )
        })
        .collect();
    let can_edit = actor
        .as_ref()
        .is_some_and(|ac| achievement::can_edit(ac, a.owner_org_id).is_ok());
    let source = Source::Achievement(Box::new(v.clone()));
    let matches_panel = super::matching::detail_panel(&state, &ctx, source).await;
    let t = DetailPage {
        matches_panel,
        attribute: code_name(&ctx, ATTRIBUTES, a.attribute.as_deref()),
        level: code_name(&ctx, LEVELS, a.level.as_deref()),
        ip_type: code_name(&ctx, refdata::ip_types(), a.ip_type.as_deref()),
        modes: a
            .transformation_modes
            .iter()
            .map(|m| code_name(&ctx, refdata::transformation_modes(), Some(m)))
            .collect::<Vec<_>>()
            .join("、"),
        division: refdata::full_name(&v.owner_division).unwrap_or_default(),
        completeness: v.completeness,
        contacts: scope.contacts,
        can_edit,
        actions,
        error: dq.error,
        saved: dq.saved.is_some(),
        row: Row::new(&ctx, v, &cutoff),
        ctx: &ctx,
    };
    render(&t)
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    next: String,
}

async fn take_action(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    ctx: Ctx,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Response {
    let Some(action) = AchievementAction::parse(&action) else {
        return super::not_found(&ctx);
    };
    let next = crate::redirect::same_origin_path(&f.next);
    let back = if next.starts_with("/achievements") {
        next
    } else {
        format!("/achievements/{id}")
    };
    let reason = Some(f.reason.as_str()).filter(|r| !r.trim().is_empty());
    match state
        .store
        .achievement_action(&auth.actor(), id, action, reason)
        .await
    {
        Ok(v) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            let done = if back.starts_with("/achievements/review") {
                format!("{sep}done={}", super::urlencode(&v.achievement.title))
            } else {
                format!("{sep}saved=1")
            };
            Redirect::to(&format!("{back}{done}")).into_response()
        }
        Err(RecordError::Field(fe)) => Redirect::to(&format!(
            "/achievements/{id}?error={}",
            super::urlencode(&fe.message)
        ))
        .into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

/// The values of the form, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct AchForm {
    #[serde(default)]
    owner_org_id: String,
    #[serde(default, rename = "ref")]
    reference: String,
    #[serde(default)]
    title: String,
    #[serde(default, rename = "abstract")]
    summary: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    trl: String,
    #[serde(default)]
    attribute: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    ip_type: String,
    #[serde(default)]
    ip_numbers: String,
    #[serde(default)]
    discipline: String,
    #[serde(default)]
    tech_field: String,
    #[serde(default)]
    industrial_chain: Vec<String>,
    #[serde(default)]
    transformation_modes: Vec<String>,
    #[serde(default)]
    price: String,
    #[serde(default)]
    completers: String,
    #[serde(default)]
    period_start: String,
    #[serde(default)]
    period_end: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    visibility: String,
}

impl AchForm {
    fn from_view(v: &AchievementView) -> AchForm {
        let a = &v.achievement;
        AchForm {
            owner_org_id: a.owner_org_id.to_string(),
            reference: a.reference.clone(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            keywords: a.keywords.join("；"),
            category: a.category.clone(),
            stage: a.stage.clone().unwrap_or_default(),
            trl: a.trl.map(|t| t.to_string()).unwrap_or_default(),
            attribute: a.attribute.clone().unwrap_or_default(),
            level: a.level.clone().unwrap_or_default(),
            ip_type: a.ip_type.clone().unwrap_or_default(),
            ip_numbers: a.ip_numbers.clone(),
            discipline: a.discipline.clone(),
            tech_field: a.tech_field.clone().unwrap_or_default(),
            industrial_chain: a.chains.clone(),
            transformation_modes: a.transformation_modes.clone(),
            price: a.price.map(|p| p.to_string()).unwrap_or_default(),
            completers: a.completers.join("；"),
            period_start: a.period_start.clone().unwrap_or_default(),
            period_end: a.period_end.clone().unwrap_or_default(),
            contact_name: a.contact_name.clone(),
            contact_phone: a.contact_phone.clone(),
            contact_email: a.contact_email.clone(),
            visibility: a.visibility.as_str().into(),
        }
    }
    fn input(&self, with_ref: bool) -> AchievementInput {
        let s = |v: &String| Some(v.clone());
        AchievementInput {
            reference: with_ref.then(|| self.reference.clone()),
            title: s(&self.title),
            summary: s(&self.summary),
            keywords: s(&self.keywords),
            category: s(&self.category),
            stage: s(&self.stage),
            trl: s(&self.trl),
            attribute: s(&self.attribute),
            level: s(&self.level),
            ip_type: s(&self.ip_type),
            ip_numbers: s(&self.ip_numbers),
            discipline: s(&self.discipline),
            tech_field: s(&self.tech_field),
            industrial_chain: Some(self.industrial_chain.join(";")),
            transformation_modes: Some(self.transformation_modes.join(";")),
            price: s(&self.price),
            completers: s(&self.completers),
            period_start: s(&self.period_start),
            period_end: s(&self.period_end),
            contact_name: s(&self.contact_name),
            contact_phone: s(&self.contact_phone),
            contact_email: s(&self.contact_email),
            visibility: s(&self.visibility),
        }
    }
}

#[derive(Template)]
#[template(path = "ach_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    id: Option<i64>,
    form: AchForm,
    errors: Vec<FieldError>,
    owners: Vec<Choice>,
    categories: Vec<Choice>,
    stages: Vec<Choice>,
    attributes: Vec<Choice>,
    levels: Vec<Choice>,
    ip_types: Vec<Choice>,
    fields: Vec<Choice>,
    chains: Vec<Choice>,
    modes: Vec<Choice>,
}

impl FormPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    fn chain_on(&self, v: &str) -> bool {
        self.form.industrial_chain.iter().any(|c| c == v)
    }
    fn mode_on(&self, v: &str) -> bool {
        self.form.transformation_modes.iter().any(|c| c == v)
    }
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    form: AchForm,
    errors: Vec<FieldError>,
) -> Response {
    // The bureau files for any unit; a unit for itself (no choice shown).
    let owners = if ctx.has("bureau") {
        state
            .store
            .list_orgs(&OrgQuery {
                limit: 10_000,
                ..Default::default()
            })
            .await
            .map(|p| {
                p.items
                    .into_iter()
                    .filter(|o| o.kind != OrgKind::Enterprise && o.kind != OrgKind::Government)
                    .map(|o| Choice {
                        value: o.id.to_string(),
                        label: o.name,
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec![]
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    with_status(
        render(&FormPage {
            owners,
            categories: choices(ctx, refdata::achievement_categories()),
            stages: choices(ctx, refdata::stages()),
            attributes: choices(ctx, ATTRIBUTES),
            levels: choices(ctx, LEVELS),
            ip_types: choices(ctx, refdata::ip_types()),
            fields: choices(ctx, refdata::tech_fields()),
            chains: choices(ctx, refdata::chains().items),
            modes: choices(ctx, refdata::transformation_modes()),
            ctx,
            id,
            form,
            errors,
        }),
        status,
    )
}

/// Forms send repeated checkbox fields; serde_urlencoded wants them gathered into lists.
fn parse_form(body: &[u8]) -> Result<AchForm, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| e.to_string())?;
    let mut f = AchForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "owner_org_id" => f.owner_org_id = v,
            "ref" => f.reference = v,
            "title" => f.title = v,
            "abstract" => f.summary = v,
            "keywords" => f.keywords = v,
            "category" => f.category = v,
            "stage" => f.stage = v,
            "trl" => f.trl = v,
            "attribute" => f.attribute = v,
            "level" => f.level = v,
            "ip_type" => f.ip_type = v,
            "ip_numbers" => f.ip_numbers = v,
            "discipline" => f.discipline = v,
            "tech_field" => f.tech_field = v,
            "industrial_chain" => f.industrial_chain.push(v),
            "transformation_modes" => f.transformation_modes.push(v),
            "price" => f.price = v,
            "completers" => f.completers = v,
            "period_start" => f.period_start = v,
            "period_end" => f.period_end = v,
            "contact_name" => f.contact_name = v,
            "contact_phone" => f.contact_phone = v,
            "contact_email" => f.contact_email = v,
            "visibility" => f.visibility = v,
            _ => {}
        }
    }
    Ok(f)
}

/// The form of a request, after its CSRF check.
async fn read_form(headers: &HeaderMap, body: &[u8]) -> Result<AchForm, Response> {
    #[derive(Deserialize)]
    struct C {
        #[serde(default)]
        csrf: String,
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()).into_response())?;
    let c = C {
        csrf: pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    };
    check_csrf(headers, &c.csrf)?;
    parse_form(body).map_err(|e| (StatusCode::BAD_REQUEST, e).into_response())
}

async fn new_form(State(state): State<AppState>, _auth: Auth<Filers>, ctx: Ctx) -> Response {
    let form = AchForm {
        category: "applied".into(),
        visibility: "public".into(),
        ..Default::default()
    };
    form_page(&state, &ctx, None, form, vec![]).await
}

async fn create(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    ctx: Ctx,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form = match read_form(&headers, &body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let actor = auth.actor();
    let owner = if actor.is_bureau() {
        form.owner_org_id.parse::<i64>().ok()
    } else {
        actor.org_id
    };
    let mut errors = Vec::new();
    if owner.is_none() {
        errors.push(FieldError::new("owner_org_id", "必填 / is required"));
    }
    match (form.input(true).into_new(), owner) {
        (Ok(new), Some(owner)) if errors.is_empty() => {
            match state.store.create_achievement(&actor, owner, &new).await {
                Ok(v) => Redirect::to(&format!("/achievements/{}?saved=1", v.achievement.id))
                    .into_response(),
                Err(RecordError::Store(chengguo_store::StoreError::Conflict { field, value })) => {
                    let msg = format!("{value} 已存在 / already exists");
                    form_page(&state, &ctx, None, form, vec![FieldError::new(field, msg)]).await
                }
                Err(e) => ApiError::from(e).into_page(&ctx),
            }
        }
        (Ok(_), _) => form_page(&state, &ctx, None, form, errors).await,
        (Err(errs), _) => {
            errors.extend(errs);
            form_page(&state, &ctx, None, form, errors).await
        }
    }
}

async fn edit_form(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Response {
    match state.store.get_achievement(id).await {
        Ok(Some(v)) => {
            if let Err(d) = achievement::can_edit(&auth.actor(), v.achievement.owner_org_id) {
                return ApiError::forbidden(d.to_string()).into_page(&ctx);
            }
            form_page(&state, &ctx, Some(id), AchForm::from_view(&v), vec![]).await
        }
        Ok(None) => super::not_found(&ctx),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

async fn update(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    ctx: Ctx,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // The row rule first: a refused caller gets a 403, not a form re-rendered with errors.
    match state.store.get_achievement(id).await {
        Ok(Some(v)) => {
            if let Err(d) = achievement::can_edit(&auth.actor(), v.achievement.owner_org_id) {
                return ApiError::forbidden(d.to_string()).into_page(&ctx);
            }
        }
        Ok(None) => return super::not_found(&ctx),
        Err(e) => return ApiError::from(e).into_page(&ctx),
    }
    let form = match read_form(&headers, &body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let patch = match form.input(false).into_patch() {
        Ok(p) => p,
        Err(errors) => return form_page(&state, &ctx, Some(id), form, errors).await,
    };
    match state
        .store
        .update_achievement(&auth.actor(), id, &patch)
        .await
    {
        Ok(_) => Redirect::to(&format!("/achievements/{id}?saved=1")).into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

// ---- scores, rewards, publication counter ----

pub struct ScoreRow {
    pub rank: usize,
    pub org_id: i64,
    pub name: String,
    pub kind: String,
    pub total: String,
    pub completeness: String,
    pub timeliness: String,
    pub quality: String,
    pub volume: String,
    pub filings: u32,
    pub published: u32,
    pub returns: u32,
    pub reward: String,
}

#[derive(Template)]
#[template(path = "ach_scores.html")]
struct ScoresPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<ScoreRow>,
    reward_total: String,
    rule: String,
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

async fn score_rows(state: &AppState, ctx: &Ctx) -> Result<(Vec<ScoreRow>, String), ApiError> {
    let list = state.store.unit_scores(today()).await?;
    let rewards = reward_list(state).await?;
    let mut total = chengguo_core::Fen::ZERO;
    for r in &rewards {
        total += chengguo_core::Fen::parse_yuan(&r.amount).unwrap_or_default();
    }
    let rows = list
        .into_iter()
        .enumerate()
        .map(|(i, u)| ScoreRow {
            rank: i + 1,
            org_id: u.org_id,
            kind: ctx.pick(u.kind.zh(), u.kind.en()).into(),
            total: format!("{:.1}", u.score.total),
            completeness: pct(u.score.completeness),
            timeliness: pct(u.score.timeliness),
            quality: pct(u.score.quality),
            volume: pct(u.score.volume),
            filings: u.score.filings,
            published: u.score.published,
            returns: u.score.returns,
            reward: rewards
                .iter()
                .find(|r| r.org_id == u.org_id)
                .map(|r| r.amount.clone())
                .unwrap_or_default(),
            name: u.name,
        })
        .collect();
    Ok((rows, total.to_display()))
}

async fn scores(State(state): State<AppState>, ctx: Ctx) -> Response {
    let (rows, reward_total) = match score_rows(&state, &ctx).await {
        Ok(x) => x,
        Err(e) => return e.into_page(&ctx),
    };
    let rule = state
        .store
        .reward_rule()
        .await
        .map(|r| {
            let tiers: Vec<String> = r
                .tiers
                .iter()
                .map(|t| {
                    format!(
                        "{} {}：{} {}",
                        ctx.pick("前", "top"),
                        t.top,
                        t.amount_yuan,
                        ctx.pick("元", "yuan")
                    )
                })
                .collect();
            format!(
                "{}{}；{} ≥ {}，{} ≥ {}；{} {} {}",
                ctx.pick("奖励规则：", "Reward rule: "),
                tiers.join("，"),
                ctx.pick("得分", "score"),
                r.min_score,
                ctx.pick("备案数", "filings"),
                r.min_filings,
                ctx.pick("每单位上限", "cap per unit"),
                r.cap_yuan,
                ctx.pick("元", "yuan")
            )
        })
        .unwrap_or_default();
    render(&ScoresPage {
        ctx: &ctx,
        rows,
        reward_total,
        rule,
    })
}

const SCORE_HEADERS: [&str; 12] = [
    "rank",
    "organization",
    "kind",
    "score",
    "completeness",
    "timeliness",
    "quality",
    "volume",
    "filings",
    "published",
    "returns",
    "reward_yuan",
];

async fn scores_xlsx(State(state): State<AppState>, ctx: Ctx) -> Response {
    let (rows, _) = match score_rows(&state, &ctx).await {
        Ok(x) => x,
        Err(e) => return e.into_page(&ctx),
    };
    let cells = rows
        .into_iter()
        .map(|r| {
            vec![
                Cell::Int(r.rank as i64),
                Cell::Text(r.name),
                Cell::Text(r.kind),
                Cell::Text(r.total),
                Cell::Text(r.completeness),
                Cell::Text(r.timeliness),
                Cell::Text(r.quality),
                Cell::Text(r.volume),
                Cell::Int(i64::from(r.filings)),
                Cell::Int(i64::from(r.published)),
                Cell::Int(i64::from(r.returns)),
                chengguo_core::Fen::parse_yuan(&r.reward)
                    .map(|f| Cell::Money { fen: f.0 })
                    .unwrap_or(Cell::Empty),
            ]
        })
        .collect();
    send_table(&ctx, "record-keeping-scores", "xlsx", &SCORE_HEADERS, cells)
}

const REWARD_HEADERS: [&str; 5] = ["rank", "organization", "org_id", "score", "reward_yuan"];

async fn rewards_xlsx(State(state): State<AppState>, _auth: Auth<Bureau>, ctx: Ctx) -> Response {
    let list = match reward_list(&state).await {
        Ok(l) => l,
        Err(e) => return e.into_page(&ctx),
    };
    let cells = list
        .into_iter()
        .map(|r| {
            vec![
                Cell::Int(i64::from(r.rank)),
                Cell::Text(r.name),
                Cell::Int(r.org_id),
                Cell::Text(format!("{:.1}", r.score)),
                chengguo_core::Fen::parse_yuan(&r.amount)
                    .map(|f| Cell::Money { fen: f.0 })
                    .unwrap_or(Cell::Empty),
            ]
        })
        .collect();
    send_table(&ctx, "rewards", "xlsx", &REWARD_HEADERS, cells)
}

pub struct YearRow {
    pub year: String,
    pub published: i64,
    pub percent: i64,
    pub units: Vec<(String, i64)>,
}

#[derive(Template)]
#[template(path = "ach_publications.html")]
struct PublicationsPage<'a> {
    ctx: &'a Ctx,
    years: Vec<YearRow>,
    target: i64,
    chart: String,
}

async fn publications(State(state): State<AppState>, ctx: Ctx) -> Response {
    let years = match publication_years(&state).await {
        Ok(y) => y,
        Err(e) => return e.into_page(&ctx),
    };
    let mut series: Vec<(String, i64)> = years
        .iter()
        .map(|y| (y.year.clone(), y.published))
        .collect();
    series.sort();
    let chart = crate::charts::hbar(
        ctx.pick("每年发布成果数", "Achievements published per year"),
        &series,
        560.0,
        ctx.pick("暂无数据", "No data yet"),
    );
    let years = years
        .into_iter()
        .map(|y| YearRow {
            percent: y.published * 100 / PUBLICATION_TARGET_PER_YEAR,
            year: y.year,
            published: y.published,
            units: y.units.into_iter().map(|u| (u.name, u.published)).collect(),
        })
        .collect();
    render(&PublicationsPage {
        ctx: &ctx,
        years,
        target: PUBLICATION_TARGET_PER_YEAR,
        chart,
    })
}

// ---- import (achievements and demands) ----

#[derive(Template)]
#[template(path = "record_import.html")]
pub(crate) struct ImportPage<'a> {
    pub ctx: &'a Ctx,
    /// `/achievements` or `/demands`
    pub base: &'a str,
    pub title: &'a str,
    pub columns: &'a str,
    pub report: Option<ImportReport>,
    pub filename: String,
    pub upload_id: Option<String>,
    pub done: bool,
}

/// Which records an upload holds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Achievements,
    Demands,
}

impl Kind {
    fn base(self) -> &'static str {
        match self {
            Kind::Achievements => "/achievements",
            Kind::Demands => "/demands",
        }
    }
    fn slug(self) -> &'static str {
        match self {
            Kind::Achievements => "achievements",
            Kind::Demands => "demands",
        }
    }
    fn title(self, ctx: &Ctx) -> &'static str {
        match self {
            Kind::Achievements => ctx.pick("批量导入科技成果", "Import achievements"),
            Kind::Demands => ctx.pick("批量导入技术需求", "Import demands"),
        }
    }
    fn columns(self, ctx: &Ctx) -> &'static str {
        match self {
            Kind::Achievements => ctx.pick(
                "必填列：ref（成果编号）、title（成果名称）、owner_credit_code（完成单位统一社会信用代码）；常用列：abstract、keywords（以；、, 分隔）、category、stage、tech_field、industrial_chain、ip_type、status（仅科技局可导入 published）。同一单位的同一编号再次导入将更新该记录。详见 docs/formats.md。",
                "Required: ref, title, owner_credit_code; usual: abstract, keywords (separated by ; 、 ,), category, stage, tech_field, industrial_chain, ip_type, status (published for bureau imports only). Importing the same ref of the same owner again updates the record. See docs/formats.md.",
            ),
            Kind::Demands => ctx.pick(
                "必填列：ref（需求编号）、title（需求名称）、owner_credit_code（企业统一社会信用代码）；常用列：description、keywords、industrial_chain、tech_field、budget_min、budget_max、deadline、cooperation_mode、district、visibility、status。详见 docs/formats.md。",
                "Required: ref, title, owner_credit_code; usual: description, keywords, industrial_chain, tech_field, budget_min, budget_max, deadline, cooperation_mode, district, visibility, status. See docs/formats.md.",
            ),
        }
    }
    fn allowed(self, ctx: &Ctx) -> bool {
        match self {
            Kind::Achievements => ctx.has("bureau") || ctx.has("unit"),
            Kind::Demands => ctx.has("bureau") || ctx.has("enterprise"),
        }
    }
}

fn import_page(
    ctx: &Ctx,
    kind: Kind,
    report: Option<ImportReport>,
    filename: String,
    upload_id: Option<String>,
    done: bool,
) -> Response {
    let status = match &report {
        Some(r) if !r.ok() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    with_status(
        render(&ImportPage {
            ctx,
            base: kind.base(),
            title: kind.title(ctx),
            columns: kind.columns(ctx),
            report,
            filename,
            upload_id,
            done,
        }),
        status,
    )
}

fn refuse(ctx: &Ctx, kind: Kind) -> Option<Response> {
    (!kind.allowed(ctx)).then(|| {
        ApiError::forbidden(match kind {
            Kind::Achievements => "this needs one of the roles: bureau, unit",
            Kind::Demands => "this needs one of the roles: bureau, enterprise",
        })
        .into_page(ctx)
    })
}

pub(crate) async fn import_form(ctx: Ctx, kind: Kind) -> Response {
    if let Some(r) = refuse(&ctx, kind) {
        return r;
    }
    import_page(&ctx, kind, None, String::new(), None, false)
}

async fn run_import(
    state: &AppState,
    actor: &chengguo_core::Actor,
    kind: Kind,
    bytes: &[u8],
    filename: &str,
    dry_run: bool,
) -> Result<ImportReport, chengguo_store::StoreError> {
    let format = detect_format(Some(filename), bytes);
    let limits = state.config.limits();
    match kind {
        Kind::Achievements => {
            import_achievements(&state.store, actor, bytes, format, &limits, dry_run).await
        }
        Kind::Demands => import_demands(&state.store, actor, bytes, format, &limits, dry_run).await,
    }
}

/// Receives the upload and shows its preview; keeps a clean file for the confirmation step.
pub(crate) async fn import_preview(
    state: AppState,
    user: chengguo_store::User,
    ctx: Ctx,
    headers: HeaderMap,
    mut mp: Multipart,
    kind: Kind,
) -> Response {
    if let Some(r) = refuse(&ctx, kind) {
        return r;
    }
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let filename = field.file_name().map(str::to_string);
                match field.bytes().await {
                    Ok(b) if name == "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) if name == "file" => {
                        file = Some((filename.unwrap_or_default(), b.to_vec()))
                    }
                    Ok(_) => {}
                    Err(e) => return crate::imports::upload_error_page(&e, &state, &ctx),
                }
            }
            Ok(None) => break,
            Err(e) => return crate::imports::upload_error_page(&e, &state, &ctx),
        }
    }
    if let Err(r) = check_csrf(&headers, &csrf) {
        return r;
    }
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let report = ImportReport {
            problems: vec![ImportProblem {
                row: 0,
                column: "file".into(),
                message: ctx.pick("请选择一个文件。", "Choose a file.").into(),
            }],
            ..Default::default()
        };
        return import_page(&ctx, kind, Some(report), String::new(), None, false);
    };
    let report = match run_import(&state, &user.actor(), kind, &bytes, &filename, true).await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let upload_id = if report.ok() {
        match state
            .store
            .save_upload(user.id, kind.slug(), &filename, &bytes)
            .await
        {
            Ok(id) => Some(id),
            Err(e) => return ApiError::from(e).into_page(&ctx),
        }
    } else {
        None
    };
    import_page(&ctx, kind, Some(report), filename, upload_id, false)
}

pub(crate) async fn import_commit(
    state: AppState,
    user: chengguo_store::User,
    ctx: Ctx,
    upload_id: String,
    kind: Kind,
) -> Response {
    if let Some(r) = refuse(&ctx, kind) {
        return r;
    }
    let upload = match state.store.get_upload(user.id, &upload_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return super::not_found(&ctx),
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let report = match run_import(
        &state,
        &user.actor(),
        kind,
        &upload.bytes,
        &upload.filename,
        false,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let _ = state.store.delete_upload(&upload.id).await;
    import_page(&ctx, kind, Some(report), upload.filename, None, true)
}

#[derive(Deserialize)]
pub(crate) struct Csrf {
    #[allow(dead_code)]
    csrf: String,
}

async fn ach_import_form(_auth: Auth<Filers>, ctx: Ctx) -> Response {
    import_form(ctx, Kind::Achievements).await
}

async fn ach_import_preview(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    ctx: Ctx,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    import_preview(state, auth.user, ctx, headers, mp, Kind::Achievements).await
}

async fn ach_import_commit(
    State(state): State<AppState>,
    auth: Auth<Filers>,
    ctx: Ctx,
    Path(upload): Path<String>,
    CsrfForm(_): CsrfForm<Csrf>,
) -> Response {
    import_commit(state, auth.user, ctx, upload, Kind::Achievements).await
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/achievements", get(list))
        .route("/achievements/export.csv", get(export_csv))
        .route("/achievements/export.xlsx", get(export_xlsx))
        .route("/achievements/mine", get(mine))
        .route("/achievements/review", get(review))
        .route("/achievements/new", get(new_form).post(create))
        .route(
            "/achievements/import",
            get(ach_import_form).post(ach_import_preview),
        )
        .route(
            "/achievements/import/{upload}/commit",
            post(ach_import_commit),
        )
        .route("/achievements/scores", get(scores))
        .route("/achievements/scores/export.xlsx", get(scores_xlsx))
        .route("/achievements/rewards.xlsx", get(rewards_xlsx))
        .route("/achievements/publications", get(publications))
        .route("/achievements/{id}", get(detail))
        .route("/achievements/{id}/edit", get(edit_form).post(update))
        .route("/achievements/{id}/actions/{action}", post(take_action))
}
