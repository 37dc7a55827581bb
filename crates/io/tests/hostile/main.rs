//! Hostile files (issue #11, finding 1): each is built here, tiny, and each is refused with an
//! error naming the limit, without the reader allocating what the file asks for. On the code
//! before the limits, the first aborted the process (a 512 GiB allocation), the bomb took tens
//! of seconds and gigabytes, the 400 MB cell 1.7 GB (docs/benchmarks.md, "Hostile files").

mod zipfile;

use chengguo_io::{read_rows_limited, read_table, read_table_limited, Format, Limit, Limits};
use chengguo_io::{ReadError, ReadEvent};
use std::ops::ControlFlow;
use zipfile::{deflate_bomb, deflate_repeat, stored, workbook, zip, Entry};

fn limit_of(err: &ReadError) -> Limit {
    match err {
        ReadError::Limit { limit, .. } => *limit,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

/// A sheet whose `<dimension>` declares the whole grid, with one cell at its far corner.
fn dimension_bomb(corner: &str) -> Vec<u8> {
    workbook(&format!(
        r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>title</t></is></c></row><row r="1048576"><c r="{corner}"><v>1</v></c></row></sheetData>"#
    ))
}

#[test]
fn a_declared_dimension_is_never_allocated() {
    let bytes = dimension_bomb("XFD1048576");
    assert!(bytes.len() < 7_000, "{} bytes", bytes.len());
    let err = read_table(&bytes, Format::Xlsx).unwrap_err();
    assert_eq!(limit_of(&err), Limit::Columns);
    assert_eq!(
        err.to_string(),
        "row 1048576: more than 200 columns (limit: import.max_columns)"
    );
    assert_eq!(
        err.detail(),
        "more than 200 columns (limit: import.max_columns)"
    );
    assert_eq!(
        err.detail_zh().as_deref(),
        Some("超过 200 列（上限：import.max_columns）")
    );

    // The same dimension with the far cell in column A is a two-row table: the dimension
    // (and the gap of a million rows) costs nothing.
    let table = read_table(&dimension_bomb("A1048576"), Format::Xlsx).unwrap();
    assert_eq!(table.headers, ["title"]);
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].line, 1_048_576);
    assert_eq!(table.rows[0].cells, ["1"]);
}

#[test]
fn a_zip_bomb_is_refused_whether_its_directory_tells_or_lies() {
    // About 3 MB packed, 3 GiB unpacked.
    let (sheet, unpacked) = deflate_bomb(3 * 1024);
    assert_eq!(unpacked, 3 << 30);
    for declared in [unpacked, 1_000] {
        let mut parts = zipfile::workbook_parts();
        parts.retain(|e| e.name != "xl/worksheets/sheet1.xml");
        parts.push(Entry {
            name: "xl/worksheets/sheet1.xml".into(),
            data: sheet.clone(),
            method: 8,
            crc: 0,
            size: declared as u32,
        });
        let bytes = zip(&parts);
        let err = read_table(&bytes, Format::Xlsx).unwrap_err();
        assert!(
            matches!(limit_of(&err), Limit::PartBytes | Limit::Ratio),
            "{err}"
        );
        assert!(
            err.to_string().contains("xl/worksheets/sheet1.xml"),
            "{err}"
        );
        assert!(
            err.to_string().contains("(limit: import.max_xlsx_"),
            "{err}"
        );
    }
    // Told honestly, the declared size alone refuses it.
    let limits = Limits {
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    let mut parts = zipfile::workbook_parts();
    parts.retain(|e| e.name != "xl/worksheets/sheet1.xml");
    parts.push(Entry {
        name: "xl/worksheets/sheet1.xml".into(),
        data: sheet,
        method: 8,
        crc: 0,
        size: unpacked as u32,
    });
    let err = read_table_limited(&zip(&parts), Format::Xlsx, &limits).unwrap_err();
    assert_eq!(limit_of(&err), Limit::PartBytes);
    assert_eq!(
        err.to_string(),
        "the workbook part xl/worksheets/sheet1.xml unpacks to more than 128 MiB (limit: import.max_xlsx_part_bytes)"
    );
}

#[test]
fn a_huge_cell_in_a_workbook_is_refused_before_it_is_read() {
    // One shared string of 400 MiB packs into about 400 KB; the part limit stops it.
    let (strings, unpacked) = deflate_repeat(
        br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>title</t></si><si><t>"#,
        b"x",
        400,
        b"</t></si></sst>",
    );
    let mut parts = zipfile::workbook_parts_with(
        r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData>"#,
    );
    parts.push(Entry {
        name: "xl/sharedStrings.xml".into(),
        data: strings,
        method: 8,
        crc: 0,
        size: unpacked as u32,
    });
    let bytes = zip(&parts);
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let err = read_table(&bytes, Format::Xlsx).unwrap_err();
    assert!(
        matches!(limit_of(&err), Limit::PartBytes | Limit::Ratio),
        "{err}"
    );

    // Within the part limits, a text longer than a cell may be is refused while the part is
    // checked: calamine never buffers it.
    let strings = [
        br#"<sst count="2" uniqueCount="2"><si><t>title</t></si><si><t>"#.as_slice(),
        &"沈".repeat(70_000).into_bytes(),
        b"</t></si></sst>",
    ]
    .concat();
    let mut parts = zipfile::workbook_parts_with(
        r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData>"#,
    );
    parts.push(stored("xl/sharedStrings.xml", &strings));
    let err = read_table(&zip(&parts), Format::Xlsx).unwrap_err();
    assert_eq!(limit_of(&err), Limit::CellChars);
    assert_eq!(
        err.to_string(),
        "the workbook part xl/sharedStrings.xml holds a text longer than 32,767 characters (limit: import.max_cell_chars)"
    );

    // A cell just over the limit (in characters, not bytes) is refused with its row and column.
    let cell = "沈".repeat(32_768);
    let bytes = workbook(&format!(
        r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row><row r="2"><c r="B2" t="inlineStr"><is><t>{cell}</t></is></c></row></sheetData>"#
    ));
    let err = read_table(&bytes, Format::Xlsx).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 2, column B: the cell is longer than 32,767 characters (limit: import.max_cell_chars)"
    );
    assert_eq!(
        err.detail_zh().as_deref(),
        Some("B 列：单元格超过 32,767 个字符（上限：import.max_cell_chars）")
    );
    // At the limit it is read.
    let ok = workbook(&format!(
        r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>{}</t></is></c></row></sheetData>"#,
        "沈".repeat(32_767)
    ));
    assert_eq!(read_table(&ok, Format::Xlsx).unwrap().rows.len(), 1);
}

#[test]
fn a_workbook_with_too_many_rows_is_refused_at_the_first_row_over() {
    let rows: String = (1..=12)
        .map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#))
        .collect();
    let bytes = workbook(&format!("<sheetData>{rows}</sheetData>"));
    let limits = Limits {
        max_rows: 10,
        ..Limits::default()
    };
    let err = read_table_limited(&bytes, Format::Xlsx, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file has more than 10 data rows (limit: import.max_rows)"
    );
    assert_eq!(
        err.detail_zh().as_deref(),
        Some("文件的数据行超过 10 行（上限：import.max_rows）")
    );
    let limits = Limits {
        max_rows: 11,
        ..Limits::default()
    };
    assert_eq!(
        read_table_limited(&bytes, Format::Xlsx, &limits)
            .unwrap()
            .rows
            .len(),
        11
    );
}

#[test]
fn an_archive_of_too_many_parts_is_refused_before_its_directory_is_read() {
    let mut parts = zipfile::workbook_parts();
    for i in 0..10_001 {
        parts.push(stored(&format!("x/{i}"), b""));
    }
    let err = read_table(&zip(&parts), Format::Xlsx).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the workbook has more than 10,000 parts (limit: a fixed limit)"
    );
}

#[test]
fn csv_with_a_huge_line_is_refused_while_it_is_read() {
    // 8 MiB on one line: refused at the row limit (1 MiB), before the reader buffers it all.
    let mut text = String::from("name,code\nok,1\n");
    text.push_str(&"x".repeat(8 << 20));
    text.push_str(",2\nafter,3\n");
    let err = read_table(text.as_bytes(), Format::Csv).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 3: the row is longer than 1 MiB (limit: import.max_row_bytes)"
    );
    // The same through the streaming reader: the rows before it are visited.
    let mut seen = Vec::new();
    let err = read_rows_limited(text.as_bytes(), Format::Csv, &Limits::default(), |e| {
        if let ReadEvent::Row { row, .. } = e {
            seen.push(row.line);
        }
        ControlFlow::Continue(())
    })
    .unwrap_err();
    assert_eq!(seen, [2]);
    assert_eq!(err.row(), Some(3));
    // A quoted cell spanning many short lines is one record, held to the same limit.
    let text = format!("a,b\n\"{}\",1\n", "short line\n".repeat(200_000));
    let err = read_table(text.as_bytes(), Format::Csv).unwrap_err();
    assert_eq!(err.row(), Some(2), "{err}");
    assert!(matches!(limit_of(&err), Limit::RowBytes));
}

#[test]
fn csv_cells_columns_and_rows_are_limited() {
    let cell = "x".repeat(32_768);
    let err = read_table(format!("a,b\n1,{cell}\n").as_bytes(), Format::Csv).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 2, column B: the cell is longer than 32,767 characters (limit: import.max_cell_chars)"
    );
    let header: Vec<String> = (0..201).map(|i| format!("c{i}")).collect();
    let err = read_table(format!("{}\n", header.join(",")).as_bytes(), Format::Csv).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 1: more than 200 columns (limit: import.max_columns)"
    );
    let limits = Limits {
        max_rows: 3,
        ..Limits::default()
    };
    let text = "a\n1\n2\n3\n4\n5\n";
    let err = read_table_limited(text.as_bytes(), Format::Csv, &limits).unwrap_err();
    assert_eq!(limit_of(&err), Limit::Rows);
    // Streaming stops at the first row over the limit.
    let mut rows = 0;
    let err = read_rows_limited(text.as_bytes(), Format::Csv, &limits, |e| {
        rows += usize::from(matches!(e, ReadEvent::Row { .. }));
        ControlFlow::Continue(())
    })
    .unwrap_err();
    assert_eq!((rows, limit_of(&err)), (3, Limit::Rows));
    let limits = Limits {
        max_file_bytes: 5,
        ..Limits::default()
    };
    let err = read_table_limited(text.as_bytes(), Format::Csv, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file is larger than 5 bytes (limit: import.max_upload_bytes)"
    );
    assert_eq!(
        err.detail_zh().as_deref(),
        Some("文件超过 5 bytes（上限：import.max_upload_bytes）")
    );
}

#[test]
fn jsonl_lines_keys_cells_and_rows_are_limited() {
    let line = format!("{{\"a\":\"{}\"}}\n", "x".repeat(2 << 20));
    let err = read_table(format!("{{\"a\":1}}\n{line}").as_bytes(), Format::Jsonl).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 2: the row is longer than 1 MiB (limit: import.max_row_bytes)"
    );
    let keys: Vec<String> = (0..201).map(|i| format!("\"k{i}\":1")).collect();
    let err = read_table(
        format!("{{{}}}\n", keys.join(",")).as_bytes(),
        Format::Jsonl,
    )
    .unwrap_err();
    assert_eq!(limit_of(&err), Limit::Columns);
    let err = read_table(
        format!("{{\"a\":\"{}\"}}\n", "x".repeat(40_000)).as_bytes(),
        Format::Jsonl,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 1, column a: the cell is longer than 32,767 characters (limit: import.max_cell_chars)"
    );
    let limits = Limits {
        max_rows: 2,
        ..Limits::default()
    };
    let err = read_table_limited(b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n", Format::Jsonl, &limits)
        .unwrap_err();
    assert_eq!(limit_of(&err), Limit::Rows);
}

#[test]
fn a_cell_naming_a_shared_string_the_workbook_lacks_is_an_error() {
    // calamine 0.26 panicked on this (an index out of bounds), found by fuzzing.
    let bytes = workbook(r#"<sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData>"#);
    let err = read_table(&bytes, Format::Xlsx).unwrap_err();
    assert!(matches!(err, ReadError::Xlsx(_)), "{err:?}");
    assert!(err.to_string().contains("damaged"), "{err}");
}
