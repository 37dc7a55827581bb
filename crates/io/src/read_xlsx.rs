//! XLSX reading: the first worksheet, cells rendered the way a user typed them.
//!
//! Nothing in the file is trusted for allocation. Before calamine opens the workbook, the zip
//! archive is checked part by part ([`check_archive`]): the number of parts, each part's
//! declared size and packing ratio, and then each part actually unpacked through a counting
//! reader that stops at the limits (declared sizes can lie), which also finds the longest text
//! between two tags. The sheet is then read cell by cell (calamine's cell reader), never as a
//! `Range`, which allocates the whole rectangle the sheet declares or spans: the 6.5 KB file
//! declaring `A1:XFD1048576` asked for 512 GiB.

use std::io::{Cursor, Read};

use calamine::{Data, ExcelDateTime, ExcelDateTimeType, Reader, Xlsx, XlsxError};

use crate::limits::{Limit, Limits, MAX_XLSX_PARTS, RATIO_GRACE_BYTES};
use crate::read::{column_letters, Assembler, ReadError, Table};

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Table, ReadError> {
    check_archive(bytes, limits)?;
    // calamine 0.26 indexes its shared strings with the number a cell holds, unchecked: a
    // damaged or hostile sheet panics it (found by `fuzz_mutated_workbooks_never_panic`). The
    // workbook is read in memory and nothing outlives the reading, so a panic is a damaged file.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_sheet(bytes, limits)))
        .unwrap_or_else(|_| {
            Err(ReadError::Xlsx(
                "the workbook is damaged (a cell refers to something the workbook does not hold); \
                 open it in Excel and save it again"
                    .to_owned(),
            ))
        })
}

fn read_sheet(bytes: &[u8], limits: &Limits) -> Result<Table, ReadError> {
    let mut workbook: Xlsx<Cursor<&[u8]>> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: XlsxError| ReadError::Xlsx(e.to_string()))?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(ReadError::NoWorksheet)?;
    let mut cells = match workbook.worksheet_cells_reader(&name) {
        Ok(r) => r,
        // A chart sheet first: nothing to read, as calamine's own range reader says.
        Err(XlsxError::NotAWorksheet(_)) => return Err(ReadError::Empty),
        Err(e) => return Err(ReadError::Xlsx(e.to_string())),
    };
    let mut sheet = Sheet {
        limits,
        assembler: None,
        rows: Vec::new(),
        line: 0,
        cells: Vec::new(),
        row_bytes: 0,
    };
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| ReadError::Xlsx(e.to_string()))?
    {
        let (row, col) = cell.get_position();
        let line = row as usize + 1;
        if line != sheet.line {
            sheet.flush()?;
            sheet.line = line;
        }
        let data = Data::from(cell.get_value().clone());
        let text = cell_text(&data).map_err(|value| ReadError::ErrorCell {
            row: line,
            column: column_letters(col as usize),
            value,
        })?;
        if text.is_empty() {
            continue;
        }
        sheet.row_bytes += text.len();
        if sheet.row_bytes > limits.max_row_bytes {
            return Err(ReadError::limit_at(
                Limit::RowBytes,
                limits.max_row_bytes,
                line,
                None,
            ));
        }
        sheet.cells.push((col as usize, text));
    }
    sheet.flush()?;
    let mut table = match sheet.assembler {
        Some(a) => a.into_header()?,
        None => return Err(ReadError::Empty),
    };
    table.rows = sheet.rows;
    Ok(table)
}

/// The rows of a sheet, assembled as its cells arrive.
struct Sheet<'l> {
    limits: &'l Limits,
    /// Made with the header row, whose first cell's column is the table's first column.
    assembler: Option<Assembler>,
    rows: Vec<crate::Row>,
    /// The row of `cells` (1-based).
    line: usize,
    /// The non-empty cells of the row being read: (0-based column, text).
    cells: Vec<(usize, String)>,
    row_bytes: usize,
}

impl Sheet<'_> {
    /// Hands the row read so far to the assembler.
    fn flush(&mut self) -> Result<(), ReadError> {
        self.row_bytes = 0;
        if self.cells.is_empty() {
            return Ok(());
        }
        let cells = std::mem::take(&mut self.cells);
        let min = cells.iter().map(|c| c.0).min().unwrap_or(0);
        let max = cells.iter().map(|c| c.0).max().unwrap_or(0);
        let assembler = self
            .assembler
            .get_or_insert_with(|| Assembler::new(min, "XLSX", self.limits));
        let first = assembler.col_offset();
        if min < first {
            // A cell left of the header: the header has no name for its column.
            return Err(ReadError::EmptyHeader {
                row: assembler
                    .header()
                    .map_or(self.line, |_| assembler.header_line()),
                column: column_letters(min),
            });
        }
        let width = max - first + 1;
        if width > self.limits.max_columns {
            return Err(ReadError::limit_at(
                Limit::Columns,
                self.limits.max_columns,
                self.line,
                None,
            ));
        }
        let mut dense: Vec<&str> = vec![""; width];
        for (col, text) in &cells {
            dense[col - first] = text;
        }
        if let Some(row) = assembler.record(self.line, dense.into_iter())? {
            self.rows.push(row.clone());
        }
        Ok(())
    }
}

/// Holds the archive to the limits before anything in it is parsed: at most
/// [`MAX_XLSX_PARTS`] parts, each unpacking to at most `max_part_bytes` and (beyond
/// [`RATIO_GRACE_BYTES`]) to at most `max_ratio` times its packed size, both as declared and
/// as actually unpacked, and no text between two tags of an XML part longer than a cell may
/// be (an XML text holds a cell's characters, escaped, in at most 6 bytes each).
pub(crate) fn check_archive(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    if declared_entries(bytes).is_some_and(|n| n > MAX_XLSX_PARTS) {
        return Err(ReadError::limit(Limit::Parts, MAX_XLSX_PARTS));
    }
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ReadError::Xlsx(e.to_string()))?;
    if zip.len() as u64 > MAX_XLSX_PARTS {
        return Err(ReadError::limit(Limit::Parts, MAX_XLSX_PARTS));
    }
    let max_text = (limits.max_cell_chars as u64)
        .saturating_mul(6)
        .saturating_add(1024);
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let raw = zip
            .by_index_raw(i)
            .map_err(|e| ReadError::Xlsx(e.to_string()))?;
        let name = raw.name().to_string();
        let (packed, declared) = (raw.compressed_size(), raw.size());
        check_part_size(&name, packed, declared, limits)?;
        let xml = name.ends_with(".xml") || name.ends_with(".rels");
        let consumed = std::rc::Rc::new(std::cell::Cell::new(0u64));
        let counted = Counted {
            inner: raw,
            count: consumed.clone(),
        };
        let mut part: Box<dyn Read> = match counted.inner.compression() {
            zip::CompressionMethod::Stored => Box::new(counted),
            zip::CompressionMethod::Deflated => {
                Box::new(flate2::read::DeflateDecoder::new(counted))
            }
            // Methods calamine cannot read either: it says so if it needs the part.
            _ => continue,
        };
        let mut unpacked = 0u64;
        let mut text_run = 0u64;
        loop {
            let n = match part.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                // A damaged part: calamine says why, if it needs it.
                Err(_) => break,
            };
            unpacked += n as u64;
            // Against the packed bytes read so far, so that a bomb whose directory lies is
            // stopped after a megabyte or two, not at the part limit.
            check_part_size(&name, consumed.get().max(1), unpacked, limits)?;
            if xml {
                let mut longest = 0;
                for &b in &buf[..n] {
                    if b == b'<' {
                        longest = longest.max(text_run);
                        text_run = 0;
                    } else {
                        text_run += 1;
                    }
                }
                if longest.max(text_run) > max_text {
                    return Err(ReadError::limit_in_part(
                        Limit::CellChars,
                        limits.max_cell_chars,
                        &name,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

fn check_part_size(name: &str, packed: u64, size: u64, limits: &Limits) -> Result<(), ReadError> {
    if size > limits.max_part_bytes {
        return Err(ReadError::limit_in_part(
            Limit::PartBytes,
            limits.max_part_bytes,
            name,
        ));
    }
    if size > RATIO_GRACE_BYTES && size > packed.saturating_mul(limits.max_ratio) {
        return Err(ReadError::limit_in_part(
            Limit::Ratio,
            limits.max_ratio,
            name,
        ));
    }
    Ok(())
}

/// The number of entries the end-of-central-directory record declares (`None` when there is
/// none to be found; the zip reader then says what is wrong). A ZIP64 archive declares
/// 0xFFFF here, more parts than any workbook has.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    // The record is 22 bytes plus a comment of at most 65,535 bytes, at the end.
    let from = bytes.len().saturating_sub(22 + 65_535);
    let tail = &bytes[from..];
    let at = tail.windows(4).rposition(|w| w == EOCD)?;
    let rec = tail.get(at..at + 22)?;
    Some(u64::from(u16::from_le_bytes([rec[10], rec[11]])))
}

/// A cell as text, or `Err(error value)` for an Excel error cell.
fn cell_text(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(s) => {
            let s = s.strip_suffix("T00:00:00").unwrap_or(s);
            s.replacen('T', " ", 1)
        }
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(e.to_string()),
    })
}

/// Render a number as Excel's "General" format shows it: integers without
/// a decimal point, other values with at most 15 significant digits in
/// their shortest form (`1234.5`, not `1234.5000000000002`).
pub(crate) fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    // Round to Excel's 15 significant digits, then print the shortest
    // representation of the rounded value (`Display` for f64 never uses an
    // exponent).
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        // Exact: the value is an integer below 2^53.
        return format!("{}", rounded as i64);
    }
    format!("{rounded}")
}

const SECONDS_PER_DAY: i64 = 86_400;
/// Days from 1899-12-30 (Excel's day 0, counting its phantom 1900-02-29)
/// to 1970-01-01.
const EXCEL_TO_UNIX_DAYS: i64 = 25_569;
/// Days between the 1900 and 1904 date systems.
const EXCEL_1904_OFFSET_DAYS: i64 = 1_462;

/// Render an Excel date/time cell: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`
/// when it has a time of day, `HH:MM[:SS]` for a pure time and `H:MM:SS`
/// (hours may exceed 24) for a duration.
fn datetime_text(dt: &ExcelDateTime) -> String {
    let value = dt.as_f64();
    // calamine 0.26 keeps the date kind and the 1904 flag private without
    // its `dates` feature (which pulls in chrono); recover them through the
    // public constructor and `PartialEq`.
    let is_duration = *dt == ExcelDateTime::new(value, ExcelDateTimeType::TimeDelta, false)
        || *dt == ExcelDateTime::new(value, ExcelDateTimeType::TimeDelta, true);
    let is_1904 = *dt == ExcelDateTime::new(value, ExcelDateTimeType::DateTime, true);

    if !value.is_finite() || value < 0.0 {
        return number_text(value);
    }
    // The cast saturates; Excel's largest date (9999-12-31) is ~2.9e6 days.
    let total_seconds = (value * SECONDS_PER_DAY as f64).round() as i64;
    let mut days = total_seconds / SECONDS_PER_DAY;
    let seconds = total_seconds % SECONDS_PER_DAY;

    if is_duration {
        let hours = total_seconds / 3600;
        return format!(
            "{hours}:{:02}:{:02}",
            (total_seconds / 60) % 60,
            total_seconds % 60
        );
    }
    let time = if seconds % 60 == 0 {
        format!("{:02}:{:02}", seconds / 3600, (seconds / 60) % 60)
    } else {
        format!(
            "{:02}:{:02}:{:02}",
            seconds / 3600,
            (seconds / 60) % 60,
            seconds % 60
        )
    };
    if days == 0 {
        return time;
    }
    if is_1904 {
        days += EXCEL_1904_OFFSET_DAYS;
    } else if days < 60 {
        // Before Excel's phantom 1900-02-29, serials are one day ahead.
        days += 1;
    }
    let (y, m, d) = civil_from_days(days - EXCEL_TO_UNIX_DAYS);
    let date = format!("{y:04}-{m:02}-{d:02}");
    if seconds == 0 {
        date
    } else {
        format!("{date} {time}")
    }
}

/// Proleptic Gregorian date for a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(serial: f64) -> String {
        datetime_text(&ExcelDateTime::new(
            serial,
            ExcelDateTimeType::DateTime,
            false,
        ))
    }

    #[test]
    fn numbers_render_like_excel_general() {
        assert_eq!(number_text(210106.0), "210106");
        assert_eq!(number_text(1234.5), "1234.5");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(-42.0), "-42");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(123456789012345.0), "123456789012345");
        assert_eq!(number_text(0.000123), "0.000123");
    }

    #[test]
    fn serial_dates() {
        assert_eq!(date(1.0), "1900-01-01");
        assert_eq!(date(59.0), "1900-02-28");
        assert_eq!(date(61.0), "1900-03-01");
        assert_eq!(date(25569.0), "1970-01-01");
        assert_eq!(date(45292.0), "2024-01-01");
        assert_eq!(date(45292.5), "2024-01-01 12:00");
        assert_eq!(date(0.395833333333333), "09:30");
        let d1904 = ExcelDateTime::new(43830.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(datetime_text(&d1904), "2024-01-01");
        let dur = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(datetime_text(&dur), "36:00:00");
    }
}
