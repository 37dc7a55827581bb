//! The plan as data (行动方案): objectives with yearly targets, tasks with their responsible
//! departments, policy figures and safeguards, read from a TOML file (docs/plan-format.md) and
//! checked as a whole: [`parse_plan`] reports **every** problem with its path
//! (`objectives[3].targets.2025`) and its line and column in the file.
//!
//! Also here, because they are rules rather than storage: which target applies in a year
//! ([`Objective::target_for`]), and how a value stands against it ([`assess`]).

use crate::FieldError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use toml_edit::{Item, Value};

/// The version of the file format this code reads (`format_version` in the file).
pub const FORMAT_VERSION: i64 = 1;

/// The plan of Shenyang (沈政办发〔2022〕4号), as shipped in `plans/shenyang-2022.toml`.
pub const SHENYANG_2022: &str = include_str!("../../../plans/shenyang-2022.toml");

/// A checked plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub format_version: i64,
    /// A stable identifier, e.g. `shenyang-2022`; reloading a plan with the same key makes a new
    /// version of it.
    pub key: String,
    pub title_zh: String,
    pub title_en: String,
    pub issuer_zh: String,
    pub issuer_en: String,
    /// 文号, e.g. 沈政办发〔2022〕4号.
    pub document_number: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub date: String,
    /// The division the plan governs (6 digits, e.g. `210100`).
    pub region: String,
    pub start_year: i32,
    pub end_year: i32,
    pub departments: Vec<Department>,
    pub objectives: Vec<Objective>,
    pub tasks: Vec<Task>,
    pub policies: Vec<Policy>,
    pub safeguards: Vec<Safeguard>,
}

/// A responsible department (责任单位) and how accounts are recognised as acting for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// Names of the organizations whose accounts act for the department.
    pub orgs: Vec<String>,
    /// District officers of these division codes act for it; `*` = every district.
    pub districts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 元; values are yuan.
    Yuan,
    /// A number of things (enterprises, institutions, items).
    Count,
    /// Percent (50 = 50 %).
    Percent,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Yuan => "yuan",
            Unit::Count => "count",
            Unit::Percent => "percent",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Unit::Yuan => "元",
            Unit::Count => "个",
            Unit::Percent => "%",
        }
    }
    /// Additive units can be split among districts; a percentage cannot.
    pub fn is_additive(self) -> bool {
        !matches!(self, Unit::Percent)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AtLeast,
    AtMost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measurement {
    /// Computed from the platform's records ([`Metric`]).
    Computed,
    /// Entered by the bureau or a district with its source document.
    Reported,
}

impl Measurement {
    pub fn as_str(self) -> &'static str {
        match self {
            Measurement::Computed => "computed",
            Measurement::Reported => "reported",
        }
    }
}

/// What the platform computes a value from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// 技术合同成交额 of the year (seller in the region), yuan.
    ContractTurnover,
    /// 技术交易额 of the year, yuan.
    TechTransactionAmount,
    /// Locally absorbed contracts (seller and buyer in the region) of the year, count.
    LocalAbsorptionCount,
    /// Growth of that count over the objective's baseline year, percent.
    LocalAbsorptionGrowth,
    /// 本地转化率 of the year, percent.
    LocalConversionRate,
    /// Achievements published in the year.
    AchievementsPublished,
    /// Organizations of kind `transfer_institution` at the end of the year.
    TransferInstitutions,
    /// Organizations of kind `incubator` (maker spaces, incubators: 双创载体) at the end of the year.
    Incubators,
    /// Organizations of kind `platform` at the end of the year.
    Platforms,
    /// Accounts holding the broker role at the end of the year.
    Brokers,
}

impl Metric {
    pub const ALL: [Metric; 10] = [
        Metric::ContractTurnover,
        Metric::TechTransactionAmount,
        Metric::LocalAbsorptionCount,
        Metric::LocalAbsorptionGrowth,
        Metric::LocalConversionRate,
        Metric::AchievementsPublished,
        Metric::TransferInstitutions,
        Metric::Incubators,
        Metric::Platforms,
        Metric::Brokers,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::ContractTurnover => "contract_turnover",
            Metric::TechTransactionAmount => "tech_transaction_amount",
            Metric::LocalAbsorptionCount => "local_absorption_count",
            Metric::LocalAbsorptionGrowth => "local_absorption_growth",
            Metric::LocalConversionRate => "local_conversion_rate",
            Metric::AchievementsPublished => "achievements_published",
            Metric::TransferInstitutions => "transfer_institutions",
            Metric::Incubators => "incubators",
            Metric::Platforms => "platforms",
            Metric::Brokers => "brokers",
        }
    }
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }
    /// The unit the metric produces.
    pub fn unit(self) -> Unit {
        match self {
            Metric::ContractTurnover | Metric::TechTransactionAmount => Unit::Yuan,
            Metric::LocalAbsorptionGrowth | Metric::LocalConversionRate => Unit::Percent,
            _ => Unit::Count,
        }
    }
    /// True for figures of a year (flows); false for stocks counted at the end of the year.
    pub fn is_flow(self) -> bool {
        matches!(
            self,
            Metric::ContractTurnover
                | Metric::TechTransactionAmount
                | Metric::LocalAbsorptionCount
                | Metric::LocalAbsorptionGrowth
                | Metric::LocalConversionRate
                | Metric::AchievementsPublished
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Baseline {
    pub year: i32,
    /// The value in the base year; `None` when the platform computes it (e.g. from contracts).
    pub value: Option<f64>,
}

/// An objective (目标) and so an indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Objective {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: Unit,
    pub direction: Direction,
    /// `true` for "more than" / "less than" (strict).
    pub exclusive: bool,
    pub measurement: Measurement,
    /// For computed objectives.
    pub metric: Option<Metric>,
    pub baseline: Option<Baseline>,
    /// Year → target value in `unit`.
    pub targets: BTreeMap<i32, f64>,
    /// Measured per district, and part of the district scorecard.
    pub per_district: bool,
    /// Weight in the district scorecard (the weights of per-district objectives sum to 100).
    pub district_weight: f64,
    /// Department keys.
    pub departments: Vec<String>,
    /// Where the plan says it (e.g. `§I.2`, `task 12`).
    pub source: String,
}

/// The target that applies in a year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TargetFor {
    pub value: f64,
    /// The year of the plan's target this derives from (the same year unless interpolated).
    pub from_year: i32,
    /// Interpolated linearly between two target years, or carried forward after the last.
    pub derived: bool,
}

impl Objective {
    /// The target of `year`: the plan's own, else linear between the neighbouring target years,
    /// else (after the last target year) the last target; none before the first.
    pub fn target_for(&self, year: i32) -> Option<TargetFor> {
        if let Some(v) = self.targets.get(&year) {
            return Some(TargetFor {
                value: *v,
                from_year: year,
                derived: false,
            });
        }
        let before = self.targets.range(..year).next_back();
        let after = self.targets.range(year..).next();
        match (before, after) {
            (Some((y0, v0)), Some((y1, v1))) => {
                let f = f64::from(year - y0) / f64::from(y1 - y0);
                Some(TargetFor {
                    value: v0 + (v1 - v0) * f,
                    from_year: *y1,
                    derived: true,
                })
            }
            (Some((y0, v0)), None) => Some(TargetFor {
                value: *v0,
                from_year: *y0,
                derived: true,
            }),
            _ => None,
        }
    }
}

/// A task (重点任务) of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub number: u32,
    /// The group of tasks it belongs to (e.g. `(一) 深化科技管理体制改革`).
    pub section: String,
    pub title_zh: String,
    pub title_en: String,
    pub text: String,
    /// Department keys, in the plan's order.
    pub departments: Vec<String>,
    /// Objective keys the task serves.
    pub indicators: Vec<String>,
    /// Platform features that serve it (free text slugs, e.g. `contracts`, `achievements`).
    pub features: Vec<String>,
}

/// A figure of a policy measure (a cap, a rate, an amount), e.g. the start-up capital of task 5.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub key: String,
    pub task: u32,
    pub name_zh: String,
    pub name_en: String,
    pub unit: Unit,
    pub value: f64,
    /// `at_most` (a cap), `at_least`, or `exactly`.
    pub limit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Safeguard {
    pub number: u32,
    pub title_zh: String,
    pub title_en: String,
    pub text: String,
}

/// One problem of a plan file: where (path and position) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanError {
    /// `objectives[3].targets.2025`; empty for the file as a whole.
    pub path: String,
    /// 1-based line and column, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, "{l}:{c}: ")?;
        }
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl From<PlanError> for FieldError {
    fn from(e: PlanError) -> Self {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
            _ => String::new(),
        };
        FieldError::new(
            if e.path.is_empty() {
                "plan".to_string()
            } else {
                e.path
            },
            format!("{}{at}", e.message),
        )
    }
}

/// Where a value sits in the file: a node of the document with its span.
#[derive(Clone, Copy)]
enum Node<'a> {
    Table(&'a toml_edit::Table),
    Aot(&'a toml_edit::ArrayOfTables),
    Value(&'a Value),
}

impl<'a> Node<'a> {
    fn of(i: &'a Item) -> Option<Node<'a>> {
        match i {
            Item::Table(t) => Some(Node::Table(t)),
            Item::ArrayOfTables(a) => Some(Node::Aot(a)),
            Item::Value(v) => Some(Node::Value(v)),
            Item::None => None,
        }
    }
    fn span(&self) -> Option<std::ops::Range<usize>> {
        match self {
            Node::Table(t) => t.span(),
            Node::Aot(a) => a.span(),
            Node::Value(v) => v.span(),
        }
    }
    fn as_str(&self) -> Option<&'a str> {
        match self {
            Node::Value(v) => v.as_str(),
            _ => None,
        }
    }
    fn as_int(&self) -> Option<i64> {
        match self {
            Node::Value(v) => v.as_integer(),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<f64> {
        match self {
            Node::Value(v) => v.as_integer().map(|i| i as f64).or_else(|| v.as_float()),
            _ => None,
        }
    }
    fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Value(v) => v.as_bool(),
            _ => None,
        }
    }
    /// Entries of a table or an inline table.
    fn entries(&self) -> Option<Vec<(&'a str, Node<'a>)>> {
        match self {
            Node::Table(t) => Some(
                t.iter()
                    .filter_map(|(k, _)| t.get(k).and_then(Node::of).map(|n| (k, n)))
                    .collect(),
            ),
            Node::Value(Value::InlineTable(t)) => {
                Some(t.iter().map(|(k, v)| (k, Node::Value(v))).collect())
            }
            _ => None,
        }
    }
    fn get(&self, key: &str) -> Option<Node<'a>> {
        match self {
            Node::Table(t) => t.get(key).and_then(Node::of),
            Node::Value(Value::InlineTable(t)) => t.get(key).map(Node::Value),
            _ => None,
        }
    }
    /// Elements of an array or an array of tables.
    fn elements(&self) -> Option<Vec<Node<'a>>> {
        match self {
            Node::Aot(a) => Some(a.iter().map(Node::Table).collect()),
            Node::Value(Value::Array(a)) => Some(a.iter().map(Node::Value).collect()),
            _ => None,
        }
    }
    fn type_name(&self) -> &'static str {
        match self {
            Node::Table(_) | Node::Value(Value::InlineTable(_)) => "a table",
            Node::Aot(_) | Node::Value(Value::Array(_)) => "an array",
            Node::Value(Value::String(_)) => "a string",
            Node::Value(Value::Integer(_)) => "an integer",
            Node::Value(Value::Float(_)) => "a number",
            Node::Value(Value::Boolean(_)) => "a boolean",
            Node::Value(Value::Datetime(_)) => "a date",
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary_compat(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while i > 0 && !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

struct Checker<'t> {
    text: &'t str,
    errors: Vec<PlanError>,
}

type Span = Option<std::ops::Range<usize>>;

impl Checker<'_> {
    fn err(&mut self, path: &str, span: Span, message: impl Into<String>) {
        let (line, column) = match span {
            Some(r) => {
                let (l, c) = line_col(self.text, r.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        self.errors.push(PlanError {
            path: path.to_string(),
            line,
            column,
            message: message.into(),
        });
    }

    fn known(&mut self, node: Node<'_>, path: &str, keys: &[&str]) {
        for (k, v) in node.entries().unwrap_or_default() {
            if !keys.contains(&k) {
                self.err(
                    &join(path, k),
                    v.span(),
                    format!("unknown key '{k}' (expected one of: {})", keys.join(", ")),
                );
            }
        }
    }

    fn string(&mut self, node: Node<'_>, path: &str, key: &str, required: bool) -> Option<String> {
        match node.get(key) {
            None => {
                if required {
                    self.err(&join(path, key), node.span(), "is required");
                }
                None
            }
            Some(v) => match v.as_str() {
                Some(s) if required && s.trim().is_empty() => {
                    self.err(&join(path, key), v.span(), "must not be empty");
                    None
                }
                Some(s) => Some(s.trim().to_string()),
                None => {
                    let t = v.type_name();
                    self.err(
                        &join(path, key),
                        v.span(),
                        format!("expected a string, found {t}"),
                    );
                    None
                }
            },
        }
    }

    fn int(&mut self, node: Node<'_>, path: &str, key: &str, required: bool) -> Option<i64> {
        match node.get(key) {
            None => {
                if required {
                    self.err(&join(path, key), node.span(), "is required");
                }
                None
            }
            Some(v) => match v.as_int() {
                Some(i) => Some(i),
                None => {
                    let t = v.type_name();
                    self.err(
                        &join(path, key),
                        v.span(),
                        format!("expected an integer, found {t}"),
                    );
                    None
                }
            },
        }
    }

    fn number(&mut self, node: Node<'_>, path: &str, key: &str, required: bool) -> Option<f64> {
        match node.get(key) {
            None => {
                if required {
                    self.err(&join(path, key), node.span(), "is required");
                }
                None
            }
            Some(v) => self.number_value(v, &join(path, key)),
        }
    }

    fn number_value(&mut self, v: Node<'_>, path: &str) -> Option<f64> {
        match v.as_number() {
            Some(n) if n.is_finite() && n >= 0.0 => Some(n),
            Some(_) => {
                self.err(path, v.span(), "must be a number ≥ 0");
                None
            }
            None => {
                let t = v.type_name();
                self.err(path, v.span(), format!("expected a number, found {t}"));
                None
            }
        }
    }

    fn boolean(&mut self, node: Node<'_>, path: &str, key: &str) -> Option<bool> {
        let v = node.get(key)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                let t = v.type_name();
                self.err(
                    &join(path, key),
                    v.span(),
                    format!("expected true or false, found {t}"),
                );
                None
            }
        }
    }

    fn strings(&mut self, node: Node<'_>, path: &str, key: &str) -> Vec<String> {
        let Some(v) = node.get(key) else {
            return Vec::new();
        };
        let Some(items) = v.elements() else {
            let t = v.type_name();
            self.err(
                &join(path, key),
                v.span(),
                format!("expected an array of strings, found {t}"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match item.as_str() {
                Some(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                _ => self.err(
                    &format!("{}[{i}]", join(path, key)),
                    item.span(),
                    "expected a non-empty string",
                ),
            }
        }
        out
    }

    /// The array of tables under `key` (every element must be a table).
    fn tables<'a>(&mut self, root: Node<'a>, key: &str, required: bool) -> Vec<(String, Node<'a>)> {
        let Some(v) = root.get(key) else {
            if required {
                self.err(key, None, "is required (at least one entry)");
            }
            return Vec::new();
        };
        let Some(items) = v.elements() else {
            let t = v.type_name();
            self.err(
                key,
                v.span(),
                format!("expected an array of tables ([[{key}]]), found {t}"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let path = format!("{key}[{i}]");
            if item.entries().is_some() {
                out.push((path, item));
            } else {
                self.err(&path, item.span(), "expected a table");
            }
        }
        out
    }

    fn one_of<T: Copy>(
        &mut self,
        node: Node<'_>,
        path: &str,
        key: &str,
        choices: &[(&str, T)],
        default: Option<T>,
    ) -> Option<T> {
        let given = node.get(key);
        let Some(v) = given else {
            if default.is_none() {
                self.err(&join(path, key), node.span(), "is required");
            }
            return default;
        };
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        match v
            .as_str()
            .and_then(|s| choices.iter().find(|(n, _)| *n == s.trim()))
        {
            Some((_, t)) => Some(*t),
            None => {
                self.err(
                    &join(path, key),
                    v.span(),
                    format!("expected one of: {}", names.join(", ")),
                );
                None
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn year_ok(y: i64) -> bool {
    (1990..=2100).contains(&y)
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        s[..4].parse::<i32>(),
        s[5..7].parse::<u8>(),
        s[8..].parse::<u8>(),
    ) else {
        return false;
    };
    time::Month::try_from(m)
        .ok()
        .and_then(|m| time::Date::from_calendar_date(y, m, d).ok())
        .is_some()
}

const UNITS: [(&str, Unit); 3] = [
    ("yuan", Unit::Yuan),
    ("count", Unit::Count),
    ("percent", Unit::Percent),
];

/// Parses and checks a plan file. On failure, every problem found, in file order.
pub fn parse_plan(text: &str) -> Result<Plan, Vec<PlanError>> {
    let mut c = Checker {
        text,
        errors: Vec::new(),
    };
    // Syntax first: nothing else can be checked in a file that is not TOML.
    if let Err(e) = toml::from_str::<toml::Table>(text) {
        c.err("", e.span(), e.message().to_string());
        return Err(c.errors);
    }
    let doc = match toml_edit::ImDocument::parse(text) {
        Ok(d) => d,
        Err(e) => {
            c.err("", e.span(), e.message().to_string());
            return Err(c.errors);
        }
    };
    let root = Node::Table(doc.as_table());
    c.known(
        root,
        "",
        &[
            "format_version",
            "key",
            "title_zh",
            "title_en",
            "issuer_zh",
            "issuer_en",
            "document_number",
            "date",
            "region",
            "start_year",
            "end_year",
            "departments",
            "objectives",
            "tasks",
            "policies",
            "safeguards",
        ],
    );
    let format_version = c.int(root, "", "format_version", true);
    if let Some(v) = format_version {
        if v != FORMAT_VERSION {
            let span = root.get("format_version").and_then(|n| n.span());
            c.err(
                "format_version",
                span,
                format!(
                    "this version of Chengguo reads format_version = {FORMAT_VERSION}, not {v}"
                ),
            );
        }
    }
    let key = c.string(root, "", "key", true);
    if let Some(k) = &key {
        if !is_slug(k) {
            let span = root.get("key").and_then(|n| n.span());
            c.err(
                "key",
                span,
                "use lowercase letters, digits, '-' and '_' only",
            );
        }
    }
    let title_zh = c.string(root, "", "title_zh", true);
    let title_en = c.string(root, "", "title_en", false);
    let issuer_zh = c.string(root, "", "issuer_zh", true);
    let issuer_en = c.string(root, "", "issuer_en", false);
    let document_number = c.string(root, "", "document_number", false);
    let date = c.string(root, "", "date", true);
    if let Some(d) = &date {
        if !valid_date(d) {
            let span = root.get("date").and_then(|n| n.span());
            c.err("date", span, format!("'{d}' is not a YYYY-MM-DD date"));
        }
    }
    let region = c.string(root, "", "region", true);
    if let Some(r) = &region {
        if let Err(e) = crate::DivisionCode::parse(r) {
            let span = root.get("region").and_then(|n| n.span());
            c.err("region", span, format!("not a division code: {e}"));
        }
    }
    let start_year = c.int(root, "", "start_year", true);
    let end_year = c.int(root, "", "end_year", true);
    for (k, y) in [("start_year", start_year), ("end_year", end_year)] {
        if let Some(y) = y {
            if !year_ok(y) {
                let span = root.get(k).and_then(|n| n.span());
                c.err(k, span, format!("{y} is not a plausible year"));
            }
        }
    }
    if let (Some(s), Some(e)) = (start_year, end_year) {
        if e < s {
            let span = root.get("end_year").and_then(|n| n.span());
            c.err("end_year", span, "must not be before start_year");
        }
    }

    // Departments.
    let mut departments = Vec::new();
    for (path, t) in c.tables(root, "departments", true) {
        c.known(
            t,
            &path,
            &["key", "name_zh", "name_en", "orgs", "districts"],
        );
        let key = c.string(t, &path, "key", true);
        let name_zh = c.string(t, &path, "name_zh", true);
        let name_en = c.string(t, &path, "name_en", false);
        let orgs = c.strings(t, &path, "orgs");
        let districts = c.strings(t, &path, "districts");
        for (i, d) in districts.iter().enumerate() {
            if d != "*" && crate::DivisionCode::parse(d).is_err() {
                let span = t.get("districts").and_then(|n| n.span());
                c.err(
                    &format!("{path}.districts[{i}]"),
                    span,
                    format!("'{d}' is neither '*' nor a division code"),
                );
            }
        }
        if let (Some(key), Some(name_zh)) = (key, name_zh) {
            if departments.iter().any(|d: &Department| d.key == key) {
                let span = t.get("key").and_then(|n| n.span());
                c.err(
                    &join(&path, "key"),
                    span,
                    format!("duplicate department key '{key}'"),
                );
            }
            departments.push(Department {
                key,
                name_zh,
                name_en: name_en.unwrap_or_default(),
                orgs,
                districts,
            });
        }
    }
    let dept_keys: BTreeSet<String> = departments.iter().map(|d| d.key.clone()).collect();
    let check_depts = |c: &mut Checker<'_>, t: Node<'_>, path: &str, list: &[String]| {
        for (i, d) in list.iter().enumerate() {
            if !dept_keys.contains(d) {
                let span = t.get("departments").and_then(|n| n.span());
                c.err(
                    &format!("{path}.departments[{i}]"),
                    span,
                    format!("unknown department '{d}' (define it under [[departments]])"),
                );
            }
        }
    };

    // Objectives.
    let mut objectives: Vec<Objective> = Vec::new();
    // Keys of every objective table, valid or not, so that one bad objective does not also make
    // every task that names it an error.
    let mut all_objective_keys: BTreeSet<String> = BTreeSet::new();
    let mut objective_failed = false;
    let metric_choices: Vec<(&str, Metric)> =
        Metric::ALL.iter().map(|m| (m.as_str(), *m)).collect();
    for (path, t) in c.tables(root, "objectives", true) {
        c.known(
            t,
            &path,
            &[
                "key",
                "name_zh",
                "name_en",
                "unit",
                "direction",
                "exclusive",
                "measurement",
                "metric",
                "baseline",
                "targets",
                "per_district",
                "district_weight",
                "departments",
                "source",
            ],
        );
        let key = c.string(t, &path, "key", true);
        if let Some(k) = &key {
            all_objective_keys.insert(k.clone());
        }
        let errors_before = c.errors.len();
        if let Some(k) = &key {
            if !is_slug(k) {
                let span = t.get("key").and_then(|n| n.span());
                c.err(
                    &join(&path, "key"),
                    span,
                    "use lowercase letters, digits and '_' only",
                );
            } else if objectives.iter().any(|o| &o.key == k) {
                let span = t.get("key").and_then(|n| n.span());
                c.err(
                    &join(&path, "key"),
                    span,
                    format!("duplicate objective key '{k}'"),
                );
            }
        }
        let name_zh = c.string(t, &path, "name_zh", true);
        let name_en = c.string(t, &path, "name_en", true);
        let unit = c.one_of(t, &path, "unit", &UNITS, None);
        let direction = c.one_of(
            t,
            &path,
            "direction",
            &[
                ("at_least", Direction::AtLeast),
                ("at_most", Direction::AtMost),
            ],
            Some(Direction::AtLeast),
        );
        let exclusive = c.boolean(t, &path, "exclusive").unwrap_or(false);
        let measurement = c.one_of(
            t,
            &path,
            "measurement",
            &[
                ("computed", Measurement::Computed),
                ("reported", Measurement::Reported),
            ],
            None,
        );
        let metric = if t.get("metric").is_some() {
            c.one_of(t, &path, "metric", &metric_choices, None)
        } else {
            None
        };
        match (measurement, metric) {
            (Some(Measurement::Computed), None) if t.get("metric").is_none() => c.err(
                &join(&path, "metric"),
                t.span(),
                "a computed objective needs a metric",
            ),
            (Some(Measurement::Reported), Some(_)) => {
                let span = t.get("metric").and_then(|n| n.span());
                c.err(
                    &join(&path, "metric"),
                    span,
                    "a reported objective has no metric (use measurement = \"computed\")",
                )
            }
            _ => {}
        }
        if let (Some(m), Some(u)) = (metric, unit) {
            if m.unit() != u {
                let span = t.get("unit").and_then(|n| n.span());
                c.err(
                    &join(&path, "unit"),
                    span,
                    format!(
                        "metric '{}' is measured in {}",
                        m.as_str(),
                        m.unit().as_str()
                    ),
                );
            }
        }
        let baseline = match t.get("baseline") {
            None => None,
            Some(b) if b.entries().is_some() => {
                let bp = join(&path, "baseline");
                c.known(b, &bp, &["year", "value"]);
                let year = c.int(b, &bp, "year", true);
                if let Some(y) = year {
                    if !year_ok(y) {
                        c.err(
                            &join(&bp, "year"),
                            b.get("year").and_then(|n| n.span()),
                            format!("{y} is not a plausible year"),
                        );
                    }
                }
                let value = c.number(b, &bp, "value", false);
                year.map(|y| Baseline {
                    year: y as i32,
                    value,
                })
            }
            Some(b) => {
                let ty = b.type_name();
                c.err(
                    &join(&path, "baseline"),
                    b.span(),
                    format!("expected a table {{ year = …, value = … }}, found {ty}"),
                );
                None
            }
        };
        if metric == Some(Metric::LocalAbsorptionGrowth) && baseline.is_none() {
            c.err(
                &join(&path, "baseline"),
                t.span(),
                "growth is measured over a base year: give baseline = { year = … }",
            );
        }
        let mut targets = BTreeMap::new();
        let tp = join(&path, "targets");
        match t.get("targets") {
            None => c.err(&tp, t.span(), "is required (at least one year)"),
            Some(tn) => match tn.entries() {
                None => {
                    let ty = tn.type_name();
                    c.err(
                        &tp,
                        tn.span(),
                        format!("expected a table of year = value, found {ty}"),
                    )
                }
                Some(entries) => {
                    if entries.is_empty() {
                        c.err(&tp, tn.span(), "needs at least one year");
                    }
                    for (y, v) in entries {
                        let ypath = format!("{tp}.{y}");
                        let year = y.parse::<i64>().ok().filter(|y| year_ok(*y));
                        let Some(year) = year else {
                            c.err(&ypath, v.span(), format!("'{y}' is not a year"));
                            continue;
                        };
                        if let (Some(s), Some(e)) = (start_year, end_year) {
                            if year < s || year > e {
                                c.err(
                                    &ypath,
                                    v.span(),
                                    format!("year {year} is outside the plan's years {s}–{e}"),
                                );
                            }
                        }
                        if let Some(n) = c.number_value(v, &ypath) {
                            if unit == Some(Unit::Percent) && n > 1000.0 {
                                c.err(&ypath, v.span(), "a percentage above 1000 is surely a mistake (write 50 for 50 %)");
                            }
                            targets.insert(year as i32, n);
                        }
                    }
                }
            },
        }
        if let (Some(b), Some((first, _))) = (&baseline, targets.iter().next()) {
            if b.year >= *first {
                c.err(
                    &join(&path, "baseline.year"),
                    t.get("baseline").and_then(|n| n.span()),
                    "must be before the first target year",
                );
            }
        }
        let per_district = c.boolean(t, &path, "per_district").unwrap_or(false);
        let district_weight = c.number(t, &path, "district_weight", false).unwrap_or(0.0);
        if per_district && district_weight <= 0.0 {
            c.err(
                &join(&path, "district_weight"),
                t.span(),
                "a per-district objective needs a district_weight > 0",
            );
        }
        if !per_district && district_weight > 0.0 {
            c.err(
                &join(&path, "district_weight"),
                t.get("district_weight").and_then(|n| n.span()),
                "only per-district objectives carry a weight (set per_district = true)",
            );
        }
        let deps = c.strings(t, &path, "departments");
        check_depts(&mut c, t, &path, &deps);
        let source = c.string(t, &path, "source", false).unwrap_or_default();
        objective_failed |= c.errors.len() > errors_before;
        if let (
            Some(key),
            Some(name_zh),
            Some(name_en),
            Some(unit),
            Some(direction),
            Some(measurement),
        ) = (key, name_zh, name_en, unit, direction, measurement)
        {
            objectives.push(Objective {
                key,
                name_zh,
                name_en,
                unit,
                direction,
                exclusive,
                measurement,
                metric,
                baseline,
                targets,
                per_district,
                district_weight,
                departments: deps,
                source,
            });
        }
    }
    let weight_sum: f64 = objectives
        .iter()
        .filter(|o| o.per_district)
        .map(|o| o.district_weight)
        .sum();
    if !objective_failed
        && objectives.iter().any(|o| o.per_district)
        && (weight_sum - 100.0).abs() > 1e-6
    {
        c.err(
            "objectives",
            root.get("objectives").and_then(|n| n.span()),
            format!(
                "the district_weight of the per-district objectives sum to {weight_sum}, not 100"
            ),
        );
    }
    let objective_keys = all_objective_keys;

    // Tasks.
    let mut tasks: Vec<Task> = Vec::new();
    for (path, t) in c.tables(root, "tasks", true) {
        c.known(
            t,
            &path,
            &[
                "number",
                "section",
                "title_zh",
                "title_en",
                "text",
                "departments",
                "indicators",
                "features",
            ],
        );
        let number = c.int(t, &path, "number", true);
        if let Some(n) = number {
            if n < 1 {
                c.err(
                    &join(&path, "number"),
                    t.get("number").and_then(|n| n.span()),
                    "must be 1 or more",
                );
            } else if tasks.iter().any(|x| i64::from(x.number) == n) {
                c.err(
                    &join(&path, "number"),
                    t.get("number").and_then(|n| n.span()),
                    format!("duplicate task number {n}"),
                );
            }
        }
        let section = c.string(t, &path, "section", false).unwrap_or_default();
        let title_zh = c.string(t, &path, "title_zh", true);
        let title_en = c.string(t, &path, "title_en", false).unwrap_or_default();
        let text_ = c.string(t, &path, "text", false).unwrap_or_default();
        let deps = c.strings(t, &path, "departments");
        if deps.is_empty() {
            c.err(
                &join(&path, "departments"),
                t.span(),
                "name at least one responsible department",
            );
        }
        check_depts(&mut c, t, &path, &deps);
        let indicators = c.strings(t, &path, "indicators");
        for (i, k) in indicators.iter().enumerate() {
            if !objective_keys.contains(k) {
                c.err(
                    &format!("{path}.indicators[{i}]"),
                    t.get("indicators").and_then(|n| n.span()),
                    format!("unknown objective '{k}'"),
                );
            }
        }
        let features = c.strings(t, &path, "features");
        if let (Some(n), Some(title_zh)) = (number, title_zh) {
            if n >= 1 {
                tasks.push(Task {
                    number: n as u32,
                    section,
                    title_zh,
                    title_en,
                    text: text_,
                    departments: deps,
                    indicators,
                    features,
                });
            }
        }
    }
    tasks.sort_by_key(|t| t.number);
    let task_numbers: BTreeSet<u32> = tasks.iter().map(|t| t.number).collect();

    // Policies.
    let mut policies: Vec<Policy> = Vec::new();
    for (path, t) in c.tables(root, "policies", false) {
        c.known(
            t,
            &path,
            &[
                "key", "task", "name_zh", "name_en", "unit", "value", "limit",
            ],
        );
        let key = c.string(t, &path, "key", true);
        if let Some(k) = &key {
            if policies.iter().any(|p| &p.key == k) {
                c.err(
                    &join(&path, "key"),
                    t.get("key").and_then(|n| n.span()),
                    format!("duplicate policy key '{k}'"),
                );
            }
        }
        let task = c.int(t, &path, "task", true);
        if let Some(n) = task {
            if n < 1 || !task_numbers.contains(&(n as u32)) {
                c.err(
                    &join(&path, "task"),
                    t.get("task").and_then(|n| n.span()),
                    format!("there is no task {n}"),
                );
            }
        }
        let name_zh = c.string(t, &path, "name_zh", true);
        let name_en = c.string(t, &path, "name_en", false).unwrap_or_default();
        let unit = c.one_of(t, &path, "unit", &UNITS, None);
        let value = c.number(t, &path, "value", true);
        let limit = c.one_of(
            t,
            &path,
            "limit",
            &[
                ("at_most", "at_most"),
                ("at_least", "at_least"),
                ("exactly", "exactly"),
            ],
            Some("exactly"),
        );
        if let (Some(key), Some(task), Some(name_zh), Some(unit), Some(value), Some(limit)) =
            (key, task, name_zh, unit, value, limit)
        {
            policies.push(Policy {
                key,
                task: task.max(0) as u32,
                name_zh,
                name_en,
                unit,
                value,
                limit: limit.to_string(),
            });
        }
    }

    // Safeguards.
    let mut safeguards: Vec<Safeguard> = Vec::new();
    for (path, t) in c.tables(root, "safeguards", false) {
        c.known(t, &path, &["number", "title_zh", "title_en", "text"]);
        let number = c.int(t, &path, "number", true);
        let title_zh = c.string(t, &path, "title_zh", true);
        let title_en = c.string(t, &path, "title_en", false).unwrap_or_default();
        let text_ = c.string(t, &path, "text", false).unwrap_or_default();
        if let (Some(n), Some(title_zh)) = (number, title_zh) {
            safeguards.push(Safeguard {
                number: n.max(0) as u32,
                title_zh,
                title_en,
                text: text_,
            });
        }
    }

    // The file order of problems, whatever the order of the checks.
    c.errors
        .sort_by_key(|e| (e.line.unwrap_or(0), e.column.unwrap_or(0)));
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Plan {
        format_version: format_version.unwrap_or(FORMAT_VERSION),
        key: key.unwrap_or_default(),
        title_zh: title_zh.unwrap_or_default(),
        title_en: title_en.unwrap_or_default(),
        issuer_zh: issuer_zh.unwrap_or_default(),
        issuer_en: issuer_en.unwrap_or_default(),
        document_number: document_number.unwrap_or_default(),
        date: date.unwrap_or_default(),
        region: region.unwrap_or_default(),
        start_year: start_year.unwrap_or(0) as i32,
        end_year: end_year.unwrap_or(0) as i32,
        departments,
        objectives,
        tasks,
        policies,
        safeguards,
    })
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Plan {
    pub fn objective(&self, key: &str) -> Option<&Objective> {
        self.objectives.iter().find(|o| o.key == key)
    }
    pub fn task(&self, number: u32) -> Option<&Task> {
        self.tasks.iter().find(|t| t.number == number)
    }
    pub fn department(&self, key: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.key == key)
    }
    /// The departments of a task that an account acts for: by its organization's name, or as a
    /// district officer of a listed district.
    pub fn departments_of_actor(
        &self,
        task: &Task,
        org_name: Option<&str>,
        district: Option<&str>,
    ) -> Vec<&Department> {
        task.departments
            .iter()
            .filter_map(|k| self.department(k))
            .filter(|d| {
                org_name.is_some_and(|n| d.orgs.iter().any(|o| o == n))
                    || district.is_some_and(|dc| d.districts.iter().any(|x| x == "*" || x == dc))
            })
            .collect()
    }
}

/// How an indicator stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    OnTrack,
    Behind,
    NoData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::OnTrack => "on_track",
            Status::Behind => "behind",
            Status::NoData => "no_data",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Status::Met => "已达标",
            Status::OnTrack => "进度正常",
            Status::Behind => "滞后",
            Status::NoData => "暂无数据",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::OnTrack => "on track",
            Status::Behind => "behind",
            Status::NoData => "no data",
        }
    }
}

/// Progress (value against target, 1.0 = target reached; for "at most", target ÷ value) and
/// status. `elapsed` is the share of the year already past (1.0 for a past year): a figure that
/// grows through the year is `on_track` while its progress keeps pace with the calendar.
pub fn assess(
    value: Option<f64>,
    target: Option<f64>,
    direction: Direction,
    exclusive: bool,
    elapsed: f64,
) -> (Option<f64>, Status) {
    let Some(v) = value else {
        return (None, Status::NoData);
    };
    let Some(t) = target else {
        return (None, Status::NoData);
    };
    let (progress, met) = match direction {
        Direction::AtLeast => (
            if t > 0.0 { v / t } else { 1.0 },
            if exclusive { v > t } else { v >= t },
        ),
        Direction::AtMost => (
            if v > 0.0 { t / v } else { 1.0 },
            if exclusive { v < t } else { v <= t },
        ),
    };
    let status = if met {
        Status::Met
    } else if elapsed < 1.0 && progress >= elapsed.clamp(0.0, 1.0) {
        Status::OnTrack
    } else {
        Status::Behind
    };
    (Some(progress), status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shenyang_plan_parses_with_every_target() {
        let p = parse_plan(SHENYANG_2022).unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert_eq!(p.tasks.len(), 19);
        assert_eq!(p.safeguards.len(), 4);
        let t = |k: &str, y: i32| p.objective(k).unwrap().targets[&y];
        assert_eq!(t("contract_turnover", 2022), 36_000_000_000.0);
        assert_eq!(t("contract_turnover", 2025), 50_000_000_000.0);
        assert_eq!(t("incubating_enterprises", 2022), 18_000.0);
        assert_eq!(t("incubating_enterprises", 2025), 30_000.0);
        assert_eq!(t("local_conversion_rate", 2025), 50.0);
        assert_eq!(t("high_tech_enterprises", 2025), 8_000.0);
        assert_eq!(t("brokers", 2025), 1_000.0);
        for task in &p.tasks {
            assert!(!task.departments.is_empty(), "task {}", task.number);
        }
    }

    #[test]
    fn every_error_is_reported_with_its_location() {
        let bad = SHENYANG_2022
            .replacen("format_version = 1", "format_version = 7", 1)
            .replacen("2025 = 50000000000", "2025 = \"lots\"", 1)
            .replacen("direction = \"at_least\"", "direction = \"upwards\"", 1);
        let errs = parse_plan(&bad).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(errs.len() >= 3, "{text:?}");
        assert!(
            errs.iter().any(|e| e.path == "format_version"
                && e.line
                    == Some(
                        1 + SHENYANG_2022
                            .lines()
                            .position(|l| l.starts_with("format_version"))
                            .unwrap()
                    )),
            "{text:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.path == "objectives[0].targets.2025" && e.line.is_some()),
            "{text:?}"
        );
        assert!(
            errs.iter().any(|e| e.path.ends_with(".direction")),
            "{text:?}"
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let errs = parse_plan("format_version = 1\nkey = \"x\nfoo").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, Some(2));
    }

    #[test]
    fn missing_and_unknown_fields() {
        let errs = parse_plan("format_version = 1\ncolour = \"red\"\n").unwrap_err();
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"colour"));
        assert!(paths.contains(&"key"));
        assert!(paths.contains(&"objectives"));
        assert!(paths.contains(&"tasks"));
    }

    #[test]
    fn targets_between_years_are_interpolated() {
        let p = parse_plan(SHENYANG_2022).unwrap();
        let o = p.objective("contract_turnover").unwrap();
        let t = o.target_for(2023).unwrap();
        assert!(t.derived);
        assert!((t.value - 40_666_666_666.67).abs() < 1.0);
        assert_eq!(o.target_for(2026).unwrap().value, 50_000_000_000.0);
        assert!(o.target_for(2021).is_none());
    }

    #[test]
    fn assessment() {
        use Direction::*;
        assert_eq!(
            assess(None, Some(1.0), AtLeast, false, 0.5).1,
            Status::NoData
        );
        assert_eq!(
            assess(Some(10.0), Some(10.0), AtLeast, false, 0.5).1,
            Status::Met
        );
        assert_eq!(
            assess(Some(10.0), Some(10.0), AtLeast, true, 1.0).1,
            Status::Behind
        );
        assert_eq!(
            assess(Some(6.0), Some(10.0), AtLeast, false, 0.5).1,
            Status::OnTrack
        );
        assert_eq!(
            assess(Some(4.0), Some(10.0), AtLeast, false, 0.5).1,
            Status::Behind
        );
        assert_eq!(
            assess(Some(9.0), Some(10.0), AtLeast, false, 1.0).1,
            Status::Behind
        );
        assert_eq!(
            assess(Some(8.0), Some(10.0), AtMost, false, 1.0).1,
            Status::Met
        );
    }
}

/// Who may enter a reported figure for a division: the bureau for the city or any district, a
/// district officer only for their own district.
pub fn can_report_indicator(
    actor: &crate::Actor,
    division: &str,
) -> Result<(), crate::access::Denied> {
    if actor.is_bureau() {
        return Ok(());
    }
    if actor.has(crate::Role::District) && actor.district_code.as_deref() == Some(division) {
        return Ok(());
    }
    Err(crate::access::Denied::Forbidden(format!(
        "account '{}' may not report figures for {division}: the bureau reports for the city and any district, a district officer for their own district",
        actor.username
    )))
}

/// Who may set district targets: the bureau.
pub fn can_set_district_targets(actor: &crate::Actor) -> Result<(), crate::access::Denied> {
    if actor.is_bureau() {
        Ok(())
    } else {
        Err(crate::access::Denied::Forbidden(
            "only the bureau sets district targets".into(),
        ))
    }
}

/// The departments of a task the account may report progress for: those it acts for (by its
/// organization's name or its district); the bureau may report for any of them.
pub fn reporting_departments<'p>(
    plan: &'p Plan,
    task: &'p Task,
    actor: &crate::Actor,
    org_name: Option<&str>,
) -> Result<Vec<&'p Department>, crate::access::Denied> {
    let district = if actor.has(crate::Role::District) {
        actor.district_code.as_deref()
    } else {
        None
    };
    let mine = plan.departments_of_actor(task, org_name, district);
    if !mine.is_empty() {
        return Ok(mine);
    }
    if actor.is_bureau() {
        return Ok(task
            .departments
            .iter()
            .filter_map(|k| plan.department(k))
            .collect());
    }
    Err(crate::access::Denied::Forbidden(format!(
        "account '{}' does not act for a responsible department of task {}",
        actor.username, task.number
    )))
}

/// The status of a task on the plan board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    NotStarted,
    InProgress,
    Completed,
    Delayed,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::NotStarted,
        TaskStatus::InProgress,
        TaskStatus::Completed,
        TaskStatus::Delayed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not_started",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Completed => "completed",
            TaskStatus::Delayed => "delayed",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "未启动",
            TaskStatus::InProgress => "推进中",
            TaskStatus::Completed => "已完成",
            TaskStatus::Delayed => "滞后",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not started",
            TaskStatus::InProgress => "in progress",
            TaskStatus::Completed => "completed",
            TaskStatus::Delayed => "delayed",
        }
    }
    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
}

/// A progress report as submitted (text, figures, attachments' names, date).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TaskReportInput {
    pub text: Option<String>,
    pub figures: Option<String>,
    /// Names of the attached documents, one per line or as a list.
    #[serde(default)]
    pub attachments: Vec<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
    /// The department reported for (a key of the plan), when the account acts for several.
    pub department: Option<String>,
}

/// A checked progress report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTaskReport {
    pub text: String,
    pub figures: String,
    pub attachments: Vec<String>,
    pub date: String,
    pub department: Option<String>,
}

impl TaskReportInput {
    pub fn into_new(self, today: &str) -> Result<NewTaskReport, Vec<FieldError>> {
        let mut errs = Vec::new();
        let text = self.text.unwrap_or_default().trim().to_string();
        if text.is_empty() {
            errs.push(FieldError::new("text", "必填 / is required"));
        } else if text.chars().count() > 10_000 {
            errs.push(FieldError::new(
                "text",
                "最多 10000 字 / at most 10,000 characters",
            ));
        }
        let figures = self.figures.unwrap_or_default().trim().to_string();
        if figures.chars().count() > 2_000 {
            errs.push(FieldError::new(
                "figures",
                "最多 2000 字 / at most 2,000 characters",
            ));
        }
        let mut attachments = Vec::new();
        for a in self.attachments.iter().flat_map(|a| a.lines()) {
            let a = a.trim();
            if a.is_empty() {
                continue;
            }
            if a.chars().count() > 200 || a.contains(['/', '\\']) {
                errs.push(FieldError::new(
                    "attachments",
                    format!(
                        "附件名无效 / '{a}' is not a file name (at most 200 characters, no path)"
                    ),
                ));
            } else {
                attachments.push(a.to_string());
            }
        }
        let date = match self
            .date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => today.to_string(),
            Some(d) if !valid_date(d) => {
                errs.push(FieldError::new(
                    "date",
                    format!("'{d}' 不是日期 / is not a YYYY-MM-DD date"),
                ));
                String::new()
            }
            Some(d) if d > today => {
                errs.push(FieldError::new(
                    "date",
                    "不能晚于今天 / must not be in the future",
                ));
                String::new()
            }
            Some(d) => d.to_string(),
        };
        if errs.is_empty() {
            Ok(NewTaskReport {
                text,
                figures,
                attachments,
                date,
                department: self.department.filter(|d| !d.trim().is_empty()),
            })
        } else {
            Err(errs)
        }
    }
}

/// A reported figure as entered.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct IndicatorValueInput {
    pub year: Option<i64>,
    /// `210100` (the city, default) or a district's division code.
    pub division: Option<String>,
    /// A number in the objective's unit (yuan, count, percent), as text or number.
    pub value: Option<serde_json::Value>,
    /// The document the figure comes from (统计公报, 年报 …).
    pub source_document: Option<String>,
    /// Its date, `YYYY-MM-DD`.
    pub source_date: Option<String>,
    pub note: Option<String>,
}

/// A checked reported figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewIndicatorValue {
    pub year: i32,
    pub division: String,
    pub value: f64,
    pub source_document: String,
    pub source_date: String,
    pub note: String,
}

impl IndicatorValueInput {
    /// Checks the figure against the plan's region (city or one of its districts).
    pub fn into_new(self, region: &str, today: &str) -> Result<NewIndicatorValue, Vec<FieldError>> {
        let mut errs = Vec::new();
        let year = match self.year {
            Some(y) if year_ok(y) => y as i32,
            Some(y) => {
                errs.push(FieldError::new(
                    "year",
                    format!("{y} 不是有效年份 / is not a plausible year"),
                ));
                0
            }
            None => {
                errs.push(FieldError::new("year", "必填 / is required"));
                0
            }
        };
        let division = self
            .division
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| region.to_string());
        let region_prefix = region.trim_end_matches("00");
        if division != region
            && !(division.starts_with(region_prefix)
                && crate::refdata::division(&division).is_some_and(|d| d.level == 3))
        {
            errs.push(FieldError::new(
                "division",
                format!(
                    "'{division}' 不是本市或其区县 / is neither {region} nor one of its districts"
                ),
            ));
        }
        let value = match &self.value {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.trim().replace(',', "").parse::<f64>().ok(),
            _ => None,
        };
        let value = match value {
            Some(v) if v.is_finite() && v >= 0.0 => v,
            _ => {
                errs.push(FieldError::new(
                    "value",
                    "请填写不小于 0 的数字 / a number ≥ 0 is required",
                ));
                0.0
            }
        };
        let source_document = self.source_document.unwrap_or_default().trim().to_string();
        if source_document.is_empty() {
            errs.push(FieldError::new(
                "source_document",
                "请注明数据来源文件 / name the source document",
            ));
        } else if source_document.chars().count() > 500 {
            errs.push(FieldError::new(
                "source_document",
                "最多 500 字 / at most 500 characters",
            ));
        }
        let source_date = self.source_date.unwrap_or_default().trim().to_string();
        if !valid_date(&source_date) {
            errs.push(FieldError::new(
                "source_date",
                "请填写 YYYY-MM-DD 日期 / a YYYY-MM-DD date is required",
            ));
        } else if source_date.as_str() > today {
            errs.push(FieldError::new(
                "source_date",
                "不能晚于今天 / must not be in the future",
            ));
        }
        let note = self.note.unwrap_or_default().trim().to_string();
        if errs.is_empty() {
            Ok(NewIndicatorValue {
                year,
                division,
                value,
                source_document,
                source_date,
                note,
            })
        } else {
            Err(errs)
        }
    }
}

/// True when a department's last progress report (or, without one, the start of reporting) is
/// more than `cadence_days` before `today`. Dates are `YYYY-MM-DD`.
pub fn report_overdue(last: Option<&str>, since: &str, today: &str, cadence_days: i64) -> bool {
    let parse = |s: &str| -> Option<time::Date> {
        let s = s.get(..10)?;
        let m = time::Month::try_from(s.get(5..7)?.parse::<u8>().ok()?).ok()?;
        time::Date::from_calendar_date(s.get(..4)?.parse().ok()?, m, s.get(8..10)?.parse().ok()?)
            .ok()
    };
    let (Some(from), Some(today)) = (parse(last.unwrap_or(since)), parse(today)) else {
        return false;
    };
    (today - from).whole_days() > cadence_days
}
