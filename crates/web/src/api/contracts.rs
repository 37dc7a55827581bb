//! `/api/v1/contracts` (technology contracts and their registration), `/api/v1/stats/contracts`
//! (the statistics of DOMAIN.md §3 and the contracts behind each figure) and
//! `/api/v1/settings/contracts`.

use super::{parse_sort, PageOf, Paging};
use crate::auth::{AnyAccount, Auth, Bureau, ContractWriter, RegistrarOnly, StatsReader};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, JsonObject, Path, Query};
use crate::imports::contracts::{import_contracts, ContractImportReport};
use crate::imports::detect_format;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chengguo_core::contract::{
    allowed_actions, can_read, is_applicant_member, is_site_registrar, parse_date, parse_region,
    ContractAction, ContractInput, ContractStatus, DeadlineStatus, NewContract, RateAmount,
    RateBasis, RegistrationRules, SellerScope, StatsFormula, WorkCalendar,
};
use chengguo_core::{refdata, Actor, FieldError, Role};
use chengguo_store::{
    today_cn, Contract, ContractError, ContractEvent, ContractQuery, ContractSettings, Measure,
    PartyRow, RecordsQuery,
};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

impl From<ContractError> for ApiError {
    fn from(e: ContractError) -> Self {
        match e {
            ContractError::Denied(m) => ApiError::forbidden(m),
            ContractError::Transition(t) => {
                let code = t.code();
                match t {
                    chengguo_core::contract::TransitionError::RefusalGround(fe) => {
                        ApiError::validation(vec![fe])
                    }
                    other => {
                        let status = if code == "forbidden" {
                            StatusCode::FORBIDDEN
                        } else {
                            StatusCode::CONFLICT
                        };
                        ApiError::new(status, code, other.to_string())
                    }
                }
            }
            ContractError::Invalid(f) => ApiError::validation(f),
            ContractError::Store(s) => s.into(),
        }
    }
}

/// A party as registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyOut {
    /// The platform organization, when the party is in China.
    pub org_id: Option<i64>,
    pub name: String,
    pub credit_code: Option<String>,
    pub division_code: Option<String>,
    pub division_name: Option<String>,
    /// Three digits, `156` = China.
    pub country: String,
    pub nature: String,
    pub nature_name: Option<String>,
}

impl From<PartyRow> for PartyOut {
    fn from(p: PartyRow) -> Self {
        PartyOut {
            division_name: p.division_code.as_deref().and_then(refdata::full_name),
            nature_name: refdata::lookup(refdata::natures(), &p.nature).map(|c| c.zh.to_string()),
            org_id: p.org_id,
            name: p.name,
            credit_code: p.credit_code,
            division_code: p.division_code,
            country: p.country,
            nature: p.nature,
        }
    }
}

/// A step of the registration history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
}

impl From<ContractEvent> for EventOut {
    fn from(e: ContractEvent) -> Self {
        EventOut {
            at: e.at,
            actor: e.actor,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
        }
    }
}

/// The review deadline of a contract in review.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineOut {
    /// The last working day of the review period.
    pub deadline: String,
    /// Working days from today to the deadline (negative when past).
    pub working_days_left: i64,
    pub overdue: bool,
    /// 15 or 30 (with expert review); settings.
    pub period_working_days: u32,
}

/// A technology contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractOut {
    pub id: i64,
    /// 合同编号 (the parties' own number).
    pub contract_no: String,
    pub title: String,
    /// development, transfer, licensing, consulting or service.
    pub category: String,
    pub category_name: String,
    pub subtype: Option<String>,
    pub signed_on: String,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub seller: PartyOut,
    pub buyer: PartyOut,
    /// 合同成交额, yuan with two decimals.
    pub contract_amount: String,
    /// 技术交易额, yuan with two decimals.
    pub tech_transaction_amount: String,
    pub tech_field: String,
    pub ip_type: String,
    pub plan_category: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub payment_schedule: serde_json::Value,
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    /// The registration site (organization id).
    pub site_id: Option<i64>,
    pub status: String,
    pub status_name: String,
    pub expert_reviewed: bool,
    pub submitted_on: Option<String>,
    pub clock_started_on: Option<String>,
    /// 登记编号 (certificate number).
    pub registration_no: Option<String>,
    pub registered_on: Option<String>,
    pub refusal_ground: Option<String>,
    pub imported: bool,
    /// What the caller may do now.
    pub allowed_actions: Vec<String>,
    pub deadline: Option<DeadlineOut>,
    pub created_at: String,
    pub updated_at: String,
}

/// Registration rules and calendar of the moment.
pub struct Rules {
    pub settings: ContractSettings,
    pub rules: RegistrationRules,
    pub calendar: WorkCalendar,
}

impl Rules {
    pub async fn load(state: &AppState) -> Result<Rules, ApiError> {
        let settings = state.store.contract_settings().await?;
        Ok(Rules {
            rules: settings.rules().unwrap_or_default(),
            calendar: settings.calendar(),
            settings,
        })
    }

    pub fn deadline(&self, c: &Contract, today: Date) -> Option<(DeadlineStatus, u32)> {
        if !c.status.clock_running() {
            return None;
        }
        let start = parse_date(c.clock_started_on.as_deref()?).ok()?;
        let referred = c.expert_reviewed || c.status == ContractStatus::ExpertReview;
        let n = self
            .rules
            .review_working_days(c.tech_transaction_amount, referred);
        Some((self.calendar.status(start, n, today), n))
    }

    pub fn actions(&self, c: &Contract, actor: Option<&Actor>) -> Vec<ContractAction> {
        let Some(a) = actor else { return vec![] };
        let ctx = self.rules.ctx(
            is_applicant_member(a, c.applicant_org_id),
            is_site_registrar(a, c.site_id),
            c.expert_reviewed,
            c.tech_transaction_amount,
        );
        let mut v = allowed_actions(c.status, &ctx);
        if c.site_id.is_none() {
            v.retain(|x| *x != ContractAction::Submit);
        }
        v
    }

    pub fn out(&self, c: Contract, actor: Option<&Actor>, today: Date) -> ContractOut {
        let actions = self
            .actions(&c, actor)
            .into_iter()
            .map(|a| a.as_str().to_string())
            .collect();
        let deadline = self.deadline(&c, today).map(|(d, n)| DeadlineOut {
            deadline: d.deadline.to_string(),
            working_days_left: d.working_days_left,
            overdue: d.overdue,
            period_working_days: n,
        });
        ContractOut {
            category_name: refdata::lookup(refdata::contract_categories(), &c.category)
                .map(|x| x.zh.to_string())
                .unwrap_or_else(|| c.category.clone()),
            id: c.id,
            contract_no: c.contract_no,
            title: c.title,
            category: c.category,
            subtype: c.subtype,
            signed_on: c.signed_on,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            seller: c.seller.into(),
            buyer: c.buyer.into(),
            contract_amount: c.contract_amount.to_string(),
            tech_transaction_amount: c.tech_transaction_amount.to_string(),
            tech_field: c.tech_field,
            ip_type: c.ip_type,
            plan_category: c.plan_category,
            payment_schedule: c.payment_schedule,
            achievement_id: c.achievement_id,
            demand_id: c.demand_id,
            site_id: c.site_id,
            status: c.status.as_str().into(),
            status_name: c.status.zh().into(),
            expert_reviewed: c.expert_reviewed,
            submitted_on: c.submitted_on,
            clock_started_on: c.clock_started_on,
            registration_no: c.registration_no,
            registered_on: c.registered_on,
            refusal_ground: c.refusal_ground,
            imported: c.imported,
            allowed_actions: actions,
            deadline,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A contract with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractDetail {
    #[serde(flatten)]
    pub contract: ContractOut,
    pub history: Vec<EventOut>,
}

/// Fields of a contract: the import columns (docs/formats.md) plus the form-only ones. Amounts
/// are yuan (strings or numbers, at most two decimals); dates `YYYY-MM-DD`; codes or Chinese names.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"contract_no": "SY-2026-001", "title": "工业机器人视觉定位技术开发", "category": "development",
    "signed_on": "2026-03-01", "seller_name": "东北大学", "seller_credit_code": "12210102DM0000004X",
    "seller_division_code": "210102", "seller_nature": "022", "buyer_name": "沈阳示例机床有限公司",
    "buyer_credit_code": "91210106DM0000001X", "buyer_division_code": "210106", "buyer_nature": "150",
    "contract_amount": "1200000.00", "tech_transaction_amount": "1000000.00", "tech_field": "先进制造",
    "ip_type": "专利", "site_id": 34,
    "payment_schedule": [{"due_on": "2026-06-30", "amount": "600000.00", "note": "首付"}]}))]
pub struct ContractBody {
    pub contract_no: Option<String>,
    pub title: Option<String>,
    pub category: Option<String>,
    pub subtype: Option<String>,
    pub signed_on: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub seller_name: Option<String>,
    pub seller_credit_code: Option<String>,
    pub seller_division_code: Option<String>,
    /// Empty means China (156).
    pub seller_country: Option<String>,
    pub seller_nature: Option<String>,
    pub buyer_name: Option<String>,
    pub buyer_credit_code: Option<String>,
    pub buyer_division_code: Option<String>,
    pub buyer_country: Option<String>,
    pub buyer_nature: Option<String>,
    pub contract_amount: Option<String>,
    pub tech_transaction_amount: Option<String>,
    pub tech_field: Option<String>,
    pub ip_type: Option<String>,
    pub plan_category: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub payment_schedule: Option<serde_json::Value>,
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    /// The registration site (an organization of kind registration_site).
    pub site_id: Option<i64>,
}

fn parse_body(v: serde_json::Value) -> Result<NewContract, ApiError> {
    if v.get("registration_no").is_some() || v.get("registered_on").is_some() {
        return Err(ApiError::validation(vec![FieldError::new(
            "registration_no",
            "登记编号由登记点在登记时生成；已登记的合同请用导入 / assigned at registration; import contracts registered elsewhere",
        )]));
    }
    let input: ContractInput = serde_json::from_value(v).map_err(|e| {
        ApiError::bad_request(format!(
            "malformed contract: {}",
            crate::extract::reason(&e.to_string())
        ))
    })?;
    input.into_new().map_err(ApiError::validation)
}

/// The stored contract as raw input (for merging a PATCH).
pub fn input_of(c: &Contract) -> serde_json::Value {
    let p = |p: &PartyRow, side: &str| {
        serde_json::json!({
            format!("{side}_name"): p.name, format!("{side}_credit_code"): p.credit_code,
            format!("{side}_division_code"): p.division_code, format!("{side}_country"): p.country,
            format!("{side}_nature"): p.nature,
        })
    };
    let mut v = serde_json::json!({
        "contract_no": c.contract_no, "title": c.title, "category": c.category, "subtype": c.subtype,
        "signed_on": c.signed_on, "valid_from": c.valid_from, "valid_until": c.valid_until,
        "contract_amount": c.contract_amount.to_string(),
        "tech_transaction_amount": c.tech_transaction_amount.to_string(),
        "tech_field": c.tech_field, "ip_type": c.ip_type, "plan_category": c.plan_category,
        "payment_schedule": c.payment_schedule, "achievement_id": c.achievement_id,
        "demand_id": c.demand_id, "site_id": c.site_id,
    });
    for side in [p(&c.seller, "seller"), p(&c.buyer, "buyer")] {
        if let (Some(o), Some(s)) = (v.as_object_mut(), side.as_object()) {
            o.extend(s.clone());
        }
    }
    v
}

/// Create a contract draft. Members of the applicant organization (the seller; the domestic
/// buyer of a technology import), registrars of the chosen site, or the bureau.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", request_body = ContractBody,
    security(("bearer" = [])),
    responses((status = 201, body = ContractOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth<ContractWriter>,
    JsonObject(body): JsonObject,
) -> ApiResult<(StatusCode, Json<ContractOut>)> {
    let new = parse_body(body)?;
    let actor = auth.actor();
    let c = state.store.create_contract(&actor, &new).await?;
    let rules = Rules::load(&state).await?;
    Ok((
        StatusCode::CREATED,
        Json(rules.out(c, Some(&actor), today_cn())),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractListParams {
    /// A status slug, or several separated by commas.
    pub status: Option<String>,
    /// Part of the title, contract number, a party's name or the registration number.
    pub q: Option<String>,
    /// `updated_at` (default), `signed_on`, `registered_on`, `contract_amount`, `status`, `deadline`; `-` for descending.
    pub sort: Option<String>,
}

/// Builds the store query for a caller: the bureau and district officers see every contract,
/// a registrar its site's and its organization's, anyone else its organization's.
pub fn contract_query(
    actor: &Actor,
    p: &ContractListParams,
    paging: &Paging,
) -> Result<ContractQuery, ApiError> {
    let mut statuses = Vec::new();
    if let Some(s) = p.status.as_deref().filter(|s| !s.trim().is_empty()) {
        for part in s.split(',') {
            match ContractStatus::parse(part) {
                Some(x) => statuses.push(x),
                None => {
                    return Err(ApiError::validation(vec![FieldError::new(
                        "status",
                        format!("unknown status '{part}'"),
                    )]))
                }
            }
        }
    }
    let (sort, desc) = parse_sort(p.sort.as_deref());
    let (party_org, site_id) = if actor.is_bureau() || actor.has(Role::District) {
        (None, None)
    } else if actor.has(Role::Registrar) {
        (
            Some(actor.org_id.unwrap_or(-1)),
            Some(actor.org_id.unwrap_or(-1)),
        )
    } else {
        (Some(actor.org_id.unwrap_or(-1)), None)
    };
    Ok(ContractQuery {
        party_org,
        site_id,
        statuses,
        q: p.q.clone(),
        sort: sort.unwrap_or("updated_at").to_string(),
        desc: if p.sort.is_none() { true } else { desc },
        limit: paging.limit(),
        offset: paging.offset(),
    })
}

/// List the contracts the caller may see.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", params(ContractListParams, Paging),
    security(("bearer" = [])),
    responses((status = 200, body = PageOf<ContractOut>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    Query(p): Query<ContractListParams>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageOf<ContractOut>>> {
    let actor = auth.actor();
    let q = contract_query(&actor, &p, &paging)?;
    let page = state.store.list_contracts(&q).await?;
    let rules = Rules::load(&state).await?;
    let today = today_cn();
    Ok(Json(PageOf {
        items: page
            .items
            .into_iter()
            .map(|c| rules.out(c, Some(&actor), today))
            .collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// The read rule of a contract, shared by the API and every page that shows one.
pub fn may_read(actor: &Actor, c: &Contract) -> bool {
    can_read(actor, c.seller.org_id, c.buyer.org_id, c.site_id)
        || actor.org_id.is_some_and(|o| c.applicant_org_id == Some(o))
}

async fn readable(state: &AppState, actor: &Actor, id: i64) -> Result<Contract, ApiError> {
    let c = state
        .store
        .get_contract(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("contract {id}")))?;
    if !may_read(actor, &c) {
        return Err(ApiError::forbidden(
            "只有当事人、登记点和科技局可以查看 / only the parties, the site and the bureau may read this contract",
        ));
    }
    Ok(c)
}

/// One contract with its registration history.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts",
    params(("id" = i64, Path, description = "Contract id")), security(("bearer" = [])),
    responses((status = 200, body = ContractDetail), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ContractDetail>> {
    let actor = auth.actor();
    let c = readable(&state, &actor, id).await?;
    let history = state.store.contract_history(id).await?;
    let rules = Rules::load(&state).await?;
    Ok(Json(ContractDetail {
        contract: rules.out(c, Some(&actor), today_cn()),
        history: history.into_iter().map(EventOut::from).collect(),
    }))
}

/// Change a draft (or a contract awaiting correction): only the fields given. The applicant's
/// members may; a registrar of the site only a draft it entered itself (403 otherwise). Links
/// (`achievement_id`, `demand_id`) must name records the caller may read (422).
#[utoipa::path(patch, path = "/api/v1/contracts/{id}", tag = "contracts", request_body = ContractBody,
    params(("id" = i64, Path, description = "Contract id")), security(("bearer" = [])),
    responses((status = 200, body = ContractOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth<ContractWriter>,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<ContractOut>> {
    let actor = auth.actor();
    let c = state
        .store
        .get_contract(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("contract {id}")))?;
    let mut merged = input_of(&c);
    match (merged.as_object_mut(), body.as_object()) {
        (Some(m), Some(b)) => {
            for (k, v) in b {
                m.insert(k.clone(), v.clone());
            }
        }
        _ => return Err(ApiError::bad_request("the body must be a JSON object")),
    }
    let new = parse_body(merged)?;
    let c = state.store.update_contract(&actor, id, &new).await?;
    let rules = Rules::load(&state).await?;
    Ok(Json(rules.out(c, Some(&actor), today_cn())))
}

/// What accompanies an action.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionBody {
    /// For `reject`: a refusal ground, code or name (`/api/v1/reference/codes/refusal_grounds`).
    pub refusal_ground: Option<String>,
    /// A remark kept in the history.
    pub note: Option<String>,
}

/// Take a registration action: submit, accept, request_correction, resubmit, refer_expert,
/// register, reject, change, cancel. Refused with 403 when the caller is not on the acting side
/// (a registrar of another site included), 409 `invalid_transition` when the action does not
/// exist in the current status, 409 `expert_review_required` when 技术交易额 is at or above the
/// threshold without expert review, 422 for a missing refusal ground.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/actions/{action}", tag = "contracts",
    request_body(content = ActionBody, description = "Optional"),
    params(("id" = i64, Path, description = "Contract id"), ("action" = String, Path, description = "The action")),
    security(("bearer" = [])),
    responses((status = 200, body = ContractOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn action(
    State(state): State<AppState>,
    auth: Auth<AnyAccount>,
    Path((id, action)): Path<(i64, String)>,
    body: Option<Json<ActionBody>>,
) -> ApiResult<Json<ContractOut>> {
    let actor = auth.actor();
    let Some(action) = ContractAction::ALL
        .into_iter()
        .find(|a| a.as_str() == action)
    else {
        return Err(ApiError::not_found(format!("action '{action}'")));
    };
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let c = state
        .store
        .contract_action(
            &actor,
            id,
            action,
            body.refusal_ground.as_deref(),
            body.note.as_deref().unwrap_or(""),
            today_cn(),
        )
        .await?;
    let rules = Rules::load(&state).await?;
    Ok(Json(rules.out(c, Some(&actor), today_cn())))
}

/// The registrar's queue: the site's contracts waiting for a decision, the most urgent first,
/// each with its deadline in working days.
#[utoipa::path(get, path = "/api/v1/contracts/queue", tag = "contracts", params(Paging),
    security(("bearer" = [])),
    responses((status = 200, body = PageOf<ContractOut>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    auth: Auth<RegistrarOnly>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageOf<ContractOut>>> {
    let actor = auth.actor();
    let (items, total) = queue_items(&state, &actor, 10_000, 0).await?;
    let rules = Rules::load(&state).await?;
    let today = today_cn();
    let limit = paging.limit();
    let offset = paging.offset();
    Ok(Json(PageOf {
        items: items
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|c| rules.out(c, Some(&actor), today))
            .collect(),
        total,
        limit,
        offset,
    }))
}

/// The site's contracts awaiting the site, by urgency: overdue and nearest deadlines first,
/// then the submitted ones waiting for acceptance, oldest first.
pub async fn queue_items(
    state: &AppState,
    actor: &Actor,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Contract>, i64), ApiError> {
    let q = ContractQuery {
        party_org: None,
        site_id: Some(actor.org_id.unwrap_or(-1)),
        statuses: ContractStatus::ALL
            .into_iter()
            .filter(|s| s.awaits_site())
            .collect(),
        q: None,
        sort: "id".into(),
        desc: false,
        limit,
        offset,
    };
    let page = state.store.list_contracts(&q).await?;
    let rules = Rules::load(state).await?;
    let today = today_cn();
    let mut items = page.items;
    items.sort_by_key(|c| match rules.deadline(c, today) {
        Some((d, _)) => (0, d.working_days_left, c.id),
        None => (1, 0, c.id),
    });
    Ok((items, page.total))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `csv`, `xlsx` or `jsonl`; detected from the content when absent.
    pub format: Option<String>,
    /// Check only; write nothing.
    pub dry_run: Option<bool>,
}

/// Import registered contracts (bureau) from a file in the request body: all rows or none.
#[utoipa::path(post, path = "/api/v1/contracts/import", tag = "contracts", security(("bearer" = [])),
    params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "CSV (UTF-8 or GB18030), XLSX or JSONL; columns in docs/formats.md"),
    responses((status = 200, body = ContractImportReport), (status = 422, body = ContractImportReport),
        (status = 503, body = crate::error::ErrorBody, description = "As many imports are running as the server allows (`import.concurrency`); retry after `Retry-After` seconds")))]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<ContractImportReport>), ApiError> {
    let format = match p.format.as_deref() {
        Some("csv") => chengguo_io::Format::Csv,
        Some("xlsx") => chengguo_io::Format::Xlsx,
        Some("jsonl") => chengguo_io::Format::Jsonl,
        Some(other) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "format",
                format!("unknown format '{other}'"),
            )]))
        }
        None => detect_format(None, &body),
    };
    let report = import_contracts(
        &state.store,
        &auth.actor(),
        body,
        format,
        &state.config.limits(),
        p.dry_run.unwrap_or(false),
        |_| {},
    )
    .await?;
    let status = if report.report.ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report)))
}

// ---------------------------------------------------------------------------------------------
// Statistics

#[derive(Debug, Clone, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Division-code prefix: `2101` (default) = Shenyang, `210106` = one district.
    pub region: Option<String>,
    /// First registration date, `YYYY-MM-DD` (default: 1 January of this year).
    pub from: Option<String>,
    /// Last registration date (default: today).
    pub to: Option<String>,
}

/// A checked region and period.
pub struct Period {
    pub region: String,
    pub from: Date,
    pub to: Date,
}

pub fn period(p: &StatsParams) -> Result<Period, ApiError> {
    let mut errs = Vec::new();
    let region = parse_region(p.region.as_deref().unwrap_or("2101"))
        .map_err(|e| errs.push(e))
        .ok();
    let today = today_cn();
    let date = |field: &str, v: &Option<String>, default: Date, errs: &mut Vec<FieldError>| match v
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        None => Some(default),
        Some(s) => parse_date(s)
            .map_err(|e| errs.push(FieldError::new(field, e.to_string())))
            .ok(),
    };
    let jan1 = Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today);
    let from = date("from", &p.from, jan1, &mut errs);
    let to = date("to", &p.to, today, &mut errs);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errs.push(FieldError::new("to", "早于 from / is before from"));
        }
    }
    match (region, from, to) {
        (Some(region), Some(from), Some(to)) if errs.is_empty() => Ok(Period { region, from, to }),
        _ => Err(ApiError::validation(errs)),
    }
}

/// A count and amounts, amounts as yuan strings.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct TallyOut {
    pub count: u64,
    pub contract_amount: String,
    pub tech_transaction_amount: String,
}

impl From<&chengguo_core::contract::Tally> for TallyOut {
    fn from(t: &chengguo_core::contract::Tally) -> Self {
        TallyOut {
            count: t.count,
            contract_amount: t.contract_amount.to_string(),
            tech_transaction_amount: t.tech_transaction_amount.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SplitOut {
    pub count: u64,
    pub contract_amount: String,
    pub tech_transaction_amount: String,
    /// The other party in the region too.
    pub local: TallyOut,
    /// The other party elsewhere in China or abroad.
    pub non_local: TallyOut,
}

impl From<&chengguo_core::contract::Split> for SplitOut {
    fn from(s: &chengguo_core::contract::Split) -> Self {
        SplitOut {
            count: s.total.count,
            contract_amount: s.total.contract_amount.to_string(),
            tech_transaction_amount: s.total.tech_transaction_amount.to_string(),
            local: (&s.local).into(),
            non_local: (&s.non_local).into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
    pub category: String,
    pub category_name: String,
    pub count: u64,
    pub contract_amount: String,
    pub tech_transaction_amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictOut {
    pub division_code: String,
    pub name: String,
    /// Seller in the district.
    pub output: TallyOut,
    /// Buyer in the district.
    pub absorption: TallyOut,
}

/// The formula of the local conversion rate in use (a setting).
#[derive(Debug, Serialize, ToSchema)]
pub struct FormulaOut {
    /// `amount` or `count`.
    pub basis: String,
    /// `contract` (合同成交额) or `transaction` (技术交易额).
    pub amount: String,
    /// `all` or `universities_and_institutes` (seller nature 021/022).
    pub sellers: String,
    /// The formula in words.
    pub description: String,
}

fn formula_out(f: &StatsFormula) -> FormulaOut {
    let x = match (f.basis, f.amount) {
        (RateBasis::Count, _) => "count",
        (RateBasis::Amount, RateAmount::Contract) => "Σ contract_amount",
        (RateBasis::Amount, RateAmount::Transaction) => "Σ tech_transaction_amount",
    };
    let s = match f.sellers {
        SellerScope::All => "seller ∈ R",
        SellerScope::UniversitiesAndInstitutes => "seller ∈ R, nature 021/022",
    };
    FormulaOut {
        basis: serde_json::to_value(f.basis)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        amount: serde_json::to_value(f.amount)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        sellers: serde_json::to_value(f.sellers)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        description: format!("{x} ({s} ∧ buyer ∈ R) ÷ {x} ({s})"),
    }
}

/// Locally absorbed contracts (seller and buyer in the region) against the same period a year
/// before: the plan's "+20% / +50%" target.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocalAbsorptionOut {
    pub count: u64,
    pub contract_amount: String,
    pub previous_year_count: u64,
    /// (count − previous) ÷ previous; null when the year before had none.
    pub yoy_growth: Option<f64>,
}

/// Contract statistics of a region and period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    pub region: String,
    pub region_name: Option<String>,
    pub from: String,
    pub to: String,
    /// 技术合同成交额 and 技术交易额: seller in the region.
    pub turnover: TallyOut,
    /// 输出: seller in the region, split by the buyer.
    pub output: SplitOut,
    /// 吸纳: buyer in the region, split by the seller.
    pub absorption: SplitOut,
    /// 本地转化率 as a fraction, null when the denominator is 0.
    pub local_conversion_rate: Option<f64>,
    pub formula: FormulaOut,
    pub local_absorption: LocalAbsorptionOut,
    pub by_category: Vec<CategoryOut>,
    pub by_district: Vec<DistrictOut>,
    /// Which figures rest on partial data.
    pub notes: Vec<String>,
}

/// Computes the statistics of a period with the configured formula.
pub async fn compute_stats(state: &AppState, per: &Period) -> Result<StatsOut, ApiError> {
    let settings = state.store.contract_settings().await?;
    let o = state
        .store
        .contract_stats(&per.region, per.from, per.to, settings.formula)
        .await?;
    let s = &o.stats;
    Ok(StatsOut {
        region: per.region.clone(),
        region_name: refdata::full_name(&format!("{:0<6}", per.region)),
        from: per.from.to_string(),
        to: per.to.to_string(),
        turnover: (&s.turnover).into(),
        output: (&s.output).into(),
        absorption: (&s.absorption).into(),
        local_conversion_rate: s.local_conversion_rate,
        formula: formula_out(&s.formula),
        local_absorption: LocalAbsorptionOut {
            count: s.output.local.count,
            contract_amount: s.output.local.contract_amount.to_string(),
            previous_year_count: o.local_absorption_prev_year,
            yoy_growth: o.local_absorption_yoy,
        },
        by_category: s
            .by_category
            .iter()
            .map(|(k, t)| CategoryOut {
                category_name: refdata::lookup(refdata::contract_categories(), k)
                    .map(|c| c.zh.to_string())
                    .unwrap_or_else(|| k.clone()),
                category: k.clone(),
                count: t.count,
                contract_amount: t.contract_amount.to_string(),
                tech_transaction_amount: t.tech_transaction_amount.to_string(),
            })
            .collect(),
        by_district: s
            .by_district
            .iter()
            .map(|d| DistrictOut {
                division_code: d.division_code.clone(),
                name: d.name.clone(),
                output: (&d.output).into(),
                absorption: (&d.absorption).into(),
            })
            .collect(),
        notes: vec![
            "absorption counts only contracts known to the platform: a buyer's contracts registered elsewhere appear only when imported / 吸纳仅含平台已知（含导入）的合同".into(),
        ],
    })
}

/// Contract statistics (DOMAIN.md §3) over registered and changed contracts registered in the
/// period: turnover, output, absorption, local conversion rate (formula echoed), by category
/// and district, and the year-over-year growth of locally absorbed contracts.
#[utoipa::path(get, path = "/api/v1/stats/contracts", tag = "statistics", params(StatsParams),
    security(("bearer" = [])),
    responses((status = 200, body = StatsOut), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    _auth: Auth<StatsReader>,
    Query(p): Query<StatsParams>,
) -> ApiResult<Json<StatsOut>> {
    let per = period(&p)?;
    Ok(Json(compute_stats(&state, &per).await?))
}

#[derive(Debug, Clone, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RecordsParams {
    pub region: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// turnover (default), output_local, output_non_local, absorption, absorption_local, absorption_non_local.
    pub measure: Option<String>,
    /// A category slug (seller-side figures by category).
    pub category: Option<String>,
    /// A district's division code within the region.
    pub district: Option<String>,
    /// `json` (default) or `xlsx` (every matching contract).
    pub format: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The site a caller's drill-down is limited to: a registrar (without the bureau's or a
/// district's role) sees the contracts registered at its own site only; the figures themselves
/// (`/api/v1/stats/contracts`) stay city-wide aggregates for every statistics reader.
pub fn records_site_scope(actor: &Actor) -> Option<i64> {
    let limited = actor.has(chengguo_core::Role::Registrar)
        && !actor.has_any(&[chengguo_core::Role::Bureau, chengguo_core::Role::District]);
    // A registrar without a site reads nothing: no site has id 0.
    limited.then(|| actor.org_id.unwrap_or(0))
}

pub fn records_query(actor: &Actor, p: &RecordsParams) -> Result<RecordsQuery, ApiError> {
    let per = period(&StatsParams {
        region: p.region.clone(),
        from: p.from.clone(),
        to: p.to.clone(),
    })?;
    let mut errs = Vec::new();
    let measure = match p.measure.as_deref().filter(|s| !s.is_empty()) {
        None => Measure::Turnover,
        Some(m) => Measure::parse(m).unwrap_or_else(|| {
            errs.push(FieldError::new("measure", format!("unknown measure '{m}'")));
            Measure::Turnover
        }),
    };
    let category = match p.category.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => match refdata::lookup(refdata::contract_categories(), c) {
            Some(x) if x.parent.is_none() => Some(x.code.to_string()),
            _ => {
                errs.push(FieldError::new(
                    "category",
                    format!("unknown category '{c}'"),
                ));
                None
            }
        },
    };
    let district = match p.district.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(d)
            if d.len() == 6
                && d.bytes().all(|b| b.is_ascii_digit())
                && d.starts_with(&per.region) =>
        {
            Some(d.to_string())
        }
        Some(d) => {
            errs.push(FieldError::new(
                "district",
                format!("'{d}' is not a division code within {}", per.region),
            ));
            None
        }
    };
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    Ok(RecordsQuery {
        region: per.region,
        from: per.from,
        to: per.to,
        measure,
        category,
        district,
        site_id: records_site_scope(actor),
        limit: p.limit.unwrap_or(20).clamp(1, 200),
        offset: p.offset.unwrap_or(0).max(0),
    })
}

/// The export columns of a drill-down list.
pub const RECORD_HEADERS: [&str; 16] = [
    "registration_no",
    "registered_on",
    "contract_no",
    "title",
    "category",
    "seller_name",
    "seller_credit_code",
    "seller_division_code",
    "seller_nature",
    "buyer_name",
    "buyer_credit_code",
    "buyer_division_code",
    "buyer_country",
    "buyer_nature",
    "contract_amount",
    "tech_transaction_amount",
];

/// Every contract behind a figure as an XLSX workbook.
pub async fn records_xlsx(state: &AppState, q: &RecordsQuery) -> Result<Vec<u8>, ApiError> {
    let mut q = q.clone();
    q.limit = 100_000;
    q.offset = 0;
    let mut rows = Vec::new();
    loop {
        let page = state.store.contract_records(&q).await?;
        let n = page.items.len() as i64;
        for c in page.items {
            use chengguo_io::Cell;
            let t = |s: Option<String>| Cell::Text(s.unwrap_or_default());
            rows.push(vec![
                t(c.registration_no),
                c.registered_on.map(Cell::Date).unwrap_or(Cell::Empty),
                Cell::Text(c.contract_no),
                Cell::Text(c.title),
                Cell::Text(c.category),
                Cell::Text(c.seller.name),
                t(c.seller.credit_code),
                t(c.seller.division_code),
                Cell::Text(c.seller.nature),
                Cell::Text(c.buyer.name),
                t(c.buyer.credit_code),
                t(c.buyer.division_code),
                Cell::Text(c.buyer.country),
                Cell::Text(c.buyer.nature),
                Cell::Money {
                    fen: c.contract_amount.0,
                },
                Cell::Money {
                    fen: c.tech_transaction_amount.0,
                },
            ]);
        }
        if n < q.limit {
            break;
        }
        q.offset += q.limit;
    }
    chengguo_io::write_xlsx("contracts", &RECORD_HEADERS, &rows).map_err(ApiError::internal)
}

/// A page of the contracts behind a figure, with their sum.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordsOut {
    pub measure: String,
    pub region: String,
    pub from: String,
    pub to: String,
    pub category: Option<String>,
    pub district: Option<String>,
    pub items: Vec<ContractOut>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// The contracts behind one figure of the statistics (`?format=xlsx` for a workbook of all).
/// A registrar sees the contracts registered at its own site only (`total` counts those); the
/// bureau and districts see them all.
#[utoipa::path(get, path = "/api/v1/stats/contracts/records", tag = "statistics", params(RecordsParams),
    security(("bearer" = [])),
    responses((status = 200, body = RecordsOut, description = "JSON page, or an XLSX workbook with format=xlsx"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn records(
    State(state): State<AppState>,
    auth: Auth<StatsReader>,
    Query(p): Query<RecordsParams>,
) -> Result<Response, ApiError> {
    let q = records_query(&auth.actor(), &p)?;
    if p.format.as_deref() == Some("xlsx") {
        let bytes = records_xlsx(&state, &q).await?;
        return Ok(crate::pages::orgs::download(
            "contracts.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ));
    }
    let page = state.store.contract_records(&q).await?;
    let rules = Rules::load(&state).await?;
    let actor = auth.actor();
    let today = today_cn();
    Ok(Json(RecordsOut {
        measure: q.measure.as_str().into(),
        region: q.region.clone(),
        from: q.from.to_string(),
        to: q.to.to_string(),
        category: q.category.clone(),
        district: q.district.clone(),
        items: page
            .items
            .into_iter()
            .map(|c| rules.out(c, Some(&actor), today))
            .collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    })
    .into_response())
}

/// Registration and statistics settings (JSON setting `contracts`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SettingsBody {
    /// Yuan; 技术交易额 at or above it needs expert review (default 5000000.00).
    pub expert_threshold: Option<String>,
    pub review_days: Option<u32>,
    pub review_days_expert: Option<u32>,
    /// e.g. `{year}{province}{city}{site:02}{serial:06}`.
    pub certificate_layout: Option<String>,
    pub holidays: Option<Vec<String>>,
    pub adjusted_workdays: Option<Vec<String>>,
    /// `{"basis": "amount"|"count", "amount": "contract"|"transaction", "sellers": "all"|"universities_and_institutes"}`.
    #[schema(value_type = Object)]
    pub formula: Option<serde_json::Value>,
}

/// The contract settings in force.
#[utoipa::path(get, path = "/api/v1/settings/contracts", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = SettingsBody), (status = 401, body = crate::error::ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _auth: Auth<AnyAccount>,
) -> ApiResult<Json<serde_json::Value>> {
    let s = state.store.contract_settings().await?;
    Ok(Json(serde_json::to_value(s).map_err(ApiError::internal)?))
}

/// Change the contract settings (bureau); only the fields given.
#[utoipa::path(patch, path = "/api/v1/settings/contracts", tag = "contracts", request_body = SettingsBody,
    security(("bearer" = [])),
    responses((status = 200, body = SettingsBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<serde_json::Value>> {
    let current = state.store.contract_settings().await?;
    let mut v = serde_json::to_value(current).map_err(ApiError::internal)?;
    match (v.as_object_mut(), body.as_object()) {
        (Some(m), Some(b)) => {
            for (k, x) in b {
                m.insert(k.clone(), x.clone());
            }
        }
        _ => return Err(ApiError::bad_request("the body must be a JSON object")),
    }
    let s: ContractSettings = serde_json::from_value(v)
        .map_err(|e| ApiError::validation(vec![FieldError::new("settings", e.to_string())]))?;
    state.store.set_contract_settings(&auth.actor(), &s).await?;
    Ok(Json(serde_json::to_value(s).map_err(ApiError::internal)?))
}
