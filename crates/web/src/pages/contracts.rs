//! Contract pages: 我的合同 (the contracts an account's organization is party to, or all of them
//! for the bureau), the submission form with inline errors, the contract with its history and
//! action buttons, the registrar's queue with deadlines in working days, the import upload with
//! its preview, and the bureau's statistics with SVG charts and drill-down lists.

use super::{render, Ctx, Pager};
use crate::api::contracts::{
    compute_stats, contract_query, period, queue_items, records_query, records_xlsx,
    ContractListParams, RecordsParams, Rules, StatsOut, StatsParams,
};
use crate::api::Paging;
use crate::auth::{
    check_csrf, AnyAccount, Auth, Bureau, ContractWriter, CsrfForm, RegistrarOnly, StatsReader,
};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::imports::contracts::{import_contracts, ContractImportReport};
use crate::imports::detect_format;
use crate::pages::orgs::{download, Choice};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chengguo_core::contract::{ContractAction, ContractInput, ContractStatus, PaymentInput};
use chengguo_core::{refdata, Fen, FieldError};
use chengguo_store::{today_cn, Contract, ContractEvent, Measure, StoreError};
use serde::Deserialize;

fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}

fn code_name(ctx: &Ctx, list: &'static [refdata::Code], code: &str) -> String {
    refdata::lookup(list, code)
        .map(|c| ctx.pick(c.zh, c.en).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn choices(ctx: &Ctx, list: &'static [refdata::Code], top_only: bool) -> Vec<Choice> {
    list.iter()
        .filter(|c| !top_only || c.parent.is_none())
        .map(|c| Choice {
            value: c.code.into(),
            label: ctx.pick(c.zh, c.en).into(),
        })
        .collect()
}

/// A contract as a row of a page.
pub struct Row {
    pub c: Contract,
    pub category: String,
    pub status: String,
    pub amount: String,
    pub tx: String,
    /// Deadline, working days left, overdue (in review only).
    pub deadline: Option<(String, i64, bool)>,
}

impl Row {
    fn new(ctx: &Ctx, rules: &Rules, c: Contract) -> Row {
        let deadline = rules
            .deadline(&c, today_cn())
            .map(|(d, _)| (d.deadline.to_string(), d.working_days_left, d.overdue));
        Row {
            category: code_name(ctx, refdata::contract_categories(), &c.category),
            status: ctx.pick(c.status.zh(), c.status.en()).to_string(),
            amount: c.contract_amount.to_display(),
            tx: c.tech_transaction_amount.to_display(),
            deadline,
            c,
        }
    }
    pub fn status_class(&self) -> &'static str {
        match self.c.status {
            ContractStatus::Registered | ContractStatus::Changed => "ok",
            ContractStatus::Rejected | ContractStatus::Cancelled => "err",
            _ => "",
        }
    }
}

// ------------------------------------------------------------------------------------------
// 我的合同

#[derive(Template)]
#[template(path = "contracts_list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<Row>,
    pager: Pager,
    q: String,
    status: String,
    statuses: Vec<Choice>,
    can_create: bool,
    title: &'a str,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    offset: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    ctx: Ctx,
    Query(lq): Query<ListQuery>,
) -> Response {
    let actor = auth.actor();
    let params = ContractListParams {
        status: lq.status.clone(),
        q: lq.q.clone(),
        sort: None,
    };
    let paging = Paging {
        limit: Some(20),
        offset: lq.offset,
    };
    let q = match contract_query(&actor, &params, &paging) {
        Ok(q) => q,
        Err(e) => return e.into_page(&ctx),
    };
    let page = match state.store.list_contracts(&q).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let rules = match Rules::load(&state).await {
        Ok(r) => r,
        Err(e) => return e.into_page(&ctx),
    };
    let everyone = actor.is_bureau() || actor.has(chengguo_core::Role::District);
    let t = ListPage {
        pager: Pager::new(&ctx.here, page.total, page.limit, page.offset),
        rows: page
            .items
            .into_iter()
            .map(|c| Row::new(&ctx, &rules, c))
            .collect(),
        q: lq.q.unwrap_or_default(),
        status: lq.status.unwrap_or_default(),
        statuses: ContractStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: ctx.pick(s.zh(), s.en()).into(),
            })
            .collect(),
        can_create: actor.has_any(&[
            chengguo_core::Role::Bureau,
            chengguo_core::Role::Unit,
            chengguo_core::Role::Enterprise,
            chengguo_core::Role::Broker,
            chengguo_core::Role::Registrar,
        ]),
        title: if everyone {
            ctx.pick("技术合同", "Technology contracts")
        } else {
            ctx.pick("我的合同", "My contracts")
        },
        ctx: &ctx,
    };
    render(&t)
}

// ------------------------------------------------------------------------------------------
// The form

/// The form's values, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct ContractForm {
    #[serde(default)]
    contract_no: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    signed_on: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    seller_name: String,
    #[serde(default)]
    seller_credit_code: String,
    #[serde(default)]
    seller_division_code: String,
    #[serde(default)]
    seller_country: String,
    #[serde(default)]
    seller_nature: String,
    #[serde(default)]
    buyer_name: String,
    #[serde(default)]
    buyer_credit_code: String,
    #[serde(default)]
    buyer_division_code: String,
    #[serde(default)]
    buyer_country: String,
    #[serde(default)]
    buyer_nature: String,
    #[serde(default)]
    contract_amount: String,
    #[serde(default)]
    tech_transaction_amount: String,
    #[serde(default)]
    tech_field: String,
    #[serde(default)]
    ip_type: String,
    #[serde(default)]
    plan_category: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    achievement_id: String,
    #[serde(default)]
    demand_id: String,
    #[serde(default)]
    pay_due_0: String,
    #[serde(default)]
    pay_amount_0: String,
    #[serde(default)]
    pay_note_0: String,
    #[serde(default)]
    pay_due_1: String,
    #[serde(default)]
    pay_amount_1: String,
    #[serde(default)]
    pay_note_1: String,
    #[serde(default)]
    pay_due_2: String,
    #[serde(default)]
    pay_amount_2: String,
    #[serde(default)]
    pay_note_2: String,
}

impl ContractForm {
    fn input(&self) -> ContractInput {
        let o = |s: &String| Some(s.clone());
        let mut schedule = Vec::new();
        for (d, a, n) in [
            (&self.pay_due_0, &self.pay_amount_0, &self.pay_note_0),
            (&self.pay_due_1, &self.pay_amount_1, &self.pay_note_1),
            (&self.pay_due_2, &self.pay_amount_2, &self.pay_note_2),
        ] {
            if !(d.trim().is_empty() && a.trim().is_empty() && n.trim().is_empty()) {
                schedule.push(PaymentInput {
                    due_on: o(d),
                    amount: o(a),
                    note: o(n),
                });
            }
        }
        ContractInput {
            contract_no: o(&self.contract_no),
            title: o(&self.title),
            category: o(&self.category),
            subtype: None,
            signed_on: o(&self.signed_on),
            valid_from: o(&self.valid_from),
            valid_until: o(&self.valid_until),
            seller_name: o(&self.seller_name),
            seller_credit_code: o(&self.seller_credit_code),
            seller_division_code: o(&self.seller_division_code),
            seller_country: o(&self.seller_country),
            seller_nature: o(&self.seller_nature),
            buyer_name: o(&self.buyer_name),
            buyer_credit_code: o(&self.buyer_credit_code),
            buyer_division_code: o(&self.buyer_division_code),
            buyer_country: o(&self.buyer_country),
            buyer_nature: o(&self.buyer_nature),
            contract_amount: o(&self.contract_amount),
            tech_transaction_amount: o(&self.tech_transaction_amount),
            tech_field: o(&self.tech_field),
            ip_type: o(&self.ip_type),
            plan_category: o(&self.plan_category),
            payment_schedule: schedule,
            achievement_id: o(&self.achievement_id),
            demand_id: o(&self.demand_id),
            site_id: o(&self.site_id),
            registration_no: None,
            registered_on: None,
        }
    }

    fn from_contract(c: &Contract) -> Self {
        let s = |x: &Option<String>| x.clone().unwrap_or_default();
        let mut f = ContractForm {
            contract_no: c.contract_no.clone(),
            title: c.title.clone(),
            category: c.category.clone(),
            signed_on: c.signed_on.clone(),
            valid_from: s(&c.valid_from),
            valid_until: s(&c.valid_until),
            seller_name: c.seller.name.clone(),
            seller_credit_code: s(&c.seller.credit_code),
            seller_division_code: s(&c.seller.division_code),
            seller_country: c.seller.country.clone(),
            seller_nature: c.seller.nature.clone(),
            buyer_name: c.buyer.name.clone(),
            buyer_credit_code: s(&c.buyer.credit_code),
            buyer_division_code: s(&c.buyer.division_code),
            buyer_country: c.buyer.country.clone(),
            buyer_nature: c.buyer.nature.clone(),
            contract_amount: c.contract_amount.to_string(),
            tech_transaction_amount: c.tech_transaction_amount.to_string(),
            tech_field: c.tech_field.clone(),
            ip_type: c.ip_type.clone(),
            plan_category: s(&c.plan_category),
            site_id: c.site_id.map(|x| x.to_string()).unwrap_or_default(),
            achievement_id: c.achievement_id.map(|x| x.to_string()).unwrap_or_default(),
            demand_id: c.demand_id.map(|x| x.to_string()).unwrap_or_default(),
            ..Default::default()
        };
        if let Some(items) = c.payment_schedule.as_array() {
            let get = |i: usize, k: &str| {
                items
                    .get(i)
                    .and_then(|x| x[k].as_str())
                    .unwrap_or("")
                    .to_string()
            };
            f.pay_due_0 = get(0, "due_on");
            f.pay_amount_0 = get(0, "amount");
            f.pay_note_0 = get(0, "note");
            f.pay_due_1 = get(1, "due_on");
            f.pay_amount_1 = get(1, "amount");
            f.pay_note_1 = get(1, "note");
            f.pay_due_2 = get(2, "due_on");
            f.pay_amount_2 = get(2, "amount");
            f.pay_note_2 = get(2, "note");
        }
        f
    }
}

#[derive(Template)]
#[template(path = "contract_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    id: Option<i64>,
    form: ContractForm,
    errors: Vec<FieldError>,
    categories: Vec<Choice>,
    natures: Vec<Choice>,
    fields: Vec<Choice>,
    ip_types: Vec<Choice>,
    plans: Vec<Choice>,
    sites: Vec<Choice>,
    /// The payment schedule's rows.
    slots: Vec<usize>,
}

impl FormPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    fn pay_err(&self, i: &usize) -> Option<String> {
        let msgs: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| e.field.starts_with(&format!("payment_schedule[{i}]")))
            .map(|e| e.message.as_str())
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("；"))
    }
    fn pay(&self, i: &usize) -> (&str, &str, &str) {
        let f = &self.form;
        match i {
            0 => (&f.pay_due_0, &f.pay_amount_0, &f.pay_note_0),
            1 => (&f.pay_due_1, &f.pay_amount_1, &f.pay_note_1),
            _ => (&f.pay_due_2, &f.pay_amount_2, &f.pay_note_2),
        }
    }
    fn general_errors(&self) -> Vec<&FieldError> {
        const KNOWN: [&str; 24] = [
            "contract_no",
            "title",
            "category",
            "signed_on",
            "valid_from",
            "valid_until",
            "seller_name",
            "seller_credit_code",
            "seller_division_code",
            "seller_country",
            "seller_nature",
            "buyer_name",
            "buyer_credit_code",
            "buyer_division_code",
            "buyer_country",
            "buyer_nature",
            "contract_amount",
            "tech_transaction_amount",
            "tech_field",
            "ip_type",
            "plan_category",
            "site_id",
            "achievement_id",
            "demand_id",
        ];
        self.errors
            .iter()
            .filter(|e| {
                !KNOWN.contains(&e.field.as_str()) && !e.field.starts_with("payment_schedule")
            })
            .collect()
    }
}

async fn form_page<'a>(
    state: &AppState,
    ctx: &'a Ctx,
    id: Option<i64>,
    form: ContractForm,
    errors: Vec<FieldError>,
) -> FormPage<'a> {
    let sites = state
        .store
        .registration_sites()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            label: name,
        })
        .collect();
    FormPage {
        categories: choices(ctx, refdata::contract_categories(), true),
        natures: refdata::natures()
            .iter()
            .map(|c| Choice {
                value: c.code.into(),
                label: format!("{} {}", c.code, ctx.pick(c.zh, c.en)),
            })
            .collect(),
        fields: choices(ctx, refdata::tech_fields(), false),
        ip_types: choices(ctx, refdata::ip_types(), false),
        plans: choices(ctx, refdata::plan_categories(), false),
        sites,
        slots: vec![0, 1, 2],
        ctx,
        id,
        form,
        errors,
    }
}

async fn new_form(State(state): State<AppState>, auth: Auth<ContractWriter>, ctx: Ctx) -> Response {
    // The seller is prefilled with the account's own organization.
    let mut form = ContractForm {
        seller_country: "156".into(),
        buyer_country: "156".into(),
        ..Default::default()
    };
    if let Some(org) = auth.user.org_id {
        if let Ok(Some(o)) = state.store.get_org(org).await {
            if o.kind != chengguo_core::OrgKind::RegistrationSite {
                form.seller_name = o.name;
                form.seller_credit_code = o.credit_code;
                form.seller_division_code = o.division_code;
                form.seller_nature = o.nature;
            } else {
                form.site_id = o.id.to_string();
            }
        }
    }
    render(&form_page(&state, &ctx, None, form, vec![]).await)
}

fn store_errors(e: chengguo_store::ContractError) -> Result<Vec<FieldError>, ApiError> {
    match e {
        chengguo_store::ContractError::Invalid(f) => Ok(f),
        chengguo_store::ContractError::Store(StoreError::Conflict { field, value }) => {
            Ok(vec![FieldError::new(
                field,
                format!("{value} 已存在 / already exists"),
            )])
        }
        other => Err(other.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    auth: Auth<ContractWriter>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> Response {
    let errors = match form.input().into_new() {
        Ok(new) => match state.store.create_contract(&auth.actor(), &new).await {
            Ok(c) => return Redirect::to(&format!("/contracts/{}?saved=1", c.id)).into_response(),
            Err(e) => match store_errors(e) {
                Ok(f) => f,
                Err(e) => return e.into_page(&ctx),
            },
        },
        Err(errors) => errors,
    };
    with_status(
        render(&form_page(&state, &ctx, None, form, errors).await),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// The edit form shows a contract only to whom may change it (the rule of
/// `PATCH /api/v1/contracts/{id}`): a 403 page for anyone else, who would otherwise read the
/// parties and amounts of a contract it may not see.
async fn edit_form(
    State(state): State<AppState>,
    auth: Auth<ContractWriter>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Response {
    match state.store.get_contract(id).await {
        Ok(Some(c)) => {
            if !editable_by(&auth.actor(), &c) {
                return not_editable(&ctx);
            }
            let form = ContractForm::from_contract(&c);
            render(&form_page(&state, &ctx, Some(id), form, vec![]).await)
        }
        Ok(None) => super::not_found(&ctx),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

fn editable_by(actor: &chengguo_core::Actor, c: &Contract) -> bool {
    chengguo_core::contract::can_edit(
        actor,
        c.status,
        c.applicant_org_id,
        c.site_id,
        c.created_by == actor.username,
    )
}

fn not_editable(ctx: &Ctx) -> Response {
    ApiError::forbidden(ctx.pick(
        "只有申请方可以修改草稿或待补正的合同。",
        "Only the applicant may change a draft or a contract awaiting correction.",
    ))
    .into_page(ctx)
}

async fn update(
    State(state): State<AppState>,
    auth: Auth<ContractWriter>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> Response {
    let before = match state.store.get_contract(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return super::not_found(&ctx),
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    // A refused edit shows no form (which would echo the contract back).
    if !editable_by(&auth.actor(), &before) {
        return not_editable(&ctx);
    }
    let errors = match form.input().into_new() {
        Ok(new) => match state.store.update_contract(&auth.actor(), id, &new).await {
            Ok(_) => return Redirect::to(&format!("/contracts/{id}?saved=1")).into_response(),
            Err(e) => match store_errors(e) {
                Ok(f) => f,
                Err(e) => return e.into_page(&ctx),
            },
        },
        Err(errors) => errors,
    };
    with_status(
        render(&form_page(&state, &ctx, Some(id), form, errors).await),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

// ------------------------------------------------------------------------------------------
// Detail and actions

#[derive(Template)]
#[template(path = "contract_detail.html")]
struct DetailPage<'a> {
    ctx: &'a Ctx,
    row: Row,
    site_name: String,
    tech_field: String,
    ip_type: String,
    history: Vec<ContractEvent>,
    actions: Vec<(String, String)>,
    grounds: Vec<Choice>,
    can_edit: bool,
    message: Option<String>,
}

#[derive(Deserialize)]
struct DetailFlags {
    saved: Option<String>,
    done: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(flags): Query<DetailFlags>,
) -> Response {
    let actor = auth.actor();
    let c = match state.store.get_contract(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return super::not_found(&ctx),
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    if !crate::api::contracts::may_read(&actor, &c) {
        return ApiError::forbidden(ctx.pick(
            "只有当事人、登记点和科技局可以查看此合同。",
            "Only the parties, the site and the bureau may read this contract.",
        ))
        .into_page(&ctx);
    }
    let rules = match Rules::load(&state).await {
        Ok(r) => r,
        Err(e) => return e.into_page(&ctx),
    };
    let history = state.store.contract_history(id).await.unwrap_or_default();
    let site_name = match c.site_id {
        Some(s) => state
            .store
            .get_org(s)
            .await
            .ok()
            .flatten()
            .map(|o| o.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let actions = rules
        .actions(&c, Some(&actor))
        .into_iter()
        .map(|a| (a.as_str().to_string(), ctx.pick(a.zh(), a.en()).to_string()))
        .collect();
    let can_edit = editable_by(&actor, &c);
    let message = if flags.saved.is_some() {
        Some(ctx.pick("已保存。", "Saved.").to_string())
    } else {
        flags
            .done
            .as_deref()
            .and_then(ContractAction::parse)
            .map(|a| {
                format!(
                    "{}：{}",
                    ctx.pick("已完成", "Done"),
                    ctx.pick(a.zh(), a.en())
                )
            })
    };
    let t = DetailPage {
        tech_field: code_name(&ctx, refdata::tech_fields(), &c.tech_field),
        ip_type: code_name(&ctx, refdata::ip_types(), &c.ip_type),
        row: Row::new(&ctx, &rules, c),
        site_name,
        history,
        actions,
        grounds: choices(&ctx, refdata::refusal_grounds(), false),
        can_edit,
        message,
        ctx: &ctx,
    };
    render(&t)
}

#[derive(Deserialize, Default)]
struct ActionForm {
    #[serde(default)]
    refusal_ground: String,
    #[serde(default)]
    note: String,
}

async fn action(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    ctx: Ctx,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Response {
    let Some(a) = ContractAction::ALL
        .into_iter()
        .find(|a| a.as_str() == action)
    else {
        return super::not_found(&ctx);
    };
    let ground = Some(form.refusal_ground.as_str()).filter(|s| !s.is_empty());
    match state
        .store
        .contract_action(&auth.actor(), id, a, ground, &form.note, today_cn())
        .await
    {
        Ok(_) => Redirect::to(&format!("/contracts/{id}?done={}", a.as_str())).into_response(),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

// ------------------------------------------------------------------------------------------
// The registrar's queue

#[derive(Template)]
#[template(path = "contract_queue.html")]
struct QueuePage<'a> {
    ctx: &'a Ctx,
    rows: Vec<Row>,
    overdue: usize,
    due_soon: usize,
    waiting: usize,
}

async fn queue(State(state): State<AppState>, auth: Auth<RegistrarOnly>, ctx: Ctx) -> Response {
    let actor = auth.actor();
    let (items, _) = match queue_items(&state, &actor, 10_000, 0).await {
        Ok(x) => x,
        Err(e) => return e.into_page(&ctx),
    };
    let rules = match Rules::load(&state).await {
        Ok(r) => r,
        Err(e) => return e.into_page(&ctx),
    };
    let rows: Vec<Row> = items
        .into_iter()
        .map(|c| Row::new(&ctx, &rules, c))
        .collect();
    let t = QueuePage {
        overdue: rows
            .iter()
            .filter(|r| r.deadline.as_ref().is_some_and(|d| d.2))
            .count(),
        due_soon: rows
            .iter()
            .filter(|r| r.deadline.as_ref().is_some_and(|d| !d.2 && d.1 <= 3))
            .count(),
        waiting: rows.iter().filter(|r| r.deadline.is_none()).count(),
        rows,
        ctx: &ctx,
    };
    render(&t)
}

// ------------------------------------------------------------------------------------------
// Import

#[derive(Template)]
#[template(path = "contract_import.html")]
struct ImportPage<'a> {
    ctx: &'a Ctx,
    report: Option<ContractImportReport>,
    filename: String,
    upload_id: Option<String>,
    done: bool,
}

async fn import_form(_auth: Auth<Bureau>, ctx: Ctx) -> Response {
    render(&ImportPage {
        ctx: &ctx,
        report: None,
        filename: String::new(),
        upload_id: None,
        done: false,
    })
}

async fn import_preview(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    headers: HeaderMap,
    mut mp: Multipart,
) -> Response {
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
        return with_status(
            render(&ImportPage {
                ctx: &ctx,
                report: None,
                filename: String::new(),
                upload_id: None,
                done: false,
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let format = detect_format(Some(&filename), &bytes);
    let report = match import_contracts(
        &state.store,
        &auth.actor(),
        bytes.clone().into(),
        format,
        &state.config.limits(),
        true,
        |_| {},
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let ok = report.report.ok();
    let upload_id = if ok {
        match state
            .store
            .save_upload(auth.user.id, "contracts", &filename, &bytes)
            .await
        {
            Ok(id) => Some(id),
            Err(e) => return ApiError::from(e).into_page(&ctx),
        }
    } else {
        None
    };
    with_status(
        render(&ImportPage {
            ctx: &ctx,
            report: Some(report),
            filename,
            upload_id,
            done: false,
        }),
        if ok {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    )
}

#[derive(Deserialize)]
struct Csrf {
    #[allow(dead_code)]
    csrf: String,
}

async fn import_commit(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Path(upload_id): Path<String>,
    CsrfForm(_): CsrfForm<Csrf>,
) -> Response {
    let upload = match state.store.get_upload(auth.user.id, &upload_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return super::not_found(&ctx),
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let format = detect_format(Some(&upload.filename), &upload.bytes);
    let report = match import_contracts(
        &state.store,
        &auth.actor(),
        upload.bytes.into(),
        format,
        &state.config.limits(),
        false,
        |_| {},
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let _ = state.store.delete_upload(&upload.id).await;
    let ok = report.report.ok();
    with_status(
        render(&ImportPage {
            ctx: &ctx,
            report: Some(report),
            filename: upload.filename,
            upload_id: None,
            done: true,
        }),
        if ok {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    )
}

// ------------------------------------------------------------------------------------------
// Statistics

/// A figure with the link to its contracts.
pub struct Figure {
    pub label: String,
    pub count: u64,
    pub amount: String,
    /// The amount in yuan where `amount` is rounded to another unit (empty otherwise).
    pub exact: String,
    pub href: String,
}

/// The configured local-conversion-rate formula in words (DOMAIN.md §3).
fn formula_words(ctx: &Ctx, f: &crate::api::contracts::FormulaOut) -> String {
    let measure = match (f.basis.as_str(), f.amount.as_str()) {
        ("count", _) => ctx.pick("合同项数", "number of contracts"),
        (_, "transaction") => ctx.pick("技术交易额", "technology transaction amount"),
        _ => ctx.pick("合同成交额", "contract amount"),
    };
    let sellers = if f.sellers == "universities_and_institutes" {
        ctx.pick(
            "卖方为本地高校和科研院所",
            "sellers: local universities and institutes",
        )
    } else {
        ctx.pick("卖方为本地全部单位", "sellers: all local organizations")
    };
    match ctx.lang {
        crate::i18n::Lang::Zh => {
            format!("输出到本地的{measure} ÷ 输出的{measure}（{sellers}）")
        }
        crate::i18n::Lang::En => {
            format!("{measure} sold locally ÷ {measure} sold ({sellers})")
        }
    }
}

#[derive(Template)]
#[template(path = "contract_stats.html")]
struct StatsPage<'a> {
    ctx: &'a Ctx,
    s: Option<StatsOut>,
    error: Option<String>,
    region: String,
    from: String,
    to: String,
    regions: Vec<Choice>,
    figures: Vec<Figure>,
    rate: String,
    /// The local conversion rate's formula in the page's language.
    formula: String,
    yoy: String,
    month_chart: String,
    category_chart: String,
    district_chart: String,
    flow_chart: String,
    categories: Vec<Figure>,
    districts: Vec<(String, Figure, Figure)>,
}

fn wan(amount: &str) -> f32 {
    Fen::parse_yuan(amount)
        .map(|f| (f.0 as f64 / 1_000_000.0) as f32)
        .unwrap_or(0.0)
}

fn records_href(region: &str, from: &str, to: &str, measure: Measure, extra: &str) -> String {
    format!(
        "/stats/contracts/records?region={region}&from={from}&to={to}&measure={}{extra}",
        measure.as_str()
    )
}

async fn stats_page(
    State(state): State<AppState>,
    _auth: Auth<StatsReader>,
    ctx: Ctx,
    Query(p): Query<StatsParams>,
) -> Response {
    let mut regions = vec![Choice {
        value: "2101".into(),
        label: ctx.pick("沈阳市（全部）", "Shenyang (all)").into(),
    }];
    regions.extend(refdata::shenyang_districts().into_iter().map(|d| Choice {
        value: d.code.into(),
        label: format!("{} {}", d.code, d.name),
    }));
    let empty = ctx.pick("暂无数据", "No data");
    let mut page = StatsPage {
        ctx: &ctx,
        s: None,
        error: None,
        region: p.region.clone().unwrap_or_else(|| "2101".into()),
        from: p.from.clone().unwrap_or_default(),
        to: p.to.clone().unwrap_or_default(),
        regions,
        figures: vec![],
        rate: String::new(),
        formula: String::new(),
        yoy: String::new(),
        month_chart: String::new(),
        category_chart: String::new(),
        district_chart: String::new(),
        flow_chart: String::new(),
        categories: vec![],
        districts: vec![],
    };
    let per = match period(&p) {
        Ok(x) => x,
        Err(e) => {
            page.error = Some(
                e.fields
                    .iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            return with_status(render(&page), StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let s = match compute_stats(&state, &per).await {
        Ok(s) => s,
        Err(e) => return e.into_page(&ctx),
    };
    let months = state
        .store
        .contract_turnover_by_month(&per.region, per.from, per.to)
        .await
        .unwrap_or_default();
    let (r, f, t) = (per.region.clone(), per.from.to_string(), per.to.to_string());
    page.region = r.clone();
    page.from = f.clone();
    page.to = t.clone();
    // Headline figures in 万元 (as the bureau reports them); the exact yuan in the tooltip and
    // in the lists behind each figure.
    let fig = |label: &str, count: u64, amount: &str, m: Measure| {
        let fen = Fen::parse_yuan(amount).unwrap_or_default();
        Figure {
            label: label.into(),
            count,
            amount: Fen((fen.0 + 5_000).div_euclid(10_000)).to_display(),
            exact: fen.to_display(),
            href: records_href(&r, &f, &t, m, ""),
        }
    };
    page.figures = vec![
        fig(
            ctx.pick(
                "技术合同成交额（卖方在本地）",
                "Turnover (seller in the region)",
            ),
            s.turnover.count,
            &s.turnover.contract_amount,
            Measure::Turnover,
        ),
        fig(
            ctx.pick(
                "输出到本地（本地吸纳）",
                "Output to the region (local absorption)",
            ),
            s.output.local.count,
            &s.output.local.contract_amount,
            Measure::OutputLocal,
        ),
        fig(
            ctx.pick("输出到外地（含境外）", "Output elsewhere (incl. abroad)"),
            s.output.non_local.count,
            &s.output.non_local.contract_amount,
            Measure::OutputNonLocal,
        ),
        fig(
            ctx.pick("吸纳（买方在本地）", "Absorption (buyer in the region)"),
            s.absorption.count,
            &s.absorption.contract_amount,
            Measure::Absorption,
        ),
        fig(
            ctx.pick("吸纳外地技术", "Absorbed from elsewhere"),
            s.absorption.non_local.count,
            &s.absorption.non_local.contract_amount,
            Measure::AbsorptionNonLocal,
        ),
    ];
    page.formula = formula_words(&ctx, &s.formula);
    page.rate = s
        .local_conversion_rate
        .map(|x| format!("{:.2}%", x * 100.0))
        .unwrap_or_else(|| "—".into());
    page.yoy = s
        .local_absorption
        .yoy_growth
        .map(|x| format!("{:+.1}%", x * 100.0))
        .unwrap_or_else(|| "—".into());
    let unit = ctx.pick("合同成交额（万元）", "Contract amount (10k yuan)");
    let month_labels: Vec<String> = months.iter().map(|m| m.0.clone()).collect();
    let month_values: Vec<f32> = months
        .iter()
        .map(|m| (m.2 .0 as f64 / 1_000_000.0) as f32)
        .collect();
    page.month_chart = crate::charts::bars(
        ctx.pick("按月成交额（万元）", "Turnover by month (10k yuan)"),
        &month_labels,
        &[(unit.to_string(), month_values)],
        1100.0,
        empty,
    );
    let cats: Vec<(String, i64)> = s
        .by_category
        .iter()
        .map(|c| {
            (
                code_name(&ctx, refdata::contract_categories(), &c.category),
                wan(&c.contract_amount).round() as i64,
            )
        })
        .collect();
    page.category_chart = crate::charts::hbar(unit, &cats, 540.0, empty);
    let mut dists: Vec<(String, i64)> = s
        .by_district
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                wan(&d.output.contract_amount).round() as i64,
            )
        })
        .filter(|d| d.1 > 0)
        .collect();
    dists.sort_by_key(|d| std::cmp::Reverse(d.1));
    page.district_chart = crate::charts::hbar(unit, &dists, 540.0, empty);
    page.flow_chart = crate::charts::bars(
        ctx.pick("输出与吸纳", "Output and absorption"),
        &[
            ctx.pick("本地", "Local").to_string(),
            ctx.pick("外地", "Elsewhere").to_string(),
        ],
        &[
            (
                ctx.pick("输出", "Output").to_string(),
                vec![
                    wan(&s.output.local.contract_amount),
                    wan(&s.output.non_local.contract_amount),
                ],
            ),
            (
                ctx.pick("吸纳", "Absorption").to_string(),
                vec![
                    wan(&s.absorption.local.contract_amount),
                    wan(&s.absorption.non_local.contract_amount),
                ],
            ),
        ],
        540.0,
        empty,
    );
    page.categories = s
        .by_category
        .iter()
        .map(|c| Figure {
            label: code_name(&ctx, refdata::contract_categories(), &c.category),
            count: c.count,
            amount: Fen::parse_yuan(&c.contract_amount)
                .unwrap_or_default()
                .to_display(),
            exact: String::new(),
            href: records_href(
                &r,
                &f,
                &t,
                Measure::Turnover,
                &format!("&category={}", c.category),
            ),
        })
        .collect();
    page.districts = s
        .by_district
        .iter()
        .map(|d| {
            let extra = format!("&district={}", d.division_code);
            (
                d.name.clone(),
                Figure {
                    label: String::new(),
                    count: d.output.count,
                    amount: Fen::parse_yuan(&d.output.contract_amount)
                        .unwrap_or_default()
                        .to_display(),
                    exact: String::new(),
                    href: records_href(&r, &f, &t, Measure::Turnover, &extra),
                },
                Figure {
                    label: String::new(),
                    count: d.absorption.count,
                    amount: Fen::parse_yuan(&d.absorption.contract_amount)
                        .unwrap_or_default()
                        .to_display(),
                    exact: String::new(),
                    href: records_href(&r, &f, &t, Measure::Absorption, &extra),
                },
            )
        })
        .collect();
    page.s = Some(s);
    render(&page)
}

#[derive(Template)]
#[template(path = "contract_records.html")]
struct RecordsPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<Row>,
    pager: Pager,
    heading: String,
    export_href: String,
    back_href: String,
}

async fn records_page(
    State(state): State<AppState>,
    auth: Auth<StatsReader>,
    ctx: Ctx,
    Query(p): Query<RecordsParams>,
) -> Response {
    let q = match records_query(&auth.actor(), &p) {
        Ok(q) => q,
        Err(e) => return e.into_page(&ctx),
    };
    let page = match state.store.contract_records(&q).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let rules = match Rules::load(&state).await {
        Ok(r) => r,
        Err(e) => return e.into_page(&ctx),
    };
    let mut heading = format!(
        "{} · {} · {} – {}",
        ctx.pick(q.measure.zh(), q.measure.en()),
        refdata::full_name(&format!("{:0<6}", q.region)).unwrap_or_else(|| q.region.clone()),
        q.from,
        q.to
    );
    if let Some(c) = &q.category {
        heading.push_str(&format!(
            " · {}",
            code_name(&ctx, refdata::contract_categories(), c)
        ));
    }
    if let Some(d) = &q.district {
        heading.push_str(&format!(
            " · {}",
            refdata::full_name(d).unwrap_or_else(|| d.clone())
        ));
    }
    if q.site_id.is_some() {
        heading.push_str(ctx.pick(
            " · 仅本登记点登记的合同",
            " · contracts registered at this site only",
        ));
    }
    let query = ctx.here.split_once('?').map(|x| x.1).unwrap_or("");
    let t = RecordsPage {
        pager: Pager::new(&ctx.here, page.total, page.limit, page.offset),
        rows: page
            .items
            .into_iter()
            .map(|c| Row::new(&ctx, &rules, c))
            .collect(),
        heading,
        export_href: format!("/stats/contracts/records.xlsx?{query}"),
        back_href: format!(
            "/stats/contracts?region={}&from={}&to={}",
            q.region, q.from, q.to
        ),
        ctx: &ctx,
    };
    render(&t)
}

async fn records_export(
    State(state): State<AppState>,
    auth: Auth<StatsReader>,
    ctx: Ctx,
    Query(p): Query<RecordsParams>,
) -> Response {
    let q = match records_query(&auth.actor(), &p) {
        Ok(q) => q,
        Err(e) => return e.into_page(&ctx),
    };
    match records_xlsx(&state, &q).await {
        Ok(bytes) => download(
            "contracts.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ),
        Err(e) => e.into_page(&ctx),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list))
        .route("/contracts/new", get(new_form).post(create))
        .route("/contracts/queue", get(queue))
        .route("/contracts/import", get(import_form).post(import_preview))
        .route("/contracts/import/{upload}/commit", post(import_commit))
        .route("/contracts/{id}", get(detail))
        .route("/contracts/{id}/edit", get(edit_form).post(update))
        .route("/contracts/{id}/actions/{action}", post(action))
        .route("/stats/contracts", get(stats_page))
        .route("/stats/contracts/records", get(records_page))
        .route("/stats/contracts/records.xlsx", get(records_export))
}
