//! Common reading types: formats, tables, errors, and the header/row rules
//! shared by CSV and XLSX.

use std::collections::HashMap;
use std::path::Path;

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
}

impl ReadError {
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
            ReadError::Empty
            | ReadError::UnsupportedFormat(_)
            | ReadError::Xlsx(_)
            | ReadError::NoWorksheet => None,
        }
    }
}

/// Read a whole file into a [`Table`].
///
/// Stops at the first problem. See [`Format`] for what each format accepts.
pub fn read_table(bytes: &[u8], format: Format) -> Result<Table, ReadError> {
    if bytes.starts_with(OLE_MAGIC) {
        return Err(ReadError::UnsupportedFormat(
            "this is a legacy Excel .xls file or a password-protected workbook; \
             save it as .xlsx (without a password) or as CSV"
                .to_owned(),
        ));
    }
    match format {
        Format::Csv if bytes.starts_with(ZIP_MAGIC) => Err(ReadError::UnsupportedFormat(
            "this is a zip archive (probably an .xlsx workbook), not CSV text".to_owned(),
        )),
        Format::Csv => crate::read_csv::read(bytes),
        Format::Xlsx => crate::read_xlsx::read(bytes),
        Format::Jsonl => crate::read_jsonl::read(bytes),
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

/// Assemble a table from raw records `(row number, cells)` in file order.
///
/// The first record with any non-empty cell is the header. Trailing empty
/// header cells are ignored; an empty header between named columns or a
/// duplicate name is an error. Data cells are trimmed; a row is too long
/// only if it has a non-empty cell beyond the last header. `col_offset` is
/// the 0-based spreadsheet column of the first cell (for error messages).
pub(crate) fn build_table<I>(
    records: I,
    col_offset: usize,
    encoding: &'static str,
) -> Result<Table, ReadError>
where
    I: IntoIterator<Item = Result<(usize, Vec<String>), ReadError>>,
{
    let mut records = records.into_iter();
    let (header_row, header_cells) = loop {
        match records.next() {
            None => return Err(ReadError::Empty),
            Some(rec) => {
                let (row, cells) = rec?;
                if cells.iter().any(|c| !c.trim().is_empty()) {
                    break (row, cells);
                }
            }
        }
    };

    let mut headers: Vec<String> = header_cells.iter().map(|c| c.trim().to_owned()).collect();
    while headers.last().is_some_and(|h| h.is_empty()) {
        headers.pop();
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            return Err(ReadError::EmptyHeader {
                row: header_row,
                column: column_letters(col_offset + i),
            });
        }
        if let Some(&first) = seen.get(h.as_str()) {
            return Err(ReadError::DuplicateHeader {
                row: header_row,
                column: column_letters(col_offset + i),
                name: h.clone(),
                first: column_letters(col_offset + first),
            });
        }
        seen.insert(h, i);
    }

    let width = headers.len();
    let mut rows = Vec::new();
    for rec in records {
        let (line, cells) = rec?;
        let mut cells: Vec<String> = cells.into_iter().map(trim_owned).collect();
        let used = cells
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        if used == 0 {
            continue;
        }
        if used > width {
            return Err(ReadError::TooManyCells {
                row: line,
                cells: used,
                columns: width,
            });
        }
        cells.resize(width, String::new());
        rows.push(Row { line, cells });
    }
    Ok(Table {
        headers,
        rows,
        encoding,
    })
}

/// Trim without reallocating when nothing needs trimming.
pub(crate) fn trim_owned(s: String) -> String {
    let t = s.trim();
    if t.len() == s.len() {
        s
    } else {
        t.to_owned()
    }
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
