//! CSV reading: encoding detection, delimiter sniffing, parsing.

use std::borrow::Cow;

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};

use std::cell::Cell;
use std::io::Read;
use std::ops::ControlFlow;
use std::rc::Rc;

use crate::limits::{Limit, Limits};
use crate::read::{Assembler, ReadError, ReadEvent, Table};

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Table, ReadError> {
    let mut header = None;
    let mut rows = Vec::new();
    stream(bytes, limits, |event| {
        match event {
            ReadEvent::Header(t) => header = Some(t.clone()),
            ReadEvent::Row { row, .. } => rows.push(row.clone()),
        }
        ControlFlow::Continue(())
    })?;
    let mut table = header.ok_or(ReadError::Empty)?;
    table.rows = rows;
    Ok(table)
}

/// Parses the text record by record, handing each row to `visit` (see `read_rows`).
pub(crate) fn stream(
    bytes: &[u8],
    limits: &Limits,
    mut visit: impl FnMut(ReadEvent<'_>) -> ControlFlow<()>,
) -> Result<&'static str, ReadError> {
    let (text, encoding) = decode(bytes)?;
    let delimiter = sniff_delimiter(&text);

    let record_end = Rc::new(Cell::new(0u64));
    let input = RowGuard {
        text: text.as_bytes(),
        handed: 0,
        record_end: record_end.clone(),
        // The csv reader reads ahead by its buffer (8 KiB) at most.
        max: limits.max_row_bytes as u64 + 8 * 1024,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input);
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text.as_bytes());
    let mut assembler = Assembler::new(0, encoding, limits);
    let total = text.len() as u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let start = record.position().map_or(0, |p| p.byte());
                let end = reader.position().byte();
                record_end.set(end);
                if end.saturating_sub(start) > limits.max_row_bytes as u64 {
                    return Err(ReadError::limit_at(
                        Limit::RowBytes,
                        limits.max_row_bytes,
                        lines.record_line(start),
                        None,
                    ));
                }
                let line = lines.record_line(start);
                // An unclosed quote swallows the rest of the file into one record, so only a
                // record that reaches the end can hold one: checking that record alone finds
                // it without a pass over the whole file before the first row.
                if reader.position().byte() >= total {
                    let from = usize::try_from(start).unwrap_or(usize::MAX).min(text.len());
                    let last = text[from..].trim_start_matches(['\r', '\n']);
                    check_quotes(last, delimiter, line)?;
                }
                let had_header = assembler.header().is_some();
                let row = assembler.record(line, record.iter())?;
                if !had_header {
                    if let Some(header) = assembler.header() {
                        if visit(ReadEvent::Header(header)).is_break() {
                            return Ok(encoding);
                        }
                    }
                    continue;
                }
                if let Some(row) = row {
                    let read = reader.position().byte();
                    if visit(ReadEvent::Row { row, read, total }).is_break() {
                        return Ok(encoding);
                    }
                }
            }
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                // Only `RowGuard` fails a read: the record being read is too long.
                return Err(ReadError::limit_at(
                    Limit::RowBytes,
                    limits.max_row_bytes,
                    lines.record_line(record_end.get()),
                    None,
                ));
            }
            Err(e) => {
                let row = e.position().map_or(0, |p| lines.record_line(p.byte()));
                return Err(ReadError::Csv {
                    row,
                    message: e.to_string(),
                });
            }
        }
    }
    assembler.into_header().map(|_| encoding)
}

/// The text as the csv reader reads it, refusing to hand out more than `max` bytes beyond the
/// end of the last whole record (`record_end`, set by the reading loop): a record longer than
/// the row limit fails while it is read, before the reader has buffered it.
struct RowGuard<'t> {
    text: &'t [u8],
    handed: usize,
    record_end: Rc<Cell<u64>>,
    max: u64,
}

impl Read for RowGuard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let ahead = (self.handed as u64).saturating_sub(self.record_end.get());
        if ahead > self.max {
            return Err(std::io::Error::other("row too long"));
        }
        let rest = &self.text[self.handed.min(self.text.len())..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.handed += n;
        Ok(n)
    }
}

/// Line numbers of records. The csv crate's `Position::line` is not usable
/// for this: a record's position is where the previous record ended, so
/// the line ending of a CRLF file and skipped blank lines are not counted.
/// Its byte offset has the same quirk, so skip line breaks from there and
/// count `\n`s up to the record's first byte.
struct LineCounter<'t> {
    text: &'t [u8],
    offset: usize,
    line: usize,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of the record whose reported position is `byte`.
    /// Positions must not decrease between calls.
    fn record_line(&mut self, byte: u64) -> usize {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.offset {
            let between = &self.text[self.offset..start];
            self.line += between.iter().filter(|&&b| b == b'\n').count();
            self.offset = start;
        }
        self.line
    }
}

/// Decode the bytes to text and name the encoding that was used.
fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), ReadError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((Cow::Borrowed(s), "UTF-8 (BOM)")),
            Err(e) => Err(ReadError::Encoding {
                row: line_of_byte(rest, e.valid_up_to()),
            }),
        };
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return decode_with(UTF_16LE, rest, "UTF-16LE (BOM)");
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return decode_with(UTF_16BE, rest, "UTF-16BE (BOM)");
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(s), "UTF-8"));
    }
    decode_with(GB18030, bytes, "GB18030")
}

fn decode_with<'b>(
    encoding: &'static Encoding,
    bytes: &'b [u8],
    name: &'static str,
) -> Result<(Cow<'b, str>, &'static str), ReadError> {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        let at = text.find('\u{FFFD}').unwrap_or(text.len());
        return Err(ReadError::Encoding {
            row: text[..at].matches('\n').count() + 1,
        });
    }
    Ok((text, name))
}

fn line_of_byte(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Use tab or `;` when the header line (the first non-blank line) clearly
/// uses them more than commas; otherwise `,`. Separators inside quotes do
/// not count.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let (mut comma, mut tab, mut semi) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for b in header.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => comma += 1,
            b'\t' if !quoted => tab += 1,
            b';' if !quoted => semi += 1,
            _ => {}
        }
    }
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma && semi > tab {
        b';'
    } else {
        b','
    }
}

/// The csv crate silently reads an unclosed quote to the end of the file,
/// swallowing every later row into one cell. Detect that, following the
/// same rules as the parser (a quote only opens a quoted cell at the very
/// start of a cell; `""` inside is an escaped quote).
/// `text` starts at the beginning of a record, on line `first_line`.
fn check_quotes(text: &str, delimiter: u8, first_line: usize) -> Result<(), ReadError> {
    #[derive(PartialEq)]
    enum State {
        CellStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::CellStart;
    let mut line = first_line;
    let mut opened_at = 0;
    for b in text.bytes() {
        let ends_cell = b == delimiter || b == b'\n' || b == b'\r';
        state = match state {
            State::CellStart if b == b'"' => {
                opened_at = line;
                State::Quoted
            }
            State::CellStart | State::Unquoted | State::QuoteInQuoted if ends_cell => {
                State::CellStart
            }
            State::CellStart | State::Unquoted => State::Unquoted,
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted => State::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    if state == State::Quoted {
        return Err(ReadError::UnclosedQuote { row: opened_at });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_sniffing() {
        assert_eq!(sniff_delimiter("a,b,c\n1;2;3"), b',');
        assert_eq!(sniff_delimiter("\n\na\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("a;b;c"), b';');
        assert_eq!(sniff_delimiter("\"x;y;z\",b"), b',');
        assert_eq!(sniff_delimiter("single"), b',');
    }

    #[test]
    fn record_lines_from_byte_offsets() {
        // Offsets as csv reports them: where the previous record ended.
        let text = b"a,b\r\n1,2\r\n\r\n\r\n3,4\r\n";
        let mut lines = LineCounter::new(text);
        assert_eq!(lines.record_line(0), 1);
        assert_eq!(lines.record_line(4), 2);
        assert_eq!(lines.record_line(9), 5);
    }

    #[test]
    fn quote_check() {
        assert!(check_quotes("a,b\n\"x\ny\",2\n", b',', 1).is_ok());
        assert!(check_quotes("a,b\n5\" disk,2\n", b',', 1).is_ok());
        assert!(check_quotes("a,b\n\"say \"\"hi\"\"\",2\n", b',', 1).is_ok());
        assert_eq!(
            check_quotes("a,b\n1,2\n\"oops,3\n4,5\n", b',', 1),
            Err(ReadError::UnclosedQuote { row: 3 })
        );
    }
}
