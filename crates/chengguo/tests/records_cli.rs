//! `chengguo import achievements|demands` as an operator uses it, on both databases.

use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use chengguo_store::Table;
use std::process::Command;

fn chengguo(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chengguo"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run chengguo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn example(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name)
        .display()
        .to_string()
}

async fn import_achievements_and_demands_all_or_nothing(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let s = &db.store;
    let before = s.count(Table::Achievements).await.unwrap();

    // --dry-run checks and writes nothing
    let csv = example("achievements.csv");
    let (rc, out, err) = chengguo(&[
        "import",
        "achievements",
        &csv,
        "--dry-run",
        "--database-url",
        &db.url,
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("GB18030") && out.contains("dry run"), "{out}");
    assert_eq!(s.count(Table::Achievements).await.unwrap(), before);

    let (rc, out, err) = chengguo(&["import", "achievements", &csv, "--database-url", &db.url]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("3 created"), "{out}");
    let (rc, out, _) = chengguo(&[
        "import",
        "achievements",
        &example("achievements.xlsx"),
        "--database-url",
        &db.url,
    ]);
    assert_eq!(rc, 0);
    assert!(out.contains("3 created"), "{out}");
    let (rc, out, _) = chengguo(&["import", "achievements", &csv, "--database-url", &db.url]);
    assert_eq!(rc, 0);
    assert!(
        out.contains("0 created, 0 updated, 3 unchanged"),
        "re-import: {out}"
    );
    assert_eq!(s.count(Table::Achievements).await.unwrap(), before + 6);

    // one bad row each (unknown owner, empty title, bad stage): nothing imported, non-zero exit,
    // every row and column named, the database unchanged
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let text = "成果编号,成果名称,完成单位统一社会信用代码,成果所处阶段\nB-1,好的一行,12210102DM0000004P,中试\nB-2,无主成果,91210106DM0000099X,中试\nB-3,,12210102DM0000004P,中试\nB-4,坏阶段,12210102DM0000004P,量产\n";
    std::fs::write(&bad, encoding_rs::GB18030.encode(text).0).unwrap();
    let audit = s.count(Table::AuditLog).await.unwrap();
    let (rc, _out, err) = chengguo(&[
        "import",
        "achievements",
        bad.to_str().unwrap(),
        "--database-url",
        &db.url,
    ]);
    assert_ne!(rc, 0);
    assert!(err.contains("row 3, 完成单位统一社会信用代码:"), "{err}");
    assert!(err.contains("row 4, 成果名称:"), "{err}");
    assert!(err.contains("row 5, 成果所处阶段:"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(s.count(Table::Achievements).await.unwrap(), before + 6);
    assert_eq!(s.count(Table::AuditLog).await.unwrap(), audit);

    let demands = s.count(Table::Demands).await.unwrap();
    let (rc, out, err) = chengguo(&[
        "import",
        "demands",
        &example("demands.jsonl"),
        "--database-url",
        &db.url,
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("3 created"), "{out}");
    assert_eq!(s.count(Table::Demands).await.unwrap(), demands + 3);
}
storage_test!(import_achievements_and_demands_all_or_nothing);
