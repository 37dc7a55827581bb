//! The search index across processes, on both databases: two servers on one database (the second
//! finds the index directory in use and keeps its own in memory), `chengguo import` run while they
//! are up, and `chengguo reindex`; both servers find the imported record without a restart.

#![cfg(unix)]

use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chengguo"));
    c.env_remove("DATABASE_URL");
    c
}

struct Server {
    child: Child,
    addr: String,
    printed: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str, index_dir: &std::path::Path) -> Server {
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .env("CHENGGUO_SEARCH_INDEX_DIR", index_dir)
        .env("CHENGGUO_SEARCH_SYNC_MS", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let mut addr = None;
    for _ in 0..20 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
        if let Some(rest) = line.split("http://").nth(1) {
            addr = Some(rest.split('/').next().unwrap().to_string());
            break;
        }
    }
    let addr = addr.unwrap_or_else(|| panic!("no URL printed: {printed}"));
    Server {
        child,
        addr,
        printed,
    }
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    String::from_utf8_lossy(&resp).into_owned()
}

/// Polls the search API until `needle` appears in the response (or gives up after 15 s, far
/// beyond the sync interval; the time it took is printed, not asserted: see docs/benchmarks.md).
fn wait_for(addr: &str, query: &str, needle: &str) -> Duration {
    let path = format!("/api/v1/search?q={}", pct(query));
    let start = Instant::now();
    loop {
        let resp = get(addr, &path);
        if resp.contains(needle) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{needle} not found at {addr}: {resp}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn import_while_two_servers_run(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let url = db.url.clone();
    let query = "离心压缩机叶轮气动优化";
    let (a, b) = tokio::task::spawn_blocking({
        let url = url.clone();
        let index = index.clone();
        move || (start(&url, &index), start(&url, &index))
    })
    .await
    .unwrap();
    assert!(a.printed.contains("search: index"), "{}", a.printed);
    assert!(
        b.printed.contains("in memory") && b.printed.contains("in use"),
        "the second server leaves the first one's directory alone: {}",
        b.printed
    );
    assert!(!get(&a.addr, &format!("/api/v1/search?q={}", pct(query))).contains("NEU-EX-001"));

    // Another process imports while both servers run.
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/achievements.csv"
    );
    let out = bin()
        .args(["import", "achievements", example, "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (ta, tb) = tokio::task::spawn_blocking({
        let (aa, ba) = (a.addr.clone(), b.addr.clone());
        move || {
            (
                wait_for(&aa, query, "NEU-EX-001"),
                wait_for(&ba, query, "NEU-EX-001"),
            )
        }
    })
    .await
    .unwrap();
    eprintln!("imported record findable after {ta:?} (server A) and {tb:?} (server B)");

    // `chengguo reindex` with the servers up: the request goes through the database.
    let out = bin()
        .args(["reindex", "--database-url", &url])
        .env("CHENGGUO_SEARCH_INDEX_DIR", &index)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("running server holds"), "{stdout}");
    tokio::task::spawn_blocking({
        let aa = a.addr.clone();
        move || wait_for(&aa, query, "NEU-EX-001")
    })
    .await
    .unwrap();
    drop(a);
    drop(b);

    // With no server up, reindex rebuilds the directory itself.
    let out = bin()
        .args(["reindex", "--database-url", &url, "--index-dir"])
        .arg(&index)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("rebuilt") && stdout.contains("documents"),
        "{stdout}"
    );
}
storage_test!(import_while_two_servers_run);
