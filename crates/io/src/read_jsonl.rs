//! JSONL reading: one object per line, keys in first-seen order.

use std::collections::HashMap;

use serde_json::Value;

use crate::limits::{too_long, Limit, Limits};
use crate::read::{ReadError, Row, Table};

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Table, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut headers: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<Row> = Vec::new();

    for (i, raw_line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        if raw_line.len() > limits.max_row_bytes {
            return Err(ReadError::limit_at(
                Limit::RowBytes,
                limits.max_row_bytes,
                line,
                None,
            ));
        }
        let text = std::str::from_utf8(raw_line).map_err(|_| ReadError::Json {
            line,
            message: "the line is not valid UTF-8 text".to_owned(),
        })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        // Validate with serde_json first; the slicing below relies on it.
        let value: Value = serde_json::from_str(text).map_err(|e| json_error(line, &e))?;
        if !value.is_object() {
            return Err(ReadError::NotAnObject {
                line,
                found: kind(&value),
            });
        }

        let mut cells: Vec<String> = vec![String::new(); headers.len()];
        for (raw_key, raw_value) in members(text, true) {
            let key: String = serde_json::from_str(raw_key.unwrap_or("\"\""))
                .map_err(|e| json_error(line, &e))?;
            if !index.contains_key(&key) && headers.len() >= limits.max_columns {
                return Err(ReadError::limit_at(
                    Limit::Columns,
                    limits.max_columns,
                    line,
                    None,
                ));
            }
            let col = *index.entry(key).or_insert_with_key(|k| {
                headers.push(k.clone());
                headers.len() - 1
            });
            if col >= cells.len() {
                cells.resize(col + 1, String::new());
            }
            let cell = render(raw_value, false).map_err(|e| json_error(line, &e))?;
            if too_long(&cell, limits.max_cell_chars) {
                return Err(ReadError::limit_at(
                    Limit::CellChars,
                    limits.max_cell_chars,
                    line,
                    Some(headers[col].chars().take(100).collect()),
                ));
            }
            cells[col] = cell;
        }
        if cells.iter().any(|c| !c.is_empty()) {
            if rows.len() >= limits.max_rows {
                return Err(ReadError::limit(Limit::Rows, limits.max_rows));
            }
            rows.push(Row { line, cells });
        }
    }

    if headers.is_empty() {
        return Err(ReadError::Empty);
    }
    for row in &mut rows {
        row.cells.resize(headers.len(), String::new());
    }
    Ok(Table {
        headers,
        rows,
        encoding: "JSONL",
    })
}

fn json_error(line: usize, e: &serde_json::Error) -> ReadError {
    let mut message = e.to_string();
    // serde_json appends " at line 1 column N"; every input here is one line.
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    if e.column() > 0 {
        message = format!("{message} (column {})", e.column());
    }
    ReadError::Json { line, message }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON value (raw text, already validated) as a cell: strings unquoted,
/// numbers exactly as written, `null` empty, arrays joined with `;` (nulls
/// skipped), objects and nested arrays as compact JSON.
fn render(raw: &str, nested: bool) -> Result<String, serde_json::Error> {
    Ok(match raw.as_bytes().first() {
        Some(b'n') => String::new(),
        Some(b'"') => serde_json::from_str(raw)?,
        Some(b'[') if !nested => {
            let mut parts = Vec::new();
            for (_, element) in members(raw, false) {
                if element != "null" {
                    parts.push(render(element, true)?);
                }
            }
            parts.join(";")
        }
        Some(b'{' | b'[') => serde_json::from_str::<Value>(raw)?.to_string(),
        _ => raw.to_owned(),
    })
}

/// Split the members of a valid JSON object or array text into raw
/// `(key, value)` slices (key is `None` for arrays), preserving order.
fn members<'r>(raw: &'r str, object: bool) -> Vec<(Option<&'r str>, &'r str)> {
    let raw = raw.trim();
    let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
    let mut out = Vec::new();
    let push =
        |out: &mut Vec<(Option<&'r str>, &'r str)>, segment: &'r str, colon: Option<usize>| {
            out.push(match colon {
                Some(c) if object => (Some(segment[..c].trim()), segment[c + 1..].trim()),
                _ => (None, segment.trim()),
            });
        };

    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let (mut start, mut colon) = (0usize, None);
    for (i, b) in inner.bytes().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && colon.is_none() => colon = Some(i - start),
            b',' if depth == 0 => {
                push(&mut out, &inner[start..i], colon);
                start = i + 1;
                colon = None;
            }
            _ => {}
        }
    }
    if !inner[start..].trim().is_empty() {
        push(&mut out, &inner[start..], colon);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_splitting_respects_strings_and_nesting() {
        let m = members(r#"{"b": "x,y:z", "a" : [1, {"k": 2}], "c":null}"#, true);
        assert_eq!(
            m,
            vec![
                (Some(r#""b""#), r#""x,y:z""#),
                (Some(r#""a""#), r#"[1, {"k": 2}]"#),
                (Some(r#""c""#), "null"),
            ]
        );
        assert!(members("{}", true).is_empty());
        assert!(members("[ ]", false).is_empty());
    }

    #[test]
    fn rendering() {
        assert_eq!(render(r#""a\"b""#, false).unwrap(), "a\"b");
        assert_eq!(render("1.50", false).unwrap(), "1.50");
        assert_eq!(render("1e3", false).unwrap(), "1e3");
        assert_eq!(render("true", false).unwrap(), "true");
        assert_eq!(render("null", false).unwrap(), "");
        assert_eq!(
            render(r#"["a", null, 2, [3, 4]]"#, false).unwrap(),
            "a;2;[3,4]"
        );
        assert_eq!(render(r#"{"k": [1]}"#, false).unwrap(), r#"{"k":[1]}"#);
    }
}
