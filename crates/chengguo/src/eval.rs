//! `chengguo eval search`: the search-quality evaluation on the CSL data set (the protocol of
//! `chengguo_search::eval_csl_with`; figures and how to reproduce them in docs/benchmarks.md).
//!
//! Corpus: the abstracts of CSL dev + test and the discipline-labelled FewCLUE abstracts; queries:
//! the titles of the chosen split; relevant document: the query record's own abstract.

use anyhow::{bail, Context, Result};
use chengguo_search::{eval_csl_with, EvalOptions, EvalReport};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// The files `--data` must hold.
const CSL_FILES: [&str; 3] = ["csl_dev.jsonl", "csl_test.jsonl", "fewclue_abstracts.jsonl"];

#[derive(Subcommand)]
pub enum EvalCmd {
    /// Search quality on CSL: MRR@10, Recall@10, the discipline share of the top 10, corpus
    /// size, number of queries, index build time and query latency. Prints a table, then one
    /// JSON line.
    Search(SearchArgs),
}

#[derive(Args)]
pub struct SearchArgs {
    /// Directory with csl_dev.jsonl, csl_test.jsonl and fewclue_abstracts.jsonl (in this
    /// repository's layout: ../shared/data/csl).
    #[arg(long)]
    data: PathBuf,
    /// Evaluate only the first N queries.
    #[arg(long)]
    limit: Option<usize>,
    /// Split whose titles are the queries. `test` is reserved for the independent evaluation:
    /// never tune on it.
    #[arg(long, default_value = "dev", value_parser = ["dev", "test"])]
    split: String,
    /// Print only the JSON line (no table).
    #[arg(long)]
    json: bool,
}

/// Runs an evaluation command; the exit code on success is 0.
pub async fn run(cmd: EvalCmd) -> Result<i32> {
    match cmd {
        EvalCmd::Search(args) => search(args).await,
    }
}

async fn search(args: SearchArgs) -> Result<i32> {
    let data = args.data.clone();
    if !data.is_dir() {
        bail!(
            "--data {}: no such directory; it must hold the CSL data ({}), see docs/benchmarks.md",
            data.display(),
            CSL_FILES.join(", ")
        );
    }
    let missing: Vec<&str> = CSL_FILES
        .iter()
        .copied()
        .filter(|f| !data.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "--data {}: missing {}; it must hold the CSL data ({}), see docs/benchmarks.md",
            data.display(),
            missing.join(", "),
            CSL_FILES.join(", ")
        );
    }
    let opts = EvalOptions {
        split: args.split.clone(),
        limit: args.limit,
        ..EvalOptions::default()
    };
    // Indexing and searching are CPU-bound and synchronous: keep them off the async workers.
    let report = tokio::task::spawn_blocking(move || eval_csl_with(&data, &opts))
        .await
        .context("the evaluation panicked")?
        .with_context(|| format!("evaluating search on {}", args.data.display()))?;
    if !args.json {
        print_table(&args.split, &report);
    }
    let mut json = serde_json::to_value(&report)?;
    if let Some(obj) = json.as_object_mut() {
        obj.insert("split".into(), serde_json::Value::String(args.split));
    }
    println!("{}", serde_json::to_string(&json)?);
    Ok(0)
}

fn print_table(split: &str, r: &EvalReport) {
    println!("| metric | value |");
    println!("|---|---:|");
    println!("| queries ({split} titles) | {} |", r.n_queries);
    println!("| corpus (abstracts) | {} |", r.corpus_size);
    println!("| MRR@10 | {:.4} |", r.mrr10);
    println!("| Recall@10 | {:.4} |", r.recall10);
    println!("| Recall@1 | {:.4} |", r.recall1);
    println!(
        "| discipline share of top 10 | {:.4} |",
        r.discipline_share10
    );
    println!("| index build (s) | {:.2} |", r.build_secs);
    println!(
        "| search p50 / p99 (ms) | {:.2} / {:.2} |",
        r.query_p50_ms, r.query_p99_ms
    );
}
