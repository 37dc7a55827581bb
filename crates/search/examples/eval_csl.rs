//! Search quality on CSL: `cargo run --release -p chengguo-search --example eval_csl -- --data
//! ../shared/data/csl [--limit N] [--split dev] [--settings JSON]`.
//!
//! Prints the metrics as a table and then as one line of JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use chengguo_search::{eval_csl_with, EvalOptions, IndexSettings};

fn usage() -> ExitCode {
    eprintln!(
        "usage: eval_csl --data DIR [--limit N] [--split dev] [--settings JSON]\n\
         DIR holds csl_dev.jsonl, csl_test.jsonl and fewclue_abstracts.jsonl.\n\
         --settings overrides index/ranking settings, e.g. '{{\"ranking\":{{\"bigram_weight\":0}}}}'"
    );
    ExitCode::from(2)
}

/// Merges `patch` into `base` (objects recursively, other values replaced).
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}

fn main() -> ExitCode {
    let mut data: Option<PathBuf> = None;
    let mut opts = EvalOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--limit" => match args.next().and_then(|s| s.parse().ok()) {
                Some(n) => opts.limit = Some(n),
                None => return usage(),
            },
            "--split" => match args.next() {
                Some(s) => opts.split = s,
                None => return usage(),
            },
            "--settings" => {
                let Some(json) = args.next() else {
                    return usage();
                };
                let patch: serde_json::Value = match serde_json::from_str(&json) {
                    Ok(v) => v,
                    Err(e) => {
                        eprintln!("--settings: {e}");
                        return ExitCode::from(2);
                    }
                };
                let mut base = serde_json::to_value(&opts.settings).expect("settings serialize");
                merge(&mut base, patch);
                opts.settings = match serde_json::from_value::<IndexSettings>(base) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("--settings: {e}");
                        return ExitCode::from(2);
                    }
                };
            }
            _ => return usage(),
        }
    }
    let Some(data) = data else { return usage() };
    let report = match eval_csl_with(&data, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eval_csl: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("| metric | value |");
    println!("|---|---:|");
    println!("| queries ({} titles) | {} |", opts.split, report.n_queries);
    println!("| corpus (abstracts) | {} |", report.corpus_size);
    println!("| MRR@10 | {:.4} |", report.mrr10);
    println!("| Recall@10 | {:.4} |", report.recall10);
    println!("| Recall@1 | {:.4} |", report.recall1);
    println!(
        "| discipline share of top 10 | {:.4} |",
        report.discipline_share10
    );
    println!("| index build (s) | {:.2} |", report.build_secs);
    println!(
        "| search p50 / p99 (ms) | {:.2} / {:.2} |",
        report.query_p50_ms, report.query_p99_ms
    );
    println!(
        "{}",
        serde_json::to_string(&report).expect("report serializes")
    );
    ExitCode::SUCCESS
}
