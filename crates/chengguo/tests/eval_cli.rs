//! `chengguo eval search` as a user runs it: on the CSL data in `../shared/data/csl` (relative to
//! the workspace root; the test is skipped when it is absent) and with a missing directory.

use std::path::PathBuf;
use std::process::Command;

fn chengguo(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chengguo"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CHENGGUO_CONFIG")
        .output()
        .expect("run chengguo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `../shared/data/csl` relative to the workspace root (two levels above this crate).
fn csl_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.join("../shared/data/csl")
}

/// The value of a `| name | value |` row of the printed table.
fn table_value(out: &str, name: &str) -> f64 {
    let prefix = format!("| {name} | ");
    let line = out
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no '{name}' row in:\n{out}"));
    line[prefix.len()..]
        .trim_end_matches(" |")
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("'{line}': {e}"))
}

#[test]
fn eval_search_on_csl_dev() {
    let dir = csl_dir();
    if !dir.join("csl_dev.jsonl").is_file() {
        println!(
            "SKIPPED eval_search_on_csl_dev: {} (../shared/data/csl) is absent",
            dir.display()
        );
        return;
    }
    let (rc, out, err) = chengguo(&[
        "eval",
        "search",
        "--data",
        dir.to_str().expect("utf-8 path"),
        "--limit",
        "50",
    ]);
    assert_eq!(rc, 0, "{out}{err}");

    // The table.
    let mrr = table_value(&out, "MRR@10");
    let recall = table_value(&out, "Recall@10");
    let share = table_value(&out, "discipline share of top 10");
    for (name, v) in [
        ("MRR@10", mrr),
        ("Recall@10", recall),
        ("discipline share", share),
    ] {
        assert!((0.0..=1.0).contains(&v), "{name} = {v} not in [0,1]\n{out}");
    }
    assert!(mrr > 0.5, "MRR@10 = {mrr}\n{out}");
    assert!(recall >= mrr, "Recall@10 {recall} < MRR@10 {mrr}");
    assert_eq!(table_value(&out, "queries (dev titles)"), 50.0, "{out}");
    assert!(table_value(&out, "corpus (abstracts)") > 1000.0, "{out}");

    // Then one JSON line with the same figures.
    let last = out.lines().last().expect("output");
    let json: serde_json::Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"));
    for key in ["mrr10", "recall10", "recall1", "discipline_share10"] {
        let v = json[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} in {last}"));
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }
    assert!(
        (json["mrr10"].as_f64().unwrap() - mrr).abs() < 1e-4,
        "{last}"
    );
    assert_eq!(json["n_queries"], 50, "{last}");
    assert_eq!(json["split"], "dev", "{last}");
    assert!(json["corpus_size"].as_u64().unwrap() > 1000, "{last}");
    for key in ["build_secs", "query_p50_ms", "query_p99_ms"] {
        assert!(json[key].as_f64().unwrap() >= 0.0, "{key} in {last}");
    }

    // --json prints the JSON line alone.
    let (rc, out, err) = chengguo(&[
        "eval",
        "search",
        "--data",
        dir.to_str().expect("utf-8 path"),
        "--limit",
        "5",
        "--json",
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(json["n_queries"], 5, "{out}");
}

#[test]
fn eval_search_missing_dir_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-csl");
    let (rc, out, err) = chengguo(&[
        "eval",
        "search",
        "--data",
        missing.to_str().unwrap(),
        "--limit",
        "50",
    ]);
    assert_ne!(rc, 0, "{out}{err}");
    assert!(err.contains("no such directory"), "{err}");
    assert!(err.contains("no-such-csl"), "{err}");
    assert!(err.contains("csl_dev.jsonl"), "{err}");

    // A directory without the files names what is missing.
    let (rc, out, err) = chengguo(&["eval", "search", "--data", tmp.path().to_str().unwrap()]);
    assert_ne!(rc, 0, "{out}{err}");
    assert!(err.contains("missing csl_dev.jsonl"), "{err}");
}
