//! Access control through the real router, on both databases (issue #11, findings 2, 3, 6, 7
//! and 10): contract pages show only what the API lets the caller read, registrars edit no
//! applicant's draft and drill down into their own site's contracts only, imports respect the
//! workflows, an edited published achievement goes back to review (and leaves the public
//! search), units keep their organization's identifying fields, and contract links name records
//! the caller may read.

mod common;

use axum::http::{Method, StatusCode};
use chengguo_core::{Actor, Role};
use chengguo_store::testing::TestDb;
use chengguo_store::{storage_test, NewUser};
use common::{fresh_code, TestApp};
use serde_json::{json, Value};

const HUNNAN: &str = "沈阳市技术合同登记浑南服务站";
const TIEXI: &str = "沈阳市技术合同登记铁西服务站";

/// A contract draft of 东北大学 (the demo unit) addressed to `site`.
fn contract_body(app_codes: &(String, String), no: &str, site: i64) -> Value {
    json!({
        "contract_no": no, "title": "访问控制测试合同", "category": "development",
        "signed_on": "2026-03-02", "seller_name": "东北大学", "seller_credit_code": app_codes.0,
        "seller_division_code": "210102", "seller_nature": "022", "buyer_name": "沈阳机床股份有限公司",
        "buyer_credit_code": app_codes.1, "buyer_division_code": "210106", "buyer_nature": "160",
        "contract_amount": "880000.00", "tech_transaction_amount": "770000.00", "tech_field": "先进制造",
        "ip_type": "专利", "site_id": site
    })
}

async fn party_codes(app: &TestApp) -> (String, String) {
    let s = &app.db.store;
    let seller = s
        .get_org(app.org_id("东北大学").await)
        .await
        .unwrap()
        .unwrap();
    let buyer = s
        .get_org(app.org_id("沈阳机床股份有限公司").await)
        .await
        .unwrap()
        .unwrap();
    (seller.credit_code, buyer.credit_code)
}

async fn add_user(app: &TestApp, username: &str, role: Role, org: &str) {
    let org_id = app.org_id(org).await;
    app.db
        .store
        .create_user(
            &Actor::system("test"),
            &NewUser {
                username: username.into(),
                password: chengguo_store::demo::DEMO_PASSWORD.into(),
                display_name: username.into(),
                roles: vec![role],
                org_id: Some(org_id),
                district_code: None,
            },
        )
        .await
        .unwrap();
}

/// Finding 2 and 3: the edit page of a contract answers 403 to everyone the API refuses (and to
/// the site's registrar, who edits no applicant's draft); `PATCH` by a registrar is 403 and the
/// unit keeps its contract.
async fn contract_edit_page_and_registrar_edits(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let codes = party_codes(&app).await;
    let hunnan = app.org_id(HUNNAN).await;
    add_user(&app, "registrar_tiexi", Role::Registrar, TIEXI).await;
    let unit = app.token("unit").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/contracts",
            Some(&unit),
            Some(contract_body(&codes, "ACL-1", hunnan)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let edit = format!("/contracts/{id}/edit");

    // The applicant sees its draft in the form.
    let b = app.login("unit").await;
    let r = app.page(&b, &edit).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains(&codes.1));

    // Everyone else: 403, and nothing of the contract on the page.
    for who in ["enterprise", "broker", "registrar", "registrar_tiexi"] {
        let b = app.login(who).await;
        let r = app.page(&b, &edit).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "edit page as {who}");
        let html = r.text();
        assert!(
            !html.contains(&codes.1) && !html.contains("访问控制测试合同"),
            "edit page as {who} shows the contract"
        );
        // The form post is refused the same way, without echoing the contract.
        let r = app
            .form(
                &b,
                &edit,
                &[("title", "改写"), ("contract_no", "ACL-1")],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "edit post as {who}");
    }
    // The API agrees: the other parties and the other site may not read it.
    for who in ["enterprise", "broker", "registrar_tiexi"] {
        let t = app.token(who).await;
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/contracts/{id}"),
                Some(&t),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "GET contract as {who}");
    }

    // Finding 3: the site's registrar may not rewrite the applicant's draft.
    let registrar = app.token("registrar").await;
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{id}"),
            Some(&registrar),
            Some(json!({"title": "登记员改写", "seller_name": "别人"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["code"], "forbidden");
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/contracts/{id}"),
            Some(&unit),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["title"], "访问控制测试合同");

    // A draft the registrar entered itself (a paper application) stays editable by it.
    let r = app
        .api(
            Method::POST,
            "/api/v1/contracts",
            Some(&registrar),
            Some(contract_body(&codes, "ACL-PAPER", hunnan)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let paper = r.json()["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{paper}"),
            Some(&registrar),
            Some(json!({"title": "纸质申请录入"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rb = app.login("registrar").await;
    assert_eq!(
        app.page(&rb, &format!("/contracts/{paper}/edit"))
            .await
            .status,
        StatusCode::OK
    );
}
storage_test!(contract_edit_page_and_registrar_edits);

/// Finding 10: a registrar's statistics drill-down lists the contracts registered at its own
/// site only (API, page and workbook); the bureau sees them all.
async fn registrar_drill_down_is_its_site(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let hunnan = app.org_id(HUNNAN).await;
    let q = "measure=turnover&from=2021-01-01&to=2026-12-31&limit=200";
    let bureau = app.token("bureau").await;
    let all = app
        .api(
            Method::GET,
            &format!("/api/v1/stats/contracts/records?{q}"),
            Some(&bureau),
            None,
        )
        .await
        .json();
    let registrar = app.token("registrar").await;
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/stats/contracts/records?{q}"),
            Some(&registrar),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mine = r.json();
    let items = mine["items"].as_array().unwrap();
    assert!(!items.is_empty(), "the demo registers contracts at 浑南");
    assert!(items.iter().all(|c| c["site_id"] == hunnan), "{mine}");
    let (total_all, total_mine) = (
        all["total"].as_i64().unwrap(),
        mine["total"].as_i64().unwrap(),
    );
    assert!(
        total_mine < total_all,
        "other sites' contracts are hidden: {total_mine} of {total_all}"
    );
    // The page and the workbook follow the same rule.
    let b = app.login("registrar").await;
    let page = app.page(&b, &format!("/stats/contracts/records?{q}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let other: Vec<&Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["site_id"] != hunnan)
        .collect();
    assert!(!other.is_empty());
    for c in &other {
        let no = c["registration_no"].as_str().unwrap_or("");
        assert!(
            no.is_empty() || !page.text().contains(no),
            "the page lists another site's contract {no}"
        );
    }
    let xlsx = app
        .page(&b, &format!("/stats/contracts/records.xlsx?{q}"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let table = chengguo_io::read_table(&xlsx.body, chengguo_io::Format::Xlsx).unwrap();
    assert_eq!(table.rows.len() as i64, total_mine);
}
storage_test!(registrar_drill_down_is_its_site);

/// Finding 7: a contract's links name an existing record the caller may read, else 422 naming
/// the field (API and page form).
async fn contract_links_are_checked(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let codes = party_codes(&app).await;
    let hunnan = app.org_id(HUNNAN).await;
    let unit = app.token("unit").await;
    // another unit's draft achievement
    let other = app.org_id("沈阳工业大学").await;
    let draft = app
        .db
        .store
        .create_achievement(
            &Actor::system("test"),
            other,
            &chengguo_core::achievement::AchievementInput {
                title: Some("别人的草稿成果".into()),
                ..Default::default()
            }
            .into_new()
            .unwrap(),
        )
        .await
        .unwrap()
        .achievement
        .id;
    let mut body = contract_body(&codes, "LINK-1", hunnan);
    body["demand_id"] = json!(999999);
    body["achievement_id"] = json!(draft);
    let r = app
        .api(Method::POST, "/api/v1/contracts", Some(&unit), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let fields: Vec<String> = r.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["achievement_id", "demand_id"]);

    // A published achievement and a published demand are fine; PATCH checks a new link too.
    let bureau = app.token("bureau").await;
    let published = app
        .api(
            Method::GET,
            "/api/v1/achievements?status=published&limit=1",
            None,
            None,
        )
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let demand = app
        .api(Method::GET, "/api/v1/demands?limit=1", None, None)
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let mut body = contract_body(&codes, "LINK-2", hunnan);
    body["achievement_id"] = json!(published);
    body["demand_id"] = json!(demand);
    let r = app
        .api(Method::POST, "/api/v1/contracts", Some(&unit), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{id}"),
            Some(&unit),
            Some(json!({"achievement_id": draft})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["fields"][0]["field"], "achievement_id");
    // the bureau reads every record, so it may link the draft
    let r = app
        .api(
            Method::POST,
            "/api/v1/contracts",
            Some(&bureau),
            Some({
                let mut b = contract_body(&codes, "LINK-3", hunnan);
                b["achievement_id"] = json!(draft);
                b
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // The page form: the same refusal, inline.
    let b = app.login("unit").await;
    let site = hunnan.to_string();
    let draft_s = draft.to_string();
    let fields = [
        ("contract_no", "LINK-PAGE"),
        ("title", "页面关联"),
        ("category", "development"),
        ("signed_on", "2026-02-27"),
        ("seller_name", "东北大学"),
        ("seller_credit_code", codes.0.as_str()),
        ("seller_division_code", "210102"),
        ("seller_country", "156"),
        ("seller_nature", "022"),
        ("buyer_name", "沈阳机床股份有限公司"),
        ("buyer_credit_code", codes.1.as_str()),
        ("buyer_division_code", "210106"),
        ("buyer_country", "156"),
        ("buyer_nature", "160"),
        ("contract_amount", "100.00"),
        ("tech_transaction_amount", "50"),
        ("tech_field", "advanced_manufacturing"),
        ("ip_type", "patent"),
        ("site_id", site.as_str()),
        ("achievement_id", draft_s.as_str()),
        ("demand_id", "999999"),
    ];
    let r = app.form(&b, "/contracts/new", &fields, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(html.contains("no achievement") || html.contains("没有可供关联的成果"));
    assert!(html.contains("没有可供关联的需求"));
}
storage_test!(contract_links_are_checked);

fn csv_of(rows: &[[&str; 4]]) -> Vec<u8> {
    let mut s = String::from("owner_credit_code,ref,title,status\n");
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    s.into_bytes()
}

/// An achievement of 东北大学 created by the unit and taken through `actions` (publish by the
/// bureau, the rest by the unit).
async fn drive(app: &TestApp, unit: &str, bureau: &str, reference: &str, actions: &[&str]) -> i64 {
    let r = app
        .api(
            Method::POST,
            "/api/v1/achievements",
            Some(unit),
            Some(json!({"ref": reference, "title": format!("导入测试 {reference}")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    for a in actions {
        let t = if *a == "publish" { bureau } else { unit };
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/achievements/{id}/actions/{a}"),
                Some(t),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.text());
    }
    id
}

/// Finding 6: imports change fields, never statuses the workflow actions could not; the
/// bureau's import of a new record as published stays and is audited as a publication.
async fn imports_respect_the_workflows(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let neu = app
        .db
        .store
        .get_org(app.org_id("东北大学").await)
        .await
        .unwrap()
        .unwrap();
    let unit = app.token("unit").await;
    let bureau = app.token("bureau").await;
    // the unit's own records, one published and one withdrawn, through the actions
    let pub_ref = "ACL-IMP-PUB".to_string();
    let wd_ref = "ACL-IMP-WD".to_string();
    let pub_id = drive(
        &app,
        &unit,
        &bureau,
        pub_ref.as_str(),
        &["submit", "publish"],
    )
    .await;
    let wd_id = drive(
        &app,
        &unit,
        &bureau,
        wd_ref.as_str(),
        &["submit", "withdraw"],
    )
    .await;
    // the API's action for the same step as the refused import (published → draft) is none
    for (file, id, from) in [
        (
            csv_of(&[[neu.credit_code.as_str(), pub_ref.as_str(), "改题", "draft"]]),
            pub_id,
            "published",
        ),
        (
            csv_of(&[[
                neu.credit_code.as_str(),
                wd_ref.as_str(),
                "改题",
                "submitted",
            ]]),
            wd_id,
            "withdrawn",
        ),
    ] {
        let r = app
            .raw(
                Method::POST,
                "/api/v1/achievements/import",
                Some(&unit),
                file,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let p = &r.json()["problems"][0];
        assert_eq!(p["row"], 2, "{p}");
        assert_eq!(p["column"], "status", "{p}");
        let now = app
            .api(
                Method::GET,
                &format!("/api/v1/achievements/{id}"),
                Some(&unit),
                None,
            )
            .await
            .json();
        assert_eq!(now["status"], from);
        assert_ne!(now["title"], "改题");
    }
    // the same status as stored is no move: the fields update
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&unit),
            csv_of(&[[
                neu.credit_code.as_str(),
                wd_ref.as_str(),
                "撤回后改题",
                "withdrawn",
            ]]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["updated"], 1);

    // An enterprise moving its matched demand back to published: refused.
    let ent = app.token("enterprise").await;
    let ent_org = app
        .db
        .store
        .get_org(app.org_id("沈阳新松机器人自动化股份有限公司").await)
        .await
        .unwrap()
        .unwrap();
    let matched = app
        .api(
            Method::GET,
            &format!(
                "/api/v1/demands?status=matched&owner={}&limit=1",
                ent_org.id
            ),
            Some(&ent),
            None,
        )
        .await
        .json();
    let (mid, mref) = match matched["items"][0]["id"].as_i64() {
        Some(id) => (id, matched["items"][0]["ref"].as_str().unwrap().to_string()),
        None => {
            // none in the demo: make one through the actions
            let r = app
                .api(
                    Method::POST,
                    "/api/v1/demands",
                    Some(&ent),
                    Some(json!({"ref": "ACL-D-1", "title": "已对接的需求"})),
                )
                .await;
            let id = r.json()["id"].as_i64().unwrap();
            for a in ["publish", "match"] {
                let r = app
                    .api(
                        Method::POST,
                        &format!("/api/v1/demands/{id}/actions/{a}"),
                        Some(&ent),
                        None,
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.text());
            }
            (id, "ACL-D-1".to_string())
        }
    };
    let r = app
        .raw(
            Method::POST,
            "/api/v1/demands/import",
            Some(&ent),
            csv_of(&[[
                ent_org.credit_code.as_str(),
                mref.as_str(),
                "重新发布",
                "published",
            ]]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["problems"][0]["column"], "status");
    let d = app
        .api(
            Method::GET,
            &format!("/api/v1/demands/{mid}"),
            Some(&ent),
            None,
        )
        .await
        .json();
    assert_eq!(d["status"], "matched");

    // The bureau imports a new record as published: it is, and the audit says publish.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            csv_of(&[[
                neu.credit_code.as_str(),
                "ACL-PUB-1",
                "科技局导入发布的成果",
                "published",
            ]]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (id, _) = (
        app.db
            .store
            .achievement_status_by_ref(neu.id, "ACL-PUB-1")
            .await
            .unwrap(),
        (),
    );
    assert_eq!(
        id,
        Some(chengguo_core::achievement::AchievementStatus::Published)
    );
    let created = app
        .api(
            Method::GET,
            "/api/v1/achievements?q=ACL-PUB-1&limit=5",
            None,
            None,
        )
        .await
        .json();
    let aid = created["items"][0]["id"]
        .as_i64()
        .expect("public after import");
    let audit = app
        .api(
            Method::GET,
            &format!("/api/v1/audit?entity=achievement&entity_id={aid}"),
            Some(&bureau),
            None,
        )
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"publish") && actions.contains(&"import"),
        "{actions:?}"
    );
    // …and the bureau cannot move an existing record's status by import either
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&bureau),
            csv_of(&[[neu.credit_code.as_str(), pub_ref.as_str(), "改题", "draft"]]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
}
storage_test!(imports_respect_the_workflows);

/// Finding 10: a published achievement edited by its unit goes back to review and leaves the
/// public listing and search; the bureau's own edit keeps it published. An import that changes
/// a published record's fields does the same.
async fn editing_a_published_achievement_returns_it_to_review(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let unit = app.token("unit").await;
    let bureau = app.token("bureau").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/achievements",
            Some(&unit),
            Some(json!({"ref": "ACL-REV-1", "title": "钛合金激光增材修复工艺", "keywords": ["钛合金激光修复"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    for (t, a) in [(&unit, "submit"), (&bureau, "publish")] {
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/achievements/{id}/actions/{a}"),
                Some(t),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.text());
    }
    let found = |v: Value| {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == id && h["kind"] == "achievement")
    };
    let query = "/api/v1/search?q=%E9%92%9B%E5%90%88%E9%87%91%E6%BF%80%E5%85%89";
    assert!(found(app.api(Method::GET, query, None, None).await.json()));

    // the bureau's edit keeps it published
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/achievements/{id}"),
            Some(&bureau),
            Some(json!({"discipline": "材料科学"})),
        )
        .await;
    assert_eq!(r.json()["status"], "published");

    // the unit's edit sends it back to review
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/achievements/{id}"),
            Some(&unit),
            Some(json!({"title": "钛合金激光增材修复工艺（未经审核的改动）"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "submitted");
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{id}"),
            None,
            None,
        )
        .await;
    assert_ne!(r.status, StatusCode::OK, "anonymous still reads it");
    assert!(
        !found(app.api(Method::GET, query, None, None).await.json()),
        "the edited record left the public index"
    );
    let audit = app
        .api(
            Method::GET,
            &format!("/api/v1/audit?entity=achievement&entity_id={id}"),
            Some(&bureau),
            None,
        )
        .await
        .json();
    assert_eq!(audit["items"][0]["action"], "submit", "{audit}");
    // in the review queue again; the bureau publishes it again
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/achievements/{id}/actions/publish"),
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(found(app.api(Method::GET, query, None, None).await.json()));

    // an import that changes its fields returns it to review too
    let neu = app
        .db
        .store
        .get_org(app.org_id("东北大学").await)
        .await
        .unwrap()
        .unwrap();
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements/import",
            Some(&unit),
            csv_of(&[[
                neu.credit_code.as_str(),
                "ACL-REV-1",
                "钛合金激光增材修复工艺（导入改动）",
                "",
            ]]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/achievements/{id}"),
            Some(&unit),
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "submitted");
    assert!(!found(app.api(Method::GET, query, None, None).await.json()));
}
storage_test!(editing_a_published_achievement_returns_it_to_review);

/// Finding 10: a unit (or enterprise) may not change its own organization's credit code,
/// division or nature (API 403 naming the field, page 403 with the field marked); the bureau may.
async fn units_keep_their_identifying_fields(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let neu = app
        .db
        .store
        .get_org(app.org_id("东北大学").await)
        .await
        .unwrap()
        .unwrap();
    let unit = app.token("unit").await;
    for (field, value) in [
        ("division_code", json!("210106")),
        ("nature", json!("150")),
        ("credit_code", json!(fresh_code(77))),
    ] {
        let r = app
            .api(
                Method::PATCH,
                &format!("/api/v1/organizations/{}", neu.id),
                Some(&unit),
                Some(json!({ field: value })),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{field}: {}", r.text());
        assert!(
            r.json()["message"].as_str().unwrap().contains(field),
            "{}",
            r.text()
        );
    }
    // the same values as stored are no change
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/organizations/{}", neu.id),
            Some(&unit),
            Some(json!({"division_code": neu.division_code, "nature": neu.nature, "description": "技术转移"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // the enterprise, on its own organization
    let ent = app.token("enterprise").await;
    let ent_id = app.org_id("沈阳新松机器人自动化股份有限公司").await;
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/organizations/{ent_id}"),
            Some(&ent),
            Some(json!({"division_code": "210102"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // The page: a hand-made post changing the division is refused, the field marked.
    let b = app.login("unit").await;
    let r = app
        .form(
            &b,
            &format!("/organizations/{}/edit", neu.id),
            &[
                ("name", neu.name.as_str()),
                ("credit_code", neu.credit_code.as_str()),
                ("division_code", "210106"),
                ("nature", neu.nature.as_str()),
                ("kind", neu.kind.as_str()),
                ("description", "改区划"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.text().contains("field-error"));
    let after = app.db.store.get_org(neu.id).await.unwrap().unwrap();
    assert_eq!(after.division_code, neu.division_code);
    // the form as shown (read-only values) still saves the description
    let r = app
        .form(
            &b,
            &format!("/organizations/{}/edit", neu.id),
            &[
                ("name", neu.name.as_str()),
                ("credit_code", neu.credit_code.as_str()),
                ("division_code", neu.division_code.as_str()),
                ("nature", neu.nature.as_str()),
                ("kind", neu.kind.as_str()),
                ("description", "页面保存"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    // The bureau may.
    let bureau = app.token("bureau").await;
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/organizations/{}", neu.id),
            Some(&bureau),
            Some(json!({"division_code": "210106", "nature": "021"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // organization imports stay the bureau's
    let csv = format!(
        "name,credit_code,division_code,nature,kind\n{},{},210102,022,university\n",
        neu.name, neu.credit_code
    );
    let r = app
        .raw(
            Method::POST,
            "/api/v1/organizations/import?dry_run=true",
            Some(&unit),
            csv.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
storage_test!(units_keep_their_identifying_fields);
