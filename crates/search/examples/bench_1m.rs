//! Search and matching speed at scale.
//!
//! `cargo run --release -p chengguo-search --example bench_1m -- --data ../shared/data/csl
//! --records 1000000 --dir DIR [--queries 1000] [--matches 200] [--seed 42] [--reuse]
//! [--settings JSON]`
//!
//! Synthesizes `--records` achievements by recombining CSL titles and abstract sentences
//! (deterministic for a seed), indexes them into DIR (wiped first; with `--reuse` an existing
//! index of the right size is kept), merges the index into one segment, and reports build time,
//! index size, peak RSS, and latency percentiles of `search` over title queries and of
//! `more_like` (matching) over fresh synthesized documents.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use chengguo_search::csl::read_jsonl;
use chengguo_search::{
    percentile, DocKind, Facet, IndexSettings, MoreLike, Query, SearchDoc, SearchIndex,
};

/// SplitMix64: small, deterministic, good enough for sampling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Source {
    titles: Vec<String>,
    /// Sentences of each abstract.
    abstracts: Vec<Vec<String>>,
    keywords: Vec<Vec<String>>,
}

fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '。' | '.' | '；' | ';' | '！' | '？' | '!' | '?') && cur.chars().count() > 8
        {
            out.push(std::mem::take(&mut cur));
        }
    }
    if cur.chars().count() > 8 {
        out.push(cur);
    }
    out
}

fn load(data: &Path) -> chengguo_search::Result<Source> {
    let mut titles = Vec::new();
    let mut abstracts = Vec::new();
    let mut keywords = Vec::new();
    for file in [
        "csl_titles.jsonl",
        "csl_dev.jsonl",
        "csl_test.jsonl",
        "fewclue_abstracts.jsonl",
    ] {
        for r in read_jsonl(&data.join(file))? {
            if let Some(t) = r.title {
                titles.push(t);
            }
            if let Some(a) = r.abstract_ {
                let s = split_sentences(&a);
                if !s.is_empty() {
                    abstracts.push(s);
                    keywords.push(r.keywords);
                }
            }
        }
    }
    Ok(Source {
        titles,
        abstracts,
        keywords,
    })
}

const CHAINS: &[&str] = &[
    "新一代信息技术",
    "高端装备",
    "新材料",
    "生物医药",
    "新能源",
    "节能环保",
    "现代农业",
    "数字创意",
    "新能源汽车",
    "集成电路",
    "人工智能",
    "海洋经济",
];
const STAGES: &[&str] = &["实验室", "小试", "中试", "试生产", "产业化"];
const OWNER_KINDS: &[&str] = &[
    "university",
    "institute",
    "enterprise",
    "individual",
    "hospital",
];

/// One synthesized record: a title, 2–3 sentences of a base abstract and 1–3 of another
/// (~260 Chinese characters, like the records behind the reference figures).
fn synth(src: &Source, rng: &mut Rng, id: i64, kind: DocKind) -> SearchDoc {
    let title = src.titles[rng.below(src.titles.len())].clone();
    let base = rng.below(src.abstracts.len());
    let other = rng.below(src.abstracts.len());
    let mut body = String::new();
    for (which, n) in [(base, 2 + rng.below(2)), (other, 1 + rng.below(3))] {
        let sents = &src.abstracts[which];
        let start = rng.below(sents.len());
        for k in 0..n {
            if body.chars().count() > 260 {
                break;
            }
            body.push_str(&sents[(start + k) % sents.len()]);
        }
    }
    let keywords = src.keywords[base].clone();
    let district = format!(
        "{:02}{:02}{:02}",
        11 + rng.below(55),
        1 + rng.below(20),
        1 + rng.below(30)
    );
    let mut visible_to = vec!["public".to_string()];
    if rng.below(10) == 0 {
        visible_to = vec![format!("org:{}", rng.below(1000))];
    }
    SearchDoc {
        id,
        kind,
        ref_: format!("CG-{id:08}"),
        title,
        body,
        keywords,
        chain: vec![CHAINS[rng.below(CHAINS.len())].to_string()],
        tech_field: Some(format!("F{:02}", rng.below(40))),
        stage: Some(STAGES[rng.below(STAGES.len())].to_string()),
        district: Some(district),
        owner_kind: Some(OWNER_KINDS[rng.below(OWNER_KINDS.len())].to_string()),
        visible_to,
        updated_at: 1_500_000_000 + rng.below(300_000_000) as i64,
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}

/// Time this thread has spent waiting for a CPU so far (scheduler run-queue delay), in ns. It
/// is accounted each time the thread gets a CPU back, so its increase over a call is exact. The
/// machine is shared: wall-clock latency includes time other processes held the cores, and
/// wall-clock minus this wait is what the call itself took.
fn run_queue_wait_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Wall-clock latencies and the same without run-queue waits, in milliseconds.
#[derive(Default)]
struct Timings {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Timings {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let wait0 = run_queue_wait_ns();
        let t = Instant::now();
        let out = f();
        let wall = t.elapsed().as_secs_f64() * 1000.0;
        let waited = run_queue_wait_ns().saturating_sub(wait0) as f64 / 1e6;
        self.wall.push(wall);
        self.cpu.push((wall - waited).max(0.0));
        out
    }
    fn wall(&self) -> (f64, f64, f64, f64) {
        stats(self.wall.clone())
    }
    fn cpu(&self) -> (f64, f64, f64, f64) {
        stats(self.cpu.clone())
    }
}

/// The 1-minute load average (other processes share the two cores).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

/// p50, p95, p99, mean.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    (
        percentile(&v, 50.0),
        percentile(&v, 95.0),
        percentile(&v, 99.0),
        mean,
    )
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: bench_1m --data DIR --records N --dir INDEX_DIR [--queries 1000] [--matches 200] \
         [--seed 42] [--reuse] [--settings JSON]"
    );
    ExitCode::from(2)
}

fn run() -> Result<(), String> {
    let mut data: Option<PathBuf> = None;
    let mut dir: Option<PathBuf> = None;
    let (mut records, mut n_queries, mut n_matches, mut seed) =
        (1_000_000usize, 1000usize, 200usize, 42u64);
    let mut reuse = false;
    let mut settings = IndexSettings {
        writer_heap_bytes: 600_000_000,
        ..IndexSettings::default()
    };
    let mut args = std::env::args().skip(1);
    let num = |v: Option<String>| v.and_then(|s| s.parse::<u64>().ok()).ok_or("bad number");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--dir" => dir = args.next().map(PathBuf::from),
            "--records" => records = num(args.next())? as usize,
            "--queries" => n_queries = num(args.next())? as usize,
            "--matches" => n_matches = num(args.next())? as usize,
            "--seed" => seed = num(args.next())?,
            "--reuse" => reuse = true,
            "--settings" => {
                let json = args.next().ok_or("--settings JSON")?;
                let mut base = serde_json::to_value(&settings).map_err(|e| e.to_string())?;
                let patch: serde_json::Value =
                    serde_json::from_str(&json).map_err(|e| e.to_string())?;
                merge(&mut base, patch);
                settings = serde_json::from_value(base).map_err(|e| e.to_string())?;
            }
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let (Some(data), Some(dir)) = (data, dir) else {
        return Err("--data and --dir are required".into());
    };
    chengguo_search::warm_up();
    let src = load(&data).map_err(|e| e.to_string())?;
    eprintln!(
        "source: {} titles, {} abstracts; {} records into {}",
        src.titles.len(),
        src.abstracts.len(),
        records,
        dir.display()
    );

    let existing = if reuse {
        SearchIndex::open_with(&dir, settings.clone())
            .ok()
            .filter(|i| i.doc_count() == records as u64)
    } else {
        None
    };
    let (index, build) = match existing {
        Some(index) => {
            eprintln!("reusing the existing index");
            (index, None)
        }
        None => {
            let index =
                SearchIndex::create_with(&dir, settings.clone()).map_err(|e| e.to_string())?;
            let started = Instant::now();
            let mut rng = Rng(seed);
            let mut text_bytes = 0usize;
            let docs = (0..records).map(|i| {
                let d = synth(&src, &mut rng, i as i64, DocKind::Achievement);
                text_bytes += d.title.len() + d.body.len();
                if i > 0 && i % 100_000 == 0 {
                    eprintln!("  {i} records, {:.1} s", started.elapsed().as_secs_f64());
                }
                d
            });
            index.add_bulk(docs).map_err(|e| e.to_string())?;
            index.commit_synced(1).map_err(|e| e.to_string())?;
            let indexed = started.elapsed().as_secs_f64();
            let segments = index.segment_count();
            let m = Instant::now();
            index.optimize().map_err(|e| e.to_string())?;
            let merged = m.elapsed().as_secs_f64();
            (index, Some((indexed, segments, merged, text_bytes)))
        }
    };
    let size = dir_size(&dir);
    let rss_build = peak_rss_bytes();

    // Queries: titles of the pool (they occur as titles of indexed records).
    let mut rng = Rng(seed ^ 0x5EED);
    let queries: Vec<String> = (0..n_queries)
        .map(|_| src.titles[rng.below(src.titles.len())].clone())
        .collect();
    // Warm up (page cache, lazy structures), not timed.
    for q in queries.iter().take(50) {
        index
            .search(&Query::text(q.clone()))
            .map_err(|e| e.to_string())?;
    }
    let load_before = loadavg();
    let mut totals = 0u64;
    let mut search = Timings::default();
    for q in &queries {
        let r = search.time(|| index.search(&Query::text(q.clone())));
        totals += r.map_err(|e| e.to_string())?.total;
    }

    // The same queries as a viewer with an extra audience and a facet filter.
    let mut filtered = Timings::default();
    for (i, q) in queries.iter().enumerate() {
        let query = Query {
            visible_to: vec!["public".into(), format!("org:{}", i % 1000)],
            filters: vec![(Facet::Stage, STAGES[i % STAGES.len()].to_string())],
            ..Query::text(q.clone())
        };
        filtered
            .time(|| index.search(&query))
            .map_err(|e| e.to_string())?;
    }

    // Matching: fresh synthesized documents (not in the index) against all achievements.
    let mut rng = Rng(seed ^ 0xD3AD);
    let sources: Vec<SearchDoc> = (0..n_matches)
        .map(|i| synth(&src, &mut rng, i as i64, DocKind::Demand))
        .collect();
    let mut matching = Timings::default();
    let mut shared = 0usize;
    for d in &sources {
        let ml = MoreLike {
            title: d.title.clone(),
            body: d.body.clone(),
            keywords: d.keywords.clone(),
            target: Some(DocKind::Achievement),
            limit: 10,
            exclude: vec![],
            visible_to: Some(vec!["public".into()]),
        };
        let hits = matching
            .time(|| index.more_like(&ml))
            .map_err(|e| e.to_string())?;
        shared += hits.iter().map(|h| h.shared_terms.len()).sum::<usize>();
    }
    let load_after = loadavg();
    let rss = peak_rss_bytes();

    println!("| | value |");
    println!("|---|---:|");
    println!("| records | {} |", index.doc_count());
    if let Some((indexed, segments, merged, text_bytes)) = build {
        println!("| text indexed | {:.0} MB |", text_bytes as f64 / 1e6);
        println!(
            "| index build ({} writer threads) | {indexed:.1} s ({segments} segments) |",
            settings.writer_threads
        );
        println!("| merge into one segment | {merged:.1} s |");
        println!("| build total | {:.1} s |", indexed + merged);
    }
    println!("| index size on disk | {:.0} MB |", size as f64 / 1e6);
    println!(
        "| peak RSS (VmHWM) after build / overall | {:.2} / {:.2} GB |",
        rss_build as f64 / 1e9,
        rss as f64 / 1e9
    );
    println!(
        "| mean total hits per search | {:.0} |",
        totals as f64 / queries.len().max(1) as f64
    );
    println!(
        "| shared key terms per match | {:.1} |",
        shared as f64 / (sources.len() * 10).max(1) as f64
    );
    println!("| load average before / after the queries | {load_before} / {load_after} |");
    println!();
    println!(
        "| latency | wall-clock p50 / p95 / p99 / mean | without run-queue waits p50 / p95 / p99 |"
    );
    println!("|---|---:|---:|");
    for (name, t) in [
        (format!("search, {} title queries", queries.len()), &search),
        ("search + audience + facet filter".to_string(), &filtered),
        (
            format!("matching (more_like), {} docs", sources.len()),
            &matching,
        ),
    ] {
        let (w, c) = (t.wall(), t.cpu());
        println!(
            "| {name} | {:.1} / {:.1} / {:.1} / {:.1} ms | {:.1} / {:.1} / {:.1} ms |",
            w.0, w.1, w.2, w.3, c.0, c.1, c.2
        );
    }
    let j = |t: &Timings| {
        let (w, c) = (t.wall(), t.cpu());
        serde_json::json!({"p50": w.0, "p95": w.1, "p99": w.2, "mean": w.3,
            "unqueued_p50": c.0, "unqueued_p95": c.1, "unqueued_p99": c.2})
    };
    let json = serde_json::json!({
        "records": index.doc_count(),
        "build_secs": build.map(|b| b.0),
        "merge_secs": build.map(|b| b.2),
        "index_bytes": size,
        "peak_rss_bytes": rss,
        "search_ms": j(&search),
        "search_filtered_ms": j(&filtered),
        "matching_ms": j(&matching),
        "load_before": load_before,
        "load_after": load_after,
    });
    println!("{json}");
    Ok(())
}

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
    if std::env::args().len() <= 1 {
        return usage();
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_1m: {e}");
            ExitCode::FAILURE
        }
    }
}
