//! XLSX reading: the first worksheet, cells rendered the way a user typed
//! them.

use std::io::Cursor;

use calamine::{Data, ExcelDateTime, ExcelDateTimeType, Reader, Xlsx, XlsxError};

use crate::read::{build_table, column_letters, ReadError, Table};

pub(crate) fn read(bytes: &[u8]) -> Result<Table, ReadError> {
    let mut workbook: Xlsx<Cursor<&[u8]>> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: XlsxError| ReadError::Xlsx(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(ReadError::NoWorksheet)?
        .map_err(|e| ReadError::Xlsx(e.to_string()))?;
    let Some((first_row, first_col)) = range.start() else {
        return Err(ReadError::Empty);
    };
    let (first_row, first_col) = (first_row as usize, first_col as usize);

    let records = range.rows().enumerate().map(|(i, cells)| {
        let row = first_row + i + 1;
        let cells = cells
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                cell_text(cell).map_err(|value| ReadError::ErrorCell {
                    row,
                    column: column_letters(first_col + j),
                    value,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((row, cells))
    });
    build_table(records, first_col, "XLSX")
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
