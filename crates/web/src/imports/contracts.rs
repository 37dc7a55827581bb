//! Import of technology contracts (`chengguo import contracts`, `POST /api/v1/contracts/import`,
//! the upload page): every row parsed by the core's `ContractInput`, every problem reported as
//! `row N, column: message`, duplicates (the same seller's contract number, in the file or
//! already stored) refused, and only a clean file written, in one transaction. The file is
//! read row by row while the store writes what has been read (`Store::import_contract_feed`).

use super::{read_problem, whole_file_problem, ImportProblem, ImportReport};
use axum::body::Bytes;
use chengguo_core::contract::{ContractInput, NewContract, IMPORT_COLUMNS};
use chengguo_core::Actor;
use chengguo_io::{map_headers, read_rows_limited, Column, Format, Limits, ReadEvent, Row};
use chengguo_store::{ContractFeed, FeedProgress, Store, StoreError};
use rustc_hash::FxHashMap;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::ops::ControlFlow;

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

/// Parsed rows per batch sent to the writer: big enough that messages cost nothing, small
/// enough that the rows in flight take a few megabytes.
const BATCH: usize = 10_000;

/// Where the cells of each schema key are, found once from the header. `ContractInput` asks
/// for its fields in the same order on every row, so the fields are kept in the order they
/// were last asked for: after the first row, each question is answered by the first key tried.
/// The most keys the in-file duplicate check reserves room for up front.
const MAX_PRESIZE: u64 = 20_000_000;

struct FieldLookup {
    /// Schema key, table column, header text as in the file.
    fields: Vec<(&'static str, Option<usize>, String)>,
    next: usize,
}

impl FieldLookup {
    fn position(&self, key: &str) -> Option<usize> {
        let n = self.fields.len();
        (0..n)
            .map(|k| (self.next + k) % n)
            .find(|&k| self.fields[k].0 == key)
    }

    fn cell(&mut self, row: &Row, key: &str) -> Option<String> {
        let k = self.position(key)?;
        // Move the key to where it was looked for first, so that the next row finds it there.
        self.fields.swap(k, self.next);
        let at = self.next;
        self.next = (self.next + 1) % self.fields.len();
        self.fields[at]
            .1
            .map(|i| chengguo_io::restore_cell(&row.cells[i]).to_owned())
    }

    /// The column as the file names it (or the key when the file lacks it).
    fn header(&self, key: &str) -> String {
        self.position(key)
            .map(|k| self.fields[k].2.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| key.to_string())
    }
}

/// What reading the file found.
struct ReadOutcome {
    report: ImportReport,
    registered_rows: usize,
}

/// Reads, parses and checks a contracts file row by row, handing the parsed rows to `send` in
/// batches ([`ContractFeed`]) marked clean while the file has shown no problem, then the end
/// (with the file's digest when it is clean). Stops early when `send` says the writer is
/// gone. The file's own problems are in the returned report; in-file duplicates (the same
/// seller's contract number twice) are among them.
fn read_contracts(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    mut send: impl FnMut(ContractFeed) -> bool,
) -> ReadOutcome {
    let mut report = ImportReport {
        dry_run: true,
        ..Default::default()
    };
    let mut registered_rows = 0;
    let columns = contract_columns();
    let mut lookup: Option<FieldLookup> = None;
    let mut batch: Vec<(usize, NewContract)> = Vec::with_capacity(BATCH);
    let mut seen: FxHashMap<(String, String), usize> = FxHashMap::default();
    let mut writer_gone = false;
    let mut position = (0, 0);
    let read = read_rows_limited(bytes, format, limits, |event| match event {
        ReadEvent::Header(table) => match map_headers(table, &columns) {
            Ok(mapped) => {
                report.ignored_columns = mapped
                    .unknown_columns()
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                lookup = Some(FieldLookup {
                    fields: columns
                        .iter()
                        .map(|c| {
                            (
                                c.key,
                                mapped.column(c.key),
                                mapped.header(c.key).unwrap_or_default().to_string(),
                            )
                        })
                        .collect(),
                    next: 0,
                });
                ControlFlow::Continue(())
            }
            Err(errs) => {
                report.extend_problems(errs.into_iter().map(ImportProblem::from));
                ControlFlow::Break(())
            }
        },
        ReadEvent::Row { row, read, total } => {
            let Some(fields) = &mut lookup else {
                return ControlFlow::Break(());
            };
            report.rows += 1;
            position = (read, total);
            let parsed = ContractInput::from_fields(|k| fields.cell(row, k)).into_new();
            let problem = |key: &str, message: String| ImportProblem {
                row: row.line,
                column: fields.header(key),
                message,
            };
            match parsed {
                Ok(c) => {
                    let key = (seller_identity(&c), c.contract_no.clone());
                    if let Some(first) = seen.insert(key, row.line) {
                        report.problem(problem(
                            "contract_no",
                            format!("同一卖方的合同编号与第 {first} 行重复 / duplicate of row {first}: the same seller's contract number"),
                        ));
                    }
                    registered_rows += usize::from(c.registration.is_some());
                    batch.push((row.line, c));
                }
                Err(errs) => {
                    for e in errs {
                        report.problem(problem(&e.field, e.message));
                    }
                }
            }
            if batch.len() >= BATCH {
                if report.rows == BATCH {
                    // Size the duplicate check for the whole file at once, estimated from
                    // how far the first batch got: growing it step by step to a million keys
                    // rehashed them all again at every step (≈ 0.5 s).
                    let estimate = (BATCH as u64).saturating_mul(total) / read.max(1);
                    seen.reserve(usize::try_from(estimate.min(MAX_PRESIZE)).unwrap_or(0));
                }
                let rows = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if !send(ContractFeed::Rows {
                    rows,
                    clean: report.ok(),
                    read,
                    total,
                }) {
                    writer_gone = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        }
    });
    match read {
        Ok(encoding) => report.encoding = encoding.to_string(),
        Err(e) => report.problem(read_problem(&e)),
    }
    if lookup.is_some() && report.rows == 0 {
        report.problem(whole_file_problem(
            "the file has a header but no data rows".into(),
        ));
    }
    if !writer_gone {
        let clean = report.ok();
        let sent = batch.is_empty()
            || send(ContractFeed::Rows {
                rows: batch,
                clean,
                read: position.0,
                total: position.1,
            });
        if sent {
            let source_digest = if clean {
                hex::encode(Sha256::digest(bytes))
            } else {
                String::new()
            };
            send(ContractFeed::End {
                clean,
                source_digest,
            });
        }
    }
    ReadOutcome {
        report,
        registered_rows,
    }
}

fn seller_identity(c: &NewContract) -> String {
    match &c.seller.credit_code {
        Some(code) => code.to_string(),
        None => format!("name:{}|{}", c.seller.country, c.seller.name),
    }
}

/// Reads and checks the file while the store writes the rows it has read (one transaction,
/// rolled back at the first problem, so that nothing is written unless the whole file is
/// clean); every problem of the file and every stored duplicate is reported by row and
/// column. A dry run writes nothing. `progress` hears how far reading and writing are. The file
/// is read within `limits`.
pub async fn import_contracts(
    store: &Store,
    actor: &Actor,
    bytes: Bytes,
    format: Format,
    limits: &Limits,
    dry_run: bool,
    progress: impl Fn(FeedProgress) + Send + 'static,
) -> Result<ContractImportReport, StoreError> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let limits = *limits;
    let reader = tokio::task::spawn_blocking(move || {
        read_contracts(&bytes, format, &limits, |msg| tx.blocking_send(msg).is_ok())
    });
    let written = store
        .import_contract_feed(actor, rx, dry_run, progress)
        .await;
    let read = reader
        .await
        .map_err(|e| StoreError::Invalid(format!("reading the file failed: {e}")))?;
    let written = written?;
    let mut out = ContractImportReport {
        report: read.report,
        registered_rows: read.registered_rows,
        organizations_created: written.organizations_created,
    };
    out.report.dry_run = dry_run;
    out.report.created = written.created;
    // Listed whatever the file's count (`seal` counts them and keeps the first by row).
    for d in written.stored_duplicates {
        out.report.problems.push(ImportProblem {
            row: d.line,
            column: "contract_no".into(),
            message: format!(
                "卖方「{}」的合同编号 {} 已在平台登记，不予更新 / contract number {} of this seller is already on the platform; nothing is updated",
                d.seller_name, d.contract_no, d.contract_no
            ),
        });
    }
    // The first 1,000 of the file's problems and the stored duplicates hold the first 1,000 of
    // all, by row.
    out.report.seal();
    Ok(out)
}
