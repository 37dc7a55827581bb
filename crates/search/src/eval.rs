//! Search quality evaluation on CSL (the protocol of issue #4, see `docs/benchmarks.md`).
//!
//! Corpus: the abstracts of `csl_dev` + `csl_test` + the discipline-labelled FewCLUE abstracts
//! (7,867 documents). Queries: the titles of the chosen split. Relevant document: the query
//! record's own abstract. Reported: MRR@10, Recall@10 (and @1), and the mean share of the top 10
//! whose discipline is the query's (missing hits count as misses).

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::csl::read_jsonl;
use crate::error::{Result, SearchError};
use crate::index::{IndexSettings, SearchIndex};
use crate::{DocKind, Query, SearchDoc};

/// Evaluation parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalOptions {
    /// Split whose titles are the queries (`dev`; `test` is reserved for the independent
    /// evaluation and must not be used for tuning).
    pub split: String,
    /// Evaluate only the first `limit` queries.
    pub limit: Option<usize>,
    /// Index and ranking settings.
    pub settings: IndexSettings,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            split: "dev".to_string(),
            limit: None,
            settings: IndexSettings::default(),
        }
    }
}

/// Evaluation results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Mean reciprocal rank of the relevant document within the top 10.
    pub mrr10: f64,
    /// Share of queries whose relevant document is in the top 10.
    pub recall10: f64,
    /// Share of queries whose relevant document is ranked first.
    pub recall1: f64,
    /// Mean share of the top 10 in the query's discipline.
    pub discipline_share10: f64,
    /// Number of queries evaluated.
    pub n_queries: usize,
    /// Number of documents in the corpus.
    pub corpus_size: usize,
    /// Time to build (index + merge) the corpus index, seconds.
    pub build_secs: f64,
    /// Median latency of one search (query analysis, retrieval, re-ranking, facets,
    /// snippets), milliseconds.
    pub query_p50_ms: f64,
    /// 99th percentile search latency, milliseconds.
    pub query_p99_ms: f64,
}

/// Runs the CSL evaluation with default settings: queries are the titles of `split`
/// (`"dev"`), at most `limit` of them.
pub fn eval_csl(data_dir: &Path, split: &str, limit: Option<usize>) -> Result<EvalReport> {
    eval_csl_with(
        data_dir,
        &EvalOptions {
            split: split.to_string(),
            limit,
            ..EvalOptions::default()
        },
    )
}

/// Percentile (0..=100) of a sorted slice (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// [`eval_csl`] with explicit options.
pub fn eval_csl_with(data_dir: &Path, opts: &EvalOptions) -> Result<EvalReport> {
    if opts.split != "dev" && opts.split != "test" {
        return Err(SearchError::Invalid(format!(
            "unknown split {:?} (dev or test)",
            opts.split
        )));
    }
    let dev = read_jsonl(&data_dir.join("csl_dev.jsonl"))?;
    let test = read_jsonl(&data_dir.join("csl_test.jsonl"))?;
    let few = read_jsonl(&data_dir.join("fewclue_abstracts.jsonl"))?;

    // Corpus: (record id, discipline, abstract).
    let mut corpus: Vec<(String, Option<String>, String)> = Vec::new();
    for r in dev.iter().chain(test.iter()) {
        if let Some(a) = &r.abstract_ {
            corpus.push((r.id.clone(), r.discipline.clone(), a.clone()));
        }
    }
    for r in &few {
        if let (Some(d), Some(a)) = (&r.discipline, &r.abstract_) {
            corpus.push((r.id.clone(), Some(d.clone()), a.clone()));
        }
    }
    let id_of: std::collections::HashMap<&str, usize> = corpus
        .iter()
        .enumerate()
        .map(|(i, c)| (c.0.as_str(), i))
        .collect();

    let index = SearchIndex::in_memory_with(opts.settings.clone())?;
    let started = Instant::now();
    let docs = corpus
        .iter()
        .enumerate()
        .map(|(i, (rid, _, body))| SearchDoc {
            id: i as i64,
            kind: DocKind::Achievement,
            ref_: rid.clone(),
            body: body.clone(),
            visible_to: vec!["public".to_string()],
            ..SearchDoc::default()
        });
    index.rebuild(docs, 0)?;
    let build_secs = started.elapsed().as_secs_f64();

    let query_records = if opts.split == "dev" { &dev } else { &test };
    let mut queries: Vec<(&str, usize, Option<&str>)> = Vec::new();
    for r in query_records {
        if let (Some(title), Some(&rel)) = (&r.title, id_of.get(r.id.as_str())) {
            queries.push((title.as_str(), rel, r.discipline.as_deref()));
        }
    }
    if let Some(limit) = opts.limit {
        queries.truncate(limit);
    }
    if queries.is_empty() {
        return Err(SearchError::Invalid("no queries".into()));
    }

    let (mut rr, mut r10, mut r1, mut share) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut lat = Vec::with_capacity(queries.len());
    for &(title, rel, disc) in &queries {
        let q = Query {
            limit: 10,
            ..Query::text(title)
        };
        let t = Instant::now();
        let res = index.search(&q)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Some(pos) = res.hits.iter().position(|h| h.id as usize == rel) {
            rr += 1.0 / (pos as f64 + 1.0);
            r10 += 1.0;
            if pos == 0 {
                r1 += 1.0;
            }
        }
        if let Some(disc) = disc {
            let same = res
                .hits
                .iter()
                .filter(|h| corpus[h.id as usize].1.as_deref() == Some(disc))
                .count();
            share += same as f64 / 10.0;
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let n = queries.len() as f64;
    Ok(EvalReport {
        mrr10: rr / n,
        recall10: r10 / n,
        recall1: r1 / n,
        discipline_share10: share / n,
        n_queries: queries.len(),
        corpus_size: corpus.len(),
        build_secs,
        query_p50_ms: percentile(&lat, 50.0),
        query_p99_ms: percentile(&lat, 99.0),
    })
}
