//! The readers under property tests (issue #11, point 14): CSV, JSONL and XLSX from random
//! bytes, from random text of the characters their syntax is made of, and (XLSX) from valid
//! workbooks with bytes flipped, cut or their XML mutated. Whatever the input, a reader answers
//! a table or an error, never a panic, and `read_rows` agrees with `read_table`. `cargo test`
//! runs a modest number of cases; for a long run:
//!
//! ```sh
//! PROPTEST_CASES=100000 cargo test -p chengguo-io --test fuzz
//! ```

#[path = "hostile/zipfile.rs"]
#[allow(dead_code)]
mod zipfile;

use chengguo_io::{
    read_rows_limited, read_table_limited, write_xlsx, Cell, Format, Limits, ReadEvent,
};
use proptest::prelude::*;
use std::ops::ControlFlow;

fn config(default_cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default_cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Small limits, so that random inputs reach them too.
fn small_limits() -> Limits {
    Limits {
        max_file_bytes: 1 << 20,
        max_rows: 20,
        max_columns: 8,
        max_cell_chars: 40,
        max_row_bytes: 200,
        max_part_bytes: 1 << 20,
        max_ratio: 100,
    }
}

/// Reads with both readers and checks that they agree: the same rows, or both an error.
fn read_both(bytes: &[u8], format: Format, limits: &Limits) -> Result<(), TestCaseError> {
    let table = read_table_limited(bytes, format, limits);
    let mut header = None;
    let mut rows = Vec::new();
    let streamed = read_rows_limited(bytes, format, limits, |e| {
        match e {
            ReadEvent::Header(t) => header = Some(t.headers.clone()),
            ReadEvent::Row { row, .. } => rows.push(row.clone()),
        }
        ControlFlow::Continue(())
    });
    match (&table, &streamed) {
        (Ok(t), Ok(enc)) => {
            prop_assert_eq!(&t.encoding, enc);
            prop_assert_eq!(Some(&t.headers), header.as_ref());
            prop_assert_eq!(&t.rows, &rows);
            prop_assert!(t.rows.len() <= limits.max_rows);
            prop_assert!(t.headers.len() <= limits.max_columns);
            for r in &t.rows {
                prop_assert_eq!(r.cells.len(), t.headers.len());
                for c in &r.cells {
                    prop_assert!(c.chars().count() <= limits.max_cell_chars);
                }
            }
        }
        (Err(a), Err(b)) => prop_assert_eq!(a, b),
        _ => prop_assert!(false, "read_table {table:?} but read_rows {streamed:?}"),
    }
    Ok(())
}

/// Text of the characters delimited text is made of.
fn csv_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just(",".to_string()),
            Just(";".to_string()),
            Just("\t".to_string()),
            Just("\"".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just(" ".to_string()),
            "[a-c0-9]{1,3}",
            "[沈阳甲乙]{1,2}",
            "\\PC{0,3}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

/// Text of the characters JSON lines are made of.
fn jsonl_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(":".to_string()),
            Just(",".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("\n".to_string()),
            Just("null".to_string()),
            Just("\"k\":".to_string()),
            Just("{\"a\":".to_string()),
            "[a-c0-9.e+-]{1,3}",
            "\\PC{0,2}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// XML of a sheet: rows, cells of every type, references right and wrong.
fn sheet_xml() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("<row>".to_string()),
            Just("</row>".to_string()),
            "<row r=\"[0-9]{1,8}\">",
            "<c r=\"[A-Z]{1,4}[0-9]{1,8}\">",
            "<c r=\"[A-Z0-9]{0,6}\" t=\"(s|str|inlineStr|b|e|n|d)\">",
            Just("<c>".to_string()),
            Just("</c>".to_string()),
            "<v>[-0-9.eE]{0,6}</v>",
            "<v>\\PC{0,4}</v>",
            "<is><t>\\PC{0,6}</t></is>",
            Just("<f>SUM(A1:A2)</f>".to_string()),
            "<dimension ref=\"[A-Z]{1,3}[0-9]{1,7}(:[A-Z]{1,3}[0-9]{1,7})?\"/>",
            Just("<sheetData>".to_string()),
            Just("</sheetData>".to_string()),
            "\\PC{0,3}",
        ],
        0..30,
    )
    .prop_map(|parts| format!("<sheetData>{}</sheetData>", parts.concat()))
}

/// A valid workbook as the platform writes exports, to mutate.
fn valid_workbook() -> Vec<u8> {
    let rows = vec![
        vec![
            Cell::Text("甲".into()),
            Cell::Int(1),
            Cell::Money { fen: 250 },
        ],
        vec![
            Cell::Text("乙".into()),
            Cell::Date("2025-03-01".into()),
            Cell::Empty,
        ],
    ];
    write_xlsx("Sheet1", &["名称", "编号", "金额"], &rows).unwrap()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn fuzz_csv_never_panics(text in csv_text(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        read_both(text.as_bytes(), Format::Csv, &small_limits())?;
        read_both(text.as_bytes(), Format::Csv, &Limits::default())?;
        read_both(&bytes, Format::Csv, &small_limits())?;
        let gb = encoding_rs::GB18030.encode(&text).0;
        read_both(&gb, Format::Csv, &small_limits())?;
    }

    #[test]
    fn fuzz_jsonl_never_panics(text in jsonl_text(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        read_both(text.as_bytes(), Format::Jsonl, &small_limits())?;
        read_both(text.as_bytes(), Format::Jsonl, &Limits::default())?;
        read_both(&bytes, Format::Jsonl, &small_limits())?;
    }

    #[test]
    fn fuzz_xlsx_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend(&bytes);
        read_both(&zipped, Format::Xlsx, &small_limits())?;
        read_both(&bytes, Format::Xlsx, &small_limits())?;
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn fuzz_xlsx_sheet_xml_never_panics(sheet in sheet_xml()) {
        let bytes = zipfile::workbook(&sheet);
        read_both(&bytes, Format::Xlsx, &small_limits())?;
        read_both(&bytes, Format::Xlsx, &Limits::default())?;
    }

    #[test]
    fn fuzz_mutated_workbooks_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = valid_workbook();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if let Some(at) = cut {
            let n = at.index(bytes.len());
            bytes.truncate(n);
        }
        read_both(&bytes, Format::Xlsx, &small_limits())?;
    }
}

#[test]
fn the_valid_workbook_reads() {
    let t = read_table_limited(&valid_workbook(), Format::Xlsx, &small_limits()).unwrap();
    assert_eq!(t.headers, ["名称", "编号", "金额"]);
    assert_eq!(t.rows.len(), 2);
}
