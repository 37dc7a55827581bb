//! `chengguo plan load`: a good plan becomes the current plan (a new version each time); a
//! malformed one is refused with every problem as FILE:LINE:COLUMN: PATH: MESSAGE, on both
//! databases.

use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
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

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../plans/shenyang-2022.toml"
);

async fn plan_load_reports_every_error_with_its_location(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(PLAN).unwrap();
    let broken = text
        .replacen("format_version = 1", "format_version = 2", 1)
        .replacen("2025 = 50000000000", "2025 = \"lots\"", 1)
        .replacen("number = 19", "number = 18", 1);
    std::fs::write(&bad, broken).unwrap();
    let (code, _, err) = chengguo(&[
        "plan",
        "load",
        bad.to_str().unwrap(),
        "--database-url",
        &db.url,
    ]);
    assert_eq!(code, 1, "{err}");
    let line = |needle: &str| 1 + text.lines().position(|l| l.contains(needle)).unwrap();
    assert!(
        err.contains(&format!(
            "bad.toml:{}:18: format_version:",
            line("format_version = 1")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("bad.toml:{}:", line("2025 = 50000000000"))),
        "{err}"
    );
    assert!(
        err.contains("objectives[0].targets.2025: expected a number"),
        "{err}"
    );
    assert!(
        err.contains("tasks[18].number: duplicate task number 18"),
        "{err}"
    );
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(db.store.current_plan().await.unwrap().is_none());

    let (code, out, err) = chengguo(&["plan", "load", PLAN, "--database-url", &db.url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("19 tasks"), "{out}");
    let (code, out, _) = chengguo(&["plan", "load", PLAN, "--database-url", &db.url]);
    assert_eq!(code, 0);
    assert!(out.contains("version 2"), "{out}");
    assert_eq!(db.store.current_plan().await.unwrap().unwrap().version, 2);
}
storage_test!(plan_load_reports_every_error_with_its_location);
