//! File imports shared by the CLI (`chengguo import …`) and the upload pages: read the file
//! (chengguo-io), map its headers (English or Chinese), parse every row into domain types
//! collecting *every* problem as `row N, column: message`, and only when there is none, write all
//! rows in one transaction.

pub mod contracts;
pub mod records;

use chengguo_core::org::OrgInput;
use chengguo_core::{Actor, NewOrganization};
use chengguo_io::{map_headers, read_table, CellError, Column, Format};
use chengguo_store::{OrgImportOutcome, Store, StoreError};
use serde::Serialize;
use std::collections::HashMap;

/// The columns of an organizations file (docs/formats.md).
pub const ORG_COLUMNS: &[Column] = &[
    Column {
        key: "name",
        aliases: &["机构名称", "名称", "单位名称"],
        required: true,
    },
    Column {
        key: "credit_code",
        aliases: &["统一社会信用代码", "信用代码"],
        required: true,
    },
    Column {
        key: "division_code",
        aliases: &["行政区划代码", "区划代码", "所在地区代码"],
        required: true,
    },
    Column {
        key: "nature",
        aliases: &["单位性质", "单位性质代码", "性质"],
        required: true,
    },
    Column {
        key: "kind",
        aliases: &["机构类型", "类型"],
        required: true,
    },
    Column {
        key: "description",
        aliases: &["简介", "机构简介"],
        required: false,
    },
];

/// One problem of an import, located in the file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportProblem {
    /// The row as a spreadsheet shows it (the header is row 1); 0 for the whole file.
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "{}: {}", self.column, self.message)
        } else {
            write!(f, "row {}, {}: {}", self.row, self.column, self.message)
        }
    }
}

impl From<CellError> for ImportProblem {
    fn from(e: CellError) -> Self {
        ImportProblem {
            row: e.row,
            column: e.column,
            message: e.message,
        }
    }
}

/// What an import found and did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// "UTF-8", "GB18030", "XLSX", …
    pub encoding: String,
    pub rows: usize,
    pub problems: Vec<ImportProblem>,
    /// Written rows (zero on a dry run or when there are problems).
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Columns the file has that the format does not know (ignored).
    pub ignored_columns: Vec<String>,
}

impl ImportReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The parsed rows of a file, or every problem in it.
pub struct Parsed<T> {
    pub report: ImportReport,
    pub rows: Vec<T>,
    /// Row numbers, parallel to `rows`.
    pub lines: Vec<usize>,
}

fn whole_file_problem(message: String) -> ImportProblem {
    ImportProblem {
        row: 0,
        column: "file".into(),
        message,
    }
}

/// Reads and parses an organizations file. Nothing is written.
pub fn parse_orgs(bytes: &[u8], format: Format) -> Parsed<NewOrganization> {
    let mut report = ImportReport {
        dry_run: true,
        ..Default::default()
    };
    let table = match read_table(bytes, format) {
        Ok(t) => t,
        Err(e) => {
            let row = e.row().unwrap_or(0);
            report.problems.push(ImportProblem {
                row,
                column: "file".into(),
                message: e.detail(),
            });
            return Parsed {
                report,
                rows: Vec::new(),
                lines: Vec::new(),
            };
        }
    };
    report.encoding = table.encoding.to_string();
    report.rows = table.rows.len();
    let mapped = match map_headers(&table, ORG_COLUMNS) {
        Ok(m) => m,
        Err(errs) => {
            report
                .problems
                .extend(errs.into_iter().map(ImportProblem::from));
            return Parsed {
                report,
                rows: Vec::new(),
                lines: Vec::new(),
            };
        }
    };
    report.ignored_columns = mapped
        .unknown_columns()
        .iter()
        .map(|s| s.to_string())
        .collect();
    if table.rows.is_empty() {
        report.problems.push(whole_file_problem(
            "the file has a header but no data rows".into(),
        ));
    }
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in mapped.rows() {
        let get = |k: &str| Some(mapped.get(row, k).to_string());
        let input = OrgInput {
            name: get("name"),
            credit_code: get("credit_code"),
            division_code: get("division_code"),
            nature: get("nature"),
            kind: get("kind"),
            description: get("description"),
        };
        match input.into_new() {
            Ok(org) => {
                if let Some(first) = seen.insert(org.credit_code.to_string(), row.line) {
                    report.problems.push(
                        mapped
                            .error(
                                row,
                                "credit_code",
                                format!("duplicate of row {first} in this file"),
                            )
                            .into(),
                    );
                }
                rows.push(org);
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

/// Parses and, unless `dry_run` or there are problems, writes all rows in one transaction.
pub async fn import_orgs(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    format: Format,
    dry_run: bool,
) -> Result<ImportReport, StoreError> {
    let parsed = parse_orgs(bytes, format);
    let mut report = parsed.report;
    report.dry_run = dry_run;
    if dry_run || !report.ok() {
        return Ok(report);
    }
    let OrgImportOutcome {
        created,
        updated,
        unchanged,
    } = store.import_orgs(actor, &parsed.rows).await?;
    report.created = created;
    report.updated = updated;
    report.unchanged = unchanged;
    Ok(report)
}

/// The format of an upload: by file name, else by content.
pub fn detect_format(filename: Option<&str>, bytes: &[u8]) -> Format {
    filename
        .and_then(|n| Format::from_path(std::path::Path::new(n)))
        .unwrap_or_else(|| Format::sniff(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb18030(s: &str) -> Vec<u8> {
        encoding_rs::GB18030.encode(s).0.into_owned()
    }

    fn code(n: usize) -> String {
        chengguo_store::demo::demo_credit_code(chengguo_core::OrgKind::Enterprise, "210106", n)
            .to_string()
    }

    #[test]
    fn chinese_headers_in_gb18030_parse() {
        let csv = format!("机构名称,统一社会信用代码,行政区划代码,单位性质,机构类型\n沈阳甲公司,{},210106,150,企业\n", code(1));
        let p = parse_orgs(&gb18030(&csv), Format::Csv);
        assert!(p.report.ok(), "{:?}", p.report.problems);
        assert_eq!(p.report.encoding, "GB18030");
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].name, "沈阳甲公司");
    }

    #[test]
    fn every_bad_cell_is_named_by_row_and_column() {
        let mut bad = code(2);
        bad.pop();
        bad.push('0');
        let csv = format!(
            "name,credit_code,division_code,nature,kind\n好,{},210106,150,enterprise\n坏,{bad},999999,150,shop\n重复,{},210106,150,enterprise\n",
            code(1),
            code(1)
        );
        let p = parse_orgs(csv.as_bytes(), Format::Csv);
        let msgs: Vec<String> = p.report.problems.iter().map(|e| e.to_string()).collect();
        assert!(
            msgs.iter().any(|m| m.starts_with("row 3, credit_code:")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.starts_with("row 3, division_code:")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.starts_with("row 3, kind:")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("row 4, credit_code: duplicate of row 2")),
            "{msgs:?}"
        );
    }

    #[test]
    fn missing_column_is_reported() {
        let p = parse_orgs("name,credit_code\nx,y\n".as_bytes(), Format::Csv);
        assert!(
            p.report
                .problems
                .iter()
                .any(|e| e.column.contains("division_code")),
            "{:?}",
            p.report.problems
        );
    }
}
