//! Contracts at scale: generates a contracts CSV (1,000,000 rows by default), then times
//!
//! 1. `sqlite3`'s own `.import` of the CSV (no validation, no indexes): the raw load;
//! 2. `chengguo import contracts` of the same file into a fresh SQLite database (every row
//!    parsed and checked, parties resolved or created, one transaction);
//! 3. the statistics of one year for Shenyang (`Store::contract_stats`, the API's computation),
//!    checked against the sums computed while generating (exact to the fen);
//! 4. DuckDB running the same aggregation on the same CSV, from the file and from memory
//!    (`pip install duckdb`).
//!
//! ```text
//! cargo build --release -p chengguo --example bench_contracts
//! target/release/examples/bench_contracts --rows 1000000 --dir /tmp/cg-bench
//! ```
//! The `chengguo` binary next to the example's directory (`target/release/chengguo`) is used.

use anyhow::{bail, Context, Result};
use chengguo_core::contract::{parse_date, StatsFormula};
use chengguo_core::OrgKind;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

const SHENYANG: [&str; 13] = [
    "210102", "210103", "210104", "210105", "210106", "210111", "210112", "210113", "210114",
    "210115", "210123", "210124", "210181",
];
const ELSEWHERE: [&str; 10] = [
    "110108", "310115", "440305", "210202", "120116", "220104", "230103", "210302", "330106",
    "420111",
];
const CATEGORIES: [&str; 5] = [
    "development",
    "transfer",
    "licensing",
    "consulting",
    "service",
];

/// The expected figures of the benchmark's year, summed exactly while generating.
#[derive(Default, Debug)]
struct Expected {
    turnover_count: u64,
    turnover_fen: i128,
    tx_fen: i128,
    absorption_count: u64,
    absorption_fen: i128,
    local_count: u64,
    local_fen: i128,
}

struct Party {
    name: String,
    code: String,
    division: String,
    country: &'static str,
    nature: &'static str,
}

fn parties(rng: &mut Lcg) -> (Vec<Party>, Vec<Party>, Vec<Party>) {
    let mut local = Vec::new();
    let mut remote = Vec::new();
    for i in 0..6000usize {
        let d = SHENYANG[i % SHENYANG.len()];
        let (kind, nature) = match i % 10 {
            0 => (OrgKind::University, "022"),
            1 => (OrgKind::Institute, "021"),
            _ => (OrgKind::Enterprise, if i % 3 == 0 { "170" } else { "150" }),
        };
        local.push(Party {
            name: format!("沈阳基准测试单位{i:05}"),
            code: chengguo_store::demo::demo_credit_code(kind, d, 1_000_000 + i).to_string(),
            division: d.into(),
            country: "156",
            nature,
        });
    }
    for i in 0..4000usize {
        let d = ELSEWHERE[i % ELSEWHERE.len()];
        remote.push(Party {
            name: format!("外地基准测试企业{i:05}"),
            code: chengguo_store::demo::demo_credit_code(OrgKind::Enterprise, d, 2_000_000 + i)
                .to_string(),
            division: d.into(),
            country: "156",
            nature: "150",
        });
    }
    let abroad = (0..200usize)
        .map(|i| Party {
            name: format!("Benchmark Foreign Party {i:03}"),
            code: String::new(),
            division: String::new(),
            country: ["840", "276", "392", "410", "250"][i % 5],
            nature: "300",
        })
        .collect();
    let _ = rng.below(1);
    (local, remote, abroad)
}

fn generate(path: &Path, rows: usize, year: i32) -> Result<Expected> {
    let mut rng = Lcg(20_260_101);
    let (local, remote, abroad) = parties(&mut rng);
    let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "contract_no,title,category,signed_on,registered_on,registration_no,seller_name,seller_credit_code,seller_division_code,seller_nature,seller_country,buyer_name,buyer_credit_code,buyer_division_code,buyer_country,buyer_nature,contract_amount,tech_transaction_amount,tech_field,ip_type")?;
    let mut e = Expected::default();
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    for i in 0..rows {
        let seller = match rng.below(100) {
            0..=1 => &abroad[rng.below(abroad.len() as u64) as usize],
            2..=14 => &remote[rng.below(remote.len() as u64) as usize],
            _ => &local[rng.below(local.len() as u64) as usize],
        };
        let buyer = match rng.below(100) {
            0..=6 if !seller.code.is_empty() => &abroad[rng.below(abroad.len() as u64) as usize],
            7..=52 => &remote[rng.below(remote.len() as u64) as usize],
            _ => &local[rng.below(local.len() as u64) as usize],
        };
        let fen = match rng.below(10) {
            0..=6 => 2_000_000 + rng.below(300_000_000),
            _ => 300_000_000 + rng.below(5_000_000_000),
        } as i64;
        let tx = fen - rng.below(fen as u64 / 3 + 1) as i64;
        let y = 2021 + rng.below(6) as i32;
        let reg = format!("{y}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        let cat = CATEGORIES[rng.below(5) as usize];
        let seller_in = seller.division.starts_with("2101");
        let buyer_in = buyer.country == "156" && buyer.division.starts_with("2101");
        if reg >= from && reg <= to {
            if seller_in {
                e.turnover_count += 1;
                e.turnover_fen += fen as i128;
                e.tx_fen += tx as i128;
                if buyer_in {
                    e.local_count += 1;
                    e.local_fen += fen as i128;
                }
            }
            if buyer_in {
                e.absorption_count += 1;
                e.absorption_fen += fen as i128;
            }
        }
        writeln!(
            w,
            "B{i:07},基准测试技术合同{i},{cat},{y}-01-01,{reg},R{i:09},{},{},{},{},{},{},{},{},{},{},{}.{:02},{}.{:02},电子信息,未涉及",
            seller.name,
            seller.code,
            seller.division,
            seller.nature,
            seller.country,
            buyer.name,
            buyer.code,
            buyer.division,
            buyer.country,
            buyer.nature,
            fen / 100,
            fen % 100,
            tx / 100,
            tx % 100
        )?;
    }
    w.flush()?;
    Ok(e)
}

fn yuan(fen: i128) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn timed(cmd: &mut Command) -> Result<(f64, String)> {
    let t = Instant::now();
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    let secs = t.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok((secs, String::from_utf8_lossy(&out.stdout).into_owned()))
}

const DUCKDB: &str = r#"
import sys, time, duckdb
path, year = sys.argv[1], sys.argv[2]
src = f"read_csv('{path}', all_varchar=true, header=true)"
where = f"registered_on BETWEEN '{year}-01-01' AND '{year}-12-31'"
turnover = f"SELECT count(*), sum(CAST(contract_amount AS DECIMAL(18,2))) FROM {{}} WHERE seller_division_code LIKE '2101%' AND {where}"
grouped = f"""SELECT seller_division_code, buyer_division_code, buyer_country,
  CASE WHEN seller_nature IN ('021','022') THEN seller_nature ELSE '' END, category, count(*),
  sum(CAST(contract_amount AS DECIMAL(18,2))), sum(CAST(tech_transaction_amount AS DECIMAL(18,2)))
  FROM {{}} WHERE {where} AND (seller_division_code LIKE '2101%' OR (buyer_country = '156' AND buyer_division_code LIKE '2101%'))
  GROUP BY ALL"""
con = duckdb.connect()
def t(q):
    s = time.perf_counter(); r = con.execute(q).fetchall(); return time.perf_counter() - s, r
a, r1 = t(turnover.format(src))
b, _ = t(grouped.format(src))
s = time.perf_counter(); con.execute(f"CREATE TABLE c AS SELECT * FROM {src}"); load = time.perf_counter() - s
c = min(t(turnover.format('c'))[0] for _ in range(5))
d = min(t(grouped.format('c'))[0] for _ in range(5))
print(f"{duckdb.__version__} {a:.3f} {b:.3f} {load:.3f} {c:.4f} {d:.4f} {r1[0][0]} {r1[0][1]}")
"#;

#[tokio::main]
async fn main() -> Result<()> {
    let mut rows = 1_000_000usize;
    let mut dir = PathBuf::from("/tmp/chengguo-bench");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rows" => rows = args.next().context("--rows N")?.parse()?,
            "--dir" => dir = PathBuf::from(args.next().context("--dir DIR")?),
            other => bail!("unknown argument {other} (use --rows N --dir DIR)"),
        }
    }
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("contracts.csv");
    let year = 2025;
    let t = Instant::now();
    let e = generate(&csv, rows, year)?;
    let size = std::fs::metadata(&csv)?.len();
    println!(
        "generated {rows} rows, {:.0} MB, in {:.1} s",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // 1. sqlite3 .import, unvalidated.
    let raw = dir.join("raw.db");
    let _ = std::fs::remove_file(&raw);
    let (raw_secs, _) = timed(
        Command::new("sqlite3")
            .arg(&raw)
            .arg(format!(".import --csv {} contracts_raw", csv.display())),
    )?;
    println!(
        "sqlite3 .import: {raw_secs:.1} s ({:.0} rows/s)",
        rows as f64 / raw_secs
    );

    // 1b. The same unvalidated load into a table with indexes like the contracts table's (the
    // unique seller + number, both parties, the registration date): what index upkeep alone
    // costs sqlite3's own import.
    let indexed = dir.join("raw_indexed.db");
    let _ = std::fs::remove_file(&indexed);
    let mut header = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(std::fs::File::open(&csv)?),
        &mut header,
    )?;
    let header = header.trim_end();
    let columns: Vec<String> = header.split(',').map(|c| format!("\"{c}\" TEXT")).collect();
    timed(Command::new("sqlite3").arg(&indexed).arg(format!(
        "CREATE TABLE contracts_raw ({}); \
         CREATE UNIQUE INDEX raw_seller_no ON contracts_raw (seller_credit_code, contract_no); \
         CREATE INDEX raw_seller ON contracts_raw (seller_credit_code); \
         CREATE INDEX raw_buyer ON contracts_raw (buyer_credit_code); \
         CREATE INDEX raw_registered ON contracts_raw (registered_on);",
        columns.join(", ")
    )))?;
    let (indexed_secs, _) = timed(Command::new("sqlite3").arg(&indexed).arg(format!(
        ".import --csv --skip 1 {} contracts_raw",
        csv.display()
    )))?;
    println!(
        "sqlite3 .import into an indexed table: {indexed_secs:.1} s ({:.0} rows/s)",
        rows as f64 / indexed_secs
    );

    // 2. chengguo import contracts.
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("chengguo"))
        .context("locating the chengguo binary")?;
    let db = dir.join("bench.db");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let url = format!("sqlite://{}", db.display());
    timed(Command::new(&bin).args(["migrate", "--database-url", &url]))?;
    // A million rows in 253 MB are over the default import limits (64 MiB, 100,000 rows).
    let (import_secs, out) = timed(
        Command::new(&bin)
            .args([
                "import",
                "contracts",
                csv.to_str().context("path")?,
                "--database-url",
                &url,
            ])
            .env("CHENGGUO_IMPORT_MAX_UPLOAD_BYTES", "1073741824")
            .env("CHENGGUO_IMPORT_MAX_ROWS", (rows + 1).to_string()),
    )?;
    print!("{out}");
    println!(
        "chengguo import contracts: {import_secs:.1} s ({:.0} rows/s), {:.2}× the raw load, \
         {:.2}× the raw load into an indexed table",
        rows as f64 / import_secs,
        import_secs / raw_secs,
        import_secs / indexed_secs
    );

    // 3. Statistics of one year for Shenyang, cold then warm.
    let store = chengguo_store::Store::open(&url).await?;
    let from = parse_date(&format!("{year}-01-01"))?;
    let to = parse_date(&format!("{year}-12-31"))?;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..6 {
        let t = Instant::now();
        let s = store
            .contract_stats("2101", from, to, StatsFormula::default())
            .await?;
        times.push(t.elapsed().as_secs_f64());
        last = Some(s);
    }
    let s = last.context("stats")?.stats;
    let ok = s.turnover.count == e.turnover_count
        && i128::from(s.turnover.contract_amount.0) == e.turnover_fen
        && i128::from(s.turnover.tech_transaction_amount.0) == e.tx_fen
        && s.absorption.total.count == e.absorption_count
        && i128::from(s.absorption.total.contract_amount.0) == e.absorption_fen
        && s.output.local.count == e.local_count
        && i128::from(s.output.local.contract_amount.0) == e.local_fen;
    println!(
        "statistics {year}, region 2101: first {:.3} s, then best {:.3} s; turnover {} contracts, {} yuan (expected {} / {}); {}",
        times[0],
        times[1..].iter().cloned().fold(f64::MAX, f64::min),
        s.turnover.count,
        s.turnover.contract_amount,
        e.turnover_count,
        yuan(e.turnover_fen),
        if ok { "EXACT to the fen" } else { "MISMATCH" }
    );
    if !ok {
        bail!("statistics differ from the generated sums: {e:?}");
    }

    // 4. DuckDB on the same CSV.
    match Command::new("python3")
        .args([
            "-c",
            DUCKDB,
            csv.to_str().context("path")?,
            &year.to_string(),
        ])
        .output()
    {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let v: Vec<&str> = text.split_whitespace().collect();
            println!(
                "duckdb {}: turnover from the CSV {} s, full grouping from the CSV {} s; load into memory {} s; from memory: turnover {} s, full grouping {} s (turnover {} / {})",
                v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
            );
        }
        Ok(o) => println!("duckdb failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(err) => println!("duckdb not run: {err}"),
    }
    store.close().await;
    Ok(())
}
