//! End-to-end tests: build real files (GB18030 text, XLSX workbooks, JSONL)
//! and read them back.

use std::io::{Cursor, Read, Write};

use chengguo_io::{
    map_headers, read_table, write_csv, write_xlsx, Cell, Column, Format, ReadError, Row, Table,
};

fn csv(text: &str) -> Result<Table, ReadError> {
    read_table(text.as_bytes(), Format::Csv)
}

fn lines(table: &Table) -> Vec<usize> {
    table.rows.iter().map(|r| r.line).collect()
}

// ---------------------------------------------------------------- CSV

#[test]
fn gb18030_csv_with_chinese_headers() {
    let text =
        "单位名称,统一社会信用代码,金额\r\n沈阳某某科技有限公司, 91210106MA0XXXXX1K ,1234.5\r\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "test input must not be UTF-8"
    );

    let table = read_table(&bytes, Format::Csv).unwrap();
    assert_eq!(table.encoding, "GB18030");
    assert_eq!(table.headers, ["单位名称", "统一社会信用代码", "金额"]);
    assert_eq!(
        table.rows,
        [Row {
            line: 2,
            cells: vec![
                "沈阳某某科技有限公司".into(),
                "91210106MA0XXXXX1K".into(),
                "1234.5".into()
            ]
        }]
    );
}

#[test]
fn undecodable_bytes_name_the_row() {
    let mut bytes = encoding_rs::GB18030
        .encode("名称,代码\n甲,1\n")
        .0
        .into_owned();
    bytes.extend_from_slice(b"\xFF\xFF,2\n");
    let err = read_table(&bytes, Format::Csv).unwrap_err();
    assert_eq!(err, ReadError::Encoding { row: 3 });
    assert_eq!(err.row(), Some(3));
    assert!(err.to_string().starts_with("row 3: "), "{err}");
}

#[test]
fn utf8_bom_is_stripped() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice("名称,代码\n甲,001\n".as_bytes());
    let table = read_table(&bytes, Format::Csv).unwrap();
    assert_eq!(table.encoding, "UTF-8 (BOM)");
    assert_eq!(
        table.headers[0], "名称",
        "BOM must not stick to the first header"
    );
    assert_eq!(table.rows[0].cells, ["甲", "001"]);

    let plain = csv("名称,代码\n甲,001\n").unwrap();
    assert_eq!(plain.encoding, "UTF-8");
    assert_eq!(plain.rows, table.rows);
}

#[test]
fn multiline_cells_and_blank_rows_keep_row_numbers() {
    let text = "名称,备注\n\
                甲,\"第一行\n第二行\"\n\
                乙,x\n\
                \n\
                ,\n\
                丙\n";
    let table = csv(text).unwrap();
    assert_eq!(table.headers, ["名称", "备注"]);
    // Records start on lines 2, 4 and 7; line 5 is blank, line 6 has only
    // empty cells.
    assert_eq!(lines(&table), [2, 4, 7]);
    assert_eq!(table.rows[0].cells, ["甲", "第一行\n第二行"]);
    assert_eq!(table.rows[1].cells, ["乙", "x"]);
    // Short rows are padded.
    assert_eq!(table.rows[2].cells, ["丙", ""]);
}

#[test]
fn cells_and_headers_are_trimmed() {
    let table = csv(" 名称 ,\t代码\u{3000}\n  甲  , 1 \n").unwrap();
    assert_eq!(table.headers, ["名称", "代码"]);
    assert_eq!(table.rows[0].cells, ["甲", "1"]);
}

#[test]
fn tab_and_semicolon_separated() {
    let tsv = csv("名称\t代码\t备注\n甲,乙\t1\t\n").unwrap();
    assert_eq!(tsv.headers, ["名称", "代码", "备注"]);
    assert_eq!(tsv.rows[0].cells, ["甲,乙", "1", ""]);

    let ssv = csv("name;amount\nfoo;1,5\n").unwrap();
    assert_eq!(ssv.headers, ["name", "amount"]);
    assert_eq!(ssv.rows[0].cells, ["foo", "1,5"]);
}

#[test]
fn utf16_with_bom() {
    // What Excel's "Unicode Text" export produces.
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "名称\t代码\r\n甲\t1\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let table = read_table(&bytes, Format::Csv).unwrap();
    assert_eq!(table.encoding, "UTF-16LE (BOM)");
    assert_eq!(table.headers, ["名称", "代码"]);
    assert_eq!(table.rows[0].cells, ["甲", "1"]);
}

#[test]
fn too_many_cells_is_an_error_naming_the_row() {
    let err = csv("a,b,c,d\n1,2,3,4\n1,2,3,4,\n\n\n\n1,2,3,4,5\n").unwrap_err();
    assert_eq!(
        err,
        ReadError::TooManyCells {
            row: 7,
            cells: 5,
            columns: 4
        }
    );
    assert_eq!(
        err.to_string(),
        "row 7: 5 cells but the header has 4 columns"
    );
}

#[test]
fn trailing_empty_cells_are_not_too_many() {
    // Excel writes trailing separators for columns that were touched.
    let table = csv("a,b,,\n1,2,,\n3,,,\n").unwrap();
    assert_eq!(table.headers, ["a", "b"]);
    assert_eq!(table.rows[1].cells, ["3", ""]);
}

#[test]
fn duplicate_and_empty_headers_are_errors() {
    let err = csv("名称,代码,名称\n甲,1,乙\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 1, column C: duplicate header \"名称\" (also in column A)"
    );
    let err = csv("名称,,代码\n").unwrap_err();
    assert_eq!(
        err,
        ReadError::EmptyHeader {
            row: 1,
            column: "B".into()
        }
    );
}

#[test]
fn unclosed_quote_is_reported_where_it_opens() {
    let err = csv("名称,备注\n甲,1\n乙,\"oops\n丙,3\n").unwrap_err();
    assert_eq!(err, ReadError::UnclosedQuote { row: 3 });
}

#[test]
fn empty_input_is_an_error() {
    assert_eq!(csv("").unwrap_err(), ReadError::Empty);
    assert_eq!(csv("\n , \n").unwrap_err(), ReadError::Empty);
    // A header alone is fine.
    let table = csv("名称\n").unwrap();
    assert!(table.rows.is_empty());
}

// ---------------------------------------------------------------- XLSX

/// A workbook typed the way users do: a title-less blank first row, codes
/// typed as numbers, a date, money, a boolean.
fn user_workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date_fmt = XFormat::new().set_num_format("yyyy/m/d");
    let money_fmt = XFormat::new().set_num_format("#,##0.00");
    // Row 1 is left empty: the header is on row 2, from column B.
    for (c, h) in [
        "名称",
        "行政区划代码",
        "成立日期",
        "注册资本",
        "有效",
        "备注",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, 1 + c as u16, *h).unwrap();
    }
    ws.write_string(2, 1, "  甲公司 ").unwrap();
    ws.write_number(2, 2, 210106.0).unwrap();
    let date = ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
    ws.write_date_with_format(2, 3, &date, &date_fmt).unwrap();
    ws.write_number_with_format(2, 4, 1234.5, &money_fmt)
        .unwrap();
    ws.write_boolean(2, 5, true).unwrap();
    // Row 4 empty; row 5 has a fraction and a leading-zero code as text.
    ws.write_string(4, 1, "乙公司").unwrap();
    ws.write_string(4, 2, "010101").unwrap();
    ws.write_number(4, 4, 0.1 + 0.2).unwrap();
    ws.write_number(4, 6, 12345.0).unwrap(); // placeholder, see error test
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_cells_read_as_typed() {
    let table = read_table(&user_workbook(), Format::Xlsx).unwrap();
    assert_eq!(table.encoding, "XLSX");
    assert_eq!(
        table.headers,
        [
            "名称",
            "行政区划代码",
            "成立日期",
            "注册资本",
            "有效",
            "备注"
        ]
    );
    assert_eq!(lines(&table), [3, 5]);
    assert_eq!(
        table.rows[0].cells,
        ["甲公司", "210106", "2024-03-15", "1234.5", "true", ""]
    );
    assert_eq!(
        table.rows[1].cells,
        ["乙公司", "010101", "", "0.3", "", "12345"]
    );
}

/// Rewrite one sheet cell's XML inside an XLSX zip.
fn patch_sheet(xlsx: &[u8], from: &str, to: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().to_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(data).unwrap();
            assert!(xml.contains(from), "{xml}");
            data = xml.replace(from, to).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn xlsx_error_cell_names_row_and_column() {
    let xlsx = patch_sheet(
        &user_workbook(),
        r#"<c r="G5"><v>12345</v></c>"#,
        r#"<c r="G5" t="e"><v>#DIV/0!</v></c>"#,
    );
    let err = read_table(&xlsx, Format::Xlsx).unwrap_err();
    assert_eq!(
        err,
        ReadError::ErrorCell {
            row: 5,
            column: "G".into(),
            value: "#DIV/0!".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "row 5, column G: the cell contains the error #DIV/0!"
    );
}

#[test]
fn garbage_xlsx_is_an_error() {
    let err = read_table(b"PK\x03\x04 not really a zip", Format::Xlsx).unwrap_err();
    assert!(matches!(err, ReadError::Xlsx(_)), "{err:?}");
}

#[test]
fn write_xlsx_round_trips() {
    let rows = vec![
        vec![
            Cell::from("沈阳某某科技有限公司"),
            Cell::Text("012345".into()),
            Cell::Int(210106),
            Cell::Money { fen: 123_450 },
            Cell::Date("2024-03-15".into()),
        ],
        vec![
            Cell::Text("=HYPERLINK(\"x\")".into()),
            Cell::Empty,
            Cell::Int(-7),
            Cell::Money { fen: -5 },
            Cell::Empty,
        ],
        vec![
            Cell::Text("big".into()),
            Cell::Empty,
            Cell::Int(i64::MAX),
            Cell::Money { fen: 1 },
        ],
    ];
    let headers = ["单位名称", "代码", "区划", "金额", "日期"];
    let bytes = write_xlsx("成果/2024", &headers, &rows).unwrap();
    assert_eq!(Format::sniff(&bytes), Format::Xlsx);

    let table = read_table(&bytes, Format::Xlsx).unwrap();
    assert_eq!(table.headers, headers);
    assert_eq!(lines(&table), [2, 3, 4]);
    assert_eq!(
        table.rows[0].cells,
        [
            "沈阳某某科技有限公司",
            "012345",
            "210106",
            "1234.5",
            "2024-03-15"
        ]
    );
    // Text is never a formula; negative money keeps its cents.
    assert_eq!(
        table.rows[1].cells,
        ["=HYPERLINK(\"x\")", "", "-7", "-0.05", ""]
    );
    // Integers beyond 2^53 are kept exactly, as text.
    assert_eq!(
        table.rows[2].cells,
        ["big", "", i64::MAX.to_string().as_str(), "0.01", ""]
    );

    // The workbook carries the money format, frozen header and autofilter.
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(sheet.contains(r#"<autoFilter ref="A1:E4"/>"#), "{sheet}");
    assert!(sheet.contains(r#"state="frozen""#), "{sheet}");
    let mut styles = String::new();
    archive
        .by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains("#,##0.00"), "{styles}");
    assert!(styles.contains("yyyy-mm-dd"), "{styles}");
    assert!(styles.contains("<b/>"), "{styles}");
    let mut workbook = String::new();
    archive
        .by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut workbook)
        .unwrap();
    assert!(workbook.contains(r#"name="成果_2024""#), "{workbook}");
}

#[test]
fn write_xlsx_rejects_bad_dates() {
    let err = write_xlsx("s", &["日期"], &[vec![Cell::Date("2024/03/15".into())]]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 2, column A: invalid date \"2024/03/15\" (expected YYYY-MM-DD between 1900 and 9999)"
    );
}

// ---------------------------------------------------------------- CSV writing

#[test]
fn write_csv_round_trips() {
    let rows = vec![
        vec![
            "甲,乙".to_owned(),
            "第一行\n第二行".to_owned(),
            "说\"是\"".to_owned(),
        ],
        vec!["丙".to_owned(), String::new(), "1".to_owned()],
    ];
    let bytes = write_csv(&["名称", "备注", "引号"], &rows);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    assert!(bytes.ends_with(b"\r\n"));

    let table = read_table(&bytes, Format::Csv).unwrap();
    assert_eq!(table.encoding, "UTF-8 (BOM)");
    assert_eq!(table.headers, ["名称", "备注", "引号"]);
    assert_eq!(table.rows[0].cells, rows[0]);
    assert_eq!(table.rows[1].cells, rows[1]);
    // The second record starts after the embedded line break.
    assert_eq!(lines(&table), [2, 4]);
}

// ---------------------------------------------------------------- JSONL

#[test]
fn jsonl_union_of_keys_arrays_and_numbers() {
    let text = concat!(
        "{\"name\": \"甲\", \"keywords\": [\"稻\", \"麦\"], \"amount\": 1.50}\n",
        "\n",
        "{\"amount\": 12, \"name\": \"乙\", \"note\": null, \"code\": \"0101\"}\r\n",
        "{}\n",
        "{\"name\": \"丙\", \"ok\": true, \"meta\": {\"k\": 1}}\n",
    );
    assert_eq!(Format::sniff(text.as_bytes()), Format::Jsonl);
    let table = read_table(text.as_bytes(), Format::Jsonl).unwrap();
    assert_eq!(table.encoding, "JSONL");
    assert_eq!(
        table.headers,
        ["name", "keywords", "amount", "note", "code", "ok", "meta"]
    );
    assert_eq!(lines(&table), [1, 3, 5]);
    assert_eq!(table.rows[0].cells, ["甲", "稻;麦", "1.50", "", "", "", ""]);
    assert_eq!(table.rows[1].cells, ["乙", "", "12", "", "0101", "", ""]);
    assert_eq!(
        table.rows[2].cells,
        ["丙", "", "", "", "", "true", "{\"k\":1}"]
    );
}

#[test]
fn jsonl_bad_line_is_named() {
    let text =
        "{\"name\": \"甲\", \"keywords\": [\"a\"]}\n{\"name\": \"乙\",}\n{\"name\": \"丙\"}\n";
    let err = read_table(text.as_bytes(), Format::Jsonl).unwrap_err();
    assert!(matches!(err, ReadError::Json { line: 2, .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("line 2: invalid JSON: "),
        "{err}"
    );

    let err = read_table(b"{\"a\":1}\n[1,2]\n", Format::Jsonl).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: expected a JSON object, found an array"
    );
}

// ---------------------------------------------------------------- header mapping

const SCHEMA: &[Column] = &[
    Column {
        key: "name",
        aliases: &["名称", "单位名称"],
        required: true,
    },
    Column {
        key: "credit_code",
        aliases: &["统一社会信用代码", "信用代码"],
        required: true,
    },
    Column {
        key: "note",
        aliases: &["备注"],
        required: false,
    },
    Column {
        key: "division_code",
        aliases: &["行政区划代码"],
        required: false,
    },
];

#[test]
fn header_aliases_map_to_keys() {
    let table = csv("单位名称 ,Credit-Code,其他,division code*\n甲,91X,?,210106\n").unwrap();
    let mapped = map_headers(&table, SCHEMA).unwrap();
    let row = &mapped.rows()[0];
    assert_eq!(mapped.get(row, "name"), "甲");
    assert_eq!(mapped.get(row, "credit_code"), "91X");
    assert_eq!(mapped.get(row, "division_code"), "210106");
    assert!(!mapped.has("note"));
    assert_eq!(mapped.get(row, "note"), "");
    assert_eq!(mapped.unknown_columns(), ["其他"]);
    assert_eq!(mapped.header("credit_code"), Some("Credit-Code"));

    let e = mapped.error(row, "credit_code", "not a valid credit code");
    assert_eq!(e.to_string(), "row 2, Credit-Code: not a valid credit code");
}

#[test]
fn missing_and_ambiguous_columns_are_reported_together() {
    let table = csv("名称,单位名称,备注\n甲,乙,丙\n").unwrap();
    let errors = map_headers(&table, SCHEMA).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.row == 1));
    assert_eq!(errors[0].column, "单位名称");
    assert!(errors[0].message.contains("column A"), "{}", errors[0]);
    assert_eq!(
        errors[1].to_string(),
        "row 1, credit_code: required column is missing \
         (accepted headers: credit_code, 统一社会信用代码, 信用代码)"
    );
}

// ---------------------------------------------------------------- streaming

/// Everything `read_rows` hands out, as owned values: the header, then `(row, read, total)`.
fn stream(bytes: &[u8], format: Format, stop_after: usize) -> (Vec<String>, Vec<(Row, u64, u64)>) {
    let mut headers = Vec::new();
    let mut rows = Vec::new();
    chengguo_io::read_rows(bytes, format, |event| {
        match event {
            chengguo_io::ReadEvent::Header(t) => {
                assert!(rows.is_empty() && t.rows.is_empty());
                headers = t.headers.clone();
            }
            chengguo_io::ReadEvent::Row { row, read, total } => {
                rows.push((row.clone(), read, total))
            }
        }
        if rows.len() == stop_after {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    })
    .unwrap();
    (headers, rows)
}

/// The row numbers `read_rows` hands out from a CSV text before it fails, and the error.
fn rows_then_error(text: &str) -> (Vec<usize>, ReadError) {
    let mut seen = Vec::new();
    let err = chengguo_io::read_rows(text.as_bytes(), Format::Csv, |event| {
        if let chengguo_io::ReadEvent::Row { row, .. } = event {
            seen.push(row.line);
        }
        std::ops::ControlFlow::Continue(())
    })
    .unwrap_err();
    (seen, err)
}

#[test]
fn read_rows_streams_what_read_table_reads() {
    // Blank rows, a multi-line cell, short and trimmed rows: the same rows and row numbers.
    let text = "\n名称 ,代码,备注\n甲, 1 ,\"两\n行\"\n\n乙,2\n ,,\n丙,3,x,\n";
    let table = csv(text).unwrap();
    let (headers, rows) = stream(text.as_bytes(), Format::Csv, usize::MAX);
    assert_eq!(headers, table.headers);
    let streamed: Vec<Row> = rows.iter().map(|(r, _, _)| r.clone()).collect();
    assert_eq!(streamed, table.rows);
    // Progress is in bytes of the text and grows to its end.
    let reads: Vec<u64> = rows.iter().map(|(_, read, _)| *read).collect();
    assert!(reads.windows(2).all(|w| w[0] < w[1]), "{reads:?}");
    assert_eq!(
        rows.last().map(|(_, read, total)| (*read, *total)),
        Some((text.len() as u64, text.len() as u64))
    );

    // XLSX and JSONL stream the table they read, rows counted.
    let xlsx = user_workbook();
    let table = read_table(&xlsx, Format::Xlsx).unwrap();
    let (headers, rows) = stream(&xlsx, Format::Xlsx, usize::MAX);
    assert_eq!(headers, table.headers);
    assert_eq!(
        rows.iter().map(|(r, _, _)| r.clone()).collect::<Vec<_>>(),
        table.rows
    );
    assert_eq!(
        rows.last().map(|(_, read, total)| (*read, *total)),
        Some((table.rows.len() as u64, table.rows.len() as u64))
    );
    let jsonl = "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2}\n";
    let (headers, rows) = stream(jsonl.as_bytes(), Format::Jsonl, usize::MAX);
    assert_eq!(headers, ["a", "b"]);
    assert_eq!(rows.len(), 2);
}

#[test]
fn read_rows_stops_when_asked_and_at_the_first_error() {
    let text = "a,b\n1,2\n3,4\n5,6\n";
    let (_, rows) = stream(text.as_bytes(), Format::Csv, 2);
    assert_eq!(
        rows.iter().map(|(r, _, _)| r.line).collect::<Vec<_>>(),
        [2, 3]
    );

    // Rows before a broken one are handed out; the error names the broken row.
    let (seen, err) = rows_then_error("a,b\n1,2\n3,4,5\n6,7\n");
    assert_eq!(seen, [2]);
    assert_eq!(
        err,
        ReadError::TooManyCells {
            row: 3,
            cells: 3,
            columns: 2
        }
    );
    // An unclosed quote: the rows before it are handed out (checking for one takes no pass
    // over the file before the first row), and the error names the line where it opens,
    // however the lines end and wherever it is.
    let (seen, err) = rows_then_error("a,b\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n4,\"oops\r\n5,6\r\n");
    assert_eq!(seen, [2, 4]);
    assert_eq!(err, ReadError::UnclosedQuote { row: 6 });
    // Reports that show the row on its own get the message without it.
    assert_eq!(err.detail(), "a quoted cell starting here is never closed");
    let header = ReadError::EmptyHeader {
        row: 1,
        column: "B".into(),
    };
    assert_eq!(header.detail(), "column B: the header is empty");
    assert_eq!(ReadError::Empty.detail(), ReadError::Empty.to_string());
    for (text, row) in [("\"a,b\n1,2\n", 1), ("a,b\n1,\"2", 2), ("a,b\n\n\n\"", 4)] {
        assert_eq!(
            rows_then_error(text).1,
            ReadError::UnclosedQuote { row },
            "{text:?}"
        );
    }
    // A quoted cell closed on the last line, without a final line break, is fine.
    let (_, rows) = stream(b"a,b\n1,\"x\ny\"", Format::Csv, usize::MAX);
    assert_eq!(rows[0].0.cells, ["1", "x\ny"]);

    // A file without a header row is an error, as for `read_table`.
    assert_eq!(
        chengguo_io::read_rows(b" \n\n", Format::Csv, |_| std::ops::ControlFlow::Continue(
            ()
        )),
        Err(ReadError::Empty)
    );
}
