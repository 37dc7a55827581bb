//! The statistics summary (`contract_summary`): kept in step with workflow registrations,
//! changes, cancellations and imports, equal to its rebuild from `contracts`, and statistics read
//! through it equal a direct computation over every stored contract, for whole and partial
//! months, regions and formulas, on both databases.

use chengguo_core::contract::{
    districts_of, ContractAction, ContractFact, ContractInput, ContractStats, NewContract,
    RateBasis, SellerScope, StatsAccumulator, StatsFormula,
};
use chengguo_core::{Actor, OrgKind, Role};
use chengguo_store::testing::TestDb;
use chengguo_store::{storage_test, Contract, ContractQuery, Store, StoreError};
use time::Date;

fn day(s: &str) -> Date {
    chengguo_core::contract::parse_date(s).unwrap()
}

const DIVISIONS: [&str; 6] = ["210112", "210106", "210102", "110105", "210202", "310115"];
const CATEGORIES: [&str; 5] = [
    "development",
    "transfer",
    "licensing",
    "consulting",
    "service",
];

/// A contract with varied parties, category and amount; registered on `registered_on` when
/// given (for imports), else a draft at `site`.
fn contract(n: usize, site: Option<i64>, registered_on: Option<&str>) -> NewContract {
    let sd = DIVISIONS[n % DIVISIONS.len()];
    let bd = DIVISIONS[(n * 7 + 3) % DIVISIONS.len()];
    let (seller_kind, seller_nature) = match n % 3 {
        0 => (OrgKind::University, "022"),
        1 => (OrgKind::Institute, "021"),
        _ => (OrgKind::Enterprise, "150"),
    };
    let seller =
        chengguo_store::demo::demo_credit_code(seller_kind, sd, 9_000 + n % 17).to_string();
    let buyer =
        chengguo_store::demo::demo_credit_code(OrgKind::Enterprise, bd, 9_500 + n % 13).to_string();
    let abroad = n % 11 == 5;
    let no = format!("S-{n}");
    let reg_no = format!("2025210199{n:06}");
    let amount = format!("{}.{:02}", 10_000 + n * 7_919 % 3_000_000, n % 100);
    let site = site.map(|s| s.to_string());
    let f = |name: &str| -> Option<String> {
        Some(match name {
            "contract_no" => no.clone(),
            "title" => "汇总测试合同".into(),
            "category" => CATEGORIES[n % CATEGORIES.len()].into(),
            "signed_on" => "2021-01-02".into(),
            "registered_on" => registered_on?.into(),
            "registration_no" => {
                registered_on?;
                reg_no.clone()
            }
            "seller_name" => format!("汇总卖方{}", n % 17),
            "seller_credit_code" => seller.clone(),
            "seller_division_code" => sd.into(),
            "seller_nature" => seller_nature.into(),
            "buyer_name" if abroad => "Summary Buyer Inc.".into(),
            "buyer_name" => format!("汇总买方{}", n % 13),
            "buyer_credit_code" if abroad => return None,
            "buyer_credit_code" => buyer.clone(),
            "buyer_division_code" if abroad => return None,
            "buyer_division_code" => bd.into(),
            "buyer_country" => if abroad { "840" } else { "156" }.into(),
            "buyer_nature" => if abroad { "300" } else { "150" }.into(),
            "contract_amount" => amount.clone(),
            "tech_transaction_amount" => amount.clone(),
            "tech_field" => "新材料及其应用".into(),
            "ip_type" => "专利".into(),
            "site_id" => site.clone()?,
            _ => return None,
        })
    };
    ContractInput::from_fields(f).into_new().unwrap()
}

async fn all_contracts(s: &Store) -> Vec<Contract> {
    let mut out = Vec::new();
    loop {
        let page = s
            .list_contracts(&ContractQuery {
                sort: "id".into(),
                limit: 10_000,
                offset: out.len() as i64,
                ..Default::default()
            })
            .await
            .unwrap();
        let done = page.items.is_empty();
        out.extend(page.items);
        if done {
            return out;
        }
    }
}

/// The statistics computed directly from every stored contract.
fn direct(cs: &[Contract], region: &str, from: Date, to: Date, f: StatsFormula) -> ContractStats {
    let (from, to) = (from.to_string(), to.to_string());
    let mut acc = StatsAccumulator::new(region, f, districts_of(region));
    for c in cs {
        let Some(on) = &c.registered_on else { continue };
        if !c.status.counts_in_statistics() || *on < from || *on > to {
            continue;
        }
        acc.add(&ContractFact {
            seller_division: c.seller.division_code.as_deref(),
            buyer_division: c.buyer.division_code.as_deref(),
            buyer_country: &c.buyer.country,
            seller_nature: &c.seller.nature,
            category: &c.category,
            contract_amount: c.contract_amount,
            tx_amount: c.tech_transaction_amount,
        });
    }
    acc.finish()
}

async fn check_against_direct(s: &Store) {
    let cs = all_contracts(s).await;
    let formulas = [
        StatsFormula::default(),
        StatsFormula {
            basis: RateBasis::Count,
            sellers: SellerScope::UniversitiesAndInstitutes,
            ..Default::default()
        },
    ];
    let periods = [
        ("2025-01-01", "2025-12-31"),
        ("2025-03-15", "2025-07-10"),
        ("2025-02-03", "2025-02-20"),
        ("2025-06-01", "2025-06-30"),
        ("2024-11-30", "2026-01-01"),
        ("2024-02-29", "2025-02-28"),
        ("2020-01-01", "2027-12-31"),
        ("2025-05-31", "2025-05-01"),
    ];
    for region in ["2101", "210112", "21", "11"] {
        for (a, b) in periods {
            let (from, to) = (day(a), day(b));
            for f in formulas {
                let got = s.contract_stats(region, from, to, f).await.unwrap();
                assert_eq!(
                    got.stats,
                    direct(&cs, region, from, to, f),
                    "{region} {a}..{b} {f:?}"
                );
                let shift = |d: Date| {
                    d.replace_year(d.year() - 1)
                        .or_else(|_| d.replace_day(28).and_then(|x| x.replace_year(d.year() - 1)))
                        .unwrap()
                };
                let prev = direct(&cs, region, shift(from), shift(to), f).local_absorption_count();
                assert_eq!(got.local_absorption_prev_year, prev, "{region} {a}..{b}");
            }
            // Turnover by month: seller in the region.
            let by_month = s
                .contract_turnover_by_month(region, from, to)
                .await
                .unwrap();
            let mut expected = std::collections::BTreeMap::<String, (i64, i64)>::new();
            for c in &cs {
                let Some(on) = &c.registered_on else { continue };
                let seller_in = c
                    .seller
                    .division_code
                    .as_deref()
                    .is_some_and(|d| d.starts_with(region));
                if c.status.counts_in_statistics()
                    && seller_in
                    && *on >= from.to_string()
                    && *on <= to.to_string()
                {
                    let e = expected.entry(on[..7].to_string()).or_default();
                    e.0 += 1;
                    e.1 += c.contract_amount.0;
                }
            }
            let got: Vec<(String, i64, i64)> =
                by_month.into_iter().map(|(m, n, a)| (m, n, a.0)).collect();
            let want: Vec<(String, i64, i64)> =
                expected.into_iter().map(|(m, (n, a))| (m, n, a)).collect();
            assert_eq!(got, want, "by month {region} {a}..{b}");
        }
    }
}

async fn summary_follows_workflow_and_imports(db: &TestDb) {
    let s = &db.store;
    chengguo_store::demo::load(s).await.unwrap();
    let bureau = Actor::system("test");
    let (site, _) = s.registration_sites().await.unwrap()[0].clone();
    let registrar = Actor {
        user_id: 0,
        username: "test:registrar".into(),
        roles: vec![Role::Registrar],
        org_id: Some(site),
        district_code: None,
    };
    // The demo's imported contracts are in the summary from the start.
    assert!(!s.contract_summary().await.unwrap().is_empty());

    // Imported registered contracts on days spread over months and years, and imported drafts.
    let imported: Vec<NewContract> = (0..120)
        .map(|n| {
            let on = format!(
                "{}-{:02}-{:02}",
                2024 + n % 3,
                1 + (n * 5) % 12,
                1 + (n * 13) % 28
            );
            contract(n, Some(site), (n % 10 != 9).then_some(on.as_str()))
        })
        .collect();
    s.import_contracts(&bureau, &imported, "test")
        .await
        .unwrap();
    // Stored contract numbers of the same seller are refused, and nothing of that import is
    // written.
    let summary = s.contract_summary().await.unwrap();
    let probe = vec![
        contract(5_000, Some(site), Some("2025-05-05")),
        imported[5].clone(),
        imported[77].clone(),
    ];
    match s.import_contracts(&bureau, &probe, "test").await {
        Err(StoreError::Conflict { field, value }) => {
            assert_eq!(
                (field.as_str(), value),
                ("contract_no", imported[5].contract_no.clone())
            )
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(s.contract_summary().await.unwrap(), summary);

    // Workflow registrations on chosen days, including month ends and starts.
    let days = [
        "2025-01-31",
        "2025-02-01",
        "2025-02-28",
        "2025-03-15",
        "2025-06-30",
        "2025-07-01",
        "2025-12-31",
        "2026-01-01",
        "2024-03-15",
        "2024-02-29",
    ];
    let mut registered = Vec::new();
    for (k, d) in days.iter().cycle().take(30).enumerate() {
        let c = s
            .create_contract(&bureau, &contract(1_000 + k, Some(site), None))
            .await
            .unwrap();
        let applicant = Actor {
            user_id: 0,
            username: "test:applicant".into(),
            roles: vec![Role::Unit],
            org_id: c.applicant_org_id,
            district_code: None,
        };
        let on = day(d);
        s.contract_action(&applicant, c.id, ContractAction::Submit, None, "", on)
            .await
            .unwrap();
        s.contract_action(&registrar, c.id, ContractAction::Accept, None, "", on)
            .await
            .unwrap();
        if k % 6 == 5 {
            continue; // left in review: not counted
        }
        let r = s
            .contract_action(&registrar, c.id, ContractAction::Register, None, "", on)
            .await
            .unwrap();
        assert_eq!(r.registered_on.as_deref(), Some(*d));
        registered.push(r.id);
    }
    check_against_direct(s).await;

    // Changes and cancellations of workflow-registered and imported contracts.
    let imported_ids: Vec<i64> = all_contracts(s)
        .await
        .into_iter()
        .filter(|c| {
            c.imported && c.contract_no.starts_with("S-") && c.status.counts_in_statistics()
        })
        .map(|c| c.id)
        .collect();
    let today = day("2026-02-01");
    for (k, id) in registered.iter().chain(&imported_ids).enumerate() {
        let action = match k % 4 {
            0 => ContractAction::Cancel,
            1 => ContractAction::Change,
            _ => continue,
        };
        s.contract_action(&registrar, *id, action, None, "", today)
            .await
            .unwrap();
        if k % 8 == 1 {
            // Changed, then cancelled.
            s.contract_action(&registrar, *id, ContractAction::Cancel, None, "", today)
                .await
                .unwrap();
        }
    }
    check_against_direct(s).await;

    // The maintained summary equals its rebuild, which holds no empty rows.
    let maintained = s.contract_summary().await.unwrap();
    assert!(maintained.iter().all(|r| r.contracts > 0));
    let n = s.rebuild_contract_summary(&bureau).await.unwrap();
    let rebuilt = s.contract_summary().await.unwrap();
    assert_eq!(n, rebuilt.len());
    assert_eq!(maintained, rebuilt);
    check_against_direct(s).await;
}
storage_test!(summary_follows_workflow_and_imports);
