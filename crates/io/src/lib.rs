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
//!   ends (Excel opens Chinese text correctly); [`write_xlsx`] produces a
//!   workbook with a bold, frozen, filterable header row and sized columns.
//!
//! Reading stops at the first error; inputs are held in memory, so callers
//! accepting uploads should limit their size.

mod mapping;
mod read;
mod read_csv;
mod read_jsonl;
mod read_xlsx;
mod write;

pub use mapping::{map_headers, CellError, Column, Mapped};
pub use read::{column_letters, read_rows, read_table, Format, ReadError, ReadEvent, Row, Table};
pub use write::{write_csv, write_xlsx, Cell, WriteError};
