//! Mapping a table's headers onto a schema of expected columns.

use std::fmt;

use crate::read::{column_letters, Row, Table};

/// One expected column of an import schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The name code uses with [`Mapped::get`]; also accepted as a header.
    pub key: &'static str,
    /// Other accepted header names (Chinese names, synonyms).
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// A problem with one cell (or, with row 1, with the header row).
///
/// Displays as `row {row}, {column}: {message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub row: usize,
    /// The column as the user knows it: the header text from the file when
    /// the column is present, otherwise the schema key.
    pub column: String,
    pub message: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, {}: {}", self.row, self.column, self.message)
    }
}

impl std::error::Error for CellError {}

/// A table whose headers have been matched against a schema.
#[derive(Debug, Clone)]
pub struct Mapped<'a> {
    table: &'a Table,
    /// For each schema column, in schema order: its key and the index of the
    /// matching table column, if any.
    columns: Vec<(&'static str, Option<usize>)>,
    unknown: Vec<&'a str>,
}

/// Normalise a header for comparison: trim, drop `*` required-markers, drop
/// whitespace, `_` and `-`, and lowercase. `"Credit_Code *"`, `"credit code"`
/// and `"CREDIT-CODE"` all become `"creditcode"`.
fn normalize(name: &str) -> String {
    name.trim()
        .trim_matches('*')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Match `table`'s headers against `schema`.
///
/// A header matches a column when it equals the key or one of the aliases
/// after normalisation (case, surrounding spaces, `_`/space/`-` and `*`
/// markers are ignored). Headers matching no column are allowed and listed
/// by [`Mapped::unknown_columns`]. Errors (all reported at once, row 1):
/// a required column is missing, or two headers match the same column.
pub fn map_headers<'a>(table: &'a Table, schema: &[Column]) -> Result<Mapped<'a>, Vec<CellError>> {
    let mut columns: Vec<(&'static str, Option<usize>)> =
        schema.iter().map(|c| (c.key, None)).collect();
    let names: Vec<Vec<String>> = schema
        .iter()
        .map(|c| {
            std::iter::once(c.key)
                .chain(c.aliases.iter().copied())
                .map(normalize)
                .collect()
        })
        .collect();

    let mut errors = Vec::new();
    let mut unknown = Vec::new();
    for (i, header) in table.headers.iter().enumerate() {
        let norm = normalize(header);
        let Some(s) = names.iter().position(|n| n.contains(&norm)) else {
            unknown.push(header.as_str());
            continue;
        };
        match columns[s].1 {
            None => columns[s].1 = Some(i),
            Some(first) => errors.push(CellError {
                row: 1,
                column: header.clone(),
                message: format!(
                    "column {} means the same as column {} (\"{}\"): both give `{}`",
                    column_letters(i),
                    column_letters(first),
                    table.headers[first],
                    schema[s].key
                ),
            }),
        }
    }
    for (column, (_, found)) in schema.iter().zip(&columns) {
        if column.required && found.is_none() {
            let accepted: Vec<&str> = std::iter::once(column.key)
                .chain(column.aliases.iter().copied())
                .collect();
            errors.push(CellError {
                row: 1,
                column: column.key.to_owned(),
                message: format!(
                    "required column is missing (accepted headers: {})",
                    accepted.join(", ")
                ),
            });
        }
    }
    if errors.is_empty() {
        Ok(Mapped {
            table,
            columns,
            unknown,
        })
    } else {
        Err(errors)
    }
}

impl<'a> Mapped<'a> {
    fn index(&self, key: &str) -> Option<usize> {
        let entry = self.columns.iter().find(|(k, _)| *k == key);
        debug_assert!(entry.is_some(), "`{key}` is not a key of the schema");
        entry.and_then(|(_, i)| *i)
    }

    /// The cell of `row` in the column mapped to `key`; `""` when the column
    /// is absent from the file. The `'` that an export puts before a
    /// formula-like value is removed ([`crate::restore_cell`]), so exported
    /// files import back unchanged.
    ///
    /// Panics in debug builds if `key` is not in the schema (a typo).
    pub fn get<'r>(&self, row: &'r Row, key: &str) -> &'r str {
        self.index(key)
            .and_then(|i| row.cells.get(i))
            .map_or("", |c| crate::restore_cell(c))
    }

    /// The index of the table column mapped to `key`, if the file has one.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.index(key)
    }

    /// Whether the file has a column for `key`.
    pub fn has(&self, key: &str) -> bool {
        self.index(key).is_some()
    }

    /// The header text used in the file for `key`, if present.
    pub fn header(&self, key: &str) -> Option<&'a str> {
        self.index(key).map(|i| self.table.headers[i].as_str())
    }

    /// Headers that matched no schema column, in file order.
    pub fn unknown_columns(&self) -> &[&'a str] {
        &self.unknown
    }

    /// The underlying table.
    pub fn table(&self) -> &'a Table {
        self.table
    }

    /// The table's data rows.
    pub fn rows(&self) -> &'a [Row] {
        &self.table.rows
    }

    /// A [`CellError`] for `row` in the column of `key`, naming the column
    /// as the file does.
    pub fn error(&self, row: &Row, key: &str, message: impl Into<String>) -> CellError {
        CellError {
            row: row.line,
            column: self.header(key).unwrap_or(key).to_owned(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalize(" Credit_Code *"), "creditcode");
        assert_eq!(normalize("credit-code"), "creditcode");
        assert_eq!(normalize("统一社会信用代码"), "统一社会信用代码");
        assert_eq!(normalize("单位 名称\u{3000}"), "单位名称");
    }
}
