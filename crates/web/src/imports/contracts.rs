//! Import of technology contracts (`chengguo import contracts`, `POST /api/v1/contracts/import`,
//! the upload page): every row parsed by the core's `ContractInput`, every problem reported as
//! `row N, column: message`, duplicates (the same seller's contract number, in the file or
//! already stored) refused, and only a clean file written, in one transaction.

use super::{whole_file_problem, ImportProblem, ImportReport, Parsed};
use chengguo_core::contract::{ContractInput, NewContract, IMPORT_COLUMNS};
use chengguo_core::Actor;
use chengguo_io::{map_headers, read_table, Column, Format};
use chengguo_store::{Store, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Extra Chinese headers accepted beside the core's ([`IMPORT_COLUMNS`]).
fn aliases(key: &str) -> &'static [&'static str] {
    match key {
        "contract_no" => &["合同编号", "合同号"],
        "title" => &["项目名称", "合同名称"],
        "category" => &["合同类别", "技术合同类别", "类别"],
        "signed_on" => &["签订日期", "签订时间"],
        "registered_on" => &["登记日期", "登记时间", "认定登记日期"],
        "registration_no" => &["登记编号", "登记号"],
        "seller_name" => &["卖方名称", "卖方"],
        "seller_credit_code" => &["卖方统一社会信用代码", "卖方信用代码"],
        "seller_division_code" => &["卖方行政区划代码", "卖方所在地区代码"],
        "seller_nature" => &["卖方单位性质", "卖方法人性质"],
        "buyer_name" => &["买方名称", "买方"],
        "buyer_credit_code" => &["买方统一社会信用代码", "买方信用代码"],
        "buyer_division_code" => &["买方行政区划代码", "买方所在地区代码"],
        "buyer_country" => &["买方国别", "买方国别代码"],
        "buyer_nature" => &["买方单位性质", "买方法人性质"],
        "contract_amount" => &["合同成交额", "成交额"],
        "tech_transaction_amount" => &["技术交易额"],
        "tech_field" => &["技术领域"],
        "ip_type" => &["知识产权类型", "知识产权"],
        "subtype" => &["合同子类", "子类"],
        "valid_from" => &["有效期起", "合同有效期起"],
        "valid_until" => &["有效期止", "合同有效期止"],
        "seller_country" => &["卖方国别", "卖方国别代码"],
        "plan_category" => &["计划类别"],
        _ => &[],
    }
}

/// Columns that may be absent from a file.
const OPTIONAL: [&str; 3] = ["registered_on", "registration_no", "buyer_country"];

/// The columns of a contracts file (docs/formats.md, section Contracts).
pub fn contract_columns() -> Vec<Column> {
    let mut cols: Vec<Column> = IMPORT_COLUMNS
        .iter()
        .map(|(key, _)| Column {
            key,
            aliases: aliases(key),
            required: !OPTIONAL.contains(key),
        })
        .collect();
    for key in [
        "subtype",
        "valid_from",
        "valid_until",
        "seller_country",
        "plan_category",
    ] {
        cols.push(Column {
            key,
            aliases: aliases(key),
            required: false,
        });
    }
    cols
}

/// What a contracts import found and did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ContractImportReport {
    #[serde(flatten)]
    pub report: ImportReport,
    /// Rows that carry registration data (imported as registered).
    pub registered_rows: usize,
    /// Parties unknown to the platform, created as organizations.
    pub organizations_created: usize,
}

/// Reads and parses a contracts file. Nothing is written.
pub fn parse_contracts(bytes: &[u8], format: Format) -> Parsed<NewContract> {
    let mut report = ImportReport {
        dry_run: true,
        ..Default::default()
    };
    let empty = |report| Parsed {
        report,
        rows: Vec::new(),
        lines: Vec::new(),
    };
    let mut table = match read_table(bytes, format) {
        Ok(t) => t,
        Err(e) => {
            report.problems.push(ImportProblem {
                row: e.row().unwrap_or(0),
                column: "file".into(),
                message: e.to_string(),
            });
            return empty(report);
        }
    };
    report.encoding = table.encoding.to_string();
    report.rows = table.rows.len();
    let columns = contract_columns();
    // The headers are mapped on a copy without rows, so that each row can be dropped as soon as
    // it is parsed: the file's cells and the parsed contracts are never all in memory at once.
    let data_rows = std::mem::take(&mut table.rows);
    let mapped = match map_headers(&table, &columns) {
        Ok(m) => m,
        Err(errs) => {
            report
                .problems
                .extend(errs.into_iter().map(ImportProblem::from));
            return empty(report);
        }
    };
    report.ignored_columns = mapped
        .unknown_columns()
        .iter()
        .map(|s| s.to_string())
        .collect();
    if data_rows.is_empty() {
        report.problems.push(whole_file_problem(
            "the file has a header but no data rows".into(),
        ));
    }
    let mut rows = Vec::with_capacity(data_rows.len());
    let mut lines = Vec::with_capacity(data_rows.len());
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    // The schema's keys that the file has (`Mapped::get` wants schema keys only).
    let present: Vec<&str> = columns
        .iter()
        .map(|c| c.key)
        .filter(|k| mapped.has(k))
        .collect();
    for row in data_rows {
        let row = &row;
        let input = ContractInput::from_fields(|k| {
            if present.contains(&k) {
                Some(mapped.get(row, k).to_string())
            } else {
                None
            }
        });
        match input.into_new() {
            Ok(c) => {
                let key = (seller_identity(&c), c.contract_no.clone());
                if let Some(first) = seen.insert(key, row.line) {
                    report.problems.push(
                        mapped
                            .error(
                                row,
                                "contract_no",
                                format!("同一卖方的合同编号与第 {first} 行重复 / duplicate of row {first}: the same seller's contract number"),
                            )
                            .into(),
                    );
                }
                rows.push(c);
                lines.push(row.line);
            }
            Err(errs) => {
                for e in errs {
                    report
                        .problems
                        .push(mapped.error(row, &e.field, e.message).into());
                }
            }
        }
    }
    Parsed {
        report,
        rows,
        lines,
    }
}

fn seller_identity(c: &NewContract) -> String {
    match &c.seller.credit_code {
        Some(code) => code.to_string(),
        None => format!("name:{}|{}", c.seller.country, c.seller.name),
    }
}

/// Where an import is, for progress displays.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// The file is read and every row parsed (`rows`).
    Parsed { rows: usize },
    /// Rows written so far.
    Written { done: usize, total: usize },
}

/// Parses, checks against the stored contracts and, unless `dry_run` or there are problems,
/// writes all rows in one transaction.
pub async fn import_contracts(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    format: Format,
    dry_run: bool,
    mut progress: impl FnMut(Stage),
) -> Result<ContractImportReport, StoreError> {
    let parsed = parse_contracts(bytes, format);
    progress(Stage::Parsed {
        rows: parsed.report.rows,
    });
    let mut out = ContractImportReport {
        registered_rows: parsed
            .rows
            .iter()
            .filter(|c| c.registration.is_some())
            .count(),
        report: parsed.report,
        organizations_created: 0,
    };
    out.report.dry_run = dry_run;
    if !parsed.rows.is_empty() {
        for i in store.existing_contracts(&parsed.rows).await? {
            out.report.problems.push(ImportProblem {
                row: parsed.lines[i],
                column: "contract_no".into(),
                message: format!(
                    "卖方「{}」的合同编号 {} 已在平台登记，不予更新 / contract number {} of this seller is already on the platform; nothing is updated",
                    parsed.rows[i].seller.name, parsed.rows[i].contract_no, parsed.rows[i].contract_no
                ),
            });
        }
    }
    if dry_run || !out.report.ok() {
        out.report.problems.sort_by_key(|p| p.row);
        return Ok(out);
    }
    let digest = hex::encode(Sha256::digest(bytes));
    let total = parsed.rows.len();
    let outcome = store
        .import_contracts(actor, &parsed.rows, &digest, |done| {
            progress(Stage::Written { done, total })
        })
        .await?;
    out.report.created = outcome.created;
    out.organizations_created = outcome.organizations_created;
    Ok(out)
}
