//! Tabular import and export for Chengguo.
//!
//! This crate knows nothing about the domain or the database: it turns an
//! uploaded file into a [`Table`] of trimmed strings, helps map the file's
//! headers onto a schema of expected columns ([`map_headers`]), and writes
//! exports as CSV or XLSX.
//!
//! * **Reading** — [`read_table`] accepts CSV (UTF-8, UTF-8 with BOM,
//!   UTF-16 with BOM or GB18030, comma/tab/semicolon separated), XLSX (the
//!   first worksheet) and JSONL (one object per line). Pick the format with
//!   [`Format::from_path`] or [`Format::sniff`]. Every [`Row`] carries the
//!   row number a user sees (the header is row 1), and every [`ReadError`]
//!   names the row, and the column when known.
//! * **Mapping** — [`map_headers`] matches headers against [`Column`]s by key
//!   or alias, ignoring case, spaces, `_`, `-` and `*` required-markers.
//! * **Writing** — [`write_csv`] produces UTF-8 CSV with a BOM and CRLF line
//!   ends (Excel opens Chinese text correctly), a cell that a spreadsheet
//!   would evaluate as a formula prefixed with `'` ([`neutralize_cell`];
//!   [`Mapped::get`] undoes it on import); [`write_xlsx`] produces a
//!   workbook with a bold, frozen, filterable header row and sized columns,
//!   text always as strings, never formulas.
//!
//! Reading stops at the first error. Inputs are held in memory; every reader holds them to
//! [`Limits`] (file size, rows, columns, cell and row length, and for XLSX the unpacked size
//! and packing ratio of each part), refusing a file over one with [`ReadError::Limit`] before
//! memory is spent on it.

mod limits;
mod mapping;
mod read;
mod read_csv;
mod read_jsonl;
mod read_xlsx;
mod write;

pub use limits::{Limit, Limits, MAX_XLSX_PARTS, RATIO_GRACE_BYTES};
pub use mapping::{map_headers, CellError, Column, Mapped};
pub use read::{
    check_file_len, column_letters, read_rows, read_rows_limited, read_table, read_table_limited,
    Format, ReadError, ReadEvent, Row, Table,
};
pub use write::{neutralize_cell, restore_cell, write_csv, write_xlsx, Cell, WriteError};
