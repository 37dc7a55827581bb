//! Import of achievements and demands (`chengguo import achievements|demands`, the import
//! endpoints and the upload pages): every row parsed by the core's input types, the owner
//! resolved from its credit code, every problem reported as `row N, column: message`, and only a
//! clean file written, in one transaction. The same `ref` of the same owner updates its record.

use super::{read_problem, whole_file_problem, ImportProblem, ImportReport};
use chengguo_core::achievement::{self, AchievementInput, AchievementStatus};
use chengguo_core::demand::{self, DemandInput, DemandStatus};
use chengguo_core::{Actor, Organization};
use chengguo_io::{map_headers, read_table_limited, Column, Format, Limits, Mapped, Row};
use chengguo_store::{
    import_status_refused, AchievementImportRow, DemandImportRow, RecordError, RecordImportOutcome,
    Store, StoreError,
};
use std::collections::HashMap;

/// Extra header spellings accepted beside the core's Chinese names.
fn aliases(key: &str) -> &'static [&'static str] {
    match key {
        "ref" => &["成果编号", "需求编号", "编号", "登记号"],
        "title" => &["成果名称", "需求名称", "名称", "项目名称"],
        "abstract" => &["成果简介", "摘要", "简介", "成果摘要"],
        "description" => &["需求描述", "描述", "需求内容"],
        "keywords" => &["关键词", "关键字"],
        "owner_credit_code" => &[
            "完成单位统一社会信用代码",
            "企业统一社会信用代码",
            "统一社会信用代码",
            "单位统一社会信用代码",
        ],
        "category" => &["成果类别", "类别"],
        "stage" => &["成果所处阶段", "阶段", "所处阶段"],
        "trl" => &["技术成熟度", "TRL"],
        "attribute" => &["成果属性", "属性"],
        "level" => &["成果水平", "水平"],
        "ip_type" => &["知识产权类型", "知识产权"],
        "ip_numbers" => &["知识产权编号", "专利号"],
        "discipline" => &["学科", "学科分类", "所属学科"],
        "tech_field" => &["技术领域", "领域"],
        "industrial_chain" => &["产业链", "所属产业链"],
        "transformation_modes" => &["转化方式", "拟转化方式"],
        "price" => &["转让价格", "价格", "交易价格"],
        "completers" => &["完成人", "主要完成人"],
        "period_start" => &["研究起始日期", "起始日期"],
        "period_end" => &["研究终止日期", "终止日期"],
        "contact_name" => &["联系人"],
        "contact_phone" => &["联系电话", "电话"],
        "contact_email" => &["联系邮箱", "邮箱", "电子邮箱"],
        "visibility" => &["公开范围", "可见范围"],
        "status" => &["状态"],
        "budget_min" => &["预算下限", "最低预算"],
        "budget_max" => &["预算上限", "最高预算", "预算"],
        "deadline" => &["截止日期", "需求截止日期"],
        "cooperation_mode" => &["合作方式"],
        "district" => &["所在区县", "区县"],
        _ => &[],
    }
}

const REQUIRED: [&str; 3] = ["ref", "title", "owner_credit_code"];

fn columns(keys: &[(&'static str, &'static str)], extra: &[&'static str]) -> Vec<Column> {
    keys.iter()
        .map(|(k, _)| *k)
        .chain(extra.iter().copied())
        .map(|key| Column {
            key,
            aliases: aliases(key),
            required: REQUIRED.contains(&key),
        })
        .collect()
}

/// The columns of an achievements file (docs/formats.md, section Achievements).
pub fn achievement_columns() -> Vec<Column> {
    columns(&achievement::IMPORT_COLUMNS, &["visibility"])
}

/// The columns of a demands file (docs/formats.md, section Demands).
pub fn demand_columns() -> Vec<Column> {
    columns(&demand::IMPORT_COLUMNS, &[])
}

/// The rows of a file, parsed, or every problem in it.
pub struct ParsedRecords<T> {
    pub report: ImportReport,
    pub rows: Vec<T>,
}

/// Reads the table and maps its headers, or reports why not.
fn open<'t>(
    table: &'t Result<chengguo_io::Table, chengguo_io::ReadError>,
    cols: &[Column],
    report: &mut ImportReport,
) -> Option<Mapped<'t>> {
    let table = match table {
        Ok(t) => t,
        Err(e) => {
            report.problem(read_problem(e));
            return None;
        }
    };
    report.encoding = table.encoding.to_string();
    report.rows = table.rows.len();
    let mapped = match map_headers(table, cols) {
        Ok(m) => m,
        Err(errs) => {
            report.extend_problems(errs.into_iter().map(ImportProblem::from));
            return None;
        }
    };
    report.ignored_columns = mapped
        .unknown_columns()
        .iter()
        .map(|s| s.to_string())
        .collect();
    if table.rows.is_empty() {
        report.problem(whole_file_problem(
            "the file has a header but no data rows".into(),
        ));
    }
    Some(mapped)
}

/// Resolves owner credit codes once per file.
struct Owners<'a> {
    store: &'a Store,
    actor: &'a Actor,
    cache: HashMap<String, Option<Organization>>,
}

impl Owners<'_> {
    /// The owner of a row, or the message for the `owner_credit_code` column.
    async fn resolve(&mut self, code: &str) -> Result<Result<Organization, String>, StoreError> {
        let code = code.trim().to_uppercase();
        if code.is_empty() {
            return Ok(Err("必填 / is required".into()));
        }
        if !self.cache.contains_key(&code) {
            let org = self.store.org_by_credit_code(&code).await?;
            self.cache.insert(code.clone(), org);
        }
        Ok(match &self.cache[&code] {
            None => Err(format!(
                "没有信用代码为 {code} 的机构 / no organization with credit code {code}: import it first"
            )),
            Some(o) if !self.actor.is_bureau() && self.actor.org_id != Some(o.id) => Err(format!(
                "只能导入本单位的记录 / you may only import your own organization's records, not {}",
                o.name
            )),
            Some(o) => Ok(o.clone()),
        })
    }
}

fn field(m: &Mapped, row: &Row, key: &str) -> Option<String> {
    m.has(key).then(|| m.get(row, key).to_string())
}

/// Reads and checks an achievements file against the stored organizations. Nothing is written.
pub async fn parse_achievements(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<ParsedRecords<AchievementImportRow>, StoreError> {
    let mut report = ImportReport {
        dry_run: true,
        ..Default::default()
    };
    let cols = achievement_columns();
    let table = read_table_limited(bytes, format, limits);
    let Some(m) = open(&table, &cols, &mut report) else {
        return Ok(ParsedRecords {
            report,
            rows: vec![],
        });
    };
    let mut owners = Owners {
        store,
        actor,
        cache: HashMap::new(),
    };
    let mut rows = Vec::new();
    let mut seen: HashMap<(i64, String), usize> = HashMap::new();
    for row in m.rows() {
        let mut problems: Vec<ImportProblem> = Vec::new();
        let owner = match owners.resolve(m.get(row, "owner_credit_code")).await? {
            Ok(o) => Some(o),
            Err(msg) => {
                problems.push(m.error(row, "owner_credit_code", msg).into());
                None
            }
        };
        // Any status parses here; which ones a row may carry depends on whether the record
        // exists (checked below, once the owner and the ref are known).
        let status_cell = field(&m, row, "status").filter(|s| !s.trim().is_empty());
        let status = match &status_cell {
            None => None,
            Some(s) => match AchievementStatus::parse(s) {
                Some(st) => Some(st),
                None => {
                    problems.push(m.error(row, "status", format!("'{s}' 应为 draft、submitted 或 published / must be draft, submitted or published")).into());
                    None
                }
            },
        };
        let input = AchievementInput {
            reference: field(&m, row, "ref"),
            title: field(&m, row, "title"),
            summary: field(&m, row, "abstract"),
            keywords: field(&m, row, "keywords"),
            category: field(&m, row, "category"),
            stage: field(&m, row, "stage"),
            trl: field(&m, row, "trl"),
            attribute: field(&m, row, "attribute"),
            level: field(&m, row, "level"),
            ip_type: field(&m, row, "ip_type"),
            ip_numbers: field(&m, row, "ip_numbers"),
            discipline: field(&m, row, "discipline"),
            tech_field: field(&m, row, "tech_field"),
            industrial_chain: field(&m, row, "industrial_chain"),
            transformation_modes: field(&m, row, "transformation_modes"),
            price: field(&m, row, "price"),
            completers: field(&m, row, "completers"),
            period_start: field(&m, row, "period_start"),
            period_end: field(&m, row, "period_end"),
            contact_name: field(&m, row, "contact_name"),
            contact_phone: field(&m, row, "contact_phone"),
            contact_email: field(&m, row, "contact_email"),
            visibility: field(&m, row, "visibility"),
        };
        if m.get(row, "ref").trim().is_empty() {
            problems.push(m.error(row, "ref", "必填：重新导入时据此更新记录 / is required: a re-import updates the record with the same ref").into());
        }
        let patch = AchievementInput {
            reference: None,
            ..input.clone()
        }
        .into_patch()
        .ok();
        match input.into_new() {
            Ok(new) => {
                if let Some(o) = &owner {
                    if let Some(first) = seen.insert((o.id, new.reference.clone()), row.line) {
                        problems.push(
                            m.error(
                                row,
                                "ref",
                                format!(
                                    "与第 {first} 行重复 / duplicate of row {first} in this file"
                                ),
                            )
                            .into(),
                        );
                    }
                    if let Some(given) = status {
                        match store
                            .achievement_status_by_ref(o.id, &new.reference)
                            .await?
                        {
                            // An existing record keeps its status: imports change fields.
                            Some(current) if current != given => {
                                let e = import_status_refused(current.as_str(), given.as_str());
                                problems.push(m.error(row, "status", e.message).into());
                            }
                            Some(_) => {}
                            // A new record starts as a draft, submitted, or published by the
                            // bureau (audited as a publication).
                            None => match given {
                                AchievementStatus::Published if !actor.is_bureau() => {
                                    problems.push(m.error(row, "status", "只有科技局可导入已发布的记录 / only bureau imports may set status published").into());
                                }
                                AchievementStatus::Draft
                                | AchievementStatus::Submitted
                                | AchievementStatus::Published => {}
                                _ => {
                                    problems.push(m.error(row, "status", format!("'{}' 应为 draft、submitted 或 published / must be draft, submitted or published", given.as_str())).into());
                                }
                            },
                        }
                    }
                    if problems.is_empty() {
                        rows.push(AchievementImportRow {
                            owner_org_id: o.id,
                            new,
                            status,
                            patch,
                        });
                    }
                }
            }
            Err(errs) => {
                for e in errs {
                    problems.push(m.error(row, &e.field, e.message).into());
                }
            }
        }
        report.extend_problems(problems);
    }
    report.seal();
    Ok(ParsedRecords { report, rows })
}

/// Reads and checks a demands file. Nothing is written.
pub async fn parse_demands(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<ParsedRecords<DemandImportRow>, StoreError> {
    let mut report = ImportReport {
        dry_run: true,
        ..Default::default()
    };
    let cols = demand_columns();
    let table = read_table_limited(bytes, format, limits);
    let Some(m) = open(&table, &cols, &mut report) else {
        return Ok(ParsedRecords {
            report,
            rows: vec![],
        });
    };
    let mut owners = Owners {
        store,
        actor,
        cache: HashMap::new(),
    };
    let mut rows = Vec::new();
    let mut seen: HashMap<(i64, String), usize> = HashMap::new();
    for row in m.rows() {
        let mut problems: Vec<ImportProblem> = Vec::new();
        let owner = match owners.resolve(m.get(row, "owner_credit_code")).await? {
            Ok(o) => Some(o),
            Err(msg) => {
                problems.push(m.error(row, "owner_credit_code", msg).into());
                None
            }
        };
        let status = match field(&m, row, "status").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(s) => match DemandStatus::parse(&s) {
                Some(st) => Some(st),
                None => {
                    problems.push(m.error(row, "status", format!("'{s}' 应为 draft、published 或 closed / must be draft, published or closed")).into());
                    None
                }
            },
        };
        let input = DemandInput {
            reference: field(&m, row, "ref"),
            title: field(&m, row, "title"),
            description: field(&m, row, "description"),
            keywords: field(&m, row, "keywords"),
            industrial_chain: field(&m, row, "industrial_chain"),
            tech_field: field(&m, row, "tech_field"),
            budget_min: field(&m, row, "budget_min"),
            budget_max: field(&m, row, "budget_max"),
            deadline: field(&m, row, "deadline"),
            cooperation_mode: field(&m, row, "cooperation_mode"),
            district: field(&m, row, "district"),
            visibility: field(&m, row, "visibility"),
            contact_name: field(&m, row, "contact_name"),
            contact_phone: field(&m, row, "contact_phone"),
        };
        if m.get(row, "ref").trim().is_empty() {
            problems.push(m.error(row, "ref", "必填：重新导入时据此更新记录 / is required: a re-import updates the record with the same ref").into());
        }
        let raw = input.clone();
        match input.into_new() {
            Ok(new) => {
                if let Some(o) = &owner {
                    if let Some(first) = seen.insert((o.id, new.reference.clone()), row.line) {
                        problems.push(
                            m.error(
                                row,
                                "ref",
                                format!(
                                    "与第 {first} 行重复 / duplicate of row {first} in this file"
                                ),
                            )
                            .into(),
                        );
                    }
                    if let Some(given) = status {
                        match store.demand_status_by_ref(o.id, &new.reference).await? {
                            Some(current) if current != given => {
                                let e = import_status_refused(current.as_str(), given.as_str());
                                problems.push(m.error(row, "status", e.message).into());
                            }
                            Some(_) => {}
                            None => match given {
                                DemandStatus::Draft
                                | DemandStatus::Published
                                | DemandStatus::Closed => {}
                                _ => {
                                    problems.push(m.error(row, "status", format!("'{}' 应为 draft、published 或 closed / must be draft, published or closed", given.as_str())).into());
                                }
                            },
                        }
                    }
                    if problems.is_empty() {
                        rows.push(DemandImportRow {
                            owner_org_id: o.id,
                            new,
                            status,
                            input: Some(DemandInput {
                                reference: None,
                                ..raw
                            }),
                        });
                    }
                }
            }
            Err(errs) => {
                for e in errs {
                    problems.push(m.error(row, &e.field, e.message).into());
                }
            }
        }
        report.extend_problems(problems);
    }
    report.seal();
    Ok(ParsedRecords { report, rows })
}

fn finish(
    report: &mut ImportReport,
    outcome: Result<RecordImportOutcome, RecordError>,
) -> Result<(), StoreError> {
    match outcome {
        Ok(o) => {
            report.created = o.created;
            report.updated = o.updated;
            report.unchanged = o.unchanged;
            Ok(())
        }
        Err(RecordError::Store(e)) => Err(e),
        Err(e) => {
            report.problem(whole_file_problem(e.to_string()));
            Ok(())
        }
    }
}

/// Parses (within `limits`) and, unless `dry_run` or there are problems, writes all rows in
/// one transaction.
pub async fn import_achievements(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    dry_run: bool,
) -> Result<ImportReport, StoreError> {
    let parsed = parse_achievements(store, actor, bytes, format, limits).await?;
    let mut report = parsed.report;
    report.dry_run = dry_run;
    if dry_run || !report.ok() {
        return Ok(report);
    }
    let outcome = store.import_achievements(actor, &parsed.rows).await;
    finish(&mut report, outcome)?;
    Ok(report)
}

/// Parses (within `limits`) and, unless `dry_run` or there are problems, writes all rows in
/// one transaction.
pub async fn import_demands(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    dry_run: bool,
) -> Result<ImportReport, StoreError> {
    let parsed = parse_demands(store, actor, bytes, format, limits).await?;
    let mut report = parsed.report;
    report.dry_run = dry_run;
    if dry_run || !report.ok() {
        return Ok(report);
    }
    let outcome = store.import_demands(actor, &parsed.rows).await;
    finish(&mut report, outcome)?;
    Ok(report)
}
