//! Technology contracts: drafts, the registration workflow (every step audited and kept in
//! `contract_events`), certificate numbers allocated per site and year inside the registering
//! transaction, all-or-nothing bulk import of registered contracts, and the statistics of
//! DOMAIN.md §3 computed by SQL aggregates fed through the core's `StatsAccumulator`.

use crate::audit::append;
use crate::orgs::insert_org;
use crate::{now, Page, Result, Store, StoreError};
use chengguo_core::contract::{
    can_create, can_edit, districts_of, is_applicant_member, is_site_registrar, parse_date,
    transition, yoy_growth, CertificateLayout, ContractAction, ContractFact, ContractStats,
    ContractStatus, NewContract, Party, RegistrationRules, StatsAccumulator, StatsFormula,
    TransitionError, WorkCalendar,
};
use chengguo_core::{Actor, DivisionCode, Fen, FieldError, NewOrganization, OrgKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use time::Date;

/// Today in China (UTC+8): registration dates and deadlines are local days.
pub fn today_cn() -> Date {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
}

/// A party as registered on the contract, with the platform organization it was matched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyRow {
    pub org_id: Option<i64>,
    pub name: String,
    pub credit_code: Option<String>,
    pub division_code: Option<String>,
    pub country: String,
    pub nature: String,
}

impl PartyRow {
    /// In China and within the division-code prefix.
    pub fn in_region(&self, prefix: &str) -> bool {
        self.country == chengguo_core::contract::CHINA
            && self
                .division_code
                .as_deref()
                .is_some_and(|d| d.starts_with(prefix))
    }
}

/// A stored contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contract {
    pub id: i64,
    pub contract_no: String,
    pub title: String,
    pub category: String,
    pub subtype: Option<String>,
    pub signed_on: String,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub seller: PartyRow,
    pub buyer: PartyRow,
    pub applicant_org_id: Option<i64>,
    pub contract_amount: Fen,
    pub tech_transaction_amount: Fen,
    pub tech_field: String,
    pub ip_type: String,
    pub plan_category: Option<String>,
    pub payment_schedule: serde_json::Value,
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    pub site_id: Option<i64>,
    pub status: ContractStatus,
    pub expert_reviewed: bool,
    pub submitted_on: Option<String>,
    pub clock_started_on: Option<String>,
    pub registration_no: Option<String>,
    pub registered_on: Option<String>,
    pub refusal_ground: Option<String>,
    pub imported: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// One step of a contract's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractEvent {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
}

const COLUMNS: &str = "id, contract_no, title, category, subtype, signed_on, valid_from, valid_until, \
    seller_org_id, seller_name, seller_credit_code, seller_division_code, seller_country, seller_nature, \
    buyer_org_id, buyer_name, buyer_credit_code, buyer_division_code, buyer_country, buyer_nature, \
    applicant_org_id, contract_amount, tech_transaction_amount, tech_field, ip_type, plan_category, \
    payment_schedule, achievement_id, demand_id, site_id, status, expert_reviewed, submitted_on, \
    clock_started_on, registration_no, registered_on, refusal_ground, imported, created_by, created_at, updated_at";

fn to_contract(r: &AnyRow) -> std::result::Result<Contract, sqlx::Error> {
    let party = |p: &str| -> std::result::Result<PartyRow, sqlx::Error> {
        Ok(PartyRow {
            org_id: r.try_get(format!("{p}_org_id").as_str())?,
            name: r.try_get(format!("{p}_name").as_str())?,
            credit_code: r.try_get(format!("{p}_credit_code").as_str())?,
            division_code: r.try_get(format!("{p}_division_code").as_str())?,
            country: r.try_get(format!("{p}_country").as_str())?,
            nature: r.try_get(format!("{p}_nature").as_str())?,
        })
    };
    let status: String = r.try_get("status")?;
    let schedule: String = r.try_get("payment_schedule")?;
    Ok(Contract {
        id: r.try_get("id")?,
        contract_no: r.try_get("contract_no")?,
        title: r.try_get("title")?,
        category: r.try_get("category")?,
        subtype: r.try_get("subtype")?,
        signed_on: r.try_get("signed_on")?,
        valid_from: r.try_get("valid_from")?,
        valid_until: r.try_get("valid_until")?,
        seller: party("seller")?,
        buyer: party("buyer")?,
        applicant_org_id: r.try_get("applicant_org_id")?,
        contract_amount: Fen(r.try_get("contract_amount")?),
        tech_transaction_amount: Fen(r.try_get("tech_transaction_amount")?),
        tech_field: r.try_get("tech_field")?,
        ip_type: r.try_get("ip_type")?,
        plan_category: r.try_get("plan_category")?,
        payment_schedule: serde_json::from_str(&schedule).unwrap_or(json!([])),
        achievement_id: r.try_get("achievement_id")?,
        demand_id: r.try_get("demand_id")?,
        site_id: r.try_get("site_id")?,
        // Statuses are written only from `ContractStatus::as_str`.
        status: ContractStatus::parse(&status).unwrap_or(ContractStatus::Draft),
        expert_reviewed: r.try_get::<i64, _>("expert_reviewed")? != 0,
        submitted_on: r.try_get("submitted_on")?,
        clock_started_on: r.try_get("clock_started_on")?,
        registration_no: r.try_get("registration_no")?,
        registered_on: r.try_get("registered_on")?,
        refusal_ground: r.try_get("refusal_ground")?,
        imported: r.try_get::<i64, _>("imported")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The settings of contract registration and statistics, kept as the JSON setting `contracts`
/// (every field optional; the defaults follow DOMAIN.md §2–§3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractSettings {
    /// 技术交易额 in yuan at or above which expert review is required.
    pub expert_threshold: String,
    /// Working days to decide.
    pub review_days: u32,
    /// Working days to decide with expert review.
    pub review_days_expert: u32,
    /// The certificate (registration) number layout.
    pub certificate_layout: String,
    /// Public holidays on weekdays, `YYYY-MM-DD`.
    pub holidays: Vec<String>,
    /// Weekend days that are worked (调休), `YYYY-MM-DD`.
    pub adjusted_workdays: Vec<String>,
    /// The local conversion rate's formula.
    pub formula: StatsFormula,
}

impl Default for ContractSettings {
    fn default() -> Self {
        ContractSettings {
            expert_threshold: "5000000.00".into(),
            review_days: 15,
            review_days_expert: 30,
            certificate_layout: CertificateLayout::DEFAULT.into(),
            holidays: Vec::new(),
            adjusted_workdays: Vec::new(),
            formula: StatsFormula::default(),
        }
    }
}

impl ContractSettings {
    pub const KEY: &'static str = "contracts";

    /// The registration rules, or every problem of the settings.
    pub fn rules(&self) -> std::result::Result<RegistrationRules, Vec<FieldError>> {
        let mut errs = Vec::new();
        let threshold = Fen::parse_non_negative(&self.expert_threshold)
            .map_err(|e| errs.push(FieldError::new("expert_threshold", e.to_string())))
            .ok();
        let layout = CertificateLayout::parse(&self.certificate_layout)
            .map_err(|e| errs.push(FieldError::new("certificate_layout", e.to_string())))
            .ok();
        for (field, days) in [
            ("review_days", self.review_days),
            ("review_days_expert", self.review_days_expert),
        ] {
            if !(1..=365).contains(&days) {
                errs.push(FieldError::new(field, "must be 1 to 365 working days"));
            }
        }
        let _ = self.calendar_checked(&mut errs);
        match (threshold, layout) {
            (Some(expert_threshold), Some(certificate_layout)) if errs.is_empty() => {
                Ok(RegistrationRules {
                    expert_threshold,
                    review_days: self.review_days,
                    review_days_expert: self.review_days_expert,
                    certificate_layout,
                })
            }
            _ => Err(errs),
        }
    }

    fn calendar_checked(&self, errs: &mut Vec<FieldError>) -> WorkCalendar {
        let mut dates = |field: &str, list: &[String]| -> Vec<Date> {
            list.iter()
                .filter_map(|d| {
                    parse_date(d)
                        .map_err(|e| errs.push(FieldError::new(field, e.to_string())))
                        .ok()
                })
                .collect()
        };
        let h = dates("holidays", &self.holidays);
        let a = dates("adjusted_workdays", &self.adjusted_workdays);
        WorkCalendar::new(h, a)
    }

    /// The working-day calendar (bad dates, refused when the settings are saved, are skipped).
    pub fn calendar(&self) -> WorkCalendar {
        self.calendar_checked(&mut Vec::new())
    }
}

/// Why a contract operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The caller may not do this to this contract (403).
    #[error("{0}")]
    Denied(String),
    /// A workflow rule refused the action (403, 409 or 422 by its code).
    #[error(transparent)]
    Transition(TransitionError),
    /// Fields that are wrong in context (422), e.g. a site that is not a registration site.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ContractError {
    fn from(e: sqlx::Error) -> Self {
        ContractError::Store(StoreError::Db(e))
    }
}

/// Filters of a contract list.
#[derive(Debug, Clone, Default)]
pub struct ContractQuery {
    /// Only contracts this organization is a party to (seller, buyer or applicant) …
    pub party_org: Option<i64>,
    /// … or (with `party_org`, either) submitted to this site.
    pub site_id: Option<i64>,
    pub statuses: Vec<ContractStatus>,
    /// Part of the title, the contract number, a party's name or the registration number.
    pub q: Option<String>,
    /// Sort: `updated_at` (default), `signed_on`, `registered_on`, `contract_amount`, `status`,
    /// `deadline` (the review clock's start).
    pub sort: String,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Which figure of the statistics a list of records is behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Seller in the region (turnover, output).
    Turnover,
    OutputLocal,
    OutputNonLocal,
    /// Buyer in the region.
    Absorption,
    AbsorptionLocal,
    AbsorptionNonLocal,
}

impl Measure {
    pub const ALL: [Measure; 6] = [
        Measure::Turnover,
        Measure::OutputLocal,
        Measure::OutputNonLocal,
        Measure::Absorption,
        Measure::AbsorptionLocal,
        Measure::AbsorptionNonLocal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Turnover => "turnover",
            Measure::OutputLocal => "output_local",
            Measure::OutputNonLocal => "output_non_local",
            Measure::Absorption => "absorption",
            Measure::AbsorptionLocal => "absorption_local",
            Measure::AbsorptionNonLocal => "absorption_non_local",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Measure::Turnover => "技术合同成交额（卖方在本地）",
            Measure::OutputLocal => "输出到本地",
            Measure::OutputNonLocal => "输出到外地",
            Measure::Absorption => "吸纳（买方在本地）",
            Measure::AbsorptionLocal => "吸纳本地技术",
            Measure::AbsorptionNonLocal => "吸纳外地技术",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Measure::Turnover => "Turnover (seller in the region)",
            Measure::OutputLocal => "Output to the region",
            Measure::OutputNonLocal => "Output elsewhere",
            Measure::Absorption => "Absorption (buyer in the region)",
            Measure::AbsorptionLocal => "Absorbed from the region",
            Measure::AbsorptionNonLocal => "Absorbed from elsewhere",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }

    fn seller_side(self) -> bool {
        matches!(
            self,
            Measure::Turnover | Measure::OutputLocal | Measure::OutputNonLocal
        )
    }
}

/// The contracts behind one figure of the statistics.
#[derive(Debug, Clone)]
pub struct RecordsQuery {
    /// A division-code prefix, already checked (`parse_region`).
    pub region: String,
    pub from: Date,
    pub to: Date,
    pub measure: Measure,
    /// Only this category (seller-side figures by category).
    pub category: Option<String>,
    /// Only this district (a division code within the region): the seller's for seller-side
    /// measures, the buyer's for absorption.
    pub district: Option<String>,
    /// Only contracts registered at this site (a registrar's drill-down: its own site's).
    pub site_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// The statistics of a period with the comparison the plan's targets need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsOutcome {
    pub stats: ContractStats,
    /// 本地吸纳 contracts (seller and buyer in the region) in the same period a year earlier.
    pub local_absorption_prev_year: u64,
    /// Their growth, `None` when the year before had none.
    pub local_absorption_yoy: Option<f64>,
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContractImportOutcome {
    pub created: usize,
    /// Parties unknown to the platform, created as organizations.
    pub organizations_created: usize,
}

/// The seller's identity for duplicate contract numbers.
fn seller_key(p: &Party) -> String {
    match &p.credit_code {
        Some(c) => c.to_string(),
        None => format!("name:{}|{}", p.country, p.name),
    }
}

/// The kind an organization created from a contract party gets.
fn kind_for_nature(nature: &str) -> OrgKind {
    match nature {
        "022" => OrgKind::University,
        "021" | "020" | "023" | "024" => OrgKind::Institute,
        "010" => OrgKind::Government,
        _ => OrgKind::Enterprise,
    }
}

type Tx = Transaction<'static, Any>;

mod import;
pub use import::{ContractFeed, FeedOutcome, FeedProgress, StoredDuplicate};

/// Finds the organization of a domestic party by credit code, creating it (audited) when the
/// platform does not know it. Foreign parties have no organization.
async fn resolve_party(
    tx: &mut Tx,
    actor: &Actor,
    p: &Party,
    cache: &mut HashMap<String, i64>,
    created: &mut usize,
) -> Result<Option<i64>> {
    let (Some(code), Some(division)) = (&p.credit_code, &p.division_code) else {
        return Ok(None);
    };
    if let Some(id) = cache.get(code.as_str()) {
        return Ok(Some(*id));
    }
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM organizations WHERE credit_code = $1")
            .bind(code.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    let id = match found {
        Some((id,)) => id,
        None => {
            let org = insert_org(
                tx,
                &NewOrganization {
                    name: p.name.clone(),
                    credit_code: code.clone(),
                    division_code: division.clone(),
                    nature: p.nature.clone(),
                    kind: kind_for_nature(&p.nature),
                    description: PARTY_DESCRIPTION.into(),
                    is_demo: false,
                },
            )
            .await?;
            append(
                tx,
                &actor.username,
                "create",
                "organization",
                &org.id.to_string(),
                &json!(org),
            )
            .await?;
            *created += 1;
            org.id
        }
    };
    cache.insert(code.to_string(), id);
    Ok(Some(id))
}

const INSERT_COLUMNS: [&str; 39] = [
    "contract_no",
    "title",
    "category",
    "subtype",
    "signed_on",
    "valid_from",
    "valid_until",
    "seller_key",
    "seller_org_id",
    "seller_name",
    "seller_credit_code",
    "seller_division_code",
    "seller_country",
    "seller_nature",
    "buyer_org_id",
    "buyer_name",
    "buyer_credit_code",
    "buyer_division_code",
    "buyer_country",
    "buyer_nature",
    "applicant_org_id",
    "contract_amount",
    "tech_transaction_amount",
    "tech_field",
    "ip_type",
    "plan_category",
    "payment_schedule",
    "achievement_id",
    "demand_id",
    "site_id",
    "status",
    "counted",
    "registration_no",
    "registered_on",
    "reg_year",
    "imported",
    "created_by",
    "created_at",
    "updated_at",
];

/// One contract's values for `INSERT_COLUMNS`.
struct Insert<'a> {
    c: &'a NewContract,
    seller_org: Option<i64>,
    buyer_org: Option<i64>,
    status: ContractStatus,
    imported: bool,
}

fn bind_insert<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    i: &Insert<'_>,
    actor: &str,
    at: &str,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    let c = i.c;
    let opt_date = |d: Option<Date>| d.map(|d| d.to_string());
    let applicant = if c.seller.is_domestic() {
        i.seller_org
    } else {
        i.buyer_org
    };
    let reg = c.registration.as_ref();
    q = q
        .bind(c.contract_no.clone())
        .bind(c.title.clone())
        .bind(c.category.clone())
        .bind(c.subtype.clone())
        .bind(c.signed_on.to_string())
        .bind(opt_date(c.valid_from))
        .bind(opt_date(c.valid_until))
        .bind(seller_key(&c.seller));
    for (p, org) in [(&c.seller, i.seller_org), (&c.buyer, i.buyer_org)] {
        q = q
            .bind(org)
            .bind(p.name.clone())
            .bind(p.credit_code.as_ref().map(|x| x.to_string()))
            .bind(p.division_code.as_ref().map(|x| x.to_string()))
            .bind(p.country.clone())
            .bind(p.nature.clone());
    }
    q.bind(applicant)
        .bind(c.contract_amount.0)
        .bind(c.tech_transaction_amount.0)
        .bind(c.tech_field.clone())
        .bind(c.ip_type.clone())
        .bind(c.plan_category.clone())
        .bind(serde_json::to_string(&c.payment_schedule).unwrap_or_else(|_| "[]".into()))
        .bind(c.achievement_id)
        .bind(c.demand_id)
        .bind(c.site_id)
        .bind(i.status.as_str().to_string())
        .bind(i64::from(i.status.counts_in_statistics()))
        .bind(reg.map(|r| r.registration_no.clone()))
        .bind(reg.map(|r| r.registered_on.to_string()))
        .bind(reg.map(|r| i64::from(r.registered_on.year())))
        .bind(i64::from(i.imported))
        .bind(actor.to_string())
        .bind(at.to_string())
        .bind(at.to_string())
}

fn insert_sql(rows: usize) -> String {
    let n = INSERT_COLUMNS.len();
    let mut sql = format!(
        "INSERT INTO contracts ({}) VALUES ",
        INSERT_COLUMNS.join(", ")
    );
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for k in 0..n {
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * n + k + 1));
        }
        sql.push(')');
    }
    sql
}

/// The columns a bulk import takes from its JSON rows, in order, and whether each is an integer;
/// `imported`, `created_by`, `created_at` and `updated_at` are the same for every row.
const BULK_COLUMNS: [(&str, bool); 35] = [
    ("contract_no", false),
    ("title", false),
    ("category", false),
    ("subtype", false),
    ("signed_on", false),
    ("valid_from", false),
    ("valid_until", false),
    ("seller_key", false),
    ("seller_org_id", true),
    ("seller_name", false),
    ("seller_credit_code", false),
    ("seller_division_code", false),
    ("seller_country", false),
    ("seller_nature", false),
    ("buyer_org_id", true),
    ("buyer_name", false),
    ("buyer_credit_code", false),
    ("buyer_division_code", false),
    ("buyer_country", false),
    ("buyer_nature", false),
    ("applicant_org_id", true),
    ("contract_amount", true),
    ("tech_transaction_amount", true),
    ("tech_field", false),
    ("ip_type", false),
    ("plan_category", false),
    ("payment_schedule", false),
    ("achievement_id", true),
    ("demand_id", true),
    ("site_id", true),
    ("status", false),
    ("counted", true),
    ("registration_no", false),
    ("registered_on", false),
    ("reg_year", true),
];

/// `INSERT … SELECT` of many contracts passed as one JSON array of arrays (`$1`): one parameter
/// per statement, unpacked by the database itself (binding thousands of parameters through
/// sqlx is slow). The select list is the same on both databases; only the row source differs.
fn bulk_insert_sql(backend: crate::Backend) -> String {
    let mut select = Vec::with_capacity(BULK_COLUMNS.len());
    for (i, (_, int)) in BULK_COLUMNS.iter().enumerate() {
        select.push(if *int {
            format!("CAST(j.value ->> {i} AS BIGINT)")
        } else {
            format!("j.value ->> {i}")
        });
    }
    // SQLite: each row converted to its binary form once (materialized), so that the 35
    // extractions do not re-read its text.
    let rows = match backend {
        crate::Backend::Sqlite => {
            "WITH j AS MATERIALIZED (SELECT jsonb(value) AS value FROM json_each($1))"
        }
        crate::Backend::Postgres => {
            "WITH j AS (SELECT value FROM json_array_elements(CAST($1 AS JSON)) AS e(value))"
        }
    };
    let names: Vec<&str> = BULK_COLUMNS.iter().map(|(n, _)| *n).collect();
    format!(
        "INSERT INTO contracts ({}, imported, created_by, created_at, updated_at) \
         {rows} SELECT {}, 1, $2, $3, $3 FROM j",
        names.join(", "),
        select.join(", ")
    )
}

/// One value of [`BULK_COLUMNS`].
enum BulkValue<'a> {
    Text(Option<std::borrow::Cow<'a, str>>),
    Int(Option<i64>),
}

/// One contract's values in the order of [`BULK_COLUMNS`]: what both the JSON batches and the
/// SQLite prepared statement (`import::native`) write.
fn bulk_values<'a>(i: &Insert<'a>) -> [BulkValue<'a>; 35] {
    use std::borrow::Cow::{Borrowed, Owned};
    use BulkValue::{Int, Text};
    let c = i.c;
    let applicant = if c.seller.is_domestic() {
        i.seller_org
    } else {
        i.buyer_org
    };
    let reg = c.registration.as_ref();
    let date = |d: Option<Date>| Text(d.map(|d| Owned(iso_date(d))));
    let text = |s: &'a str| Text(Some(Borrowed(s)));
    let opt = |s: Option<&'a str>| Text(s.map(Borrowed));
    let (s, b) = (&c.seller, &c.buyer);
    [
        text(&c.contract_no),
        text(&c.title),
        text(&c.category),
        opt(c.subtype.as_deref()),
        date(Some(c.signed_on)),
        date(c.valid_from),
        date(c.valid_until),
        Text(Some(match &s.credit_code {
            Some(code) => Borrowed(code.as_str()),
            None => Owned(seller_key(s)),
        })),
        Int(i.seller_org),
        text(&s.name),
        opt(s.credit_code.as_ref().map(|x| x.as_str())),
        opt(s.division_code.as_ref().map(|x| x.as_str())),
        text(&s.country),
        text(&s.nature),
        Int(i.buyer_org),
        text(&b.name),
        opt(b.credit_code.as_ref().map(|x| x.as_str())),
        opt(b.division_code.as_ref().map(|x| x.as_str())),
        text(&b.country),
        text(&b.nature),
        Int(applicant),
        Int(Some(c.contract_amount.0)),
        Int(Some(c.tech_transaction_amount.0)),
        text(&c.tech_field),
        text(&c.ip_type),
        opt(c.plan_category.as_deref()),
        Text(Some(if c.payment_schedule.is_empty() {
            Borrowed("[]")
        } else {
            Owned(serde_json::to_string(&c.payment_schedule).unwrap_or_else(|_| "[]".into()))
        })),
        Int(c.achievement_id),
        Int(c.demand_id),
        Int(c.site_id),
        text(i.status.as_str()),
        Int(Some(i64::from(i.status.counts_in_statistics()))),
        opt(reg.map(|r| r.registration_no.as_str())),
        date(reg.map(|r| r.registered_on)),
        Int(reg.map(|r| i64::from(r.registered_on.year()))),
    ]
}

/// `YYYY-MM-DD`, as `Date`'s `Display` writes it.
fn iso_date(d: Date) -> String {
    let mut s = String::with_capacity(10);
    push_iso_date(&mut s, d);
    s
}

/// Appends `YYYY-MM-DD` (as `Date`'s `Display`) without the formatting machinery for the
/// four-digit years every contract date has (1900–2999 by `parse_date`): an import of a
/// million rows formats two or three dates per row.
fn push_iso_date(out: &mut String, d: Date) {
    let Ok(year) =
        u32::try_from(d.year())
            .map_err(drop)
            .and_then(|y| if y <= 9999 { Ok(y) } else { Err(()) })
    else {
        out.push_str(&d.to_string());
        return;
    };
    let (month, day) = (u32::from(u8::from(d.month())), u32::from(d.day()));
    let digit = |n: u32| char::from_digit(n % 10, 10).unwrap_or('0');
    for n in [year / 1000, year / 100, year / 10, year] {
        out.push(digit(n));
    }
    for n in [month, day] {
        out.push('-');
        out.push(digit(n / 10));
        out.push(digit(n));
    }
}

/// Appends one contract as a JSON array in the order of [`BULK_COLUMNS`].
fn push_bulk_row(out: &mut String, i: &Insert<'_>) {
    use std::fmt::Write;
    out.push('[');
    for (k, v) in bulk_values(i).iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        match v {
            // Serializing a &str to a String cannot fail.
            BulkValue::Text(Some(s)) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            BulkValue::Int(Some(n)) => {
                let _ = write!(out, "{n}");
            }
            BulkValue::Text(None) | BulkValue::Int(None) => out.push_str("null"),
        }
    }
    out.push(']');
}

/// A duplicate contract number of the same seller (SQLite names the columns, PostgreSQL the
/// index) becomes a conflict on `contract_no`.
fn conflict(e: sqlx::Error, c: &NewContract) -> StoreError {
    match StoreError::from_db(
        e,
        &[
            ("seller_key", c.contract_no.as_str()),
            ("contracts_seller_no", c.contract_no.as_str()),
        ],
    ) {
        StoreError::Conflict { value, .. } => StoreError::Conflict {
            field: "contract_no".into(),
            value,
        },
        other => other,
    }
}

async fn record_event(
    tx: &mut Tx,
    id: i64,
    actor: &str,
    action: &str,
    from: Option<ContractStatus>,
    to: ContractStatus,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO contract_events (contract_id, at, actor, action, from_status, to_status, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(now())
    .bind(actor)
    .bind(action)
    .bind(from.map(|s| s.as_str().to_string()))
    .bind(to.as_str())
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn fetch(tx: &mut Tx, id: i64) -> Result<Contract> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM contracts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("contract {id}")))?;
    Ok(to_contract(&row)?)
}

/// Checks that `site_id` is an organization of kind registration_site.
async fn check_site(tx: &mut Tx, site_id: Option<i64>) -> std::result::Result<(), ContractError> {
    let Some(site) = site_id else { return Ok(()) };
    let kind: Option<(String,)> = sqlx::query_as("SELECT kind FROM organizations WHERE id = $1")
        .bind(site)
        .fetch_optional(&mut **tx)
        .await?;
    match kind {
        Some((k,)) if k == OrgKind::RegistrationSite.as_str() => Ok(()),
        _ => Err(ContractError::Invalid(vec![FieldError::new(
            "site_id",
            format!("{site} 不是技术合同登记点 / is not a contract registration site"),
        )])),
    }
}

/// The links of a contract along the chain must name an existing achievement and demand that
/// `actor` may read (the read rules of the API): otherwise 422 naming `achievement_id` or
/// `demand_id`, the same answer for a missing record and one the caller may not see.
async fn check_links(
    tx: &mut Tx,
    actor: &Actor,
    achievement_id: Option<i64>,
    demand_id: Option<i64>,
) -> std::result::Result<(), ContractError> {
    use chengguo_core::achievement::{ReadScope, Visibility};
    let mut errors = Vec::new();
    if let Some(id) = achievement_id {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT owner_org_id, status, visibility FROM achievements WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        let readable = row.is_some_and(|(owner, status, vis)| {
            ReadScope::achievements(Some(actor)).can_read(
                owner,
                status == "published",
                Visibility::parse(&vis).unwrap_or(Visibility::Restricted),
            )
        });
        if !readable {
            errors.push(FieldError::new(
                "achievement_id",
                format!("没有可供关联的成果 {id} / no achievement {id} that this account may link"),
            ));
        }
    }
    if let Some(id) = demand_id {
        let row: Option<(i64, String, String)> =
            sqlx::query_as("SELECT owner_org_id, status, visibility FROM demands WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
        let readable = row.is_some_and(|(owner, status, vis)| {
            chengguo_core::demand::read_scope(Some(actor)).can_read(
                owner,
                status == "published",
                Visibility::parse(&vis).unwrap_or(Visibility::Restricted),
            )
        });
        if !readable {
            errors.push(FieldError::new(
                "demand_id",
                format!("没有可供关联的需求 {id} / no demand {id} that this account may link"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ContractError::Invalid(errors))
    }
}

// ---- The statistics summary (`contract_summary`, migration 0007) ----

/// The key and measures of `contract_summary` computed from `contracts` (the same expressions as
/// migration 0007): one row per registration month and every dimension the statistics read.
const SUMMARY_SELECT: &str =
    "SELECT SUBSTR(registered_on, 1, 7), COALESCE(seller_division_code, ''), \
    COALESCE(buyer_division_code, ''), buyer_country, \
    CASE WHEN seller_nature IN ('021', '022') THEN seller_nature ELSE '' END, category, \
    COUNT(*), CAST(SUM(contract_amount) AS BIGINT), CAST(SUM(tech_transaction_amount) AS BIGINT) \
    FROM contracts WHERE counted = 1 AND registered_on IS NOT NULL";
const SUMMARY_GROUP: &str =
    " GROUP BY SUBSTR(registered_on, 1, 7), COALESCE(seller_division_code, ''), \
    COALESCE(buyer_division_code, ''), buyer_country, \
    CASE WHEN seller_nature IN ('021', '022') THEN seller_nature ELSE '' END, category";
const SUMMARY_INSERT: &str = "INSERT INTO contract_summary (month, seller_division_code, \
    buyer_division_code, buyer_country, seller_nature, category, contracts, contract_amount, \
    tech_transaction_amount) ";
const SUMMARY_UPSERT: &str = " ON CONFLICT (month, seller_division_code, buyer_division_code, \
    buyer_country, seller_nature, category) DO UPDATE SET \
    contracts = contract_summary.contracts + excluded.contracts, \
    contract_amount = contract_summary.contract_amount + excluded.contract_amount, \
    tech_transaction_amount = contract_summary.tech_transaction_amount + excluded.tech_transaction_amount";

/// One row of `contract_summary`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SummaryRow {
    pub month: String,
    pub seller_division_code: String,
    pub buyer_division_code: String,
    pub buyer_country: String,
    pub seller_nature: String,
    pub category: String,
    pub contracts: i64,
    pub contract_amount: i64,
    pub tech_transaction_amount: i64,
}

/// The seller nature a summary row keeps: universities (`022`) and research institutes (`021`),
/// which the conversion rate may count alone; every other nature is `''`.
fn summary_nature(nature: &str) -> &str {
    match nature {
        n @ ("021" | "022") => n,
        _ => "",
    }
}

/// The summary row a stored contract counts in (`None` when the statistics do not count it),
/// with its own measures.
fn summary_row(c: &Contract) -> Option<SummaryRow> {
    if !c.status.counts_in_statistics() {
        return None;
    }
    let on = c.registered_on.as_deref()?;
    Some(SummaryRow {
        month: on.chars().take(7).collect(),
        seller_division_code: c.seller.division_code.clone().unwrap_or_default(),
        buyer_division_code: c.buyer.division_code.clone().unwrap_or_default(),
        buyer_country: c.buyer.country.clone(),
        seller_nature: summary_nature(&c.seller.nature).to_string(),
        category: c.category.clone(),
        contracts: 1,
        contract_amount: c.contract_amount.0,
        tech_transaction_amount: c.tech_transaction_amount.0,
    })
}

/// Moves one contract out of (`before`) and into (`after`) the summary, in the caller's write
/// transaction. Either may count or not; rows that drop to no contracts are deleted.
async fn update_summary(tx: &mut Tx, before: &Contract, after: &Contract) -> Result<()> {
    let (old, new) = (summary_row(before), summary_row(after));
    if old == new {
        return Ok(());
    }
    for (row, sign) in [(old, -1i64), (new, 1)] {
        let Some(r) = row else { continue };
        sqlx::query(&format!(
            "{SUMMARY_INSERT}VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9){SUMMARY_UPSERT}"
        ))
        .bind(&r.month)
        .bind(&r.seller_division_code)
        .bind(&r.buyer_division_code)
        .bind(&r.buyer_country)
        .bind(&r.seller_nature)
        .bind(&r.category)
        .bind(sign)
        .bind(sign * r.contract_amount)
        .bind(sign * r.tech_transaction_amount)
        .execute(&mut **tx)
        .await?;
        if sign < 0 {
            sqlx::query(
                "DELETE FROM contract_summary WHERE month = $1 AND seller_division_code = $2 \
                 AND buyer_division_code = $3 AND buyer_country = $4 AND seller_nature = $5 \
                 AND category = $6 AND contracts = 0",
            )
            .bind(&r.month)
            .bind(&r.seller_division_code)
            .bind(&r.buyer_division_code)
            .bind(&r.buyer_country)
            .bind(&r.seller_nature)
            .bind(&r.category)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Adds the counted contracts with ids above `after_id` (a bulk import's rows) to the summary.
async fn add_to_summary_after(tx: &mut Tx, after_id: i64) -> Result<()> {
    sqlx::query(&format!(
        "{SUMMARY_INSERT}{SUMMARY_SELECT} AND id > $1{SUMMARY_GROUP}{SUMMARY_UPSERT}"
    ))
    .bind(after_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A period split into whole months (read from the summary) and the days at its edges (read
/// from `contracts`).
#[derive(Debug, Default, PartialEq, Eq)]
struct PeriodParts {
    /// First and last whole month, `YYYY-MM`.
    months: Option<(String, String)>,
    days: Vec<(Date, Date)>,
}

fn split_period(from: Date, to: Date) -> PeriodParts {
    let mut parts = PeriodParts::default();
    if from > to {
        return parts;
    }
    let index = |d: Date| d.year() * 12 + i32::from(u8::from(d.month())) - 1;
    let month_of = |i: i32| format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1);
    let last_day = |d: Date| d.month().length(d.year());
    let first_full = if from.day() == 1 {
        index(from)
    } else {
        index(from) + 1
    };
    let last_full = if to.day() == last_day(to) {
        index(to)
    } else {
        index(to) - 1
    };
    if first_full > last_full {
        parts.days.push((from, to));
        return parts;
    }
    parts.months = Some((month_of(first_full), month_of(last_full)));
    if from.day() != 1 {
        let end = from.replace_day(last_day(from)).unwrap_or(from);
        parts.days.push((from, end));
    }
    if to.day() != last_day(to) {
        let start = to.replace_day(1).unwrap_or(to);
        parts.days.push((start, to));
    }
    parts
}

/// The party columns of a statistics group for the region bound as `$3` (`LIKE`): a seller's
/// division when in the region, else empty; a buyer's division and country when a domestic buyer
/// in the region, else empty (which no region or district prefix matches, as for a contract with
/// no buyer division).
const PARTIES: &str = "CASE WHEN seller_division_code LIKE $3 THEN seller_division_code ELSE '' END, \
     CASE WHEN buyer_country = '156' AND buyer_division_code LIKE $3 THEN buyer_division_code ELSE '' END, \
     CASE WHEN buyer_country = '156' AND buyer_division_code LIKE $3 THEN '156' ELSE '' END";

/// Counted contracts touching a region, grouped by what the statistics read.
pub(crate) struct Group {
    seller_division: String,
    buyer_division: String,
    buyer_country: String,
    nature: String,
    category: String,
    n: i64,
    amount: i64,
    tx: i64,
}

/// The statistics of `region` from groups read for it or for a region containing it (the
/// groups of a wider region are filtered by the same predicate as `stats_groups`' SQL: the seller
/// in the region, or a domestic buyer in it), so a district's figures can come from the city's
/// groups, read once.
pub(crate) fn accumulate_groups(
    groups: &[Group],
    region: &str,
    formula: StatsFormula,
) -> ContractStats {
    let mut acc = StatsAccumulator::new(region, formula, districts_of(region));
    for g in groups.iter().filter(|g| {
        g.seller_division.starts_with(region)
            || (g.buyer_country == "156" && g.buyer_division.starts_with(region))
    }) {
        acc.add_group(
            &ContractFact {
                seller_division: nonempty(&g.seller_division),
                buyer_division: nonempty(&g.buyer_division),
                buyer_country: &g.buyer_country,
                seller_nature: &g.nature,
                category: &g.category,
                contract_amount: Fen(g.amount),
                tx_amount: Fen(g.tx),
            },
            g.n as u64,
        );
    }
    acc.finish()
}

fn nonempty(d: &str) -> Option<&str> {
    (!d.is_empty()).then_some(d)
}

fn to_group(r: &AnyRow) -> std::result::Result<Group, sqlx::Error> {
    Ok(Group {
        seller_division: r.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
        buyer_division: r.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
        buyer_country: r.try_get(2)?,
        nature: r.try_get(3)?,
        category: r.try_get(4)?,
        n: r.try_get(5)?,
        amount: r.try_get(6)?,
        tx: r.try_get(7)?,
    })
}

impl Store {
    /// The contract settings (defaults for what is not set).
    pub async fn contract_settings(&self) -> Result<ContractSettings> {
        Ok(match self.setting(ContractSettings::KEY).await? {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => ContractSettings::default(),
        })
    }

    /// Saves the contract settings after checking them (audited).
    pub async fn set_contract_settings(
        &self,
        actor: &Actor,
        s: &ContractSettings,
    ) -> std::result::Result<(), ContractError> {
        s.rules().map_err(ContractError::Invalid)?;
        let v = serde_json::to_value(s).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.set_setting(actor, ContractSettings::KEY, &v).await?;
        Ok(())
    }

    /// Creates a draft. Parties the platform does not know are created as organizations.
    pub async fn create_contract(
        &self,
        actor: &Actor,
        new: &NewContract,
    ) -> std::result::Result<Contract, ContractError> {
        let mut tx = self.begin_write().await?;
        check_site(&mut tx, new.site_id).await?;
        check_links(&mut tx, actor, new.achievement_id, new.demand_id).await?;
        // The applicant's organization must exist for anyone but the bureau and the site's
        // registrar to enter the contract.
        let applicant = new.applicant();
        let applicant_org = match &applicant.credit_code {
            Some(code) => {
                sqlx::query_as::<_, (i64,)>("SELECT id FROM organizations WHERE credit_code = $1")
                    .bind(code.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|(id,)| id)
            }
            None => None,
        };
        if !can_create(actor, applicant_org, new.site_id) {
            return Err(ContractError::Denied(
                "只能为本单位作为卖方（技术进口时为买方）的合同填报，或由该登记点登记员录入 / \
                 only members of the applicant organization (the seller; the buyer of a technology import), \
                 the registrars of the chosen site or the bureau may enter this contract"
                    .into(),
            ));
        }
        let mut cache = HashMap::new();
        let mut created = 0;
        let seller_org =
            resolve_party(&mut tx, actor, &new.seller, &mut cache, &mut created).await?;
        let buyer_org = resolve_party(&mut tx, actor, &new.buyer, &mut cache, &mut created).await?;
        let at = now();
        let ins = Insert {
            c: new,
            seller_org,
            buyer_org,
            status: ContractStatus::Draft,
            imported: false,
        };
        let mut draft = new.clone();
        draft.registration = None;
        let ins = Insert { c: &draft, ..ins };
        let sql = format!("{} RETURNING id", insert_sql(1));
        let (id,): (i64,) = bind_insert(sqlx::query(&sql), &ins, &actor.username, &at)
            .fetch_one(&mut *tx)
            .await
            .map(|r: AnyRow| (r.get::<i64, _>(0),))
            .map_err(|e| conflict(e, new))?;
        record_event(
            &mut tx,
            id,
            &actor.username,
            "create",
            None,
            ContractStatus::Draft,
            "",
        )
        .await?;
        let c = fetch(&mut tx, id).await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "contract",
            &id.to_string(),
            &json!(c),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn get_contract(&self, id: i64) -> Result<Option<Contract>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM contracts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => Some(to_contract(&r)?),
            None => None,
        })
    }

    /// The registration history, oldest first. Imported contracts have one synthetic step.
    pub async fn contract_history(&self, id: i64) -> Result<Vec<ContractEvent>> {
        let rows: Vec<(String, String, String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, from_status, to_status, note FROM contract_events \
             WHERE contract_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<ContractEvent> = rows
            .into_iter()
            .map(
                |(at, actor, action, from_status, to_status, note)| ContractEvent {
                    at,
                    actor,
                    action,
                    from_status,
                    to_status,
                    note,
                },
            )
            .collect();
        if out.is_empty() {
            if let Some(c) = self.get_contract(id).await? {
                out.push(ContractEvent {
                    at: c.created_at,
                    actor: c.created_by,
                    action: "import".into(),
                    from_status: None,
                    to_status: c.status.as_str().into(),
                    note: c.registration_no.unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }

    /// Replaces a draft's (or a contract awaiting correction's) fields.
    pub async fn update_contract(
        &self,
        actor: &Actor,
        id: i64,
        new: &NewContract,
    ) -> std::result::Result<Contract, ContractError> {
        let mut tx = self.begin_write().await?;
        let before = fetch(&mut tx, id).await?;
        if !can_edit(
            actor,
            before.status,
            before.applicant_org_id,
            before.site_id,
            before.created_by == actor.username,
        ) {
            return Err(ContractError::Denied(format!(
                "状态为「{}」的合同不能由本账号修改 / this account may not change a contract that is {}",
                before.status.zh(),
                before.status
            )));
        }
        check_site(&mut tx, new.site_id).await?;
        // A link kept as it was stays (it was checked when made); a new one is checked.
        check_links(
            &mut tx,
            actor,
            new.achievement_id
                .filter(|a| before.achievement_id != Some(*a)),
            new.demand_id.filter(|d| before.demand_id != Some(*d)),
        )
        .await?;
        let mut cache = HashMap::new();
        let mut created = 0;
        let seller_org =
            resolve_party(&mut tx, actor, &new.seller, &mut cache, &mut created).await?;
        let buyer_org = resolve_party(&mut tx, actor, &new.buyer, &mut cache, &mut created).await?;
        let applicant = if new.seller.is_domestic() {
            seller_org
        } else {
            buyer_org
        };
        // Whoever edits must still be entitled to the contract afterwards.
        if !(is_applicant_member(actor, applicant) || is_site_registrar(actor, new.site_id)) {
            return Err(ContractError::Denied(
                "修改后本账号将不再是申请方或登记点 / after this change the account would no longer be the applicant or the site".into(),
            ));
        }
        let opt_date = |d: Option<Date>| d.map(|d| d.to_string());
        sqlx::query(
            "UPDATE contracts SET contract_no = $1, title = $2, category = $3, subtype = $4, signed_on = $5, \
             valid_from = $6, valid_until = $7, seller_key = $8, seller_org_id = $9, seller_name = $10, \
             seller_credit_code = $11, seller_division_code = $12, seller_country = $13, seller_nature = $14, \
             buyer_org_id = $15, buyer_name = $16, buyer_credit_code = $17, buyer_division_code = $18, \
             buyer_country = $19, buyer_nature = $20, applicant_org_id = $21, contract_amount = $22, \
             tech_transaction_amount = $23, tech_field = $24, ip_type = $25, plan_category = $26, \
             payment_schedule = $27, achievement_id = $28, demand_id = $29, site_id = $30, updated_at = $31 \
             WHERE id = $32",
        )
        .bind(new.contract_no.clone())
        .bind(new.title.clone())
        .bind(new.category.clone())
        .bind(new.subtype.clone())
        .bind(new.signed_on.to_string())
        .bind(opt_date(new.valid_from))
        .bind(opt_date(new.valid_until))
        .bind(seller_key(&new.seller))
        .bind(seller_org)
        .bind(new.seller.name.clone())
        .bind(new.seller.credit_code.as_ref().map(|x| x.to_string()))
        .bind(new.seller.division_code.as_ref().map(|x| x.to_string()))
        .bind(new.seller.country.clone())
        .bind(new.seller.nature.clone())
        .bind(buyer_org)
        .bind(new.buyer.name.clone())
        .bind(new.buyer.credit_code.as_ref().map(|x| x.to_string()))
        .bind(new.buyer.division_code.as_ref().map(|x| x.to_string()))
        .bind(new.buyer.country.clone())
        .bind(new.buyer.nature.clone())
        .bind(applicant)
        .bind(new.contract_amount.0)
        .bind(new.tech_transaction_amount.0)
        .bind(new.tech_field.clone())
        .bind(new.ip_type.clone())
        .bind(new.plan_category.clone())
        .bind(serde_json::to_string(&new.payment_schedule).unwrap_or_else(|_| "[]".into()))
        .bind(new.achievement_id)
        .bind(new.demand_id)
        .bind(new.site_id)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict(e, new))?;
        let after = fetch(&mut tx, id).await?;
        // Only drafts and contracts awaiting correction are editable, which the statistics do
        // not count; kept in step all the same.
        update_summary(&mut tx, &before, &after).await?;
        record_event(
            &mut tx,
            id,
            &actor.username,
            "update",
            Some(before.status),
            before.status,
            "",
        )
        .await?;
        append(
            &mut tx,
            &actor.username,
            "update",
            "contract",
            &id.to_string(),
            &json!(new),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Takes a workflow action: checks the caller's side and the state table in core
    /// ([`transition`]), then records the new status, the history step and the audit entry in
    /// one transaction. `register` allocates the certificate number of the site and year.
    pub async fn contract_action(
        &self,
        actor: &Actor,
        id: i64,
        action: ContractAction,
        refusal_ground: Option<&str>,
        note: &str,
        today: Date,
    ) -> std::result::Result<Contract, ContractError> {
        let settings = self.contract_settings().await?;
        let rules = settings.rules().unwrap_or_default();
        let mut tx = self.begin_write().await?;
        let c = fetch(&mut tx, id).await?;
        let mut ctx = rules.ctx(
            is_applicant_member(actor, c.applicant_org_id),
            is_site_registrar(actor, c.site_id),
            c.expert_reviewed,
            c.tech_transaction_amount,
        );
        ctx.refusal_ground = refusal_ground;
        if action == ContractAction::Submit && c.site_id.is_none() {
            // Checked after the side and the state table, so those answers come first.
            transition(c.status, action, &ctx).map_err(ContractError::Transition)?;
            return Err(ContractError::Invalid(vec![FieldError::new(
                "site_id",
                "提交前须选择登记点 / choose a registration site before submitting",
            )]));
        }
        let to = transition(c.status, action, &ctx).map_err(ContractError::Transition)?;
        let day = today.to_string();
        let mut sets: Vec<String> = vec![
            format!("status = '{}'", to.as_str()),
            format!("counted = {}", i64::from(to.counts_in_statistics())),
        ];
        let mut binds: Vec<Option<String>> = Vec::new();
        let mut bind = |col: &str, v: Option<String>, sets: &mut Vec<String>| {
            binds.push(v);
            sets.push(format!("{col} = ${}", binds.len()));
        };
        let mut note = note.trim().to_string();
        match action {
            ContractAction::Submit => bind("submitted_on", Some(day.clone()), &mut sets),
            ContractAction::Accept | ContractAction::Resubmit => {
                bind("clock_started_on", Some(day.clone()), &mut sets)
            }
            ContractAction::RequestCorrection => bind("clock_started_on", None, &mut sets),
            ContractAction::ReferExpert => sets.push("expert_reviewed = 1".into()),
            ContractAction::Reject => {
                let g = chengguo_core::contract::parse_refusal_ground(refusal_ground)
                    .map_err(|e| ContractError::Invalid(vec![e]))?;
                bind("refusal_ground", Some(g.code.to_string()), &mut sets);
                if note.is_empty() {
                    note = g.zh.to_string();
                }
            }
            ContractAction::Register => {
                let site = c.site_id.ok_or_else(|| {
                    ContractError::Invalid(vec![FieldError::new("site_id", "no site")])
                })?;
                let (division, number) = site_number(&mut tx, site).await?;
                let year = today.year();
                let (serial,): (i64,) = sqlx::query_as(
                    "INSERT INTO certificate_counters (site_id, year, last_serial) VALUES ($1, $2, 1) \
                     ON CONFLICT (site_id, year) DO UPDATE SET last_serial = certificate_counters.last_serial + 1 \
                     RETURNING last_serial",
                )
                .bind(site)
                .bind(i64::from(year))
                .fetch_one(&mut *tx)
                .await?;
                let no = rules
                    .certificate_layout
                    .format(year, &division, number, serial as u64)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                bind("registration_no", Some(no.clone()), &mut sets);
                bind("registered_on", Some(day.clone()), &mut sets);
                sets.push(format!("reg_year = {year}"));
                sets.push(format!("cert_serial = {serial}"));
                note = if note.is_empty() {
                    no
                } else {
                    format!("{no} {note}")
                };
            }
            ContractAction::Change | ContractAction::Cancel => {}
        }
        bind("updated_at", Some(now()), &mut sets);
        let sql = format!("UPDATE contracts SET {} WHERE id = {id}", sets.join(", "));
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        q.execute(&mut *tx).await?;
        record_event(
            &mut tx,
            id,
            &actor.username,
            action.as_str(),
            Some(c.status),
            to,
            &note,
        )
        .await?;
        let after = fetch(&mut tx, id).await?;
        update_summary(&mut tx, &c, &after).await?;
        append(
            &mut tx,
            &actor.username,
            action.as_str(),
            "contract",
            &id.to_string(),
            &json!({"from": c.status, "to": to, "note": note, "registration_no": after.registration_no,
                    "refusal_ground": after.refusal_ground}),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Contracts matching the filters.
    pub async fn list_contracts(&self, q: &ContractQuery) -> Result<Page<Contract>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        match (q.party_org, q.site_id) {
            (Some(o), Some(s)) => clauses.push(format!(
                "(seller_org_id = {o} OR buyer_org_id = {o} OR applicant_org_id = {o} OR site_id = {s})"
            )),
            (Some(o), None) => clauses.push(format!(
                "(seller_org_id = {o} OR buyer_org_id = {o} OR applicant_org_id = {o})"
            )),
            (None, Some(s)) => clauses.push(format!("site_id = {s}")),
            (None, None) => {}
        }
        if !q.statuses.is_empty() {
            let list: Vec<String> = q
                .statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            clauses.push(format!("status IN ({})", list.join(", ")));
        }
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            binds.push(crate::sql::like_pattern(text));
            let p = format!("${}", binds.len());
            clauses.push(format!(
                "(title LIKE {p} ESCAPE '\\' OR contract_no LIKE {p} ESCAPE '\\' OR seller_name LIKE {p} ESCAPE '\\' \
                 OR buyer_name LIKE {p} ESCAPE '\\' OR registration_no LIKE {p} ESCAPE '\\')"
            ));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let col = match q.sort.as_str() {
            "signed_on" => "signed_on",
            "registered_on" => "registered_on",
            "contract_amount" => "contract_amount",
            "status" => "status",
            "deadline" => "clock_started_on",
            "id" => "id",
            _ => "updated_at",
        };
        let dir = if q.desc { "DESC" } else { "ASC" };
        let limit = q.limit.clamp(1, 10_000);
        let offset = q.offset.max(0);
        let count_sql = format!("SELECT COUNT(*) FROM contracts{where_sql}");
        let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
        for b in &binds {
            count = count.bind(b.clone());
        }
        let (total,) = count.fetch_one(self.pool()).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM contracts{where_sql} ORDER BY {col} {dir}, id {dir} LIMIT {limit} OFFSET {offset}"
        );
        let mut rows = sqlx::query(&sql);
        for b in &binds {
            rows = rows.bind(b.clone());
        }
        let items = rows
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(to_contract)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total,
            limit,
            offset,
        })
    }

    /// Counted contracts registered `from..=to` touching the region, grouped by what the
    /// statistics read: whole months from `contract_summary`, the edge days from `contracts`.
    ///
    /// A party outside the region is grouped as "elsewhere" (an empty division and, for the buyer,
    /// an empty country; see [`PARTIES`]): the statistics of the region and of any part of it
    /// only ask whether a party is inside it and where, so this gives the same figures from a few
    /// thousand groups instead of one per pair of divisions in China (tens of thousands a year on
    /// a million contracts, each decoded by the driver).
    pub(crate) async fn stats_groups(
        &self,
        region: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<Group>> {
        let like = format!("{region}%");
        let parts = split_period(from, to);
        let mut out = Vec::new();
        if let Some((first, last)) = &parts.months {
            let rows = sqlx::query(
                &format!(
                    "SELECT {PARTIES}, seller_nature, category, \
                        CAST(SUM(contracts) AS BIGINT), CAST(SUM(contract_amount) AS BIGINT), \
                        CAST(SUM(tech_transaction_amount) AS BIGINT) \
                 FROM contract_summary \
                 WHERE month >= $1 AND month <= $2 \
                   AND (seller_division_code LIKE $3 OR (buyer_country = '156' AND buyer_division_code LIKE $3)) \
                 GROUP BY 1, 2, 3, 4, 5 \
                 HAVING SUM(contracts) > 0"
                ),
            )
            .bind(first)
            .bind(last)
            .bind(&like)
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(to_group(r)?);
            }
        }
        for (a, b) in &parts.days {
            let rows = sqlx::query(
                &format!(
                    "SELECT {PARTIES}, \
                        CASE WHEN seller_nature IN ('021', '022') THEN seller_nature ELSE '' END AS nature, \
                        category, COUNT(*) AS n, CAST(SUM(contract_amount) AS BIGINT) AS amount, \
                        CAST(SUM(tech_transaction_amount) AS BIGINT) AS tx \
                 FROM contracts \
                 WHERE counted = 1 AND registered_on >= $1 AND registered_on <= $2 \
                   AND (seller_division_code LIKE $3 OR (buyer_country = '156' AND buyer_division_code LIKE $3)) \
                 GROUP BY 1, 2, 3, 4, 5"
                ),
            )
            .bind(a.to_string())
            .bind(b.to_string())
            .bind(&like)
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(to_group(r)?);
            }
        }
        Ok(out)
    }

    async fn accumulate(
        &self,
        region: &str,
        from: Date,
        to: Date,
        formula: StatsFormula,
    ) -> Result<ContractStats> {
        let groups = self.stats_groups(region, from, to).await?;
        Ok(accumulate_groups(&groups, region, formula))
    }

    /// The statistics of DOMAIN.md §3 for a region (a checked division-code prefix) and the
    /// registration dates `from..=to`, with the year-over-year comparison of locally absorbed
    /// contracts. Whole months are read from the summary `contract_summary`, the days of partial
    /// months at the period's edges from `contracts`; the groups are fed to the core's
    /// accumulator, so the definitions live in one place.
    pub async fn contract_stats(
        &self,
        region: &str,
        from: Date,
        to: Date,
        formula: StatsFormula,
    ) -> Result<StatsOutcome> {
        let stats = self.accumulate(region, from, to, formula).await?;
        let shift = |d: Date| {
            d.replace_year(d.year() - 1)
                .or_else(|_| d.replace_day(28).and_then(|x| x.replace_year(d.year() - 1)))
                .unwrap_or(d)
        };
        let prev = self
            .accumulate(region, shift(from), shift(to), formula)
            .await?
            .local_absorption_count();
        Ok(StatsOutcome {
            local_absorption_yoy: yoy_growth(stats.local_absorption_count(), prev),
            local_absorption_prev_year: prev,
            stats,
        })
    }

    /// Counted contracts registered per month `YYYY-MM` with the seller in the region (whole
    /// months from the summary, edge days from `contracts`).
    pub async fn contract_turnover_by_month(
        &self,
        region: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<(String, i64, Fen)>> {
        let like = format!("{region}%");
        let parts = split_period(from, to);
        let mut months: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        let mut rows: Vec<(String, i64, i64)> = Vec::new();
        if let Some((first, last)) = &parts.months {
            rows.extend(
                sqlx::query_as::<_, (String, i64, i64)>(
                    "SELECT month, CAST(SUM(contracts) AS BIGINT), CAST(SUM(contract_amount) AS BIGINT) \
                     FROM contract_summary WHERE month >= $1 AND month <= $2 \
                     AND seller_division_code LIKE $3 GROUP BY month HAVING SUM(contracts) > 0",
                )
                .bind(first)
                .bind(last)
                .bind(&like)
                .fetch_all(self.pool())
                .await?,
            );
        }
        for (a, b) in &parts.days {
            rows.extend(
                sqlx::query_as::<_, (String, i64, i64)>(
                    "SELECT SUBSTR(registered_on, 1, 7) AS m, COUNT(*), CAST(SUM(contract_amount) AS BIGINT) \
                     FROM contracts WHERE counted = 1 AND registered_on >= $1 AND registered_on <= $2 \
                     AND seller_division_code LIKE $3 GROUP BY SUBSTR(registered_on, 1, 7)",
                )
                .bind(a.to_string())
                .bind(b.to_string())
                .bind(&like)
                .fetch_all(self.pool())
                .await?,
            );
        }
        for (m, n, a) in rows {
            let e = months.entry(m).or_default();
            e.0 += n;
            e.1 += a;
        }
        Ok(months
            .into_iter()
            .map(|(m, (n, a))| (m, n, Fen(a)))
            .collect())
    }

    /// Recomputes `contract_summary` from `contracts` (what migration 0007 does for existing
    /// data), audited. The maintained summary always equals the rebuilt one.
    pub async fn rebuild_contract_summary(&self, actor: &Actor) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM contract_summary")
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query(&format!("{SUMMARY_INSERT}{SUMMARY_SELECT}{SUMMARY_GROUP}"))
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
        append(
            &mut tx,
            &actor.username,
            "rebuild",
            "contract_summary",
            "all",
            &json!({"rows": n}),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Every row of `contract_summary`, in key order.
    pub async fn contract_summary(&self) -> Result<Vec<SummaryRow>> {
        let rows = sqlx::query(
            "SELECT month, seller_division_code, buyer_division_code, buyer_country, seller_nature, \
                    category, contracts, contract_amount, tech_transaction_amount FROM contract_summary",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(SummaryRow {
                    month: r.try_get(0)?,
                    seller_division_code: r.try_get(1)?,
                    buyer_division_code: r.try_get(2)?,
                    buyer_country: r.try_get(3)?,
                    seller_nature: r.try_get(4)?,
                    category: r.try_get(5)?,
                    contracts: r.try_get(6)?,
                    contract_amount: r.try_get(7)?,
                    tech_transaction_amount: r.try_get(8)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
        out.sort();
        Ok(out)
    }

    /// The contracts behind one figure of [`Store::contract_stats`], newest registration first.
    pub async fn contract_records(&self, q: &RecordsQuery) -> Result<Page<Contract>> {
        let mut binds: Vec<String> = vec![
            q.from.to_string(),
            q.to.to_string(),
            format!("{}%", q.region),
        ];
        let seller_in = "seller_division_code LIKE $3";
        let buyer_in = "(buyer_country = '156' AND buyer_division_code LIKE $3)";
        let mut clauses = vec![
            "counted = 1".to_string(),
            "registered_on >= $1".into(),
            "registered_on <= $2".into(),
        ];
        clauses.push(match q.measure {
            Measure::Turnover => seller_in.into(),
            Measure::OutputLocal | Measure::AbsorptionLocal => {
                format!("{seller_in} AND {buyer_in}")
            }
            Measure::OutputNonLocal => format!("{seller_in} AND NOT COALESCE({buyer_in}, FALSE)"),
            Measure::Absorption => buyer_in.into(),
            Measure::AbsorptionNonLocal => {
                format!("{buyer_in} AND NOT COALESCE({seller_in}, FALSE)")
            }
        });
        if let Some(cat) = q.category.as_deref().filter(|s| !s.is_empty()) {
            binds.push(cat.to_string());
            clauses.push(format!("category = ${}", binds.len()));
        }
        if let Some(d) = q.district.as_deref().filter(|s| !s.is_empty()) {
            binds.push(format!("{d}%"));
            let p = binds.len();
            clauses.push(if q.measure.seller_side() {
                format!("seller_division_code LIKE ${p}")
            } else {
                format!("buyer_division_code LIKE ${p}")
            });
        }
        if let Some(site) = q.site_id {
            // An integer, formatted: nothing of the caller's text reaches the SQL.
            clauses.push(format!("site_id = {site}"));
        }
        let where_sql = clauses.join(" AND ");
        let count_sql = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(contract_amount), 0) AS BIGINT) FROM contracts WHERE {where_sql}"
        );
        let mut cq = sqlx::query_as::<_, (i64, i64)>(&count_sql);
        for b in &binds {
            cq = cq.bind(b.clone());
        }
        let (total, _) = cq.fetch_one(self.pool()).await?;
        let limit = q.limit.clamp(1, 100_000);
        let offset = q.offset.max(0);
        let sql = format!(
            "SELECT {COLUMNS} FROM contracts WHERE {where_sql} ORDER BY registered_on DESC, id DESC LIMIT {limit} OFFSET {offset}"
        );
        let mut rq = sqlx::query(&sql);
        for b in &binds {
            rq = rq.bind(b.clone());
        }
        let items = rq
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(to_contract)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total,
            limit,
            offset,
        })
    }

    /// Organizations of kind registration_site, by name (for the site menus).
    pub async fn registration_sites(&self) -> Result<Vec<(i64, String)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, name FROM organizations WHERE kind = 'registration_site' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }
}

/// The description of an organization created from a contract party.
const PARTY_DESCRIPTION: &str = "由技术合同当事人创建 / created from a contract party";

/// The audit change of an organization created from a contract party (as `insert_org`'s
/// organization serializes).
fn party_change(id: i64, p: &Party, at: &str) -> serde_json::Value {
    json!({"id": id, "name": p.name,
           "credit_code": p.credit_code.as_ref().map(|c| c.to_string()),
           "division_code": p.division_code.as_ref().map(|d| d.to_string()),
           "nature": p.nature, "kind": kind_for_nature(&p.nature).as_str(),
           "description": PARTY_DESCRIPTION, "is_demo": false, "created_at": at, "updated_at": at})
}

/// Creates, in bulk, the organizations of the domestic parties the platform does not know yet
/// (first name seen wins), one audit entry each; adds their ids to `cache`.
async fn create_parties(
    tx: &mut Tx,
    actor: &Actor,
    rows: &[NewContract],
    cache: &mut HashMap<String, i64>,
) -> Result<usize> {
    let mut new: Vec<&Party> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in rows {
        for p in [&c.seller, &c.buyer] {
            if let (Some(code), Some(_)) = (&p.credit_code, &p.division_code) {
                if !cache.contains_key(code.as_str()) && seen.insert(code.as_str()) {
                    new.push(p);
                }
            }
        }
    }
    let at = now();
    for chunk in new.chunks(50) {
        let mut sql = String::from(
            "INSERT INTO organizations (name, credit_code, division_code, nature, kind, description, is_demo, created_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 6;
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, 0, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                chunk.len() * 6 + 1,
                chunk.len() * 6 + 1
            ));
        }
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q
                .bind(p.name.clone())
                .bind(p.credit_code.as_ref().map(|c| c.to_string()))
                .bind(p.division_code.as_ref().map(|d| d.to_string()))
                .bind(p.nature.clone())
                .bind(kind_for_nature(&p.nature).as_str())
                .bind(PARTY_DESCRIPTION);
        }
        q.bind(at.clone())
            .execute(&mut **tx)
            .await
            .map_err(|e| StoreError::from_db(e, &[("credit_code", "a party's credit code")]))?;
        let mut sel =
            String::from("SELECT id, credit_code FROM organizations WHERE credit_code IN (");
        for i in 0..chunk.len() {
            if i > 0 {
                sel.push_str(", ");
            }
            sel.push_str(&format!("${}", i + 1));
        }
        sel.push(')');
        let mut q = sqlx::query_as::<_, (i64, String)>(&sel);
        for p in chunk {
            q = q.bind(p.credit_code.as_ref().map(|c| c.to_string()));
        }
        let ids: HashMap<String, i64> = q
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(|(i, c)| (c, i))
            .collect();
        let mut entries = Vec::with_capacity(chunk.len());
        for p in chunk {
            let code = p
                .credit_code
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default();
            let Some(id) = ids.get(&code).copied() else {
                continue;
            };
            entries.push((id.to_string(), party_change(id, p, &at)));
            cache.insert(code, id);
        }
        crate::audit::append_many(tx, &actor.username, "create", "organization", &entries).await?;
    }
    Ok(new.len())
}

/// A site's division and its number within its city (by order of creation), which the
/// certificate layout's `{site}` takes.
async fn site_number(tx: &mut Tx, site: i64) -> Result<(DivisionCode, u32)> {
    let (division,): (String,) =
        sqlx::query_as("SELECT division_code FROM organizations WHERE id = $1")
            .bind(site)
            .fetch_one(&mut **tx)
            .await?;
    let city = format!("{}%", &division[..4.min(division.len())]);
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM organizations WHERE kind = 'registration_site' AND division_code LIKE $1 AND id <= $2",
    )
    .bind(city)
    .bind(site)
    .fetch_one(&mut **tx)
    .await?;
    let d = DivisionCode::parse(&division).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok((d, n as u32))
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates_are_written_as_display_writes_them() {
        use time::{Date, Month};
        for (y, m, d) in [
            (1900, 1, 1),
            (2025, 12, 31),
            (2999, 2, 9),
            (999, 7, 4),
            (-5, 3, 3),
        ] {
            let date = Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap();
            assert_eq!(super::iso_date(date), date.to_string(), "{y}-{m}-{d}");
        }
    }

    use super::*;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn periods_split_into_whole_months_and_edge_days() {
        let p = split_period(d("2025-01-01"), d("2025-12-31"));
        assert_eq!(p.months, Some(("2025-01".into(), "2025-12".into())));
        assert!(p.days.is_empty());
        let p = split_period(d("2024-02-10"), d("2025-03-30"));
        assert_eq!(p.months, Some(("2024-03".into(), "2025-02".into())));
        assert_eq!(
            p.days,
            [
                (d("2024-02-10"), d("2024-02-29")),
                (d("2025-03-01"), d("2025-03-30"))
            ]
        );
        let p = split_period(d("2025-01-15"), d("2025-02-10"));
        assert_eq!(p.months, None);
        assert_eq!(p.days, [(d("2025-01-15"), d("2025-02-10"))]);
        let p = split_period(d("2025-02-01"), d("2025-02-28"));
        assert_eq!(p.months, Some(("2025-02".into(), "2025-02".into())));
        assert_eq!(
            split_period(d("2025-02-02"), d("2025-02-01")),
            PeriodParts::default()
        );
    }
}
