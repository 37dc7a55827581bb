//! Achievements and demands through the real router, on both databases: the acceptance points
//! of issue #3 one by one, the role matrix of every new mutating endpoint, and the pages.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use chengguo_store::Table;
use common::{Browser, TestApp, ROLES};
use serde_json::{json, Value};

fn example(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Regenerates docs/examples/achievements.xlsx from the CSV example (run with `--ignored`).
#[test]
#[ignore]
fn regenerate_example_xlsx() {
    let t =
        chengguo_io::read_table(&example("achievements.csv"), chengguo_io::Format::Csv).unwrap();
    let headers: Vec<&str> = t.headers.iter().map(String::as_str).collect();
    // The XLSX example is a second set of records (other refs) with English headers.
    let eng: Vec<&str> = chengguo_core::achievement::IMPORT_COLUMNS
        .iter()
        .map(|(k, _)| *k)
        .collect();
    assert_eq!(headers.len(), eng.len());
    let rows: Vec<Vec<chengguo_io::Cell>> = t
        .rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let v = if i == 0 {
                        c.replace("-EX-", "-XL-")
                    } else if eng[i] == "status" {
                        "draft".to_string()
                    } else {
                        c.clone()
                    };
                    chengguo_io::Cell::Text(v)
                })
                .collect()
        })
        .collect();
    let bytes = chengguo_io::write_xlsx("achievements", &eng, &rows).unwrap();
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples/achievements.xlsx");
    std::fs::write(p, bytes).unwrap();
}

async fn count(app: &TestApp) -> i64 {
    app.db.store.count(Table::Achievements).await.unwrap()
}

/// Acceptance: the GB18030 CSV with Chinese headers and the XLSX example import; re-importing
/// updates; a file with one bad row (unknown owner, empty title, bad stage) imports nothing.
async fn imports_csv_gb18030_and_xlsx_and_reimport_updates(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let before = count(&app).await;
    let csv = example("achievements.csv");
    assert!(
        std::str::from_utf8(&csv).is_err(),
        "the example is GB18030, not UTF-8"
    );
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            csv.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rep = r.json();
    assert_eq!(rep["encoding"], "GB18030");
    assert_eq!(rep["created"], 3);
    assert_eq!(count(&app).await, before + 3);

    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            example("achievements.xlsx"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["encoding"], "XLSX");
    assert_eq!(r.json()["created"], 3);
    assert_eq!(count(&app).await, before + 6);

    // the same file again: nothing new, nothing changed
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            csv,
        )
        .await;
    assert_eq!(r.json()["created"], 0);
    assert_eq!(r.json()["unchanged"], 3);
    // a changed title under the same ref and owner updates that record
    let text = "ref,title,owner_credit_code,stage\nNEU-EX-001,大型离心压缩机叶轮气动优化设计方法（第二版）,12210102DM0000004P,中试\n";
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            text.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.json()["updated"], 1, "{}", r.text());
    assert_eq!(count(&app).await, before + 6);
    let r = app
        .api(
            Method::GET,
            "/api/v1/achievements?q=第二版",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.json()["items"][0]["ref"], "NEU-EX-001");
    assert_eq!(r.json()["items"][0]["status"], "published");

    // one bad row each: unknown owner, empty title, bad stage → nothing imported, every
    // problem named by row and column
    let audit = app.db.store.count(Table::AuditLog).await.unwrap();
    let bad = "成果编号,成果名称,完成单位统一社会信用代码,成果所处阶段\nB-1,好的一行,12210102DM0000004P,中试\nB-2,无主成果,91210106DM0000099X,中试\nB-3,,12210102DM0000004P,中试\nB-4,坏阶段,12210102DM0000004P,量产\n";
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            encoding_rs::GB18030.encode(bad).0.into_owned(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems: Vec<String> = r.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("row {}, {}", p["row"], p["column"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            "row 3, 完成单位统一社会信用代码",
            "row 4, 成果名称",
            "row 5, 成果所处阶段"
        ]
    );
    assert_eq!(count(&app).await, before + 6);
    assert_eq!(app.db.store.count(Table::AuditLog).await.unwrap(), audit);

    // a unit imports its own records only, and never as published
    let unit = app.token("unit").await;
    let own = "ref,title,owner_credit_code,status\nU-1,单位自导成果,12210102DM0000004P,published\nU-2,别人的成果,12210112DM0000005A,draft\n";
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&unit),
            own.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cols: Vec<String> = r.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["column"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(cols, ["status", "owner_credit_code"]);

    // demands: the JSONL example
    let r = app
        .raw(
            Method::POST,
            "/api/v1/demands/import",
            Some(&bureau),
            example("demands.jsonl"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 3);
}
storage_test!(imports_csv_gb18030_and_xlsx_and_reimport_updates);

/// Acceptance: lists with id, ref, title, filters and limit; PATCH by another unit → 403;
/// anonymous never sees drafts or contacts.
async fn list_patch_and_visibility(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let unit = app.token("unit").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/achievements",
            Some(&unit),
            Some(json!({"ref": "T-1", "title": "草稿成果甲", "keywords": ["甲", "乙"], "industrial_chain": "robotics", "contact_phone": "024-1234"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let draft = r.json();
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(draft["ref"], "T-1");
    assert_eq!(draft["status"], "draft");

    // anonymous: no drafts in lists, 404 on the draft, published records without contacts
    let r = app
        .api(
            Method::GET,
            "/api/v1/achievements?limit=200&include_stale=true",
            None,
            None,
        )
        .await;
    let items = r.json()["items"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    assert!(items.len() <= 200);
    for it in &items {
        assert!(it["id"].is_i64() && it["ref"].is_string() && it["title"].is_string());
        assert_eq!(it["status"], "published");
        assert!(it["contact_phone"].is_null() && it["contact_name"].is_null());
    }
    assert!(!items.iter().any(|i| i["id"] == id));
    let r = app
        .api(Method::GET, "/api/v1/achievements?status=draft", None, None)
        .await;
    assert_eq!(
        r.json()["total"],
        0,
        "anonymous asking for drafts sees none"
    );
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let pub_id = items[0]["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{pub_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["contact_phone"].is_null());
    assert!(r.json()["ref"].is_string());
    let broker = app.token("broker").await;
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{pub_id}"),
            Some(&broker),
            None,
        )
        .await;
    assert!(
        r.json()["contact_phone"].is_string(),
        "signed-in accounts see contacts"
    );

    // filters and limit as query parameters
    let r = app
        .api(
            Method::GET,
            "/api/v1/achievements?chain=robotics&stage=pilot&limit=3&sort=-updated_at",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["items"].as_array().unwrap().len() <= 3);
    for it in r.json()["items"].as_array().unwrap() {
        assert!(it["chains"]
            .as_array()
            .unwrap()
            .contains(&json!("robotics")));
        assert_eq!(it["stage"], "pilot");
    }
    let r = app
        .api(
            Method::GET,
            "/api/v1/achievements?district=210102",
            None,
            None,
        )
        .await;
    for it in r.json()["items"].as_array().unwrap() {
        assert_eq!(it["owner_division"], "210102");
    }
    let r = app
        .api(Method::GET, "/api/v1/achievements?stage=量产", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "stage");

    // the owner sees its draft; PATCH by the owner works, by another unit is 403
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{id}"),
            Some(&unit),
            None,
        )
        .await;
    assert_eq!(r.json()["contact_phone"], "024-1234");
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/achievements/{id}"),
            Some(&unit),
            Some(json!({"title": "草稿成果甲（改）"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let bureau = app.token("bureau").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&bureau),
            Some(json!({"username": "sut", "password": "Long-enough-pw1", "roles": ["unit"], "org_credit_code": "12210112DM0000005A"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let other = app.token("sut").await;
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/achievements/{id}"),
            Some(&other),
            Some(json!({"title": "抢改"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["code"], "forbidden");

    // workflow: submit, return without a reason → 422, with one; publish a draft → 409
    let act = |a: &str| format!("/api/v1/achievements/{id}/actions/{a}");
    let r = app
        .api(Method::POST, &act("publish"), Some(&bureau), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["code"], "invalid_transition");
    let r = app
        .api(Method::POST, &act("submit"), Some(&unit), None)
        .await;
    assert_eq!(r.json()["status"], "submitted");
    let r = app
        .api(Method::POST, &act("return"), Some(&bureau), Some(json!({})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api(
            Method::POST,
            &act("return"),
            Some(&bureau),
            Some(json!({"reason": "请补充摘要"})),
        )
        .await;
    assert_eq!(r.json()["return_reason"], "请补充摘要");
    app.api(Method::POST, &act("submit"), Some(&unit), None)
        .await;
    let r = app
        .api(Method::POST, &act("publish"), Some(&bureau), None)
        .await;
    assert_eq!(r.json()["status"], "published");
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "published now, anonymous may read it"
    );
    assert!(r.json()["contact_phone"].is_null());

    // demands: restricted ones only for brokers and the bureau
    let ent = app.token("enterprise").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/demands",
            Some(&ent),
            Some(json!({"ref": "D-1", "title": "内部需求", "visibility": "restricted", "contact_phone": "139"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let did = r.json()["id"].as_i64().unwrap();
    app.api(
        Method::POST,
        &format!("/api/v1/demands/{did}/actions/publish"),
        Some(&ent),
        None,
    )
    .await;
    let path = format!("/api/v1/demands/{did}");
    assert_eq!(
        app.api(Method::GET, &path, None, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(Method::GET, &path, Some(&unit), None).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app.api(Method::GET, &path, Some(&broker), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["ref"], "D-1");
    let r = app
        .api(Method::GET, "/api/v1/demands?limit=200", None, None)
        .await;
    for it in r.json()["items"].as_array().unwrap() {
        assert_eq!(it["visibility"], "public");
        assert!(it["contact_phone"].is_null());
        assert_ne!(it["status"], "draft");
    }
}
storage_test!(list_patch_and_visibility);

/// Every new mutating endpoint × every role (and anonymous).
async fn mutating_endpoints_by_role(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let neu_unit = app.token("unit").await;
    let ent_owner = app.token("enterprise").await;
    let mut tokens = Vec::new();
    for r in ROLES {
        tokens.push((r, Some(app.token(r).await)));
    }
    tokens.push(("anonymous", None));
    // one record of the demo unit and one demand of the demo enterprise to act on
    let a = app
        .api(
            Method::POST,
            "/api/v1/achievements",
            Some(&neu_unit),
            Some(json!({"title": "矩阵测试成果"})),
        )
        .await
        .json();
    let aid = a["id"].as_i64().unwrap();
    let d = app
        .api(
            Method::POST,
            "/api/v1/demands",
            Some(&ent_owner),
            Some(json!({"title": "矩阵测试需求"})),
        )
        .await
        .json();
    let did = d["id"].as_i64().unwrap();
    let neu = app.org_id("东北大学").await;
    let ent_org = app.org_id("沈阳新松机器人自动化股份有限公司").await;
    let ach_csv = b"ref,title,owner_credit_code\nM-1,x,12210102DM0000004P\n".to_vec();
    let dem_csv = b"ref,title,owner_credit_code\nM-1,x,91210112DM0000020P\n".to_vec();
    for (i, (role, token)) in tokens.iter().enumerate() {
        let t = token.as_deref();
        let expect = |allowed: bool, ok: StatusCode| {
            if t.is_none() {
                StatusCode::UNAUTHORIZED
            } else if allowed {
                ok
            } else {
                StatusCode::FORBIDDEN
            }
        };
        let filer = matches!(*role, "bureau" | "unit");
        let poster = matches!(*role, "bureau" | "enterprise");

        let r = app
            .api(
                Method::POST,
                "/api/v1/achievements",
                t,
                Some(json!({"title": format!("成果{i}"), "owner_org_id": neu})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(filer, StatusCode::CREATED),
            "POST achievements as {role}"
        );

        let r = app
            .api(
                Method::PATCH,
                &format!("/api/v1/achievements/{aid}"),
                t,
                Some(json!({"discipline": role})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(filer, StatusCode::OK),
            "PATCH achievement as {role}"
        );

        // renew applies to published records only: a draft gives 409 to whoever may act
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/achievements/{aid}/actions/renew"),
                t,
                None,
            )
            .await;
        assert_eq!(
            r.status,
            expect(filer, StatusCode::CONFLICT),
            "POST achievement action as {role}"
        );

        let r = app
            .raw(
                Method::POST,
                "/api/v1/achievements/import?dry_run=true",
                t,
                ach_csv.clone(),
            )
            .await;
        assert_eq!(
            r.status,
            expect(filer, StatusCode::OK),
            "POST achievements import as {role}"
        );

        let r = app
            .api(
                Method::POST,
                "/api/v1/demands",
                t,
                Some(json!({"title": format!("需求{i}"), "owner_org_id": ent_org})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(poster, StatusCode::CREATED),
            "POST demands as {role}"
        );

        let r = app
            .api(
                Method::PATCH,
                &format!("/api/v1/demands/{did}"),
                t,
                Some(json!({"description": role})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(poster, StatusCode::OK),
            "PATCH demand as {role}"
        );

        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/demands/{did}/actions/match"),
                t,
                None,
            )
            .await;
        assert_eq!(
            r.status,
            expect(poster, StatusCode::CONFLICT),
            "POST demand action as {role}"
        );

        let r = app
            .raw(
                Method::POST,
                "/api/v1/demands/import?dry_run=true",
                t,
                dem_csv.clone(),
            )
            .await;
        assert_eq!(
            r.status,
            expect(poster, StatusCode::OK),
            "POST demands import as {role}"
        );

        let r = app
            .api(Method::GET, "/api/v1/achievements/rewards", t, None)
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::OK),
            "GET rewards as {role}"
        );
    }
}
storage_test!(mutating_endpoints_by_role);

fn unit_score(list: &Value, org: i64) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|u| u["org_id"] == org)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Acceptance: the score and the reward list come from the records, move when the records
/// change, and export to XLSX.
async fn scores_and_rewards_follow_the_records(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let unit = app.token("unit").await;
    let neu = app.org_id("东北大学").await;
    let before = unit_score(
        &app.api(Method::GET, "/api/v1/achievements/scores", None, None)
            .await
            .json(),
        neu,
    );
    assert!(before["total"].as_f64().unwrap() > 0.0);
    for key in ["completeness", "timeliness", "quality", "volume"] {
        let v = before[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }

    // five complete, published filings raise volume and completeness
    let mut rows = String::from("ref,title,abstract,keywords,owner_credit_code,category,stage,trl,attribute,level,ip_type,discipline,tech_field,industrial_chain,transformation_modes,completers,period_start,period_end,contact_name,contact_phone,status\n");
    for i in 0..5 {
        rows.push_str(&format!(
            "S-{i},评分测试成果{i},{},甲;乙;丙,12210102DM0000004P,applied,pilot,6,original,domestic_leading,patent,机械工程,advanced_manufacturing,robotics,licensing,王伟,2020-01-01,2023-01-01,张老师,024-1,published\n",
            "本成果".repeat(20)
        ));
    }
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            rows.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let after = unit_score(
        &app.api(Method::GET, "/api/v1/achievements/scores", None, None)
            .await
            .json(),
        neu,
    );
    assert!(after["filings"].as_u64() > before["filings"].as_u64());
    assert!(after["volume"].as_f64() > before["volume"].as_f64());
    assert!(after["total"].as_f64() != before["total"].as_f64());

    // a return lowers quality
    let id = app
        .api(
            Method::GET,
            "/api/v1/achievements?q=评分测试成果0",
            Some(&unit),
            None,
        )
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    app.api(
        Method::POST,
        &format!("/api/v1/achievements/{id}/actions/withdraw"),
        Some(&unit),
        None,
    )
    .await;
    app.api(
        Method::POST,
        &format!("/api/v1/achievements/{id}/actions/submit"),
        Some(&unit),
        None,
    )
    .await;
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/achievements/{id}/actions/return"),
            Some(&bureau),
            Some(json!({"reason": "测试退回"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let returned = unit_score(
        &app.api(Method::GET, "/api/v1/achievements/scores", None, None)
            .await
            .json(),
        neu,
    );
    assert!(returned["quality"].as_f64() < after["quality"].as_f64());
    assert_eq!(
        returned["returns"].as_u64(),
        after["returns"].as_u64().map(|n| n + 1)
    );

    // the reward list follows the configured rule, capped at 100,000 yuan
    let rewards = app
        .api(
            Method::GET,
            "/api/v1/achievements/rewards",
            Some(&bureau),
            None,
        )
        .await
        .json();
    let list = rewards.as_array().unwrap();
    assert!(!list.is_empty());
    for r in list {
        let amount: f64 = r["amount"].as_str().unwrap().parse().unwrap();
        assert!(amount > 0.0 && amount <= 100_000.0);
    }
    // a stricter rule (set as a setting) changes who gets what
    app.db
        .store
        .set_setting(
            &chengguo_core::Actor::system("test"),
            chengguo_core::incentive::REWARD_RULE_SETTING,
            &json!({"tiers": [{"top": 1, "amount_yuan": 80000}], "min_score": 0.0, "min_filings": 1}),
        )
        .await
        .unwrap();
    let strict = app
        .api(
            Method::GET,
            "/api/v1/achievements/rewards",
            Some(&bureau),
            None,
        )
        .await
        .json();
    assert_eq!(strict.as_array().unwrap().len(), 1);
    assert_eq!(strict[0]["amount"], "80000.00");

    // exports to XLSX
    let b = app.login("bureau").await;
    let r = app.page(&b, "/achievements/rewards.xlsx").await;
    assert_eq!(&r.body[..2], b"PK");
    let t = chengguo_io::read_table(&r.body, chengguo_io::Format::Xlsx).unwrap();
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.headers[4], "reward_yuan");
    let r = app
        .page(&Browser::new(), "/achievements/scores/export.xlsx")
        .await;
    let t = chengguo_io::read_table(&r.body, chengguo_io::Format::Xlsx).unwrap();
    assert!(t.rows.len() >= 15);
    assert_eq!(
        app.page(&Browser::new(), "/achievements/rewards.xlsx")
            .await
            .status,
        StatusCode::SEE_OTHER,
        "anonymous is sent to the login"
    );

    // the publication counter counts this year's publications
    let pubs = app
        .api(Method::GET, "/api/v1/achievements/publications", None, None)
        .await
        .json();
    let year = time::OffsetDateTime::now_utc().year().to_string();
    let y = pubs
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == year.as_str())
        .unwrap();
    assert_eq!(y["target"], 2000);
    assert!(unit_score(&y["units"], neu)["published"].as_i64().unwrap() >= 5);
}
storage_test!(scores_and_rewards_follow_the_records);

fn upload(b: &Browser, uri: &str, filename: &str, bytes: Vec<u8>) -> Request<Body> {
    let boundary = "XBOUNDARYX";
    let mut body = Vec::new();
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n",
            b.csrf
        )
        .as_bytes(),
    );
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, b.cookie_header())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn pages_listing_detail_mine_review_and_import(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let anon = Browser::new();
    let r = app.page(&anon, "/achievements").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("id=\"achievements\""), "the listing has rows");
    assert!(!html.contains("草稿"), "anonymous sees no drafts");
    let r = app
        .page(&anon, "/achievements?chain=aviation&sort=title")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .page(&anon, "/achievements/export.csv?chain=aviation")
        .await;
    assert!(r.text().starts_with('\u{feff}'));
    assert!(r
        .text()
        .lines()
        .skip(1)
        .all(|l| l.contains("aviation") || l.is_empty()));
    let r = app
        .page(&anon, "/achievements/export.xlsx?stage=pilot")
        .await;
    assert_eq!(&r.body[..2], b"PK");

    // detail: no contact for anonymous, contact when signed in
    let first = app
        .api(Method::GET, "/api/v1/achievements?limit=1", None, None)
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let phone = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{first}"),
            Some(&app.token("bureau").await),
            None,
        )
        .await
        .json()["contact_phone"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!phone.is_empty());
    let r = app.page(&anon, &format!("/achievements/{first}")).await;
    assert!(r.text().contains("登录后可查看联系方式"));
    assert!(!r.text().contains(&phone), "no phone number shown");
    let unit = app.login("unit").await;
    let r = app.page(&unit, &format!("/achievements/{first}")).await;
    assert!(r.text().contains(&phone));

    // my achievements: every record of the unit with a completeness meter
    let r = app.page(&unit, "/achievements/mine").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<meter class=\"completeness\""));
    assert!(html.contains("草稿") || html.contains("待审核"));
    assert_eq!(
        app.page(&anon, "/achievements/mine").await.status,
        StatusCode::SEE_OTHER
    );
    let ent = app.login("enterprise").await;
    assert_eq!(
        app.page(&ent, "/achievements/mine").await.status,
        StatusCode::FORBIDDEN
    );

    // file through the form, submit, then the bureau returns and publishes from its queue
    let r = app
        .form(
            &unit,
            "/achievements/new",
            &[("title", ""), ("stage", "pilot"), ("trl", "12")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("field-error"));
    let r = app
        .form(
            &unit,
            "/achievements/new",
            &[
                ("ref", "FORM-1"),
                ("title", "表单登记的成果"),
                ("industrial_chain", "robotics"),
                ("industrial_chain", "aviation"),
                ("visibility", "public"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location().unwrap();
    let id: i64 = loc
        .trim_start_matches("/achievements/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let v = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{id}"),
            Some(&app.token("unit").await),
            None,
        )
        .await
        .json();
    assert_eq!(v["chains"], json!(["robotics", "aviation"]));
    let r = app
        .form(
            &unit,
            &format!("/achievements/{id}/actions/submit"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let bureau = app.login("bureau").await;
    let r = app.page(&bureau, "/achievements/review").await;
    assert!(
        r.text().contains("/actions/publish"),
        "the demo has submitted records"
    );
    let r = app
        .page(
            &bureau,
            "/achievements/review?q=%E8%A1%A8%E5%8D%95%E7%99%BB%E8%AE%B0",
        )
        .await;
    assert!(r.text().contains("表单登记的成果"));
    assert!(r
        .text()
        .contains(&format!("/achievements/{id}/actions/return")));
    assert_eq!(
        app.page(&unit, "/achievements/review").await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .form(
            &bureau,
            &format!("/achievements/{id}/actions/return"),
            &[
                ("reason", "请补充成果简介"),
                ("next", "/achievements/review"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r
        .location()
        .unwrap()
        .starts_with("/achievements/review?done="));
    let r = app.page(&unit, "/achievements/mine").await;
    assert!(r.text().contains("请补充成果简介"));
    app.form(
        &unit,
        &format!("/achievements/{id}/actions/submit"),
        &[],
        None,
    )
    .await;
    app.form(
        &bureau,
        &format!("/achievements/{id}/actions/publish"),
        &[("next", "/achievements/review")],
        None,
    )
    .await;
    let r = app.page(&anon, &format!("/achievements/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("已发布"));

    // the import page: a preview with errors, then a clean file committed
    let before = count(&app).await;
    let bad = "ref,title,owner_credit_code,stage\nP-1,,12210102DM0000004P,量产\n";
    let r = app
        .send(upload(
            &bureau,
            "/achievements/import",
            "bad.csv",
            bad.as_bytes().to_vec(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("<td>2</td><td>title</td>"), "{html}");
    assert!(html.contains("<td>2</td><td>stage</td>"));
    assert!(!html.contains("/commit"));
    let r = app
        .send(upload(
            &bureau,
            "/achievements/import",
            "achievements.csv",
            example("achievements.csv"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("GB18030"));
    let action = html
        .split("action=\"/achievements/import/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .form(
            &bureau,
            &format!("/achievements/import/{action}"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("导入完成"));
    assert_eq!(count(&app).await, before + 3);
    assert_eq!(
        app.page(&ent, "/achievements/import").await.status,
        StatusCode::FORBIDDEN
    );

    // scores, publication counter, demands pages
    let r = app.page(&anon, "/achievements/scores").await;
    assert!(r.text().contains("id=\"scores\""));
    let r = app.page(&anon, "/achievements/publications").await;
    assert!(r.text().contains("/ 2000"));
    assert!(r.text().contains("<svg"));
    let r = app.page(&anon, "/demands").await;
    assert!(r.text().contains("id=\"demands\""));
    let r = app.page(&ent, "/demands/mine").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .form(
            &ent,
            "/demands/new",
            &[
                ("title", "表单发布的需求"),
                ("budget_min", "10"),
                ("budget_max", "5"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("上限低于下限"));
    let r = app
        .form(
            &ent,
            "/demands/new",
            &[("title", "表单发布的需求"), ("visibility", "public")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.page(&anon, "/demands/export.xlsx").await;
    assert_eq!(&r.body[..2], b"PK");
    let r = app.page(&bureau, "/?lang=en").await;
    assert!(r.text().contains("/achievements/review"));
    assert!(r.text().contains("href=\"/achievements\""));

    // the OpenAPI document lists the new paths
    let doc = app.page(&anon, "/api/openapi.json").await.json();
    for p in [
        "/api/v1/achievements",
        "/api/v1/achievements/{id}",
        "/api/v1/achievements/{id}/actions/{action}",
        "/api/v1/achievements/import",
        "/api/v1/achievements/scores",
        "/api/v1/achievements/rewards",
        "/api/v1/achievements/publications",
        "/api/v1/demands",
        "/api/v1/demands/{id}",
        "/api/v1/demands/{id}/actions/{action}",
        "/api/v1/demands/import",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
    assert!(doc["paths"]["/api/v1/achievements/{id}"]
        .get("patch")
        .is_some());
}
storage_test!(pages_listing_detail_mine_review_and_import);
