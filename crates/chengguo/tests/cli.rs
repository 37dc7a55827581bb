//! The binary as an operator uses it, on both databases.

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

fn code(n: usize) -> String {
    chengguo_store::demo::demo_credit_code(chengguo_core::OrgKind::Enterprise, "210106", 7000 + n)
        .to_string()
}

fn gb18030_file(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, encoding_rs::GB18030.encode(text).0).unwrap();
    p.display().to_string()
}

async fn import_organizations_gb18030_all_or_nothing(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let good = gb18030_file(
        dir.path(),
        "orgs.csv",
        &format!(
            "name,credit_code,division_code,nature,kind\n沈阳甲科技有限公司,{},210106,150,enterprise\n沈阳乙研究院,{},210112,021,institute\n",
            code(1),
            code(2)
        ),
    );
    let (rc, out, err) = chengguo(&["import", "organizations", &good, "--database-url", &db.url]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("GB18030"), "{out}");
    assert!(out.contains("2 created"), "{out}");
    assert_eq!(db.store.count(Table::Organizations).await.unwrap(), 2);
    assert_eq!(
        db.store
            .org_by_credit_code(&code(1))
            .await
            .unwrap()
            .unwrap()
            .name,
        "沈阳甲科技有限公司"
    );

    // One bad row: nothing imported, non-zero exit, the row and column named.
    let bad = gb18030_file(
        dir.path(),
        "bad.csv",
        &format!(
            "name,credit_code,division_code,nature,kind\n丙公司,{},210106,150,enterprise\n丁公司,{}X,210106,150,enterprise\n",
            code(3),
            &code(4)[..17]
        ),
    );
    let (rc, _out, err) = chengguo(&["import", "organizations", &bad, "--database-url", &db.url]);
    assert_ne!(rc, 0);
    assert!(err.contains("row 3, credit_code:"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(db.store.count(Table::Organizations).await.unwrap(), 2);

    // --dry-run writes nothing even when valid.
    let ok3 = gb18030_file(
        dir.path(),
        "ok3.csv",
        &format!(
            "name,credit_code,division_code,nature,kind\n丙公司,{},210106,150,enterprise\n",
            code(3)
        ),
    );
    let (rc, out, _) = chengguo(&[
        "import",
        "organizations",
        &ok3,
        "--dry-run",
        "--database-url",
        &db.url,
    ]);
    assert_eq!(rc, 0);
    assert!(out.contains("dry run"));
    assert_eq!(db.store.count(Table::Organizations).await.unwrap(), 2);
}
storage_test!(import_organizations_gb18030_all_or_nothing);

async fn audit_verify_detects_a_hand_edit(db: &TestDb) {
    let (rc, out, err) = chengguo(&["audit", "verify", "--database-url", &db.url]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("0 entries verified"));
    chengguo_store::demo::load(&db.store).await.unwrap();
    let (rc, out, _) = chengguo(&["audit", "verify", "--database-url", &db.url]);
    assert_eq!(rc, 0);
    assert!(out.contains("intact"));
    // The log is append-only (migration 0011); a forger with the owner's rights drops the guard.
    db.store.drop_audit_guard().await.unwrap();
    db.store
        .execute_raw("UPDATE audit_log SET change = '{\"name\":\"forged\"}' WHERE seq = 4")
        .await
        .unwrap();
    let (rc, _, err) = chengguo(&["audit", "verify", "--database-url", &db.url]);
    assert_ne!(rc, 0);
    assert!(err.contains("audit entry 4"), "{err}");
}
storage_test!(audit_verify_detects_a_hand_edit);

async fn admin_users_tokens_backup_and_migrate(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let neu = db
        .store
        .list_orgs(&chengguo_store::OrgQuery {
            q: Some("东北大学".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let neu_code = neu.items[0].credit_code.clone();
    let (rc, out, err) = chengguo(&[
        "admin",
        "create-user",
        "--database-url",
        &db.url,
        "--username",
        "tto",
        "--password",
        "s3cret-pass",
        "--role",
        "unit",
        "--org",
        &neu_code,
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    let u = db.store.user_by_username("tto").await.unwrap().unwrap();
    assert_eq!(u.org_id, Some(neu.items[0].id));

    let (rc, _, err) = chengguo(&[
        "admin",
        "create-user",
        "--database-url",
        &db.url,
        "--username",
        "x",
        "--password",
        "short",
        "--role",
        "unit",
    ]);
    assert_ne!(rc, 0);
    assert!(err.contains("at least 8"), "{err}");
    let (rc, _, err) = chengguo(&[
        "admin",
        "create-user",
        "--database-url",
        &db.url,
        "--username",
        "y",
        "--password",
        "Long enough 1",
        "--role",
        "king",
    ]);
    assert_ne!(rc, 0);
    assert!(err.contains("unknown role"), "{err}");

    let (rc, out, _) = chengguo(&[
        "admin",
        "create-token",
        "--database-url",
        &db.url,
        "--username",
        "tto",
    ]);
    assert_eq!(rc, 0);
    let token = out.lines().last().unwrap().trim();
    assert_eq!(
        db.store.token_user(token).await.unwrap().unwrap().username,
        "tto"
    );

    // The password policy, resets, disabling, token listing and revocation (issue #11).
    for weak in ["        ", "alllowercase", "tto-TTO"] {
        let (rc, _, err) = chengguo(&[
            "admin",
            "create-user",
            "--database-url",
            &db.url,
            "--username",
            "weak",
            "--password",
            weak,
            "--role",
            "unit",
        ]);
        assert_ne!(rc, 0, "{weak:?}");
        assert!(err.contains("--password"), "{err}");
    }
    let (rc, out, err) = chengguo(&[
        "admin",
        "list-tokens",
        "--database-url",
        &db.url,
        "--username",
        "tto",
    ]);
    assert_eq!(rc, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.contains("tto"))
        .expect("tto's token listed");
    assert!(
        line.contains("active") && line.contains("last used"),
        "{line}"
    );
    let id = line.split_whitespace().next().unwrap().to_string();
    let (rc, out, err) = chengguo(&[
        "admin",
        "revoke-token",
        "--database-url",
        &db.url,
        "--id",
        &id,
    ]);
    assert_eq!(rc, 0, "{err}");
    assert!(out.contains("revoked"), "{out}");
    assert!(db.store.token_user(token).await.unwrap().is_none());
    let (_, out, _) = chengguo(&["admin", "list-tokens", "--database-url", &db.url]);
    assert!(
        out.lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked")),
        "{out}"
    );
    let (rc, _, err) = chengguo(&[
        "admin",
        "reset-password",
        "--database-url",
        &db.url,
        "--username",
        "tto",
        "--password",
        "weakweak",
    ]);
    assert_ne!(rc, 0);
    assert!(err.contains("--password"), "{err}");
    let (rc, _, err) = chengguo(&[
        "admin",
        "reset-password",
        "--database-url",
        &db.url,
        "--username",
        "tto",
        "--password",
        "New-pass-2026",
    ]);
    assert_eq!(rc, 0, "{err}");
    assert!(db
        .store
        .check_password("tto", "New-pass-2026")
        .await
        .unwrap()
        .is_some());
    let (rc, _, err) = chengguo(&[
        "admin",
        "disable-user",
        "--database-url",
        &db.url,
        "--username",
        "tto",
    ]);
    assert_eq!(rc, 0, "{err}");
    assert!(db
        .store
        .check_password("tto", "New-pass-2026")
        .await
        .unwrap()
        .is_none());
    let (rc, _, err) = chengguo(&[
        "admin",
        "enable-user",
        "--database-url",
        &db.url,
        "--username",
        "tto",
    ]);
    assert_eq!(rc, 0, "{err}");
    assert!(db
        .store
        .check_password("tto", "New-pass-2026")
        .await
        .unwrap()
        .is_some());
    let actions: Vec<String> = db
        .store
        .audit_list(&chengguo_store::AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.entry.action)
        .collect();
    for a in ["revoke", "password_reset", "disable", "enable"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }

    let (rc, out, _) = chengguo(&["migrate", "--database-url", &db.url]);
    assert_eq!(rc, 0);
    assert!(out.contains("up to date"));

    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b.db");
    let (rc, out, err) = chengguo(&[
        "backup",
        "--database-url",
        &db.url,
        "--to",
        backup.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    let (rc, out, _) = chengguo(&[
        "audit",
        "verify",
        "--database-url",
        &format!("sqlite://{}", backup.display()),
    ]);
    assert_eq!(rc, 0, "the backup's chain verifies: {out}");

    let xlsx = dir.path().join("orgs.xlsx");
    let (rc, out, _) = chengguo(&[
        "export",
        "organizations",
        "--to",
        xlsx.to_str().unwrap(),
        "--database-url",
        &db.url,
    ]);
    assert_eq!(rc, 0);
    assert!(out.contains("exported"));
    // An exported file imports back unchanged.
    let (rc, out, err) = chengguo(&[
        "import",
        "organizations",
        xlsx.to_str().unwrap(),
        "--database-url",
        &db.url,
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("0 created, 0 updated"), "{out}");
}
storage_test!(admin_users_tokens_backup_and_migrate);

/// `chengguo restore`: a backup of the demo loads into a new SQLite file, the chain verifies, and
/// a second restore into the now non-empty database is refused with a clear error.
async fn restore_loads_a_backup_into_an_empty_database(db: &TestDb) {
    chengguo_store::demo::load(&db.store).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b.db");
    let (rc, out, err) = chengguo(&[
        "backup",
        "--database-url",
        &db.url,
        "--to",
        backup.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    // The backup is one file: no committed page left in a write-ahead log beside it.
    let wal = dir.path().join("b.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "{} holds part of the backup",
        wal.display()
    );
    let target = format!("sqlite://{}", dir.path().join("restored.db").display());
    let args = [
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--database-url",
        &target,
    ];
    let (rc, out, err) = chengguo(&args);
    assert_eq!(rc, 0, "{out}{err}");
    let contracts = db.store.count(Table::Contracts).await.unwrap();
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["contracts", &contracts.to_string()]),
        "{out}"
    );
    assert!(out.contains("audit chain intact"), "{out}");
    let restored = chengguo_store::Store::open(&target).await.unwrap();
    assert_eq!(restored.count(Table::Contracts).await.unwrap(), contracts);
    restored.close().await;

    let (rc, out, err) = chengguo(&args);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(err.contains("not empty"), "{err}");
}
storage_test!(restore_loads_a_backup_into_an_empty_database);

#[test]
fn openapi_document_prints() {
    let (rc, out, _) = chengguo(&["openapi"]);
    assert_eq!(rc, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["paths"]["/api/v1/organizations"].is_object());
}

#[test]
fn bad_database_url_is_a_clear_error() {
    let (rc, _, err) = chengguo(&["migrate", "--database-url", "mysql://x"]);
    assert_ne!(rc, 0);
    assert!(err.contains("unsupported database URL"), "{err}");
}

async fn documented_example_file_imports(db: &TestDb) {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/organizations.csv"
    );
    let (rc, out, err) = chengguo(&[
        "import",
        "organizations",
        example,
        "--database-url",
        &db.url,
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(
        out.contains("GB18030") && out.contains("4 created"),
        "{out}"
    );
    let page = db
        .store
        .list_orgs(&chengguo_store::OrgQuery {
            q: Some("示例".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 4);
    // Chinese names of nature and kind were turned into codes.
    let robot = page
        .items
        .iter()
        .find(|o| o.name.contains("机器人"))
        .unwrap();
    assert_eq!(
        (robot.nature.as_str(), robot.kind.as_str()),
        ("150", "enterprise")
    );
}
storage_test!(documented_example_file_imports);

/// `serve --demo` on a free port prints its URL and the logins, answers /healthz, and stops
/// cleanly on SIGTERM.
#[cfg(unix)]
#[test]
fn serve_demo_answers_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_chengguo"))
        .args([
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &url,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
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
        }
        if line.contains("public") {
            break;
        }
    }
    let addr = addr.unwrap_or_else(|| panic!("no URL printed: {printed}"));
    assert!(
        printed.contains("bureau") && printed.contains("chengguo-demo"),
        "{printed}"
    );

    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");

    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let resp = String::from_utf8_lossy(&resp);
    assert!(resp.contains("<html lang=\"zh-CN\">") && resp.contains("让科技成果在沈阳落地转化"));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap();
    assert!(code.success(), "exit status after SIGTERM: {code:?}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("Chengguo stopped"), "{rest}");
}
