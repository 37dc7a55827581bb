//! File imports shared by the CLI (`chengguo import …`) and the upload pages: read the file
//! (chengguo-io), map its headers (English or Chinese), parse every row into domain types
//! collecting *every* problem as `row N, column: message`, and only when there is none, write all
//! rows in one transaction.

pub mod contracts;
pub mod records;

use chengguo_core::org::OrgInput;
use chengguo_core::{Actor, NewOrganization};
use chengguo_io::{map_headers, read_table_limited, CellError, Column, Format, Limits, ReadError};
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

/// A report lists at most this many problems (the first ones, by row); `problems_total`
/// counts them all.
pub const MAX_REPORTED_PROBLEMS: usize = 1_000;

/// What an import found and did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// "UTF-8", "GB18030", "XLSX", …
    pub encoding: String,
    pub rows: usize,
    /// The first problems found (at most 1,000, in row order).
    pub problems: Vec<ImportProblem>,
    /// How many problems the file has in all (more than `problems` lists when over 1,000).
    pub problems_total: usize,
    /// Written rows (zero on a dry run or when there are problems).
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Columns the file has that the format does not know (ignored).
    pub ignored_columns: Vec<String>,
}

impl ImportReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.problems_total == 0
    }

    /// Records a problem: listed while fewer than [`MAX_REPORTED_PROBLEMS`] are, counted
    /// always, so that a file with a problem on each of a million rows costs no memory for them.
    pub fn problem(&mut self, p: ImportProblem) {
        self.problems_total += 1;
        if self.problems.len() < MAX_REPORTED_PROBLEMS {
            self.problems.push(p);
        }
    }

    /// [`ImportReport::problem`] for each.
    pub fn extend_problems(&mut self, ps: impl IntoIterator<Item = ImportProblem>) {
        for p in ps {
            self.problem(p);
        }
    }

    /// Puts the listed problems in row order, keeps the first [`MAX_REPORTED_PROBLEMS`] and
    /// makes `problems_total` count every problem (also those pushed onto `problems` directly).
    pub fn seal(&mut self) {
        let listed_by_method = self.problems_total.min(MAX_REPORTED_PROBLEMS);
        let pushed_directly = self.problems.len().saturating_sub(listed_by_method);
        self.problems_total += pushed_directly;
        self.problems.sort_by_key(|p| p.row);
        self.problems.truncate(MAX_REPORTED_PROBLEMS);
    }

    /// How many problems the report does not list.
    pub fn problems_unlisted(&self) -> usize {
        self.problems_total.saturating_sub(self.problems.len())
    }
}

/// The problem of a file that could not be read: its row when known, `file` as the column.
/// A limit's message is in Chinese and English, as the other import messages are.
pub fn read_problem(e: &ReadError) -> ImportProblem {
    let message = match e.detail_zh() {
        Some(zh) => format!("{zh} / {}", e.detail()),
        None => e.detail(),
    };
    ImportProblem {
        row: e.row().unwrap_or(0),
        column: "file".into(),
        message,
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

/// Reads and parses an organizations file within `limits`. Nothing is written.
pub fn parse_orgs(bytes: &[u8], format: Format, limits: &Limits) -> Parsed<NewOrganization> {
    let mut report = ImportReport {
        dry_run: true,
        ..Default::default()
    };
    let table = match read_table_limited(bytes, format, limits) {
        Ok(t) => t,
        Err(e) => {
            report.problem(read_problem(&e));
            report.seal();
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
            report.extend_problems(errs.into_iter().map(ImportProblem::from));
            report.seal();
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
        report.problem(whole_file_problem(
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
                    report.problem(
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
                    report.problem(mapped.error(row, &e.field, e.message).into());
                }
            }
        }
    }
    report.seal();
    Parsed {
        report,
        rows,
        lines,
    }
}

/// Parses (within `limits`) and, unless `dry_run` or there are problems, writes all rows in
/// one transaction.
pub async fn import_orgs(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    dry_run: bool,
) -> Result<ImportReport, StoreError> {
    let parsed = parse_orgs(bytes, format, limits);
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

/// Whether a request runs an import: a `POST` to `…/import` (the API's and the upload pages')
/// or to an upload page's `…/import/{upload}/commit`.
pub fn is_import_request(method: &axum::http::Method, path: &str) -> bool {
    if method != axum::http::Method::POST {
        return false;
    }
    let path = path.trim_end_matches('/');
    if path.ends_with("/import") {
        return true;
    }
    let mut parts = path.rsplit('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("commit"), Some(_), Some("import"))
    )
}

/// Seconds a client is told to wait (`Retry-After`) when the imports are all busy.
pub const BUSY_RETRY_AFTER_SECS: u64 = 10;

/// Runs imports under the server's import permits (`AppState::imports`): a request that gets
/// none within `import_queue_wait_ms` is answered 503 with `Retry-After` (under `/api` the JSON
/// error `busy`, else a page saying so), before its body is read, so that parallel uploads
/// cannot each hold a file and its parse in memory.
pub async fn gate(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !is_import_request(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let wait = std::time::Duration::from_millis(state.config.import_queue_wait_ms);
    let permit = tokio::time::timeout(wait, state.imports.clone().acquire_owned()).await;
    if let Ok(Ok(permit)) = permit {
        let resp = next.run(req).await;
        drop(permit);
        return resp;
    }
    tracing::warn!(path = %req.uri().path(), "import refused: all import permits are busy");
    let api = req.uri().path().starts_with("/api/");
    let mut resp = if api {
        crate::error::ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!(
                "the server is running as many imports as it allows; try again in {BUSY_RETRY_AFTER_SECS} seconds"
            ),
        )
        .into_response()
    } else {
        let (mut parts, _) = req.into_parts();
        match <crate::pages::Ctx as axum::extract::FromRequestParts<crate::AppState>>::from_request_parts(&mut parts, &state).await {
            Ok(ctx) => {
                let message = ctx
                    .pick(
                        "服务器正在处理其他导入，请稍候约 10 秒再提交。",
                        "The server is busy with other imports; please submit again in about 10 seconds.",
                    )
                    .to_string();
                crate::error::ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    message,
                )
                .into_page(&ctx)
            }
            Err(r) => r.into_response(),
        }
    };
    resp.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(BUSY_RETRY_AFTER_SECS),
    );
    resp
}

/// The page for an upload that could not be received: over the upload size (413, naming the
/// setting), else a malformed form (400).
pub fn upload_error_page(
    e: &axum::extract::multipart::MultipartError,
    state: &crate::AppState,
    ctx: &crate::pages::Ctx,
) -> axum::response::Response {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        let limit = match chengguo_io::check_file_len(u64::MAX, &state.config.limits()) {
            Err(e) if ctx.lang == crate::i18n::Lang::Zh => {
                e.detail_zh().unwrap_or_else(|| e.detail())
            }
            Err(e) => e.detail(),
            Ok(()) => String::new(),
        };
        return crate::error::ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            limit,
        )
        .into_page(ctx);
    }
    crate::error::ApiError::bad_request(ctx.pick(
        "上传的表单无法读取，请重新选择文件。",
        "The upload could not be read; choose the file again.",
    ))
    .into_page(ctx)
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
        let p = parse_orgs(&gb18030(&csv), Format::Csv, &Limits::default());
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
        let p = parse_orgs(csv.as_bytes(), Format::Csv, &Limits::default());
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
        let p = parse_orgs(
            "name,credit_code\nx,y\n".as_bytes(),
            Format::Csv,
            &Limits::default(),
        );
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
