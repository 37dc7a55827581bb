//! Common reading types: formats, tables, errors, and the header/row rules
//! shared by CSV and XLSX.

use std::collections::HashMap;
use std::path::Path;

use crate::limits::{size, thousands, Limit, Limits};

/// A tabular input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Delimited text: comma, tab or semicolon separated.
    Csv,
    /// Office Open XML workbook (`.xlsx`); only the first worksheet is read.
    Xlsx,
    /// One JSON object per line.
    Jsonl,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

impl Format {
    /// The format implied by the file extension (case-insensitive):
    /// `csv`/`tsv`/`txt` → CSV, `xlsx`/`xlsm` → XLSX, `jsonl`/`ndjson` →
    /// JSONL. `None` for anything else (including legacy `.xls`).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// Guess the format from the content: a zip archive (`PK\x03\x04`) is
    /// XLSX, text whose first non-space character is `{` is JSONL, anything
    /// else is CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(ZIP_MAGIC) {
            return Format::Xlsx;
        }
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Format::Jsonl,
            _ => Format::Csv,
        }
    }
}

/// A table read from a file: trimmed header names and data rows.
///
/// Every row has exactly `headers.len()` cells (short rows are padded with
/// empty strings). Fully empty rows are not included, but the remaining rows
/// keep their original numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// How the file was decoded: `"UTF-8"`, `"UTF-8 (BOM)"`,
    /// `"UTF-16LE (BOM)"`, `"UTF-16BE (BOM)"`, `"GB18030"`, `"XLSX"` or
    /// `"JSONL"`.
    pub encoding: &'static str,
}

impl Table {
    /// Index of the header named exactly `name` (after trimming).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name.trim())
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The 1-based number a user sees: the header is row 1 and the first
    /// data row is normally row 2. For CSV this is the line on which the
    /// record starts (so it matches an editor, and Excel too unless an
    /// earlier cell contains a line break); for XLSX the worksheet row; for
    /// JSONL the line number.
    pub line: usize,
    pub cells: Vec<String>,
}

/// Why a file could not be read. Every message is English and names the
/// row (and column, as a spreadsheet letter, when known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("the file is empty: no header row found")]
    Empty,
    #[error("{0}")]
    UnsupportedFormat(String),
    #[error("row {row}: the text is neither UTF-8 nor GB18030 (undecodable bytes)")]
    Encoding { row: usize },
    #[error("row {row}: a quoted cell starting here is never closed")]
    UnclosedQuote { row: usize },
    #[error("row {row}: {message}")]
    Csv { row: usize, message: String },
    #[error("row {row}, column {column}: the header is empty")]
    EmptyHeader { row: usize, column: String },
    #[error("row {row}, column {column}: duplicate header \"{name}\" (also in column {first})")]
    DuplicateHeader {
        row: usize,
        column: String,
        name: String,
        first: String,
    },
    #[error("row {row}: {cells} cells but the header has {columns} columns")]
    TooManyCells {
        row: usize,
        cells: usize,
        columns: usize,
    },
    #[error("row {row}, column {column}: the cell contains the error {value}")]
    ErrorCell {
        row: usize,
        column: String,
        value: String,
    },
    #[error("not a readable XLSX workbook: {0}")]
    Xlsx(String),
    #[error("the workbook has no worksheet")]
    NoWorksheet,
    #[error("line {line}: invalid JSON: {message}")]
    Json { line: usize, message: String },
    #[error("line {line}: expected a JSON object, found {found}")]
    NotAnObject { line: usize, found: &'static str },
    /// The file is over one of the [`Limits`]: refused before more memory is spent on it.
    #[error("{}", limit_text(*.limit, *.max, *.row, .column.as_deref(), .part.as_deref(), false))]
    Limit {
        limit: Limit,
        /// The limit's value.
        max: u64,
        row: Option<usize>,
        column: Option<String>,
        /// The XLSX part concerned.
        part: Option<String>,
    },
}

/// The message of a [`ReadError::Limit`], in English or in Chinese.
fn limit_text(
    limit: Limit,
    max: u64,
    row: Option<usize>,
    column: Option<&str>,
    part: Option<&str>,
    zh: bool,
) -> String {
    let setting = limit.setting();
    let part = part.unwrap_or("?");
    let n = thousands(max);
    let text = match (limit, zh) {
        (Limit::FileBytes, false) => format!("the file is larger than {}", size(max)),
        (Limit::FileBytes, true) => format!("文件超过 {}", size(max)),
        (Limit::Rows, false) => format!("the file has more than {n} data rows"),
        (Limit::Rows, true) => format!("文件的数据行超过 {n} 行"),
        (Limit::Columns, false) => format!("more than {n} columns"),
        (Limit::Columns, true) => format!("超过 {n} 列"),
        (Limit::CellChars, false) if row.is_none() => {
            format!("the workbook part {part} holds a text longer than {n} characters")
        }
        (Limit::CellChars, true) if row.is_none() => {
            format!("工作簿的部件 {part} 含有超过 {n} 个字符的文本")
        }
        (Limit::CellChars, false) => format!("the cell is longer than {n} characters"),
        (Limit::CellChars, true) => format!("单元格超过 {n} 个字符"),
        (Limit::RowBytes, false) => format!("the row is longer than {}", size(max)),
        (Limit::RowBytes, true) => format!("该行超过 {}", size(max)),
        (Limit::PartBytes, false) => {
            format!("the workbook part {part} unpacks to more than {}", size(max))
        }
        (Limit::PartBytes, true) => format!("工作簿的部件 {part} 解压后超过 {}", size(max)),
        (Limit::Ratio, false) => format!(
            "the workbook part {part} unpacks to more than {n} times its packed size, as a zip bomb does"
        ),
        (Limit::Ratio, true) => {
            format!("工作簿的部件 {part} 解压后超过压缩大小的 {n} 倍（疑为压缩炸弹）")
        }
        (Limit::Parts, false) => format!("the workbook has more than {n} parts"),
        (Limit::Parts, true) => format!("工作簿的部件超过 {n} 个"),
    };
    let (open, close) = if zh {
        ("（上限：", "）")
    } else {
        (" (limit: ", ")")
    };
    let setting = match (limit, zh) {
        (Limit::Parts, true) => "固定上限",
        _ => setting,
    };
    let place = match (row, column, zh) {
        (Some(r), Some(c), false) => format!("row {r}, column {c}: "),
        (Some(r), None, false) => format!("row {r}: "),
        (Some(r), Some(c), true) => format!("第 {r} 行 {c} 列："),
        (Some(r), None, true) => format!("第 {r} 行："),
        (None, _, _) => String::new(),
    };
    format!("{place}{text}{open}{setting}{close}")
}

impl ReadError {
    /// The Chinese message of an error over a limit, without its row (as [`ReadError::detail`]);
    /// `None` for other errors.
    pub fn detail_zh(&self) -> Option<String> {
        match self {
            ReadError::Limit {
                limit,
                max,
                column,
                part,
                row,
            } => {
                let text = limit_text(*limit, *max, *row, column.as_deref(), part.as_deref(), true);
                let prefix = match (row, column) {
                    (Some(r), Some(_)) => format!("第 {r} 行 "),
                    (Some(r), None) => format!("第 {r} 行："),
                    (None, _) => String::new(),
                };
                Some(text.strip_prefix(&prefix).unwrap_or(&text).to_string())
            }
            _ => None,
        }
    }

    /// True for an error over one of the [`Limits`].
    pub fn is_limit(&self) -> bool {
        matches!(self, ReadError::Limit { .. })
    }

    /// The message without its leading `row N: ` / `line N: ` (`row N, column C: …` keeps the
    /// column), for reports that show the row in a column of their own.
    pub fn detail(&self) -> String {
        let text = self.to_string();
        let Some(n) = self.row() else { return text };
        for prefix in [
            format!("row {n}: "),
            format!("row {n}, "),
            format!("line {n}: "),
        ] {
            if let Some(rest) = text.strip_prefix(&prefix) {
                return rest.to_string();
            }
        }
        text
    }

    /// The row (or JSONL line) the error refers to, if any.
    pub fn row(&self) -> Option<usize> {
        match self {
            ReadError::Encoding { row }
            | ReadError::UnclosedQuote { row }
            | ReadError::Csv { row, .. }
            | ReadError::EmptyHeader { row, .. }
            | ReadError::DuplicateHeader { row, .. }
            | ReadError::TooManyCells { row, .. }
            | ReadError::ErrorCell { row, .. } => Some(*row),
            ReadError::Json { line, .. } | ReadError::NotAnObject { line, .. } => Some(*line),
            ReadError::Limit { row, .. } => *row,
            ReadError::Empty
            | ReadError::UnsupportedFormat(_)
            | ReadError::Xlsx(_)
            | ReadError::NoWorksheet => None,
        }
    }
}

/// Read a whole file into a [`Table`], within the default [`Limits`].
///
/// Stops at the first problem. See [`Format`] for what each format accepts.
pub fn read_table(bytes: &[u8], format: Format) -> Result<Table, ReadError> {
    read_table_limited(bytes, format, &Limits::default())
}

/// Read a whole file into a [`Table`], refusing it (with [`ReadError::Limit`]) as soon as it
/// is over one of `limits`.
pub fn read_table_limited(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<Table, ReadError> {
    check_file(bytes, format)?;
    check_size(bytes, limits)?;
    match format {
        Format::Csv => crate::read_csv::read(bytes, limits),
        Format::Xlsx => crate::read_xlsx::read(bytes, limits),
        Format::Jsonl => crate::read_jsonl::read(bytes, limits),
    }
}

fn check_size(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    check_file_len(bytes.len() as u64, limits)
}

/// Refuses a file of `len` bytes over `limits.max_file_bytes` (for callers that can tell the
/// size before reading the file).
pub fn check_file_len(len: u64, limits: &Limits) -> Result<(), ReadError> {
    if len > limits.max_file_bytes {
        return Err(ReadError::limit(Limit::FileBytes, limits.max_file_bytes));
    }
    Ok(())
}

/// Files that no reader takes: legacy `.xls`, a zip archive given as CSV.
fn check_file(bytes: &[u8], format: Format) -> Result<(), ReadError> {
    if bytes.starts_with(OLE_MAGIC) {
        return Err(ReadError::UnsupportedFormat(
            "this is a legacy Excel .xls file or a password-protected workbook; \
             save it as .xlsx (without a password) or as CSV"
                .to_owned(),
        ));
    }
    if format == Format::Csv && bytes.starts_with(ZIP_MAGIC) {
        return Err(ReadError::UnsupportedFormat(
            "this is a zip archive (probably an .xlsx workbook), not CSV text".to_owned(),
        ));
    }
    Ok(())
}

impl ReadError {
    /// A limit broken by the file as a whole.
    pub(crate) fn limit(limit: Limit, max: impl TryInto<u64>) -> ReadError {
        ReadError::Limit {
            limit,
            max: max.try_into().unwrap_or(u64::MAX),
            row: None,
            column: None,
            part: None,
        }
    }

    /// A limit broken at a row (and column).
    pub(crate) fn limit_at(
        limit: Limit,
        max: impl TryInto<u64>,
        row: usize,
        column: Option<String>,
    ) -> ReadError {
        ReadError::Limit {
            limit,
            max: max.try_into().unwrap_or(u64::MAX),
            row: Some(row),
            column,
            part: None,
        }
    }

    /// A limit broken by a part of an XLSX archive.
    pub(crate) fn limit_in_part(limit: Limit, max: impl TryInto<u64>, part: &str) -> ReadError {
        ReadError::Limit {
            limit,
            max: max.try_into().unwrap_or(u64::MAX),
            row: None,
            column: None,
            part: Some(part.chars().take(200).collect()),
        }
    }
}

/// Spreadsheet column letters for a 0-based column index: 0 → `A`,
/// 25 → `Z`, 26 → `AA`.
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        // rem < 26, so the cast cannot truncate.
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Turns raw records into a header and data rows, one record at a time.
///
/// The first record with any non-empty cell is the header. Trailing empty
/// header cells are ignored; an empty header between named columns or a
/// duplicate name is an error. Data cells are trimmed; a row is too long
/// only if it has a non-empty cell beyond the last header; fully empty rows
/// are skipped. `col_offset` is the 0-based spreadsheet column of the first
/// cell (for error messages). The data row is one buffer, reused: reading
/// a large file allocates nothing per row once the cells have grown.
///
/// It also holds the file to the row, column and cell [`Limits`]: a header wider than
/// `max_columns`, a cell longer than `max_cell_chars` or more than `max_rows` data rows are
/// [`ReadError::Limit`]s.
pub(crate) struct Assembler {
    col_offset: usize,
    /// The header row found so far (no data rows).
    header: Option<Table>,
    encoding: &'static str,
    row: Row,
    limits: Limits,
    /// Data rows handed out so far.
    rows: usize,
    /// The row of the header, once found.
    header_line: usize,
}

impl Assembler {
    pub(crate) fn new(col_offset: usize, encoding: &'static str, limits: &Limits) -> Self {
        Assembler {
            col_offset,
            header: None,
            encoding,
            row: Row {
                line: 0,
                cells: Vec::new(),
            },
            limits: *limits,
            rows: 0,
            header_line: 0,
        }
    }

    /// The 0-based spreadsheet column of the first cell.
    pub(crate) fn col_offset(&self) -> usize {
        self.col_offset
    }

    /// The row of the header (0 before it is found).
    pub(crate) fn header_line(&self) -> usize {
        self.header_line
    }

    /// The header, once a record has provided one.
    pub(crate) fn header(&self) -> Option<&Table> {
        self.header.as_ref()
    }

    /// The header table (without rows), or [`ReadError::Empty`] when no record had any text.
    pub(crate) fn into_header(self) -> Result<Table, ReadError> {
        self.header.ok_or(ReadError::Empty)
    }

    /// Takes one record: `Ok(None)` for the header row and for empty rows, the data row
    /// otherwise.
    pub(crate) fn record<'c>(
        &mut self,
        line: usize,
        cells: impl Iterator<Item = &'c str>,
    ) -> Result<Option<&Row>, ReadError> {
        let Some(header) = &self.header else {
            let cells: Vec<&str> = cells.collect();
            if cells.iter().any(|c| !c.trim().is_empty()) {
                let width = cells
                    .iter()
                    .rposition(|c| !c.trim().is_empty())
                    .map_or(0, |i| i + 1);
                if width > self.limits.max_columns {
                    return Err(ReadError::limit_at(
                        Limit::Columns,
                        self.limits.max_columns,
                        line,
                        None,
                    ));
                }
                self.check_cells(line, &cells)?;
                self.header_line = line;
                self.header = Some(Table {
                    headers: self.headers(line, &cells)?,
                    rows: Vec::new(),
                    encoding: self.encoding,
                });
            }
            return Ok(None);
        };
        let width = header.headers.len();
        let row = &mut self.row;
        row.line = line;
        row.cells.resize(width, String::new());
        let mut used = 0;
        let mut seen = 0;
        let max_chars = self.limits.max_cell_chars;
        for (i, cell) in cells.enumerate() {
            let t = cell.trim();
            if crate::limits::too_long(t, max_chars) {
                return Err(ReadError::limit_at(
                    Limit::CellChars,
                    max_chars,
                    line,
                    Some(column_letters(self.col_offset + i)),
                ));
            }
            if i < width {
                row.cells[i].clear();
                row.cells[i].push_str(t);
            }
            if !t.is_empty() {
                used = i + 1;
            }
            seen = i + 1;
        }
        for cell in row.cells.iter_mut().skip(seen) {
            cell.clear();
        }
        if used == 0 {
            return Ok(None);
        }
        if used > width {
            return Err(ReadError::TooManyCells {
                row: line,
                cells: used,
                columns: width,
            });
        }
        self.rows += 1;
        if self.rows > self.limits.max_rows {
            return Err(ReadError::limit(Limit::Rows, self.limits.max_rows));
        }
        Ok(Some(&self.row))
    }

    fn check_cells(&self, line: usize, cells: &[&str]) -> Result<(), ReadError> {
        let max = self.limits.max_cell_chars;
        match cells
            .iter()
            .position(|c| crate::limits::too_long(c.trim(), max))
        {
            Some(i) => Err(ReadError::limit_at(
                Limit::CellChars,
                max,
                line,
                Some(column_letters(self.col_offset + i)),
            )),
            None => Ok(()),
        }
    }

    fn headers(&self, header_row: usize, cells: &[&str]) -> Result<Vec<String>, ReadError> {
        let mut headers: Vec<String> = cells.iter().map(|c| c.trim().to_owned()).collect();
        while headers.last().is_some_and(|h| h.is_empty()) {
            headers.pop();
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            if h.is_empty() {
                return Err(ReadError::EmptyHeader {
                    row: header_row,
                    column: column_letters(self.col_offset + i),
                });
            }
            if let Some(&first) = seen.get(h.as_str()) {
                return Err(ReadError::DuplicateHeader {
                    row: header_row,
                    column: column_letters(self.col_offset + i),
                    name: h.clone(),
                    first: column_letters(self.col_offset + first),
                });
            }
            seen.insert(h, i);
        }
        Ok(headers)
    }
}

/// What [`read_rows`] hands its visitor, in file order.
#[derive(Debug)]
pub enum ReadEvent<'a> {
    /// The header row, once, before any data row (`rows` is empty).
    Header(&'a Table),
    /// One data row (trimmed cells, padded to the header's width) and how far the reading
    /// is: `read` of `total` units (bytes of the decoded text for CSV, rows otherwise).
    Row { row: &'a Row, read: u64, total: u64 },
}

/// Reads a file row by row, by the rules of [`read_table`], without holding its rows: for
/// CSV, each row is handed to `visit` as it is parsed, in a buffer reused for the next one.
/// `visit` may stop the reading early with `ControlFlow::Break`. Returns the encoding (as
/// [`Table::encoding`]); an error stops the reading at the row it names (rows before it have
/// been visited).
pub fn read_rows(
    bytes: &[u8],
    format: Format,
    visit: impl FnMut(ReadEvent<'_>) -> std::ops::ControlFlow<()>,
) -> Result<&'static str, ReadError> {
    read_rows_limited(bytes, format, &Limits::default(), visit)
}

/// [`read_rows`] within `limits` (as [`read_table_limited`]).
pub fn read_rows_limited(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    mut visit: impl FnMut(ReadEvent<'_>) -> std::ops::ControlFlow<()>,
) -> Result<&'static str, ReadError> {
    check_file(bytes, format)?;
    check_size(bytes, limits)?;
    if format == Format::Csv {
        return crate::read_csv::stream(bytes, limits, visit);
    }
    let mut table = read_table_limited(bytes, format, limits)?;
    let rows = std::mem::take(&mut table.rows);
    if visit(ReadEvent::Header(&table)).is_break() {
        return Ok(table.encoding);
    }
    let total = rows.len() as u64;
    for (i, row) in rows.iter().enumerate() {
        let event = ReadEvent::Row {
            row,
            read: i as u64 + 1,
            total,
        };
        if visit(event).is_break() {
            break;
        }
    }
    Ok(table.encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn format_detection() {
        assert_eq!(Format::from_path(Path::new("a/b.CSV")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("b.xlsx")), Some(Format::Xlsx));
        assert_eq!(Format::from_path(Path::new("b.jsonl")), Some(Format::Jsonl));
        assert_eq!(Format::from_path(Path::new("b.xls")), None);
        assert_eq!(Format::from_path(Path::new("noext")), None);
        assert_eq!(Format::sniff(b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(Format::sniff(b"\xEF\xBB\xBF \n {\"a\":1}"), Format::Jsonl);
        assert_eq!(Format::sniff("名称,代码".as_bytes()), Format::Csv);
        assert_eq!(Format::sniff(b""), Format::Csv);
    }

    #[test]
    fn legacy_xls_is_rejected_with_advice() {
        let err = read_table(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1....", Format::Xlsx).unwrap_err();
        assert!(err.to_string().contains(".xls"), "{err}");
        let err = read_table(b"PK\x03\x04....", Format::Csv).unwrap_err();
        assert!(matches!(err, ReadError::UnsupportedFormat(_)), "{err}");
    }
}
