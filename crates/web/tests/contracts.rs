//! Technology contracts through the real router, on both databases: the registration workflow
//! (every transition outside the state machine refused, sites kept apart, expert review at the
//! threshold), the role matrix of every mutating endpoint, imports that name each bad cell and
//! write nothing, and statistics equal to an independent computation of DOMAIN.md §3.

mod common;

use axum::http::{Method, StatusCode};
use chengguo_core::contract::{next_status, ContractAction, ContractStatus};
use chengguo_core::{Actor, Role};
use chengguo_store::testing::TestDb;
use chengguo_store::{storage_test, NewUser, Table};
use common::{TestApp, ROLES};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const HUNNAN: &str = "沈阳市技术合同登记浑南服务站";
const TIEXI: &str = "沈阳市技术合同登记铁西服务站";

struct Fixture {
    app: TestApp,
    seller_code: String,
    buyer_code: String,
    hunnan: i64,
    tiexi: i64,
}

async fn fixture(db: &TestDb) -> Fixture {
    let app = TestApp::new(db.clone_for_test()).await;
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
    let hunnan = app.org_id(HUNNAN).await;
    let tiexi = app.org_id(TIEXI).await;
    // A registrar of another site.
    s.create_user(
        &Actor::system("test"),
        &NewUser {
            username: "registrar_tiexi".into(),
            password: chengguo_store::demo::DEMO_PASSWORD.into(),
            display_name: "铁西服务站 登记员".into(),
            roles: vec![Role::Registrar],
            org_id: Some(tiexi),
            district_code: None,
        },
    )
    .await
    .unwrap();
    Fixture {
        app,
        seller_code: seller.credit_code,
        buyer_code: buyer.credit_code,
        hunnan,
        tiexi,
    }
}

impl Fixture {
    fn body(&self, no: &str, tx_yuan: &str, site: i64) -> Value {
        json!({
            "contract_no": no, "title": "数控机床热误差补偿技术开发", "category": "development",
            "signed_on": "2026-03-02", "seller_name": "东北大学", "seller_credit_code": self.seller_code,
            "seller_division_code": "210102", "seller_nature": "022", "buyer_name": "沈阳机床股份有限公司",
            "buyer_credit_code": self.buyer_code, "buyer_division_code": "210106", "buyer_nature": "160",
            "contract_amount": "9000000.00", "tech_transaction_amount": tx_yuan, "tech_field": "先进制造",
            "ip_type": "专利", "site_id": site,
            "payment_schedule": [{"due_on": "2026-09-30", "amount": "4500000", "note": "验收后"}]
        })
    }

    async fn create(&self, token: &str, no: &str, tx: &str) -> i64 {
        let r = self
            .app
            .api(
                Method::POST,
                "/api/v1/contracts",
                Some(token),
                Some(self.body(no, tx, self.hunnan)),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["id"].as_i64().unwrap()
    }

    async fn act(&self, token: &str, id: i64, action: &str, body: Option<Value>) -> common::Resp {
        self.app
            .api(
                Method::POST,
                &format!("/api/v1/contracts/{id}/actions/{action}"),
                Some(token),
                body,
            )
            .await
    }

    async fn act_ok(&self, token: &str, id: i64, action: &str) -> Value {
        let body =
            (action == "reject").then(|| json!({"refusal_ground": "not_technology_contract"}));
        let r = self.act(token, id, action, body).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
        r.json()
    }
}

async fn registration_workflow(db: &TestDb) {
    let f = fixture(db).await;
    let (unit, registrar, other_site, bureau) = (
        f.app.token("unit").await,
        f.app.token("registrar").await,
        f.app.token("registrar_tiexi").await,
        f.app.token("bureau").await,
    );
    let id = f.create(&unit, "NEU-2026-001", "4999999.99").await;
    let c = f
        .app
        .api(
            Method::GET,
            &format!("/api/v1/contracts/{id}"),
            Some(&unit),
            None,
        )
        .await
        .json();
    assert_eq!(c["status"], "draft");
    assert_eq!(c["contract_amount"], "9000000.00");
    assert_eq!(c["seller"]["division_name"], "辽宁省沈阳市和平区");
    assert_eq!(c["allowed_actions"], json!(["submit"]));

    // The same seller's contract number again: 409 naming contract_no.
    let r = f
        .app
        .api(
            Method::POST,
            "/api/v1/contracts",
            Some(&unit),
            Some(f.body("NEU-2026-001", "1", f.hunnan)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["fields"][0]["field"], "contract_no");

    f.act_ok(&unit, id, "submit").await;
    // A registrar of site B cannot act on site A's contract; the bureau takes no decision.
    for t in [&other_site, &bureau, &unit] {
        let r = f.act(t, id, "accept", None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    }
    let r = f
        .app
        .api(
            Method::GET,
            &format!("/api/v1/contracts/{id}"),
            Some(&other_site),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    f.act_ok(&registrar, id, "accept").await;
    let q = f
        .app
        .api(
            Method::GET,
            "/api/v1/contracts/queue",
            Some(&registrar),
            None,
        )
        .await
        .json();
    let mine = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .expect("in the queue")
        .clone();
    assert_eq!(mine["deadline"]["period_working_days"], 15);
    assert!(mine["deadline"]["working_days_left"].as_i64().unwrap() >= 14);
    assert_eq!(mine["deadline"]["overdue"], false);
    let q = f
        .app
        .api(
            Method::GET,
            "/api/v1/contracts/queue",
            Some(&other_site),
            None,
        )
        .await
        .json();
    assert!(q["items"].as_array().unwrap().iter().all(|c| c["id"] != id));

    f.act_ok(&registrar, id, "request_correction").await;
    let r = f.act(&registrar, id, "resubmit", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = f
        .app
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{id}"),
            Some(&unit),
            Some(json!({"title": "数控机床热误差补偿技术开发（补正）"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    f.act_ok(&unit, id, "resubmit").await;
    let c = f.act_ok(&registrar, id, "register").await;
    assert_eq!(c["status"], "registered");
    let no = c["registration_no"].as_str().unwrap().to_string();
    assert_eq!(no.len(), 16, "{no}");
    assert!(no[4..8].eq("2101"), "{no}");
    assert!(no.ends_with("000001"), "{no}");
    // Once registered, fields are frozen.
    let r = f
        .app
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{id}"),
            Some(&unit),
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The next registration at the same site and year takes the next serial.
    let id2 = f.create(&unit, "NEU-2026-002", "100").await;
    for a in ["submit", "accept", "register"] {
        let t = if a == "submit" { &unit } else { &registrar };
        f.act_ok(t, id2, a).await;
    }
    let c2 = f
        .app
        .api(
            Method::GET,
            &format!("/api/v1/contracts/{id2}"),
            Some(&bureau),
            None,
        )
        .await
        .json();
    assert!(c2["registration_no"].as_str().unwrap().ends_with("000002"));

    // ≥ 5,000,000 yuan of technology transaction: expert review first.
    let big = f.create(&unit, "NEU-2026-003", "5000000.00").await;
    f.act_ok(&unit, big, "submit").await;
    f.act_ok(&registrar, big, "accept").await;
    let r = f.act(&registrar, big, "register", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["code"], "expert_review_required");
    let c = f.act_ok(&registrar, big, "refer_expert").await;
    assert_eq!(c["deadline"]["period_working_days"], 30);
    f.act_ok(&registrar, big, "register").await;

    // A refusal needs a ground; afterwards nothing more happens.
    let bad = f.create(&unit, "NEU-2026-004", "10").await;
    f.act_ok(&unit, bad, "submit").await;
    f.act_ok(&registrar, bad, "accept").await;
    let r = f.act(&registrar, bad, "reject", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["fields"][0]["field"], "refusal_ground");
    let r = f
        .act(
            &registrar,
            bad,
            "reject",
            Some(json!({"refusal_ground": "签章不全或不符"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["refusal_ground"], "seal_problem");
    let r = f.act(&registrar, bad, "register", None).await;
    assert_eq!(r.json()["code"], "invalid_transition");

    let h = f
        .app
        .api(
            Method::GET,
            &format!("/api/v1/contracts/{id}"),
            Some(&unit),
            None,
        )
        .await
        .json();
    let steps: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "create",
            "submit",
            "accept",
            "request_correction",
            "update",
            "resubmit",
            "register"
        ]
    );
    let r = f
        .app
        .api(Method::GET, "/api/v1/audit/verify", Some(&bureau), None)
        .await;
    assert_eq!(r.json()["ok"], true);
    let r = f
        .app
        .api(
            Method::GET,
            &format!("/api/v1/audit?entity=contract&entity_id={id}"),
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 7);
}
storage_test!(registration_workflow);

/// Drives a fresh contract to `target` along the state machine.
async fn drive(f: &Fixture, unit: &str, registrar: &str, n: usize, target: ContractStatus) -> i64 {
    use ContractStatus as S;
    let path: &[&str] = match target {
        S::Draft => &[],
        S::Submitted => &["submit"],
        S::Accepted => &["submit", "accept"],
        S::NeedsCorrection => &["submit", "accept", "request_correction"],
        S::Resubmitted => &["submit", "accept", "request_correction", "resubmit"],
        S::ExpertReview => &["submit", "accept", "refer_expert"],
        S::Registered => &["submit", "accept", "register"],
        S::Rejected => &["submit", "accept", "reject"],
        S::Changed => &["submit", "accept", "register", "change"],
        S::Cancelled => &["submit", "accept", "register", "cancel"],
    };
    let id = f.create(unit, &format!("T-{n}"), "1000").await;
    for a in path {
        let t = if matches!(*a, "submit" | "resubmit") {
            unit
        } else {
            registrar
        };
        f.act_ok(t, id, a).await;
    }
    id
}

async fn transitions_outside_the_state_machine_are_refused(db: &TestDb) {
    let f = fixture(db).await;
    let unit = f.app.token("unit").await;
    let registrar = f.app.token("registrar").await;
    for (n, from) in ContractStatus::ALL.into_iter().enumerate() {
        let id = drive(&f, &unit, &registrar, n, from).await;
        for action in ContractAction::ALL {
            if next_status(from, action).is_some() {
                continue;
            }
            // The acting side, so that only the state table can refuse.
            let t = match action {
                ContractAction::Submit | ContractAction::Resubmit => &unit,
                _ => &registrar,
            };
            let body = Some(json!({"refusal_ground": "other"}));
            let r = f.act(t, id, action.as_str(), body).await;
            assert_eq!(
                r.status,
                StatusCode::CONFLICT,
                "{from} {action}: {}",
                r.text()
            );
            assert_eq!(r.json()["code"], "invalid_transition", "{from} {action}");
        }
        let r = f
            .app
            .api(
                Method::GET,
                &format!("/api/v1/contracts/{id}"),
                Some(&unit),
                None,
            )
            .await;
        assert_eq!(r.json()["status"], from.as_str());
    }
    let r = f.act(&unit, 1, "publish", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
storage_test!(transitions_outside_the_state_machine_are_refused);

/// Every mutating contract endpoint × every role (and anonymous).
async fn mutating_endpoints_by_role(db: &TestDb) {
    let f = fixture(db).await;
    let unit = f.app.token("unit").await;
    let mut tokens = Vec::new();
    for r in ROLES {
        tokens.push((r, Some(f.app.token(r).await)));
    }
    tokens.push(("anonymous", None));
    let example = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/contracts.csv"
    ))
    .unwrap();
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
        // Create: the applicant's members, the chosen site's registrars, the bureau.
        let r = f
            .app
            .api(
                Method::POST,
                "/api/v1/contracts",
                t,
                Some(f.body(&format!("R-{i}"), "10", f.hunnan)),
            )
            .await;
        assert_eq!(
            r.status,
            expect(
                matches!(*role, "bureau" | "unit" | "registrar"),
                StatusCode::CREATED
            ),
            "POST contracts as {role}: {}",
            r.text()
        );
        // Edit a draft: the applicant only (a registrar acts through its registration actions).
        let draft = f.create(&unit, &format!("D-{i}"), "10").await;
        let r = f
            .app
            .api(
                Method::PATCH,
                &format!("/api/v1/contracts/{draft}"),
                t,
                Some(json!({"title": format!("改 {role}")})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "unit", StatusCode::OK),
            "PATCH contract as {role}: {}",
            r.text()
        );
        // Submit: the applicant only; accept: the site's registrar only.
        let r = f.act_raw(t, draft, "submit").await;
        assert_eq!(
            r.status,
            expect(*role == "unit", StatusCode::OK),
            "submit as {role}"
        );
        if *role != "unit" {
            f.act_ok(&unit, draft, "submit").await;
        }
        let r = f.act_raw(t, draft, "accept").await;
        assert_eq!(
            r.status,
            expect(*role == "registrar", StatusCode::OK),
            "accept as {role}"
        );
        // Import and settings: the bureau.
        let r = f
            .app
            .raw(
                Method::POST,
                "/api/v1/contracts/import?dry_run=true",
                t,
                example.clone(),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::OK),
            "import as {role}: {}",
            r.text()
        );
        let r = f
            .app
            .api(
                Method::PATCH,
                "/api/v1/settings/contracts",
                t,
                Some(json!({"review_days": 15})),
            )
            .await;
        assert_eq!(
            r.status,
            expect(*role == "bureau", StatusCode::OK),
            "settings as {role}"
        );
        // Statistics: bureau, districts, registrars.
        let r = f
            .app
            .api(Method::GET, "/api/v1/stats/contracts", t, None)
            .await;
        assert_eq!(
            r.status,
            expect(
                matches!(*role, "bureau" | "district" | "registrar"),
                StatusCode::OK
            ),
            "stats as {role}"
        );
    }
    let _ = f.tiexi;
}
storage_test!(mutating_endpoints_by_role);

impl Fixture {
    async fn act_raw(&self, token: Option<&str>, id: i64, action: &str) -> common::Resp {
        self.app
            .api(
                Method::POST,
                &format!("/api/v1/contracts/{id}/actions/{action}"),
                token,
                None,
            )
            .await
    }
}

/// A deterministic generator (64-bit LCG).
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

fn code(kind: chengguo_core::OrgKind, division: &str, n: usize) -> String {
    chengguo_store::demo::demo_credit_code(kind, division, 500_000 + n).to_string()
}

/// One generated contract: (seller division or "" abroad, buyer division or "", buyer country,
/// seller nature, category, contract fen, tx fen, registered day or "").
type Gen = (String, String, String, String, String, i64, i64, String);

fn generate(n: usize, seed: u64) -> (Vec<u8>, Vec<Gen>) {
    let shenyang = [
        "210102", "210103", "210104", "210105", "210106", "210111", "210112", "210113", "210114",
        "210115", "210123", "210124", "210181", "210100",
    ];
    let elsewhere = ["110101", "310104", "210202", "440305", "210211", "120101"];
    let cats = [
        "development",
        "transfer",
        "licensing",
        "consulting",
        "service",
    ];
    let natures = ["022", "021", "150", "160", "170"];
    let mut rng = Lcg(seed);
    let mut csv = String::from("contract_no,title,category,signed_on,registered_on,registration_no,seller_name,seller_credit_code,seller_division_code,seller_nature,seller_country,buyer_name,buyer_credit_code,buyer_division_code,buyer_country,buyer_nature,contract_amount,tech_transaction_amount,tech_field,ip_type\n");
    let mut gens = Vec::new();
    for i in 0..n {
        let pick = |rng: &mut Lcg, xs: &[&str]| xs[rng.below(xs.len() as u64) as usize].to_string();
        // Sellers: mostly Shenyang, some elsewhere, a few abroad (technology imports).
        let (sd, sc, scountry) = match rng.below(10) {
            0 => (String::new(), String::new(), "840".to_string()),
            1 | 2 => {
                let d = pick(&mut rng, &elsewhere);
                let c = code(
                    chengguo_core::OrgKind::Enterprise,
                    &d,
                    rng.below(40) as usize,
                );
                (d, c, "156".into())
            }
            _ => {
                let d = pick(&mut rng, &shenyang);
                let c = code(
                    chengguo_core::OrgKind::University,
                    &d,
                    100 + rng.below(60) as usize,
                );
                (d, c, "156".into())
            }
        };
        // Buyers: Shenyang, elsewhere, abroad (never abroad when the seller is).
        let (bd, bc, bcountry) = match rng.below(10) {
            0 | 1 if !sd.is_empty() => (String::new(), String::new(), "276".to_string()),
            2..=4 => {
                let d = pick(&mut rng, &elsewhere);
                let c = code(
                    chengguo_core::OrgKind::Enterprise,
                    &d,
                    300 + rng.below(40) as usize,
                );
                (d, c, "156".into())
            }
            _ => {
                let d = pick(&mut rng, &shenyang);
                let c = code(
                    chengguo_core::OrgKind::Enterprise,
                    &d,
                    600 + rng.below(60) as usize,
                );
                (d, c, "156".into())
            }
        };
        let nature = if sd.is_empty() {
            "300".to_string()
        } else {
            pick(&mut rng, &natures)
        };
        let cat = pick(&mut rng, &cats);
        let fen = 1 + rng.below(2_000_000_000) as i64;
        let tx = fen - rng.below(fen as u64 / 2 + 1) as i64;
        // Registered 2031–2032 (no demo contract there); one in eight is a draft.
        let day = if rng.below(8) == 0 {
            String::new()
        } else {
            format!(
                "{}-{:02}-{:02}",
                2031 + rng.below(2),
                1 + rng.below(12),
                1 + rng.below(28)
            )
        };
        let reg_no = if day.is_empty() {
            String::new()
        } else {
            format!("G{i:08}")
        };
        let yuan = |f: i64| format!("{}.{:02}", f / 100, f % 100);
        csv.push_str(&format!(
            "G-{i},技术合同{i},{cat},2030-12-31,{day},{reg_no},卖方{sc}{i},{sc},{sd},{nature},{scountry},买方{bc},{bc},{bd},{bcountry},{},{},{},{},{}\n",
            if bd.is_empty() { "300" } else { "150" },
            yuan(fen),
            yuan(tx),
            "电子信息",
            "未涉及"
        ));
        gens.push((sd, bd, bcountry, nature, cat, fen, tx, day));
    }
    (csv.into_bytes(), gens)
}

/// The statistics of DOMAIN.md §3, computed directly from the generated rows.
fn expected(gens: &[Gen], region: &str, from: &str, to: &str) -> Value {
    let counted: Vec<&Gen> = gens
        .iter()
        .filter(|g| !g.7.is_empty() && g.7.as_str() >= from && g.7.as_str() <= to)
        .collect();
    let seller_in = |g: &Gen, r: &str| !g.0.is_empty() && g.0.starts_with(r);
    let buyer_in = |g: &Gen, r: &str| g.2 == "156" && !g.1.is_empty() && g.1.starts_with(r);
    let yuan = |f: i64| format!("{}.{:02}", f / 100, f % 100);
    let tally = |xs: Vec<&&Gen>| {
        json!({"count": xs.len(), "contract_amount": yuan(xs.iter().map(|g| g.5).sum()),
               "tech_transaction_amount": yuan(xs.iter().map(|g| g.6).sum())})
    };
    let turnover: Vec<&&Gen> = counted.iter().filter(|g| seller_in(g, region)).collect();
    let out_local: Vec<&&Gen> = turnover
        .iter()
        .copied()
        .filter(|g| buyer_in(g, region))
        .collect();
    let out_non: Vec<&&Gen> = turnover
        .iter()
        .copied()
        .filter(|g| !buyer_in(g, region))
        .collect();
    let abs: Vec<&&Gen> = counted.iter().filter(|g| buyer_in(g, region)).collect();
    let abs_local: Vec<&&Gen> = abs
        .iter()
        .copied()
        .filter(|g| seller_in(g, region))
        .collect();
    let abs_non: Vec<&&Gen> = abs
        .iter()
        .copied()
        .filter(|g| !seller_in(g, region))
        .collect();
    let num: i64 = out_local.iter().map(|g| g.5).sum();
    let den: i64 = turnover.iter().map(|g| g.5).sum();
    let mut by_cat = BTreeMap::new();
    for c in [
        "consulting",
        "development",
        "licensing",
        "service",
        "transfer",
    ] {
        let xs: Vec<&&Gen> = turnover.iter().copied().filter(|g| g.4 == c).collect();
        by_cat.insert(c.to_string(), tally(xs));
    }
    json!({
        "turnover": tally(turnover.clone()),
        "output_local": tally(out_local), "output_non_local": tally(out_non),
        "absorption": tally(abs.clone()), "absorption_local": tally(abs_local), "absorption_non_local": tally(abs_non),
        "rate": if den == 0 { Value::Null } else { json!(num as f64 / den as f64) },
        "by_category": by_cat,
        "district_210106": {
            "output": tally(counted.iter().filter(|g| seller_in(g, "210106")).collect()),
            "absorption": tally(counted.iter().filter(|g| buyer_in(g, "210106")).collect()),
        }
    })
}

fn pick_tally(v: &Value) -> Value {
    json!({"count": v["count"], "contract_amount": v["contract_amount"], "tech_transaction_amount": v["tech_transaction_amount"]})
}

async fn statistics_equal_an_independent_computation(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let (csv, gens) = generate(600, 11);
    let r = app
        .raw(Method::POST, "/api/v1/contracts/import", Some(&bureau), csv)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 600);
    for (region, from, to) in [
        ("2101", "2031-01-01", "2032-12-31"),
        ("2101", "2031-03-15", "2031-11-02"),
        ("210106", "2031-01-01", "2032-12-31"),
        ("21", "2032-01-01", "2032-12-31"),
    ] {
        let want = expected(&gens, region, from, to);
        let got = app
            .api(
                Method::GET,
                &format!("/api/v1/stats/contracts?region={region}&from={from}&to={to}"),
                Some(&bureau),
                None,
            )
            .await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text());
        let got = got.json();
        let ctx = format!("{region} {from}..{to}");
        assert_eq!(pick_tally(&got["turnover"]), want["turnover"], "{ctx}");
        assert_eq!(
            pick_tally(&got["output"]["local"]),
            want["output_local"],
            "{ctx}"
        );
        assert_eq!(
            pick_tally(&got["output"]["non_local"]),
            want["output_non_local"],
            "{ctx}"
        );
        assert_eq!(pick_tally(&got["absorption"]), want["absorption"], "{ctx}");
        assert_eq!(
            pick_tally(&got["absorption"]["local"]),
            want["absorption_local"],
            "{ctx}"
        );
        assert_eq!(
            pick_tally(&got["absorption"]["non_local"]),
            want["absorption_non_local"],
            "{ctx}"
        );
        assert_eq!(got["local_conversion_rate"], want["rate"], "{ctx}");
        assert_eq!(got["formula"]["basis"], "amount");
        for c in got["by_category"].as_array().unwrap() {
            let k = c["category"].as_str().unwrap();
            assert_eq!(pick_tally(c), want["by_category"][k], "{ctx} {k}");
        }
        if region == "2101" {
            let d = got["by_district"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["division_code"] == "210106")
                .unwrap();
            assert_eq!(
                pick_tally(&d["output"]),
                want["district_210106"]["output"],
                "{ctx}"
            );
            assert_eq!(
                pick_tally(&d["absorption"]),
                want["district_210106"]["absorption"],
                "{ctx}"
            );
            assert_eq!(got["by_district"].as_array().unwrap().len(), 13);
        }
        // Every figure opens the list of its contracts.
        for m in [
            "turnover",
            "output_local",
            "output_non_local",
            "absorption",
            "absorption_local",
            "absorption_non_local",
        ] {
            let r = app
                .api(
                    Method::GET,
                    &format!("/api/v1/stats/contracts/records?region={region}&from={from}&to={to}&measure={m}&limit=200"),
                    Some(&bureau),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let v = r.json();
            assert_eq!(v["total"], want[m]["count"], "{ctx} {m}");
            if v["total"].as_i64().unwrap() <= 200 {
                let sum: i64 = v["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        chengguo_core::Fen::parse_yuan(c["contract_amount"].as_str().unwrap())
                            .unwrap()
                            .0
                    })
                    .sum();
                assert_eq!(
                    chengguo_core::Fen(sum).to_string(),
                    want[m]["contract_amount"].as_str().unwrap(),
                    "{ctx} {m}"
                );
            }
        }
    }
    // Year over year: locally absorbed contracts of 2032 against 2031.
    let y = |year: &str| {
        expected(
            &gens,
            "2101",
            &format!("{year}-01-01"),
            &format!("{year}-12-31"),
        )["output_local"]["count"]
            .as_i64()
            .unwrap()
    };
    let got = app
        .api(
            Method::GET,
            "/api/v1/stats/contracts?region=2101&from=2032-01-01&to=2032-12-31",
            Some(&bureau),
            None,
        )
        .await
        .json();
    assert_eq!(
        got["local_absorption"]["count"].as_i64().unwrap(),
        y("2032")
    );
    assert_eq!(
        got["local_absorption"]["previous_year_count"]
            .as_i64()
            .unwrap(),
        y("2031")
    );
    let g = (y("2032") - y("2031")) as f64 / y("2031") as f64;
    assert!((got["local_absorption"]["yoy_growth"].as_f64().unwrap() - g).abs() < 1e-12);
    // The drill-down exports to XLSX; a category and a district narrow it.
    let r = app
        .api(Method::GET, "/api/v1/stats/contracts/records?region=2101&from=2031-01-01&to=2032-12-31&measure=absorption&district=210106&format=xlsx", Some(&bureau), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"PK"));
    let r = app
        .api(Method::GET, "/api/v1/stats/contracts/records?region=2101&from=2031-01-01&to=2032-12-31&category=service", Some(&bureau), None)
        .await;
    assert_eq!(r.json()["total"], want_cat(&gens));
    // Bad parameters are named.
    let r = app
        .api(
            Method::GET,
            "/api/v1/stats/contracts?region=99&from=2031-02-30",
            Some(&bureau),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v = r.json();
    let fields: Vec<&str> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["region", "from"]);
}
storage_test!(statistics_equal_an_independent_computation);

fn want_cat(gens: &[Gen]) -> Value {
    expected(gens, "2101", "2031-01-01", "2032-12-31")["by_category"]["service"]["count"].clone()
}

async fn import_names_each_bad_cell_and_writes_nothing(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let before = app.db.store.count(Table::Contracts).await.unwrap();
    let orgs_before = app.db.store.count(Table::Organizations).await.unwrap();
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/contracts.csv"
    ))
    .unwrap();
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    // Row 2: a wrong check character; row 3: tx above the contract amount; row 4: an unknown
    // category; row 5: a malformed date; a new row 6: three decimals.
    let cc = lines[1].split(',').nth(7).unwrap().to_string();
    let mut bad_cc = cc.clone();
    let last = bad_cc.pop().unwrap();
    bad_cc.push(if last == '0' { '1' } else { '0' });
    lines[1] = lines[1].replace(&cc, &bad_cc);
    lines[2] = lines[2].replace(",800000,800000,", ",800000,800000.01,");
    lines[3] = lines[3].replace(",技术咨询,", ",技术合作,");
    lines[4] = lines[4].replace(",2024-06-03,", ",2024/06/03,");
    lines.push(
        lines[4]
            .replace("SY-2024-0004", "SY-2024-0005")
            .replace(",2024/06/03,", ",2024-06-03,")
            .replace(",96000.00,96000.00,", ",96000.005,96000.00,"),
    );
    let file = lines.join("\n") + "\n";
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import",
            Some(&bureau),
            file.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let v = r.json();
    let problems: Vec<(i64, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_i64().unwrap(),
                p["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (2, "卖方统一社会信用代码".to_string()),
            (3, "技术交易额".to_string()),
            (4, "合同类别".to_string()),
            (5, "签订日期".to_string()),
            (6, "合同成交额".to_string()),
        ],
        "{v}"
    );
    assert_eq!(v["created"], 0);
    assert_eq!(app.db.store.count(Table::Contracts).await.unwrap(), before);
    assert_eq!(
        app.db.store.count(Table::Organizations).await.unwrap(),
        orgs_before
    );

    // The documented example imports; again, it is refused as duplicates and changes nothing.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import",
            Some(&bureau),
            good.clone().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 4);
    assert_eq!(r.json()["registered_rows"], 3);
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import",
            Some(&bureau),
            good.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["problems"].as_array().unwrap().len(), 4);
    assert_eq!(
        app.db.store.count(Table::Contracts).await.unwrap(),
        before + 4
    );
    // GB18030 with the same content reads the same.
    let gb = encoding_rs::GB18030
        .encode(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../docs/examples/contracts.csv"
            ))
            .unwrap(),
        )
        .0
        .into_owned();
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import?dry_run=true",
            Some(&bureau),
            gb,
        )
        .await;
    assert_eq!(r.json()["encoding"], "GB18030");
}
storage_test!(import_names_each_bad_cell_and_writes_nothing);

/// A file of several batches (the reader sends 10,000 rows at a time while the store writes):
/// a stored duplicate and a bad cell far down the file still leave nothing written, and both
/// are named; the same file without them imports every row.
async fn import_of_many_batches_is_all_or_nothing(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let bureau = app.token("bureau").await;
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/contracts.csv"
    ))
    .unwrap();
    let lines: Vec<&str> = example.lines().collect();
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import",
            Some(&bureau),
            example.clone().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let before = app.db.store.count(Table::Contracts).await.unwrap();
    let orgs_before = app.db.store.count(Table::Organizations).await.unwrap();
    let audit_before = app.db.store.count(Table::AuditLog).await.unwrap();
    // 25,000 rows made from the example's first row, row N numbered BIG-N.
    let rows = 25_000;
    let mut file: Vec<String> = vec![lines[0].to_string()];
    for n in 2..rows + 2 {
        file.push(lines[1].replace("SY-2024-0001", &format!("BIG-{n}")));
    }
    let clean = file.join("\n") + "\n";
    // Row 15,000: the stored example row; row 24,000: three decimals.
    file[15_000 - 1] = lines[1].to_string();
    file[24_000 - 1] = file[24_000 - 1].replace(",1200000.50,", ",1200000.505,");
    let bad = file.join("\n") + "\n";
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import",
            Some(&bureau),
            bad.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let v = r.json();
    let problems: Vec<(i64, &str)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["row"].as_i64().unwrap(), p["column"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [(15_000, "contract_no"), (24_000, "合同成交额")],
        "{v}"
    );
    assert_eq!(
        (v["rows"].as_i64(), v["created"].as_i64()),
        (Some(rows), Some(0))
    );
    assert_eq!(app.db.store.count(Table::Contracts).await.unwrap(), before);
    assert_eq!(
        app.db.store.count(Table::Organizations).await.unwrap(),
        orgs_before
    );
    assert_eq!(
        app.db.store.count(Table::AuditLog).await.unwrap(),
        audit_before
    );

    // A quote opened in the last row and never closed: found only once two batches of clean
    // rows are on their way to the database, still nothing is written.
    let unclosed = clean.clone() + "\"BIG-X,unclosed\n";
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import",
            Some(&bureau),
            unclosed.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let v = r.json();
    assert_eq!(v["problems"][0]["row"].as_i64(), Some(rows + 2), "{v}");
    assert!(
        v["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("quote"),
        "{v}"
    );
    assert_eq!(app.db.store.count(Table::Contracts).await.unwrap(), before);
    assert_eq!(
        app.db.store.count(Table::AuditLog).await.unwrap(),
        audit_before
    );

    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts/import",
            Some(&bureau),
            clean.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"].as_i64(), Some(rows));
    assert_eq!(
        app.db.store.count(Table::Contracts).await.unwrap(),
        before + rows
    );
    assert!(app.db.store.audit_verify().await.unwrap().is_ok());
}
storage_test!(import_of_many_batches_is_all_or_nothing);

async fn contract_pages(db: &TestDb) {
    let f = fixture(db).await;
    let app = &f.app;
    let unit = app.login("unit").await;
    let r = app.page(&unit, "/contracts/new").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains(&f.seller_code), "the seller is prefilled");
    // Bad input: errors inline, next to the field, with what was typed kept.
    let site = f.hunnan.to_string();
    let mut fields = vec![
        ("contract_no", "PAGE-1"),
        ("title", "页面填报的合同"),
        ("category", "development"),
        ("signed_on", "2026-02-30"),
        ("seller_name", "东北大学"),
        ("seller_credit_code", f.seller_code.as_str()),
        ("seller_division_code", "210102"),
        ("seller_country", "156"),
        ("seller_nature", "022"),
        ("buyer_name", "沈阳机床股份有限公司"),
        ("buyer_credit_code", f.buyer_code.as_str()),
        ("buyer_division_code", "210106"),
        ("buyer_country", "156"),
        ("buyer_nature", "160"),
        ("contract_amount", "100.005"),
        ("tech_transaction_amount", "50"),
        ("tech_field", "advanced_manufacturing"),
        ("ip_type", "patent"),
        ("site_id", site.as_str()),
        ("pay_due_0", "2026-06-30"),
        ("pay_amount_0", "abc"),
    ];
    let r = app.form(&unit, "/contracts/new", &fields, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("field-error"), "{html}");
    assert!(html.contains("100.005") && html.contains("页面填报的合同"));
    assert!(html.contains("more than two decimals"));
    fields[3] = ("signed_on", "2026-02-27");
    fields[14] = ("contract_amount", "100.00");
    fields[20] = ("pay_amount_0", "100");
    let r = app.form(&unit, "/contracts/new", &fields, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location().unwrap();
    let id: i64 = loc
        .trim_start_matches("/contracts/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = app.page(&unit, &loc).await;
    assert!(r.text().contains("data-action=\"submit\""), "{}", r.text());
    let r = app
        .form(&unit, &format!("/contracts/{id}/actions/submit"), &[], None)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.page(&unit, "/contracts").await;
    assert!(r.text().contains("PAGE-1"));

    let registrar = app.login("registrar").await;
    let r = app
        .form(
            &registrar,
            &format!("/contracts/{id}/actions/accept"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.page(&registrar, "/contracts/queue").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("PAGE-1") && r.text().contains("剩余工作日"));
    // Without a ground, a refusal is refused.
    let r = app
        .form(
            &registrar,
            &format!("/contracts/{id}/actions/reject"),
            &[("refusal_ground", "")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .form(
            &registrar,
            &format!("/contracts/{id}/actions/register"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let bureau = app.login("bureau").await;
    let year = chengguo_store::today_cn().year();
    let r = app
        .page(
            &bureau,
            &format!("/stats/contracts?region=2101&from={year}-01-01"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("<svg") && html.contains("本地转化率"),
        "{html}"
    );
    assert!(html.contains("/stats/contracts/records?region=2101"));
    // Headline figures in 万元 with the exact yuan on hover; the formula in words.
    assert!(html.contains("万元") && html.contains("元\"><span class=\"value\">"));
    assert!(
        html.contains("输出到本地的合同成交额 ÷ 输出的合同成交额"),
        "the default formula in Chinese words"
    );
    let r = app
        .page(
            &bureau,
            &format!("/stats/contracts/records?region=2101&from={year}-01-01&measure=output_local"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("页面填报的合同"));
    let r = app
        .page(
            &bureau,
            &format!(
                "/stats/contracts/records.xlsx?region=2101&from={year}-01-01&measure=output_local"
            ),
        )
        .await;
    assert!(r.body.starts_with(b"PK"));
    let r = app.page(&bureau, "/contracts/import").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.page(&bureau, "/").await;
    assert!(r.text().contains("/stats/contracts"));

    let public = app.login("public").await;
    for uri in [
        "/contracts/queue",
        "/stats/contracts",
        "/contracts/new",
        "/contracts/import",
    ] {
        let r = app.page(&public, uri).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
    }
    let r = app.page(&public, &format!("/contracts/{id}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
storage_test!(contract_pages);
