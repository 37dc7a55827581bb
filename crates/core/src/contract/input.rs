//! A contract as it arrives (raw strings from a form, a JSON body or an import row) and as it is
//! once parsed.

use super::stats::ContractFact;
use crate::codes::{CreditCode, DivisionCode};
use crate::money::Fen;
use crate::refdata::{self, Code};
use crate::FieldError;
use serde::{Deserialize, Deserializer, Serialize};
use time::{Date, Month};

/// The country code of China (GB/T 2659 / ISO 3166-1 numeric).
pub const CHINA: &str = "156";

/// The import columns of a contracts file (English name, Chinese header), in file order. Field
/// errors are named after them.
pub const IMPORT_COLUMNS: [(&str, &str); 19] = [
    ("contract_no", "合同编号"),
    ("title", "项目名称"),
    ("category", "合同类别"),
    ("signed_on", "签订日期"),
    ("registered_on", "登记日期"),
    ("registration_no", "登记编号"),
    ("seller_name", "卖方名称"),
    ("seller_credit_code", "卖方统一社会信用代码"),
    ("seller_division_code", "卖方行政区划代码"),
    ("seller_nature", "卖方单位性质"),
    ("buyer_name", "买方名称"),
    ("buyer_credit_code", "买方统一社会信用代码"),
    ("buyer_division_code", "买方行政区划代码"),
    ("buyer_country", "买方国别"),
    ("buyer_nature", "买方单位性质"),
    ("contract_amount", "合同成交额"),
    ("tech_transaction_amount", "技术交易额"),
    ("tech_field", "技术领域"),
    ("ip_type", "知识产权类型"),
];

/// A party to the contract (卖方 seller or 买方 buyer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub name: String,
    /// 统一社会信用代码: present exactly when the party is in China.
    pub credit_code: Option<CreditCode>,
    /// 行政区划代码: present exactly when the party is in China.
    pub division_code: Option<DivisionCode>,
    /// Three-digit country code, `156` for China.
    pub country: String,
    /// 单位性质 code ([`natures`](crate::refdata::natures)).
    pub nature: String,
}

impl Party {
    pub fn is_domestic(&self) -> bool {
        self.country == CHINA
    }

    /// In China and in the region given by a division-code prefix (`2101` = Shenyang).
    pub fn in_region(&self, prefix: &str) -> bool {
        self.is_domestic()
            && self
                .division_code
                .as_ref()
                .is_some_and(|d| d.within(prefix))
    }
}

/// One instalment of the payment schedule (支付方式 / 付款计划).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installment {
    #[serde(serialize_with = "super::ser_date")]
    pub due_on: Date,
    #[serde(serialize_with = "super::ser_yuan")]
    pub amount: Fen,
    pub note: String,
}

/// Registration data of a contract registered elsewhere or before the platform (imports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    /// 登记编号.
    pub registration_no: String,
    #[serde(serialize_with = "super::ser_date")]
    pub registered_on: Date,
}

/// A parsed contract, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewContract {
    /// 合同编号: the parties' own number.
    pub contract_no: String,
    /// 项目名称.
    pub title: String,
    /// 合同类别: `development`, `transfer`, `licensing`, `consulting` or `service`.
    pub category: String,
    /// A subtype code of the category, e.g. `transfer.patent`.
    pub subtype: Option<String>,
    #[serde(serialize_with = "super::ser_date")]
    pub signed_on: Date,
    /// 合同有效期.
    #[serde(serialize_with = "super::ser_opt_date")]
    pub valid_from: Option<Date>,
    #[serde(serialize_with = "super::ser_opt_date")]
    pub valid_until: Option<Date>,
    pub seller: Party,
    pub buyer: Party,
    /// 合同成交额: the whole contract.
    #[serde(serialize_with = "super::ser_yuan")]
    pub contract_amount: Fen,
    /// 技术交易额: contract amount minus non-technical costs; never above the contract amount.
    #[serde(serialize_with = "super::ser_yuan")]
    pub tech_transaction_amount: Fen,
    /// 技术领域 code.
    pub tech_field: String,
    /// 知识产权类型 code.
    pub ip_type: String,
    /// 计划类别 code.
    pub plan_category: Option<String>,
    pub payment_schedule: Vec<Installment>,
    /// The achievement the contract transforms, if it came through the platform.
    pub achievement_id: Option<i64>,
    /// The demand it answers, if any.
    pub demand_id: Option<i64>,
    /// The registration site (an organization of kind `registration_site`).
    pub site_id: Option<i64>,
    /// Present for contracts imported as already registered.
    pub registration: Option<Registration>,
}

impl NewContract {
    /// The party that applies for registration: the seller, or for a technology import (seller
    /// abroad) the domestic buyer.
    pub fn applicant(&self) -> &Party {
        if self.seller.is_domestic() {
            &self.seller
        } else {
            &self.buyer
        }
    }

    /// The fields the statistics read.
    pub fn fact(&self) -> ContractFact<'_> {
        ContractFact {
            seller_division: self.seller.division_code.as_ref().map(DivisionCode::as_str),
            buyer_division: self.buyer.division_code.as_ref().map(DivisionCode::as_str),
            buyer_country: &self.buyer.country,
            seller_nature: &self.seller.nature,
            category: &self.category,
            contract_amount: self.contract_amount,
            tx_amount: self.tech_transaction_amount,
        }
    }
}

/// Accepts a string, a number or null for a raw field (JSON clients send amounts and ids as
/// numbers; the parser sees their text).
fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        I(i64),
        U(u64),
        F(f64),
    }
    Ok(Option::<Raw>::deserialize(d)?.map(|r| match r {
        Raw::S(s) => s,
        Raw::I(i) => i.to_string(),
        Raw::U(u) => u.to_string(),
        Raw::F(f) => f.to_string(),
    }))
}

/// One instalment as it arrives.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PaymentInput {
    #[serde(default, deserialize_with = "raw")]
    pub due_on: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub amount: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub note: Option<String>,
}

/// Raw fields of a contract as they arrive from a form, a JSON body or an import row; field names
/// are the import columns ([`IMPORT_COLUMNS`]) plus the form-only fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContractInput {
    #[serde(default, deserialize_with = "raw")]
    pub contract_no: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub subtype: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub signed_on: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub valid_from: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub valid_until: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub seller_name: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub seller_credit_code: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub seller_division_code: Option<String>,
    /// Empty means China.
    #[serde(default, deserialize_with = "raw")]
    pub seller_country: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub seller_nature: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub buyer_name: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub buyer_credit_code: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub buyer_division_code: Option<String>,
    /// Empty means China.
    #[serde(default, deserialize_with = "raw")]
    pub buyer_country: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub buyer_nature: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub contract_amount: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub tech_transaction_amount: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub tech_field: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub ip_type: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub plan_category: Option<String>,
    #[serde(default)]
    pub payment_schedule: Vec<PaymentInput>,
    #[serde(default, deserialize_with = "raw")]
    pub achievement_id: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub demand_id: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub site_id: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub registration_no: Option<String>,
    #[serde(default, deserialize_with = "raw")]
    pub registered_on: Option<String>,
}

/// A date that is not strictly `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("'{0}' 不是 YYYY-MM-DD 格式的日期 / is not a date written YYYY-MM-DD")]
    Format(String),
    #[error("'{0}' 不是有效日期 / is not a calendar date")]
    Calendar(String),
    #[error("'{0}' 的年份应在 1900–2999 之间 / year must be between 1900 and 2999")]
    Year(String),
}

/// Parses a date written exactly `YYYY-MM-DD` (surrounding spaces ignored) that exists in the
/// calendar. Years outside 1900–2999 are refused as typos.
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    let t = s.trim();
    let b = t.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return Err(DateError::Format(t.to_string()));
    }
    let num = |r: std::ops::Range<usize>| t[r].parse::<u16>().expect("digits checked");
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    if !(1900..=2999).contains(&y) {
        return Err(DateError::Year(t.to_string()));
    }
    Month::try_from(m as u8)
        .ok()
        .and_then(|m| Date::from_calendar_date(i32::from(y), m, d as u8).ok())
        .ok_or_else(|| DateError::Calendar(t.to_string()))
}

const NAME_MAX: usize = 200;
const CONTRACT_NO_MAX: usize = 64;
const NOTE_MAX: usize = 500;

/// Collects the problems of one input.
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// The trimmed value, or `None` (and an error) when it is missing or blank.
    fn required<'a>(&mut self, field: &str, v: &'a Option<String>) -> Option<&'a str> {
        let t = optional(v);
        if t.is_none() {
            self.add(field, "必填 / is required");
        }
        t
    }

    fn text(&mut self, field: &str, v: &Option<String>, max: usize) -> Option<String> {
        let t = self.required(field, v)?;
        if t.chars().count() > max {
            self.add(field, format!("最多 {max} 字 / at most {max} characters"));
            return None;
        }
        if t.chars().any(char::is_control) {
            self.add(field, "含有控制字符 / contains control characters");
            return None;
        }
        Some(t.to_string())
    }

    fn date(&mut self, field: &str, v: Option<&str>) -> Option<Date> {
        parse_date(v?)
            .map_err(|e| self.add(field, e.to_string()))
            .ok()
    }

    fn amount(&mut self, field: &str, v: Option<&str>) -> Option<Fen> {
        Fen::parse_non_negative(v?)
            .map_err(|e| self.add(field, format!("金额无效 / invalid amount in yuan: {e}")))
            .ok()
    }

    fn code(
        &mut self,
        field: &str,
        list: &'static [Code],
        what: &str,
        v: Option<&str>,
    ) -> Option<&'static Code> {
        let v = v?;
        let found = refdata::lookup(list, v);
        if found.is_none() {
            self.add(
                field,
                format!("{what}无效 / unknown {field} '{v}' ({})", one_of(list)),
            );
        }
        found
    }

    fn id(&mut self, field: &str, v: &Option<String>) -> Option<i64> {
        let t = optional(v)?;
        match t.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.add(field, format!("'{t}' 不是有效编号 / is not a record id"));
                None
            }
        }
    }
}

fn optional(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn one_of(list: &[Code]) -> String {
    let top: Vec<_> = list
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| format!("{} {}", c.code, c.zh))
        .collect();
    format!("one of: {}", top.join(", "))
}

/// The top-level category a code of the category list belongs to.
pub(super) fn root_category(c: &'static Code) -> &'static Code {
    let mut c = c;
    while let Some(p) = c
        .parent
        .and_then(|p| refdata::lookup(refdata::contract_categories(), p))
    {
        c = p;
    }
    c
}

/// The field names of one party's columns (static: a row is checked without formatting them).
struct PartyFields {
    name: &'static str,
    credit_code: &'static str,
    division_code: &'static str,
    country: &'static str,
    nature: &'static str,
}

const SELLER_FIELDS: PartyFields = PartyFields {
    name: "seller_name",
    credit_code: "seller_credit_code",
    division_code: "seller_division_code",
    country: "seller_country",
    nature: "seller_nature",
};

const BUYER_FIELDS: PartyFields = PartyFields {
    name: "buyer_name",
    credit_code: "buyer_credit_code",
    division_code: "buyer_division_code",
    country: "buyer_country",
    nature: "buyer_nature",
};

struct PartyRaw<'a> {
    fields: &'static PartyFields,
    name: &'a Option<String>,
    credit_code: &'a Option<String>,
    division_code: &'a Option<String>,
    country: &'a Option<String>,
    nature: &'a Option<String>,
}

impl Errors {
    fn party(&mut self, p: PartyRaw<'_>) -> Option<Party> {
        let f = p.fields;
        let name = self.text(f.name, p.name, NAME_MAX);
        let country = match optional(p.country) {
            None => Some(CHINA.to_string()),
            Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()) => Some(c.to_string()),
            Some(c) => {
                self.add(
                    f.country,
                    format!(
                        "国别代码应为 3 位数字 / '{c}' is not a 3-digit country code (156 = China)"
                    ),
                );
                None
            }
        };
        let domestic = country.as_deref() == Some(CHINA);
        let (credit_raw, division_raw) = (optional(p.credit_code), optional(p.division_code));
        let mut credit_code = None;
        let mut division_code = None;
        if domestic {
            if let Some(s) = self.required(f.credit_code, p.credit_code) {
                credit_code = CreditCode::parse(s)
                    .map_err(|e| {
                        self.add(
                            f.credit_code,
                            format!("统一社会信用代码无效 / invalid credit code: {e}"),
                        )
                    })
                    .ok();
            }
            if let Some(s) = self.required(f.division_code, p.division_code) {
                division_code = DivisionCode::parse(s)
                    .map_err(|e| {
                        self.add(
                            f.division_code,
                            format!("行政区划代码无效 / invalid division code: {e}"),
                        )
                    })
                    .ok();
            }
        } else if country.is_some() {
            for (field, v) in [(f.credit_code, credit_raw), (f.division_code, division_raw)] {
                if v.is_some() {
                    self.add(field, "境外当事人应留空 / must be empty for a party outside China (country ≠ 156)");
                }
            }
        }
        let nature = self.required(f.nature, p.nature).and_then(|s| {
            crate::org::parse_nature(s)
                .map_err(|m| self.add(f.nature, m))
                .ok()
        });
        let ok_ids = !domestic || (credit_code.is_some() && division_code.is_some());
        match (name, country, nature) {
            (Some(name), Some(country), Some(nature)) if ok_ids => Some(Party {
                name,
                credit_code,
                division_code,
                country,
                nature,
            }),
            _ => None,
        }
    }
}

impl ContractInput {
    /// Builds an input from named fields, e.g. a mapped import row (`get("seller_name")`).
    pub fn from_fields(mut get: impl FnMut(&str) -> Option<String>) -> Self {
        let mut g = |name: &str| get(name);
        ContractInput {
            contract_no: g("contract_no"),
            title: g("title"),
            category: g("category"),
            subtype: g("subtype"),
            signed_on: g("signed_on"),
            valid_from: g("valid_from"),
            valid_until: g("valid_until"),
            seller_name: g("seller_name"),
            seller_credit_code: g("seller_credit_code"),
            seller_division_code: g("seller_division_code"),
            seller_country: g("seller_country"),
            seller_nature: g("seller_nature"),
            buyer_name: g("buyer_name"),
            buyer_credit_code: g("buyer_credit_code"),
            buyer_division_code: g("buyer_division_code"),
            buyer_country: g("buyer_country"),
            buyer_nature: g("buyer_nature"),
            contract_amount: g("contract_amount"),
            tech_transaction_amount: g("tech_transaction_amount"),
            tech_field: g("tech_field"),
            ip_type: g("ip_type"),
            plan_category: g("plan_category"),
            payment_schedule: Vec::new(),
            achievement_id: g("achievement_id"),
            demand_id: g("demand_id"),
            site_id: g("site_id"),
            registration_no: g("registration_no"),
            registered_on: g("registered_on"),
        }
    }

    /// Parses every field and reports every problem at once.
    pub fn into_new(self) -> Result<NewContract, Vec<FieldError>> {
        let mut e = Errors(Vec::new());
        let contract_no = e.text("contract_no", &self.contract_no, CONTRACT_NO_MAX);
        let title = e.text("title", &self.title, NAME_MAX);

        let categories = refdata::contract_categories();
        let category = e
            .required("category", &self.category)
            .and_then(|v| e.code("category", categories, "合同类别", Some(v)))
            .and_then(|c| match c.parent {
                None => Some(c),
                Some(_) => {
                    let root = root_category(c);
                    e.add(
                        "category",
                        format!(
                            "「{}」是「{}」的子类，请填在 subtype / '{}' is a subtype of {}: give it as the subtype",
                            c.zh, root.zh, c.code, root.code
                        ),
                    );
                    None
                }
            });
        let subtype = match optional(&self.subtype) {
            None => None,
            Some(v) => e
                .code("subtype", categories, "合同子类", Some(v))
                .and_then(|s| {
                    if s.parent.is_none() {
                        e.add(
                            "subtype",
                            format!("'{v}' 是合同类别而非子类 / is a category, not a subtype"),
                        );
                        return None;
                    }
                    match category {
                        Some(cat) if root_category(s).code != cat.code => {
                            e.add(
                                "subtype",
                                format!(
                                    "「{}」不属于「{}」 / '{}' is not a subtype of {}",
                                    s.zh, cat.zh, s.code, cat.code
                                ),
                            );
                            None
                        }
                        _ => Some(s.code.to_string()),
                    }
                }),
        };

        let signed_on = {
            let v = e.required("signed_on", &self.signed_on);
            e.date("signed_on", v)
        };
        let valid_from = e.date("valid_from", optional(&self.valid_from));
        let valid_until = e.date("valid_until", optional(&self.valid_until));
        if let (Some(a), Some(b)) = (valid_from, valid_until) {
            if b < a {
                e.add("valid_until", "有效期止日早于起日 / ends before it starts");
            }
        }

        let seller = e.party(PartyRaw {
            fields: &SELLER_FIELDS,
            name: &self.seller_name,
            credit_code: &self.seller_credit_code,
            division_code: &self.seller_division_code,
            country: &self.seller_country,
            nature: &self.seller_nature,
        });
        let buyer = e.party(PartyRaw {
            fields: &BUYER_FIELDS,
            name: &self.buyer_name,
            credit_code: &self.buyer_credit_code,
            division_code: &self.buyer_division_code,
            country: &self.buyer_country,
            nature: &self.buyer_nature,
        });
        if let (Some(s), Some(b)) = (&seller, &buyer) {
            if !s.is_domestic() && !b.is_domestic() {
                e.add(
                    "buyer_country",
                    "买卖双方至少一方应在中国境内 / one party must be in China (156)",
                );
            }
        }

        let contract_amount = {
            let v = e.required("contract_amount", &self.contract_amount);
            e.amount("contract_amount", v)
        };
        let tech_transaction_amount = {
            let v = e.required("tech_transaction_amount", &self.tech_transaction_amount);
            e.amount("tech_transaction_amount", v)
        };
        if let (Some(c), Some(t)) = (contract_amount, tech_transaction_amount) {
            if t > c {
                e.add(
                    "tech_transaction_amount",
                    format!("技术交易额 {t} 元大于合同成交额 {c} 元 / technology transaction amount {t} exceeds the contract amount {c}"),
                );
            }
        }

        let tech_field = {
            let v = e.required("tech_field", &self.tech_field);
            e.code("tech_field", refdata::tech_fields(), "技术领域", v)
        };
        let ip_type = {
            let v = e.required("ip_type", &self.ip_type);
            e.code("ip_type", refdata::ip_types(), "知识产权类型", v)
        };
        let plan_category = e
            .code(
                "plan_category",
                refdata::plan_categories(),
                "计划类别",
                optional(&self.plan_category),
            )
            .map(|c| c.code.to_string());

        let mut payment_schedule = Vec::new();
        let mut schedule_ok = true;
        for (i, p) in self.payment_schedule.iter().enumerate() {
            let f = |name: &str| format!("payment_schedule[{i}].{name}");
            let due_on = {
                let v = e.required(&f("due_on"), &p.due_on);
                e.date(&f("due_on"), v)
            };
            let amount = {
                let v = e.required(&f("amount"), &p.amount);
                e.amount(&f("amount"), v)
            };
            let note = optional(&p.note).unwrap_or("").to_string();
            if note.chars().count() > NOTE_MAX {
                e.add(
                    &f("note"),
                    format!("最多 {NOTE_MAX} 字 / at most {NOTE_MAX} characters"),
                );
            }
            match (due_on, amount) {
                (Some(due_on), Some(amount)) => payment_schedule.push(Installment {
                    due_on,
                    amount,
                    note,
                }),
                _ => schedule_ok = false,
            }
        }

        let achievement_id = e.id("achievement_id", &self.achievement_id);
        let demand_id = e.id("demand_id", &self.demand_id);
        let site_id = e.id("site_id", &self.site_id);

        let registration = match (
            optional(&self.registration_no),
            optional(&self.registered_on),
        ) {
            (None, None) => None,
            (no, on) => {
                if no.is_none() {
                    e.add(
                        "registration_no",
                        "有登记日期时必填 / is required with registered_on",
                    );
                }
                if on.is_none() {
                    e.add(
                        "registered_on",
                        "有登记编号时必填 / is required with registration_no",
                    );
                }
                let no = no.filter(|s| {
                    let ok = s.chars().count() <= CONTRACT_NO_MAX
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                    if !ok {
                        e.add(
                            "registration_no",
                            format!("'{s}' 应为不超过 {CONTRACT_NO_MAX} 位的字母数字 / must be letters, digits or '-', at most {CONTRACT_NO_MAX}"),
                        );
                    }
                    ok
                });
                let on = e.date("registered_on", on);
                if let (Some(on), Some(signed)) = (on, signed_on) {
                    if on < signed {
                        e.add(
                            "registered_on",
                            "登记日期早于签订日期 / is before the signing date",
                        );
                    }
                }
                no.zip(on)
                    .map(|(registration_no, registered_on)| Registration {
                        registration_no: registration_no.to_string(),
                        registered_on,
                    })
            }
        };

        let Errors(errors) = e;
        if !errors.is_empty() || !schedule_ok {
            return Err(errors);
        }
        match (
            contract_no,
            title,
            category,
            signed_on,
            seller,
            buyer,
            contract_amount,
            tech_transaction_amount,
            tech_field,
            ip_type,
        ) {
            (
                Some(contract_no),
                Some(title),
                Some(category),
                Some(signed_on),
                Some(seller),
                Some(buyer),
                Some(contract_amount),
                Some(tech_transaction_amount),
                Some(tech_field),
                Some(ip_type),
            ) => Ok(NewContract {
                contract_no,
                title,
                category: category.code.to_string(),
                subtype,
                signed_on,
                valid_from,
                valid_until,
                seller,
                buyer,
                contract_amount,
                tech_transaction_amount,
                tech_field: tech_field.code.to_string(),
                ip_type: ip_type.code.to_string(),
                plan_category,
                payment_schedule,
                achievement_id,
                demand_id,
                site_id,
                registration,
            }),
            // Unreachable: every `None` above has recorded an error.
            _ => Err(vec![FieldError::new(
                "contract",
                "无法解析 / could not be parsed",
            )]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ContractInput {
        ContractInput::from_fields(|name| {
            let v = match name {
                "contract_no" => "SY-2024-001",
                "title" => "高性能合金热处理工艺开发",
                "category" => "技术开发",
                "signed_on" => "2024-03-01",
                "registered_on" => "2024-03-20",
                "registration_no" => "2024210101000001",
                "seller_name" => "东北示例大学",
                "seller_credit_code" => "12100000400000624D",
                "seller_division_code" => "210102",
                "seller_nature" => "022",
                "buyer_name" => "沈阳示例机床有限公司",
                "buyer_credit_code" => "91110000802100433B",
                "buyer_division_code" => "210106",
                "buyer_country" => "156",
                "buyer_nature" => "有限责任公司",
                "contract_amount" => "1,200,000.50",
                "tech_transaction_amount" => "1000000",
                "tech_field" => "新材料及其应用",
                "ip_type" => "专利",
                _ => return None,
            };
            Some(v.to_string())
        })
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_good_row_parses() {
        let c = row().into_new().unwrap();
        assert_eq!(c.category, "development");
        assert_eq!(c.contract_amount, Fen(120_000_050));
        assert_eq!(c.tech_transaction_amount, Fen(100_000_000));
        assert_eq!(c.seller.nature, "022");
        assert_eq!(c.buyer.nature, "150");
        assert_eq!(c.tech_field, "new_materials");
        assert_eq!(c.ip_type, "patent");
        assert_eq!(
            c.registration.as_ref().unwrap().registered_on,
            Date::from_calendar_date(2024, Month::March, 20).unwrap()
        );
        assert!(
            c.buyer.in_region("2101")
                && c.buyer.in_region("210106")
                && !c.seller.in_region("210106")
        );
        assert_eq!(c.applicant().name, "东北示例大学");
        let f = c.fact();
        assert_eq!(
            (f.seller_division, f.buyer_country),
            (Some("210102"), "156")
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["contract_amount"], "1200000.50");
        assert_eq!(json["signed_on"], "2024-03-01");
        assert_eq!(json["valid_from"], serde_json::Value::Null);
        assert_eq!(json["seller"]["credit_code"], "12100000400000624D");
    }

    #[test]
    fn each_bad_cell_is_named_and_all_are_reported_together() {
        let mut r = row();
        r.seller_credit_code = Some("12100000400000624E".into()); // wrong check character
        r.tech_transaction_amount = Some("1200000.51".into()); // above the contract amount
        r.category = Some("技术合作".into()); // unknown
        r.signed_on = Some("2024-02-30".into()); // not a date
        let errs = r.into_new().unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "category",
                "signed_on",
                "seller_credit_code",
                "tech_transaction_amount"
            ]
        );
        assert!(errs[2].message.contains("should be 'D'"), "{}", errs[2]);
        assert!(errs[3].message.contains("exceeds"), "{}", errs[3]);

        // Three decimals make the amount unreadable, so the amounts' relation is not checked.
        let mut r = row();
        r.buyer_credit_code = Some("91110000802100433C".into());
        r.contract_amount = Some("99.999".into());
        r.category = Some("research".into());
        r.registered_on = Some("2024-3-20".into());
        let errs = r.into_new().unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "category",
                "buyer_credit_code",
                "contract_amount",
                "registered_on"
            ]
        );
        assert!(
            errs[2].message.contains("more than two decimals"),
            "{}",
            errs[2]
        );

        // Each problem alone, including the amounts' relation (only checked when both parse).
        type Spoil = fn(&mut ContractInput);
        let cases: [(&str, Spoil); 6] = [
            ("buyer_credit_code", |r| {
                r.buyer_credit_code = Some("91110000802100433C".into())
            }),
            ("tech_transaction_amount", |r| {
                r.tech_transaction_amount = Some("1200000.51".into())
            }),
            ("category", |r| r.category = Some("research".into())),
            ("signed_on", |r| r.signed_on = Some("2024/03/01".into())),
            ("registered_on", |r| {
                r.registered_on = Some("24-03-20".into())
            }),
            ("tech_transaction_amount", |r| {
                r.tech_transaction_amount = Some("10.005".into())
            }),
        ];
        for (field, spoil) in cases {
            let mut r = row();
            spoil(&mut r);
            let errs = r.into_new().unwrap_err();
            assert_eq!(fields(&errs), [field], "{errs:?}");
        }
    }

    #[test]
    fn missing_fields_are_required() {
        let errs = ContractInput::default().into_new().unwrap_err();
        let f = fields(&errs);
        for col in IMPORT_COLUMNS.map(|(c, _)| c) {
            let optional = ["registered_on", "registration_no", "buyer_country"];
            assert_eq!(f.contains(&col), !optional.contains(&col), "{col}: {f:?}");
        }
    }

    #[test]
    fn foreign_buyer_has_no_codes() {
        let mut r = row();
        r.buyer_country = Some("840".into());
        let errs = r.clone().into_new().unwrap_err();
        assert_eq!(fields(&errs), ["buyer_credit_code", "buyer_division_code"]);
        r.buyer_credit_code = Some(" ".into());
        r.buyer_division_code = None;
        r.buyer_nature = Some("300".into());
        let c = r.clone().into_new().unwrap();
        assert!(!c.buyer.is_domestic() && !c.buyer.in_region("2101"));
        assert_eq!((c.buyer.credit_code, c.buyer.division_code), (None, None));
        r.buyer_country = Some("US".into());
        assert_eq!(fields(&r.into_new().unwrap_err()), ["buyer_country"]);
        // A domestic party needs both codes; an empty country means China.
        let mut r = row();
        r.buyer_country = None;
        r.buyer_division_code = Some("".into());
        assert_eq!(fields(&r.into_new().unwrap_err()), ["buyer_division_code"]);
    }

    #[test]
    fn technology_import_is_applied_for_by_the_buyer() {
        let mut r = row();
        r.seller_country = Some("276".into());
        r.seller_credit_code = None;
        r.seller_division_code = None;
        r.seller_nature = Some("300".into());
        let c = r.clone().into_new().unwrap();
        assert_eq!(c.applicant().name, "沈阳示例机床有限公司");
        r.buyer_country = Some("392".into());
        r.buyer_credit_code = None;
        r.buyer_division_code = None;
        assert_eq!(fields(&r.into_new().unwrap_err()), ["buyer_country"]);
    }

    #[test]
    fn categories_and_subtypes() {
        for (given, code) in [
            ("development", "development"),
            ("技术转让", "transfer"),
            ("技术许可", "licensing"),
            ("Consulting", "consulting"),
            ("技术服务", "service"),
        ] {
            let mut r = row();
            r.category = Some(given.into());
            assert_eq!(r.into_new().unwrap().category, code);
        }
        let mut r = row();
        r.category = Some("transfer".into());
        r.subtype = Some("软件著作权".into()); // not an alias of the subtype list
        assert_eq!(fields(&r.clone().into_new().unwrap_err()), ["subtype"]);
        r.subtype = Some("计算机软件著作权转让".into());
        assert_eq!(
            r.clone().into_new().unwrap().subtype.as_deref(),
            Some("transfer.software_copyright")
        );
        r.subtype = Some("委托开发".into());
        assert_eq!(fields(&r.clone().into_new().unwrap_err()), ["subtype"]);
        r.subtype = Some("licensing".into());
        assert_eq!(fields(&r.into_new().unwrap_err()), ["subtype"]);
        let mut r = row();
        r.category = Some("技术培训".into());
        let errs = r.into_new().unwrap_err();
        assert_eq!(fields(&errs), ["category"]);
        assert!(errs[0].message.contains("service"), "{}", errs[0]);
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date(" 2024-02-29 ").is_ok());
        for bad in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31"] {
            assert!(
                matches!(parse_date(bad), Err(DateError::Calendar(_))),
                "{bad}"
            );
        }
        for bad in [
            "2024-3-1",
            "20240301",
            "2024/03/01",
            "45352",
            "2024-03-01T00:00",
            "２０２４-03-01",
            "",
        ] {
            assert!(
                matches!(parse_date(bad), Err(DateError::Format(_))),
                "{bad}"
            );
        }
        assert!(matches!(parse_date("0024-03-01"), Err(DateError::Year(_))));
        let mut r = row();
        r.registered_on = Some("2024-02-01".into());
        assert_eq!(fields(&r.into_new().unwrap_err()), ["registered_on"]);
        let mut r = row();
        r.valid_from = Some("2024-03-01".into());
        r.valid_until = Some("2023-03-01".into());
        assert_eq!(fields(&r.into_new().unwrap_err()), ["valid_until"]);
    }

    #[test]
    fn json_bodies_with_numbers_and_a_schedule() {
        let mut v = serde_json::json!({
            "contract_no": "C-1", "title": "软件开发", "category": "development", "signed_on": "2024-01-05",
            "seller_name": "甲", "seller_credit_code": "91110000802100433B", "seller_division_code": 210106,
            "seller_nature": 150, "buyer_name": "乙", "buyer_credit_code": "12100000400000624D",
            "buyer_division_code": "110101", "buyer_nature": "22", "contract_amount": 1000.5,
            "tech_transaction_amount": 800, "tech_field": "电子信息", "ip_type": "未涉及",
            "plan_category": "计划外", "site_id": 3, "achievement_id": null,
            "payment_schedule": [{"due_on": "2024-06-30", "amount": "500.25"}, {"due_on": "2024-12-31", "amount": 500.25, "note": "验收后"}]
        });
        let c: ContractInput = serde_json::from_value(v.clone()).unwrap();
        let c = c.into_new().unwrap();
        assert_eq!(
            (c.contract_amount, c.tech_transaction_amount),
            (Fen(100_050), Fen(80_000))
        );
        assert_eq!(
            (c.seller.nature.as_str(), c.buyer.nature.as_str()),
            ("150", "022")
        );
        assert_eq!(
            (c.site_id, c.achievement_id, c.plan_category.as_deref()),
            (Some(3), None, Some("unplanned"))
        );
        assert_eq!(c.payment_schedule.len(), 2);
        assert_eq!(c.payment_schedule[1].note, "验收后");
        v["payment_schedule"][1]["due_on"] = "2024-12-32".into();
        v["payment_schedule"][0]["amount"] = serde_json::Value::Null;
        v["site_id"] = "-3".into();
        let c: ContractInput = serde_json::from_value(v).unwrap();
        let errs = c.into_new().unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "payment_schedule[0].amount",
                "payment_schedule[1].due_on",
                "site_id"
            ]
        );
    }
}
