//! Parsers of untrusted input under property tests (issue #11, point 14): whatever the text, they
//! answer a value or an error, never a panic; where a format has a printer, parsing what it
//! prints gives the value back. `cargo test` runs a modest number of cases; for a long run:
//!
//! ```sh
//! PROPTEST_CASES=100000 cargo test -p chengguo-core --test fuzz
//! ```

use chengguo_core::codes::{CreditCode, DivisionCode};
use chengguo_core::contract::{parse_date, ContractInput};
use chengguo_core::money::Fen;
use chengguo_core::plan::{parse_plan, SHENYANG_2022};
use proptest::prelude::*;
use std::collections::HashMap;

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

/// Text as people (and attackers) type it into a field: arbitrary Unicode, or the characters
/// that numbers, dates and codes are made of.
fn field_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{0,20}",
        "[-+0-9.,，]{0,24}",
        "[0-9]{1,6}[-/.年][0-9]{1,3}[-/.月][0-9]{1,3}日?",
        "[0-9A-Z]{16,20}",
        "[ \t\u{3000}]{0,3}[0-9A-Za-z一-龥.,:;/-]{0,30}[ \t]{0,3}",
    ]
}

/// The plan file with a stretch of it replaced by random text (at a character boundary).
fn mutated_plan() -> impl Strategy<Value = String> {
    let chars = SHENYANG_2022.chars().count();
    (0..chars, 0usize..64, field_text()).prop_map(|(at, cut, insert)| {
        let mut s: String = SHENYANG_2022.chars().take(at).collect();
        s.push_str(&insert);
        s.extend(SHENYANG_2022.chars().skip(at + cut));
        s
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn fuzz_money_never_panics_and_round_trips(s in field_text(), fen in -(i64::MAX / 2)..(i64::MAX / 2)) {
        let _ = Fen::parse_yuan(&s);
        let _ = Fen::parse_non_negative(&s);
        let f = Fen(fen);
        prop_assert_eq!(Fen::parse_yuan(&f.to_yuan_string()), Ok(f));
        prop_assert_eq!(Fen::parse_yuan(&f.to_display()), Ok(f));
    }

    #[test]
    fn fuzz_money_extremes(fen in any::<i64>()) {
        let f = Fen(fen);
        let _ = Fen::parse_yuan(&f.to_yuan_string());
        let _ = f.to_display();
    }

    #[test]
    fn fuzz_dates_never_panic_and_round_trip(s in field_text(), y in 1900i32..=2999, m in 1u8..=12, d in 1u8..=28) {
        let _ = parse_date(&s);
        let text = format!("{y:04}-{m:02}-{d:02}");
        let date = parse_date(&text).unwrap();
        prop_assert_eq!(date.to_string(), text);
    }

    #[test]
    fn fuzz_codes_never_panic_and_round_trip(s in field_text(), first17 in "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}") {
        let _ = CreditCode::parse(&s);
        let _ = DivisionCode::parse(&s);
        let _ = chengguo_core::codes::credit_code_check_char(&s);
        if let Some(code) = CreditCode::with_check(&first17) {
            let parsed = CreditCode::parse(code.as_str());
            prop_assert!(parsed.is_ok(), "{}: {:?}", code.as_str(), parsed);
            let parsed = parsed.unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn fuzz_plan_files_never_panic(s in any::<String>()) {
        let _ = parse_plan(&s);
    }

    #[test]
    fn fuzz_mutated_plan_files_never_panic(s in mutated_plan()) {
        if let Err(errs) = parse_plan(&s) {
            prop_assert!(!errs.is_empty());
        }
    }

    #[test]
    fn fuzz_import_rows_never_panic(values in proptest::collection::vec(proptest::option::of(field_text()), 30)) {
        let contract_keys = chengguo_core::contract::IMPORT_COLUMNS.iter().map(|(k, _)| *k)
            .chain(["subtype", "valid_from", "valid_until", "seller_country", "plan_category"]);
        let row: HashMap<&str, Option<String>> = contract_keys.zip(values.iter().cloned()).collect();
        let _ = ContractInput::from_fields(|k| row.get(k).cloned().flatten()).into_new();

        for keys in [
            chengguo_core::achievement::IMPORT_COLUMNS.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            chengguo_core::demand::IMPORT_COLUMNS.iter().map(|(k, _)| *k).collect(),
            vec!["name", "credit_code", "division_code", "nature", "kind", "description"],
        ] {
            let object: serde_json::Map<String, serde_json::Value> = keys
                .iter()
                .zip(&values)
                .filter_map(|(k, v)| Some((k.to_string(), serde_json::Value::String(v.clone()?))))
                .collect();
            let object = serde_json::Value::Object(object);
            if let Ok(a) = serde_json::from_value::<chengguo_core::achievement::AchievementInput>(object.clone()) {
                let _ = a.clone().into_patch();
                let _ = a.into_new();
            }
            if let Ok(d) = serde_json::from_value::<chengguo_core::demand::DemandInput>(object.clone()) {
                let _ = d.into_new();
            }
            if let Ok(o) = serde_json::from_value::<chengguo_core::org::OrgInput>(object) {
                let _ = o.clone().into_patch();
                let _ = o.into_new();
            }
        }
    }
}
