//! `chengguo import …` refuses hostile files with the limit named (issue #11, finding 1: the
//! dry run of a 6.5 KB workbook aborted the process), and files over the upload size before
//! reading them; the limits are settings (`[import]`, `CHENGGUO_IMPORT_*`). On both databases.

#[path = "../../io/tests/hostile/zipfile.rs"]
#[allow(dead_code)]
mod zipfile;

use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use std::process::Command;

fn chengguo(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chengguo"))
        .args(args)
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("run chengguo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn hostile_files_are_refused_by_the_cli(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.xlsx");
    std::fs::write(
        &bomb,
        zipfile::workbook(
            r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ref</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>"#,
        ),
    )
    .unwrap();
    let bomb = bomb.to_str().unwrap();
    for what in ["achievements", "demands", "organizations", "contracts"] {
        let (rc, out, err) = chengguo(
            &["import", what, bomb, "--dry-run", "--database-url", &db.url],
            &[],
        );
        assert_eq!(rc, 1, "{what}: {out}{err}");
        assert!(
            err.contains("row 1048576, file: 超过 200 列（上限：import.max_columns） / more than 200 columns (limit: import.max_columns)"),
            "{what}: {err}"
        );
    }
    // The limit is a setting.
    let (rc, _, err) = chengguo(
        &[
            "import",
            "achievements",
            bomb,
            "--dry-run",
            "--database-url",
            &db.url,
        ],
        &[("CHENGGUO_IMPORT_MAX_COLUMNS", "20000")],
    );
    assert_eq!(rc, 1);
    assert!(!err.contains("import.max_columns"), "{err}");

    // A file over the upload size is refused before it is read.
    let csv = dir.path().join("big.csv");
    std::fs::write(&csv, "ref,title,owner_credit_code\n".repeat(10)).unwrap();
    let csv = csv.to_str().unwrap();
    for what in ["achievements", "contracts"] {
        let (rc, _, err) = chengguo(
            &["import", what, csv, "--dry-run", "--database-url", &db.url],
            &[("CHENGGUO_IMPORT_MAX_UPLOAD_BYTES", "100")],
        );
        assert_eq!(rc, 1, "{err}");
        assert!(
            err.contains("file: 文件超过 100 bytes（上限：import.max_upload_bytes） / the file is larger than 100 bytes (limit: import.max_upload_bytes)"),
            "{what}: {err}"
        );
    }

    // More than 1,000 problems: the first 1,000 printed, the total counted.
    let mut rows = String::from("ref,title,owner_credit_code\n");
    for i in 0..1200 {
        rows.push_str(&format!("R-{i},成果,91210106DM0000099X\n"));
    }
    let many = dir.path().join("many.csv");
    std::fs::write(&many, rows).unwrap();
    let (rc, _, err) = chengguo(
        &[
            "import",
            "achievements",
            many.to_str().unwrap(),
            "--dry-run",
            "--database-url",
            &db.url,
        ],
        &[],
    );
    assert_eq!(rc, 1);
    assert_eq!(err.lines().filter(|l| l.starts_with("row ")).count(), 1000);
    assert!(
        err.contains("… and 200 more (the first 1000 are listed)"),
        "{err}"
    );
    assert!(
        err.contains("1200 problem(s); nothing was imported"),
        "{err}"
    );
}
storage_test!(hostile_files_are_refused_by_the_cli);
