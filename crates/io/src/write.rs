//! Exports: CSV for any tool, XLSX for Excel users.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::read::column_letters;

/// One XLSX cell value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Written as text, even if it looks like a number (codes keep their
    /// leading zeros and are never turned into formulas).
    Text(String),
    /// Written as a number. Values beyond ±2^53 cannot be stored exactly in
    /// XLSX and are written as text instead.
    Int(i64),
    /// An amount in fen (1/100 yuan), written as the number `fen / 100`
    /// with the format `#,##0.00`.
    Money {
        fen: i64,
    },
    /// A `YYYY-MM-DD` date, written as an Excel date formatted `yyyy-mm-dd`.
    Date(String),
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

/// Why an XLSX export failed. Rows are spreadsheet rows (the header is
/// row 1, `rows[0]` is row 2); columns are letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    #[error("row {row}, column {column}: invalid date \"{value}\" (expected YYYY-MM-DD between 1900 and 9999)")]
    InvalidDate {
        row: usize,
        column: String,
        value: String,
    },
    #[error("row {row}, column {column}: {message}")]
    Cell {
        row: usize,
        column: String,
        message: String,
    },
    #[error("cannot write the XLSX workbook: {0}")]
    Xlsx(String),
}

impl From<XlsxError> for WriteError {
    fn from(e: XlsxError) -> Self {
        WriteError::Xlsx(e.to_string())
    }
}

/// Whether a spreadsheet opening a CSV file could take `cell` for a formula
/// (OWASP "CSV injection"): it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return, possibly after spaces or after apostrophes (so that
/// [`restore_cell`] can tell an added apostrophe from one of the data).
/// A plain negative number such as `-12.50` is a number to every spreadsheet,
/// never a formula, and is left alone so that it stays a number.
fn formula_like(cell: &str) -> bool {
    let rest = cell.trim_start_matches('\'');
    if rest.starts_with(['\t', '\r']) {
        return true;
    }
    let rest = rest.trim_start_matches(' ');
    match rest.as_bytes().first() {
        Some(b'=' | b'+' | b'@') => true,
        Some(b'-') => !is_negative_number(rest),
        _ => false,
    }
}

/// `-` followed by digits, optionally a `.` and more digits.
fn is_negative_number(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('-') else {
        return false;
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// A CSV cell as [`write_csv`] writes it: a cell a spreadsheet could read as
/// a formula gets a leading `'` (OWASP), so that it shows as text
/// (`=HYPERLINK(…)` becomes `'=HYPERLINK(…)`); every other cell is unchanged.
pub fn neutralize_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The inverse of [`neutralize_cell`], for importers: a cell that starts with
/// the `'` an export added is read without it, so a file exported by the
/// platform imports back to the same values (`'=x` → `=x`, `''=x` → `'=x`);
/// every other cell is unchanged.
pub fn restore_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

/// Write a CSV file: UTF-8 with a BOM (so Excel detects the encoding and
/// shows Chinese correctly), CRLF line ends, fields quoted only when needed.
///
/// Every cell, headers included, goes through [`neutralize_cell`]: a value
/// that a spreadsheet would evaluate as a formula gets a leading `'`.
/// Importers undo this with [`restore_cell`].
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(&mut out);
        // Writing into a Vec cannot fail (with `flexible`, neither can
        // records of differing lengths).
        const INFALLIBLE: &str = "writing CSV into memory cannot fail";
        let mut record = |cells: &mut dyn Iterator<Item = &str>| {
            for cell in cells {
                writer
                    .write_field(neutralize_cell(cell).as_bytes())
                    .expect(INFALLIBLE);
            }
            writer.write_record(None::<&[u8]>).expect(INFALLIBLE);
        };
        record(&mut headers.iter().copied());
        for row in rows {
            record(&mut row.iter().map(String::as_str));
        }
        writer.flush().expect(INFALLIBLE);
    }
    out
}

/// Largest integer magnitude an f64 (XLSX's only number type) holds exactly.
const MAX_EXACT_INT: i64 = 1 << 53;

/// Write a one-sheet XLSX workbook.
///
/// The header row is bold, frozen and carries an autofilter; column widths
/// fit the content (counting CJK characters double, capped at 60). An
/// unusable `sheet_name` is adjusted: characters Excel forbids
/// (`[]:*?/\`) become `_`, it is cut to 31 characters, and an empty name
/// becomes `Sheet1`.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sanitize_sheet_name(sheet_name))?;

    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");

    let columns = rows
        .iter()
        .map(Vec::len)
        .chain([headers.len()])
        .max()
        .unwrap_or(0);
    let mut widths = vec![0.0f64; columns];

    for (c, header) in headers.iter().enumerate() {
        let col = col_num(c)?;
        sheet.write_string_with_format(0, col, *header, &bold)?;
        // Bold text is a little wider; leave room for the filter button.
        widths[c] = text_width(header) * 1.1 + 2.0;
    }

    for (r, row) in rows.iter().enumerate() {
        let row_num = u32::try_from(r + 1)
            .map_err(|_| WriteError::Xlsx(format!("too many rows ({})", rows.len())))?;
        for (c, cell) in row.iter().enumerate() {
            let col = col_num(c)?;
            let cell_error = |e: XlsxError| WriteError::Cell {
                row: r + 2,
                column: column_letters(c),
                message: e.to_string(),
            };
            let shown = match cell {
                Cell::Empty => continue,
                Cell::Text(s) => {
                    sheet.write_string(row_num, col, s).map_err(cell_error)?;
                    text_width(s)
                }
                Cell::Int(n) if (-MAX_EXACT_INT..=MAX_EXACT_INT).contains(n) => {
                    // Exact: |n| <= 2^53.
                    sheet
                        .write_number(row_num, col, *n as f64)
                        .map_err(cell_error)?;
                    n.to_string().len() as f64
                }
                Cell::Int(n) => {
                    let s = n.to_string();
                    sheet.write_string(row_num, col, &s).map_err(cell_error)?;
                    s.len() as f64
                }
                Cell::Money { fen } => {
                    // Correctly rounded: the same double Excel stores when
                    // the amount is typed in (exact decimal for < 2^53 fen).
                    let yuan = *fen as f64 / 100.0;
                    sheet
                        .write_number_with_format(row_num, col, yuan, &money)
                        .map_err(cell_error)?;
                    money_text(*fen).len() as f64
                }
                Cell::Date(s) => {
                    let value = parse_date(s).ok_or_else(|| WriteError::InvalidDate {
                        row: r + 2,
                        column: column_letters(c),
                        value: s.clone(),
                    })?;
                    sheet
                        .write_date_with_format(row_num, col, &value, &date)
                        .map_err(cell_error)?;
                    10.0
                }
            };
            widths[c] = widths[c].max(shown);
        }
    }

    if !headers.is_empty() {
        sheet.set_freeze_panes(1, 0)?;
        let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        sheet.autofilter(0, 0, last_row, col_num(headers.len() - 1)?)?;
    }
    set_widths(sheet, &widths)?;
    Ok(workbook.save_to_buffer()?)
}

fn col_num(c: usize) -> Result<u16, WriteError> {
    u16::try_from(c).map_err(|_| WriteError::Xlsx(format!("too many columns ({})", c + 1)))
}

fn set_widths(sheet: &mut Worksheet, widths: &[f64]) -> Result<(), WriteError> {
    for (c, width) in widths.iter().enumerate() {
        sheet.set_column_width(col_num(c)?, (width + 1.0).clamp(6.0, 60.0))?;
    }
    Ok(())
}

fn sanitize_sheet_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    let cleaned = cleaned.trim_matches('\'').trim();
    if cleaned.is_empty() {
        "Sheet1".to_owned()
    } else if cleaned.eq_ignore_ascii_case("history") {
        // Excel reserves this name.
        format!("{cleaned}_")
    } else {
        cleaned.to_owned()
    }
}

/// Parse a strict `YYYY-MM-DD` date in Excel's range.
fn parse_date(s: &str) -> Option<ExcelDateTime> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return None;
    }
    let year: u16 = s[0..4].parse().ok()?;
    let month: u8 = s[5..7].parse().ok()?;
    let day: u8 = s[8..10].parse().ok()?;
    if year < 1900 {
        return None;
    }
    ExcelDateTime::from_ymd(year, month, day).ok()
}

/// `fen` as `#,##0.00` displays it, e.g. `-1,234.50` (used for widths).
fn money_text(fen: i64) -> String {
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    // ASCII digits: byte slicing is safe.
    let head = match whole.len() % 3 {
        0 => 3.min(whole.len()),
        n => n,
    };
    let mut grouped = whole[..head].to_owned();
    for chunk in whole.as_bytes()[head..].chunks(3) {
        grouped.push(',');
        grouped.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// Approximate display width in Excel character units: CJK and other wide
/// characters count 2, the rest 1; the widest line of multi-line text.
fn text_width(s: &str) -> f64 {
    s.lines()
        .map(|line| {
            line.chars()
                .map(|c| if is_wide(c) { 2.0 } else { 1.0 })
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_display_text() {
        assert_eq!(money_text(0), "0.00");
        assert_eq!(money_text(5), "0.05");
        assert_eq!(money_text(123_450), "1,234.50");
        assert_eq!(money_text(-100_000_001), "-1,000,000.01");
        assert_eq!(
            money_text(i64::MIN).len(),
            "-92,233,720,368,547,758.08".len()
        );
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2024-2-9").is_none());
        assert!(parse_date("1899-12-31").is_none());
        assert!(parse_date("2024-01-01T00:00").is_none());
    }

    #[test]
    fn sheet_names_are_made_valid() {
        assert_eq!(sanitize_sheet_name("成果/2024:Q1"), "成果_2024_Q1");
        assert_eq!(sanitize_sheet_name("  "), "Sheet1");
        assert_eq!(sanitize_sheet_name("'quoted'"), "quoted");
        assert_eq!(sanitize_sheet_name(&"长".repeat(40)).chars().count(), 31);
        assert_eq!(sanitize_sheet_name("History"), "History_");
    }

    #[test]
    fn widths_count_cjk_double() {
        assert_eq!(text_width("abc"), 3.0);
        assert_eq!(text_width("单位名称"), 8.0);
        assert_eq!(text_width("ab\n单位"), 4.0);
    }

    #[test]
    fn csv_has_bom_crlf_and_quotes() {
        let out = write_csv(
            &["名称", "备注"],
            &[vec!["甲,乙".to_owned(), "line1\nline2".to_owned()]],
        );
        let text = std::str::from_utf8(&out).unwrap();
        assert_eq!(text, "\u{FEFF}名称,备注\r\n\"甲,乙\",\"line1\nline2\"\r\n");
    }
}
