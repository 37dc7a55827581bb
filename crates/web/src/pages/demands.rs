//! Demand pages: the public listing and detail (contacts hidden from anonymous visitors,
//! restricted demands only for brokers and the bureau), an enterprise's "my demands", the
//! create/edit form, workflow buttons, CSV/XLSX exports and the import upload.

use super::achievements::{
    chain_names, choices, district_choices, import_commit, import_form, import_preview, send_table,
    with_status, Csrf, Kind,
};
use super::orgs::Choice;
use super::{render, sort_href, Ctx, Pager};
use crate::api::demands::{demand_query, readable, today_str, DemandListParams, Posters};
use crate::api::matching::Source;
use crate::api::Paging;
use crate::auth::{Auth, CsrfForm};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chengguo_core::demand::{self, DemandAction, DemandInput, DemandStatus, COOPERATION_MODES};
use chengguo_core::{refdata, FieldError, OrgKind};
use chengguo_io::Cell;
use chengguo_store::{DemandView, OrgQuery, RecordError};
use serde::Deserialize;

pub struct Row {
    pub v: DemandView,
    pub status: DemandStatus,
    pub status_name: String,
    pub chain_name: String,
    pub field_name: String,
    pub mode_name: String,
    pub district_name: String,
    pub budget: String,
}

impl Row {
    fn new(ctx: &Ctx, v: DemandView) -> Row {
        let d = &v.demand;
        let status = d.effective_status(&today_str());
        let yuan = |f: Option<chengguo_core::Fen>| f.map(|f| f.to_display());
        let budget = match (yuan(d.budget_min), yuan(d.budget_max)) {
            (Some(a), Some(b)) => format!("{a} – {b}"),
            (Some(a), None) => format!("≥ {a}"),
            (None, Some(b)) => format!("≤ {b}"),
            (None, None) => ctx.pick("面议", "Negotiable").into(),
        };
        let name = |list: &[refdata::Code], c: Option<&str>| {
            c.and_then(|c| refdata::lookup(list, c))
                .map(|c| ctx.pick(c.zh, c.en).to_string())
                .unwrap_or_default()
        };
        Row {
            status_name: ctx.pick(status.zh(), status.en()).into(),
            status,
            chain_name: chain_names(ctx, d.chain.as_slice()),
            field_name: name(refdata::tech_fields(), d.tech_field.as_deref()),
            mode_name: name(COOPERATION_MODES, d.cooperation_mode.as_deref()),
            district_name: refdata::division(&d.district)
                .map(|x| x.name.to_string())
                .unwrap_or_default(),
            budget,
            v,
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    chain: Option<String>,
    field: Option<String>,
    district: Option<String>,
    owner: Option<i64>,
    sort: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl ListQuery {
    fn params(&self) -> (DemandListParams, Paging) {
        (
            DemandListParams {
                q: self.q.clone(),
                status: self.status.clone(),
                owner: self.owner,
                chain: self.chain.clone(),
                field: self.field.clone(),
                district: self.district.clone(),
                include_expired: None,
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
#[template(path = "dem_list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    title: &'a str,
    base: &'a str,
    mode: &'a str,
    rows: Vec<Row>,
    pager: Pager,
    lq: ListQuery,
    sort: String,
    statuses: Vec<Choice>,
    chains: Vec<Choice>,
    fields: Vec<Choice>,
    districts: Vec<Choice>,
    export_query: String,
    error: Option<String>,
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

async fn list_page(state: &AppState, ctx: &Ctx, mut lq: ListQuery, mode: &str) -> Response {
    let actor = ctx.user.as_ref().map(|u| u.actor());
    if mode == "mine" {
        lq.owner = actor.as_ref().and_then(|a| a.org_id);
        if lq.sort.is_none() {
            lq.sort = Some("-updated_at".into());
        }
    }
    let (params, paging) = lq.params();
    let (page, error) = match demand_query(&params, &paging, actor.as_ref()) {
        Ok(q) => match state.store.list_demands(&q).await {
            Ok(p) => (p, None),
            Err(e) => return ApiError::from(e).into_page(ctx),
        },
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
        "mine" => (ctx.pick("我的需求", "My demands"), "/demands/mine"),
        _ => (ctx.pick("技术需求", "Technical demands"), "/demands"),
    };
    render(&ListPage {
        pager: Pager::new(&ctx.here, page.total, page.limit, page.offset),
        rows: page.items.into_iter().map(|v| Row::new(ctx, v)).collect(),
        sort: lq.sort.clone().unwrap_or_else(|| "-published_at".into()),
        lq,
        statuses: DemandStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: ctx.pick(s.zh(), s.en()).into(),
            })
            .collect(),
        chains: choices(ctx, refdata::chains().items),
        fields: choices(ctx, refdata::tech_fields()),
        districts: district_choices(),
        export_query,
        error,
        title,
        base,
        mode,
        ctx,
    })
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(lq): Query<ListQuery>) -> Response {
    list_page(&state, &ctx, lq, "public").await
}

async fn mine(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    ctx: Ctx,
    Query(lq): Query<ListQuery>,
) -> Response {
    if auth.user.org_id.is_none() {
        return ApiError::forbidden("this account belongs to no organization").into_page(&ctx);
    }
    list_page(&state, &ctx, lq, "mine").await
}

const EXPORT_HEADERS: [&str; 16] = [
    "ref",
    "title",
    "description",
    "keywords",
    "owner_credit_code",
    "owner_name",
    "industrial_chain",
    "tech_field",
    "budget_min",
    "budget_max",
    "deadline",
    "cooperation_mode",
    "district",
    "visibility",
    "status",
    "published_at",
];

async fn export_csv(state: State<AppState>, ctx: Ctx, lq: Query<ListQuery>) -> Response {
    export(state, ctx, "csv", lq).await
}

async fn export_xlsx(state: State<AppState>, ctx: Ctx, lq: Query<ListQuery>) -> Response {
    export(state, ctx, "xlsx", lq).await
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    file: &str,
    Query(lq): Query<ListQuery>,
) -> Response {
    let actor = ctx.user.as_ref().map(|u| u.actor());
    let (params, _) = lq.params();
    let mut q = match demand_query(
        &params,
        &Paging {
            limit: None,
            offset: None,
        },
        actor.as_ref(),
    ) {
        Ok(q) => q,
        Err(e) => return e.into_page(&ctx),
    };
    q.limit = 10_000;
    let mut rows = Vec::new();
    loop {
        match state.store.list_demands(&q).await {
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
    let today = today_str();
    let cells = rows
        .into_iter()
        .map(|v| {
            let status = v.demand.effective_status(&today);
            let d = v.demand;
            let t = Cell::Text;
            let money = |f: Option<chengguo_core::Fen>| {
                f.map(|f| Cell::Money { fen: f.0 }).unwrap_or(Cell::Empty)
            };
            vec![
                t(d.reference),
                t(d.title),
                t(d.description),
                t(d.keywords.join(";")),
                t(v.owner_credit_code),
                t(v.owner_name),
                t(d.chain.unwrap_or_default()),
                t(d.tech_field.unwrap_or_default()),
                money(d.budget_min),
                money(d.budget_max),
                d.deadline.map(Cell::Date).unwrap_or(Cell::Empty),
                t(d.cooperation_mode.unwrap_or_default()),
                t(d.district),
                t(d.visibility.as_str().into()),
                t(status.as_str().into()),
                t(d.published_at
                    .map(|s| s[..10].to_string())
                    .unwrap_or_default()),
            ]
        })
        .collect();
    send_table(&ctx, "demands", file, &EXPORT_HEADERS, cells)
}

#[derive(Template)]
#[template(path = "dem_detail.html")]
struct DetailPage<'a> {
    ctx: &'a Ctx,
    row: Row,
    contacts: bool,
    can_edit: bool,
    actions: Vec<(String, String)>,
    saved: bool,
    /// The "匹配推荐" section (signed-in viewers).
    matches_panel: String,
}

#[derive(Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(s): Query<Saved>,
) -> Response {
    let actor = ctx.user.as_ref().map(|u| u.actor());
    let (v, scope) = match readable(&state, actor.as_ref(), id).await {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => return super::not_found(&ctx),
        Err(e) => return e.into_page(&ctx),
    };
    let d = &v.demand;
    let actions = demand::allowed_actions(actor.as_ref(), d.owner_org_id, d.status)
        .into_iter()
        .map(|a| {
            (
                a.as_str().to_string(),
                ctx.pick(a.zh(), a.as_str()).to_string(),
            )
        })
        .collect();
    let can_edit = actor
        .as_ref()
        .is_some_and(|a| demand::can_edit(a, d.owner_org_id).is_ok());
    let source = Source::Demand(Box::new(v.clone()));
    let matches_panel = super::matching::detail_panel(&state, &ctx, source).await;
    render(&DetailPage {
        matches_panel,
        contacts: scope.contacts,
        can_edit,
        actions,
        saved: s.saved.is_some(),
        row: Row::new(&ctx, v),
        ctx: &ctx,
    })
}

async fn take_action(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    ctx: Ctx,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(_): CsrfForm<Csrf>,
) -> Response {
    let Some(action) = DemandAction::parse(&action) else {
        return super::not_found(&ctx);
    };
    match state.store.demand_action(&auth.actor(), id, action).await {
        Ok(_) => Redirect::to(&format!("/demands/{id}?saved=1")).into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct DemForm {
    #[serde(default)]
    owner_org_id: String,
    #[serde(default, rename = "ref")]
    reference: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    industrial_chain: String,
    #[serde(default)]
    tech_field: String,
    #[serde(default)]
    budget_min: String,
    #[serde(default)]
    budget_max: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    cooperation_mode: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
}

impl DemForm {
    fn from_view(v: &DemandView) -> DemForm {
        let d = &v.demand;
        let y = |f: Option<chengguo_core::Fen>| f.map(|f| f.to_string()).unwrap_or_default();
        DemForm {
            owner_org_id: d.owner_org_id.to_string(),
            reference: d.reference.clone(),
            title: d.title.clone(),
            description: d.description.clone(),
            keywords: d.keywords.join("；"),
            industrial_chain: d.chain.clone().unwrap_or_default(),
            tech_field: d.tech_field.clone().unwrap_or_default(),
            budget_min: y(d.budget_min),
            budget_max: y(d.budget_max),
            deadline: d.deadline.clone().unwrap_or_default(),
            cooperation_mode: d.cooperation_mode.clone().unwrap_or_default(),
            district: d.district.clone(),
            visibility: d.visibility.as_str().into(),
            contact_name: d.contact_name.clone(),
            contact_phone: d.contact_phone.clone(),
        }
    }
    fn input(&self, with_ref: bool) -> DemandInput {
        let s = |v: &String| Some(v.clone());
        DemandInput {
            reference: with_ref.then(|| self.reference.clone()),
            title: s(&self.title),
            description: s(&self.description),
            keywords: s(&self.keywords),
            industrial_chain: s(&self.industrial_chain),
            tech_field: s(&self.tech_field),
            budget_min: s(&self.budget_min),
            budget_max: s(&self.budget_max),
            deadline: s(&self.deadline),
            cooperation_mode: s(&self.cooperation_mode),
            district: s(&self.district),
            visibility: s(&self.visibility),
            contact_name: s(&self.contact_name),
            contact_phone: s(&self.contact_phone),
        }
    }
}

#[derive(Template)]
#[template(path = "dem_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    id: Option<i64>,
    form: DemForm,
    errors: Vec<FieldError>,
    owners: Vec<Choice>,
    chains: Vec<Choice>,
    fields: Vec<Choice>,
    modes: Vec<Choice>,
    districts: Vec<Choice>,
}

impl FormPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    form: DemForm,
    errors: Vec<FieldError>,
) -> Response {
    let owners = if ctx.has("bureau") {
        state
            .store
            .list_orgs(&OrgQuery {
                kind: Some(OrgKind::Enterprise),
                limit: 10_000,
                ..Default::default()
            })
            .await
            .map(|p| {
                p.items
                    .into_iter()
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
            chains: choices(ctx, refdata::chains().items),
            fields: choices(ctx, refdata::tech_fields()),
            modes: choices(ctx, COOPERATION_MODES),
            districts: district_choices(),
            ctx,
            id,
            form,
            errors,
        }),
        status,
    )
}

async fn new_form(State(state): State<AppState>, _auth: Auth<Posters>, ctx: Ctx) -> Response {
    let form = DemForm {
        visibility: "public".into(),
        ..Default::default()
    };
    form_page(&state, &ctx, None, form, vec![]).await
}

async fn create(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<DemForm>,
) -> Response {
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
            match state.store.create_demand(&actor, owner, &new).await {
                Ok(v) => Redirect::to(&format!("/demands/{}?saved=1", v.demand.id)).into_response(),
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
    auth: Auth<Posters>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Response {
    match state.store.get_demand(id).await {
        Ok(Some(v)) => {
            if let Err(d) = demand::can_edit(&auth.actor(), v.demand.owner_org_id) {
                return ApiError::forbidden(d.to_string()).into_page(&ctx);
            }
            form_page(&state, &ctx, Some(id), DemForm::from_view(&v), vec![]).await
        }
        Ok(None) => super::not_found(&ctx),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

async fn update(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DemForm>,
) -> Response {
    // The row rule first: a refused caller gets a 403, not a form re-rendered with errors.
    match state.store.get_demand(id).await {
        Ok(Some(v)) => {
            if let Err(d) = demand::can_edit(&auth.actor(), v.demand.owner_org_id) {
                return ApiError::forbidden(d.to_string()).into_page(&ctx);
            }
        }
        Ok(None) => return super::not_found(&ctx),
        Err(e) => return ApiError::from(e).into_page(&ctx),
    }
    let new = match form.input(false).into_new() {
        Ok(n) => n,
        Err(errors) => return form_page(&state, &ctx, Some(id), form, errors).await,
    };
    match state.store.update_demand(&auth.actor(), id, &new).await {
        Ok(_) => Redirect::to(&format!("/demands/{id}?saved=1")).into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

async fn dem_import_form(_auth: Auth<Posters>, ctx: Ctx) -> Response {
    import_form(ctx, Kind::Demands).await
}

async fn dem_import_preview(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    ctx: Ctx,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    import_preview(state, auth.user, ctx, headers, mp, Kind::Demands).await
}

async fn dem_import_commit(
    State(state): State<AppState>,
    auth: Auth<Posters>,
    ctx: Ctx,
    Path(upload): Path<String>,
    CsrfForm(_): CsrfForm<Csrf>,
) -> Response {
    import_commit(state, auth.user, ctx, upload, Kind::Demands).await
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/demands", get(list))
        .route("/demands/export.csv", get(export_csv))
        .route("/demands/export.xlsx", get(export_xlsx))
        .route("/demands/mine", get(mine))
        .route("/demands/new", get(new_form).post(create))
        .route(
            "/demands/import",
            get(dem_import_form).post(dem_import_preview),
        )
        .route("/demands/import/{upload}/commit", post(dem_import_commit))
        .route("/demands/{id}", get(detail))
        .route("/demands/{id}/edit", get(edit_form).post(update))
        .route("/demands/{id}/actions/{action}", post(take_action))
}
