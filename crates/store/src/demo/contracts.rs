//! Demo technology contracts: a few thousand registered contracts 2021–2026 whose sellers and
//! buyers are the demo organizations, generated enterprises in every district of Shenyang,
//! elsewhere in China and abroad, in proportions close to the reported figures (about half of
//! the turnover absorbed locally, DOMAIN.md §8); plus a registrar queue at the 浑南 site with
//! contracts at every stage, some of them overdue. Deterministic: the same data every time.

use crate::{today_cn, Result, Store};
use chengguo_core::contract::{ContractAction, ContractInput, NewContract};
use chengguo_core::{Actor, DivisionCode, NewOrganization, OrgKind, Role};

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// A party: name, credit code (empty abroad), division (empty abroad), country, nature.
#[derive(Clone)]
struct P {
    name: String,
    code: String,
    division: String,
    country: &'static str,
    nature: &'static str,
}

const TOPICS: &[&str] = &[
    "工业机器人视觉定位",
    "数控机床热误差补偿",
    "高温合金热处理工艺",
    "新能源汽车电池管理系统",
    "集成电路封装测试工艺",
    "航空发动机叶片无损检测",
    "医药中间体连续合成",
    "智能电网状态监测",
    "秸秆生物质综合利用",
    "污水处理膜材料",
    "轨道交通车辆轴承诊断",
    "压缩机组振动故障诊断",
    "稀土永磁材料制备",
    "玉米深加工酶解工艺",
    "工业互联网平台数据治理",
    "医学影像辅助诊断算法",
    "建筑钢结构健康监测",
    "氢燃料电池双极板",
    "精密减速器设计",
    "碳化硅功率器件",
];

/// (category, title suffix, tech field, IP type) — the fields by Chinese name, as a form has them.
const KINDS: &[(&str, &str, &str)] = &[
    ("development", "技术开发", "专利"),
    ("development", "合作开发", "技术秘密"),
    ("transfer", "专利权转让", "专利"),
    ("licensing", "专利实施许可", "专利"),
    ("licensing", "软件许可", "计算机软件著作权"),
    ("consulting", "可行性论证咨询", "未涉及"),
    ("service", "技术服务", "未涉及"),
    ("service", "技术培训", "未涉及"),
];

const FIELDS: &[&str] = &[
    "电子信息",
    "先进制造",
    "新材料及其应用",
    "生物医药和医疗器械",
    "新能源与高效节能",
    "环境保护与资源综合利用",
    "航空航天",
    "现代交通",
    "农业",
    "城市建设与社会发展",
];

/// Districts of Shenyang with the industries generated enterprises there work in.
const SHENYANG: &[(&str, &str)] = &[
    ("210102", "和平"),
    ("210103", "沈河"),
    ("210104", "大东"),
    ("210105", "皇姑"),
    ("210106", "铁西"),
    ("210111", "苏家屯"),
    ("210112", "浑南"),
    ("210113", "沈北"),
    ("210114", "于洪"),
    ("210115", "辽中"),
    ("210123", "康平"),
    ("210124", "法库"),
    ("210181", "新民"),
];

const TRADES: &[&str] = &[
    "智能装备",
    "新材料",
    "生物科技",
    "电子技术",
    "节能环保",
    "汽车部件",
];

/// Elsewhere in China: (division, city prefix).
const ELSEWHERE: &[(&str, &str)] = &[
    ("110108", "北京海淀"),
    ("310115", "上海浦东"),
    ("440305", "深圳南山"),
    ("210202", "大连中山"),
    ("120116", "天津滨海"),
    ("220104", "长春朝阳"),
    ("230103", "哈尔滨南岗"),
    ("210302", "鞍山铁东"),
    ("330106", "杭州西湖"),
    ("420111", "武汉洪山"),
];

const ABROAD: &[(&str, &str)] = &[
    ("Demo Robotics GmbH", "276"),
    ("Example Materials Inc.", "840"),
    ("サンプル精機株式会社", "392"),
    ("Demo Precision Co., Ltd.", "410"),
    ("Exemple Aéronautique SAS", "250"),
];

fn demo_party(
    kind: OrgKind,
    division: &str,
    serial: usize,
    name: String,
    nature: &'static str,
) -> P {
    P {
        name,
        code: super::demo_credit_code(kind, division, serial).to_string(),
        division: division.to_string(),
        country: "156",
        nature,
    }
}

/// Loads the demo contracts; the demo organizations must be loaded. Returns how many.
pub(super) async fn load(store: &Store, actor: &Actor) -> Result<usize> {
    let mut rng = Lcg(2022_0304);
    // Sellers and buyers in Shenyang: the demo's universities, institutes and enterprises …
    let known = store
        .list_orgs(&crate::OrgQuery {
            division: Some("2101".into()),
            limit: 1000,
            ..Default::default()
        })
        .await?
        .items;
    let as_party = |o: &chengguo_core::Organization| P {
        name: o.name.clone(),
        code: o.credit_code.clone(),
        division: o.division_code.clone(),
        country: "156",
        nature: match o.nature.as_str() {
            "022" => "022",
            "021" => "021",
            "160" => "160",
            "170" => "170",
            _ => "150",
        },
    };
    let research: Vec<P> = known
        .iter()
        .filter(|o| {
            matches!(
                o.kind,
                OrgKind::University | OrgKind::Institute | OrgKind::RndInstitution
            )
        })
        .map(as_party)
        .collect();
    let mut local_firms: Vec<P> = known
        .iter()
        .filter(|o| o.kind == OrgKind::Enterprise)
        .map(as_party)
        .collect();
    // … and generated enterprises in every district, elsewhere in China (both created as demo
    // organizations first, so that they are marked as such).
    let mut new_orgs = Vec::new();
    for (i, (d, place)) in SHENYANG.iter().enumerate() {
        for (j, trade) in TRADES.iter().enumerate().take(3 + i % 3) {
            let p = demo_party(
                OrgKind::Enterprise,
                d,
                7000 + i * 10 + j,
                format!("沈阳{place}{trade}示例有限公司"),
                if j % 2 == 0 { "170" } else { "150" },
            );
            local_firms.push(p);
        }
    }
    let mut remote: Vec<P> = Vec::new();
    for (i, (d, city)) in ELSEWHERE.iter().enumerate() {
        for (j, trade) in TRADES.iter().enumerate().take(3) {
            remote.push(demo_party(
                OrgKind::Enterprise,
                d,
                8000 + i * 10 + j,
                format!("{city}{trade}示例有限公司"),
                "150",
            ));
        }
        remote.push(demo_party(
            OrgKind::Institute,
            d,
            8500 + i,
            format!("{city}示例技术研究院"),
            "021",
        ));
    }
    for p in local_firms.iter().chain(remote.iter()) {
        if known.iter().any(|o| o.credit_code == p.code) {
            continue;
        }
        new_orgs.push(NewOrganization {
            name: p.name.clone(),
            credit_code: chengguo_core::CreditCode::parse(&p.code).expect("demo code"),
            division_code: DivisionCode::parse(&p.division).expect("demo division"),
            nature: p.nature.to_string(),
            kind: if p.nature == "021" {
                OrgKind::Institute
            } else {
                OrgKind::Enterprise
            },
            description: "演示数据 / demo record".into(),
            is_demo: true,
        });
    }
    store.import_orgs(actor, &new_orgs).await?;
    let abroad: Vec<P> = ABROAD
        .iter()
        .map(|(n, c)| P {
            name: n.to_string(),
            code: String::new(),
            division: String::new(),
            country: c,
            nature: "300",
        })
        .collect();
    let sites = store.registration_sites().await?;
    let today = today_cn();

    let mut rows: Vec<NewContract> = Vec::new();
    // Contracts per year grow as the city's did (2026 up to today).
    for (year, n) in [
        (2021, 420),
        (2022, 470),
        (2023, 540),
        (2024, 600),
        (2025, 660),
        (2026, 620),
    ] {
        let mut serial = [500_000u64; 8];
        for k in 0..n {
            let seller = match rng.below(100) {
                0..=2 => rng.pick(&abroad).clone(),
                3..=14 => rng.pick(&remote).clone(),
                15..=59 => rng.pick(&research).clone(),
                _ => rng.pick(&local_firms).clone(),
            };
            let buyer = loop {
                let b = match rng.below(100) {
                    0..=6 if !seller.code.is_empty() => rng.pick(&abroad).clone(),
                    7..=52 => rng.pick(&remote).clone(),
                    _ => rng.pick(&local_firms).clone(),
                };
                if b.code != seller.code || b.code.is_empty() && b.name != seller.name {
                    break b;
                }
            };
            let (category, suffix, ip) = *rng.pick(KINDS);
            let topic = rng.pick(TOPICS);
            // Amounts: mostly 100k–3M yuan, a tail of large contracts (above the expert threshold).
            let yuan = match rng.below(100) {
                0..=29 => 20_000 + rng.below(200_000),
                30..=79 => 200_000 + rng.below(2_800_000),
                80..=95 => 3_000_000 + rng.below(7_000_000),
                _ => 10_000_000 + rng.below(60_000_000),
            } as i64;
            let fen = yuan * 100 + rng.below(100) as i64;
            let tx = if category == "development" || category == "transfer" {
                fen - fen * rng.below(30) as i64 / 100
            } else {
                fen
            };
            let month = 1 + rng.below(12) as u8;
            let day = 1 + rng.below(28) as u8;
            let Ok(reg) = time::Date::from_calendar_date(
                year,
                time::Month::try_from(month).expect("1..=12"),
                day,
            ) else {
                continue;
            };
            if reg > today {
                continue;
            }
            let signed = reg - time::Duration::days(5 + rng.below(40) as i64);
            let site_no = rng.below(sites.len().max(1) as u64) as usize;
            serial[site_no] += 1;
            let site = sites.get(site_no).map(|s| s.0);
            let input = ContractInput::from_fields(|f| {
                let v = match f {
                    "contract_no" => format!("SYDEMO-{year}-{k:04}"),
                    "title" => format!("{topic}{suffix}"),
                    "category" => category.into(),
                    "signed_on" => signed.to_string(),
                    "registered_on" => reg.to_string(),
                    "registration_no" => {
                        format!("{year}2101{:02}{:06}", site_no + 1, serial[site_no])
                    }
                    "seller_name" => seller.name.clone(),
                    "seller_credit_code" => seller.code.clone(),
                    "seller_division_code" => seller.division.clone(),
                    "seller_country" => seller.country.into(),
                    "seller_nature" => seller.nature.into(),
                    "buyer_name" => buyer.name.clone(),
                    "buyer_credit_code" => buyer.code.clone(),
                    "buyer_division_code" => buyer.division.clone(),
                    "buyer_country" => buyer.country.into(),
                    "buyer_nature" => buyer.nature.into(),
                    "contract_amount" => format!("{}.{:02}", fen / 100, fen % 100),
                    "tech_transaction_amount" => format!("{}.{:02}", tx / 100, tx % 100),
                    "tech_field" => rng_field(k).into(),
                    "ip_type" => ip.into(),
                    "site_id" => site.map(|s| s.to_string()).unwrap_or_default(),
                    _ => return None,
                };
                Some(v)
            });
            match input.into_new() {
                Ok(c) => rows.push(c),
                Err(e) => tracing::warn!(?e, "demo contract skipped"),
            }
        }
    }
    let n = rows.len();
    store.import_contracts(actor, &rows, "demo").await?;
    queue(store, actor, &research, &local_firms, &remote, &sites).await?;
    Ok(n)
}

fn rng_field(k: usize) -> &'static str {
    FIELDS[(k * 7 + k / 3) % FIELDS.len()]
}

/// Contracts in the 浑南 site's queue at every stage, submitted over the last weeks so that
/// some deadlines are near and some are past.
async fn queue(
    store: &Store,
    system: &Actor,
    research: &[P],
    local_firms: &[P],
    remote: &[P],
    sites: &[(i64, String)],
) -> Result<()> {
    let Some((site, _)) = sites.first().cloned() else {
        return Ok(());
    };
    let registrar = Actor {
        user_id: 0,
        username: "demo:registrar".into(),
        roles: vec![Role::Registrar],
        org_id: Some(site),
        district_code: None,
    };
    let today = today_cn();
    let mut rng = Lcg(5_0000_0000);
    use ContractAction as A;
    let plans: &[&[A]] = &[
        &[A::Submit],
        &[A::Submit, A::Accept],
        &[A::Submit, A::Accept, A::RequestCorrection],
        &[A::Submit, A::Accept, A::RequestCorrection, A::Resubmit],
        &[A::Submit, A::Accept, A::ReferExpert],
    ];
    for i in 0..24usize {
        let seller = &research[i % research.len()];
        let buyer = if i % 3 == 0 {
            &remote[i % remote.len()]
        } else {
            &local_firms[(i * 5) % local_firms.len()]
        };
        let big = i % 5 == 4;
        let yuan = if big {
            5_000_000 + rng.below(20_000_000)
        } else {
            100_000 + rng.below(3_000_000)
        };
        let topic = TOPICS[(i * 3) % TOPICS.len()];
        let input = ContractInput::from_fields(|f| {
            let v = match f {
                "contract_no" => format!("SYQ-2026-{i:03}"),
                "title" => format!("{topic}技术开发"),
                "category" => "development".into(),
                "signed_on" => (today - time::Duration::days(60)).to_string(),
                "seller_name" => seller.name.clone(),
                "seller_credit_code" => seller.code.clone(),
                "seller_division_code" => seller.division.clone(),
                "seller_nature" => seller.nature.into(),
                "buyer_name" => buyer.name.clone(),
                "buyer_credit_code" => buyer.code.clone(),
                "buyer_division_code" => buyer.division.clone(),
                "buyer_nature" => buyer.nature.into(),
                "contract_amount" => format!("{yuan}.00"),
                "tech_transaction_amount" => format!("{}.00", yuan - yuan / 10),
                "tech_field" => rng_field(i).into(),
                "ip_type" => "专利".into(),
                "site_id" => site.to_string(),
                _ => return None,
            };
            Some(v)
        });
        let Ok(new) = input.into_new() else { continue };
        let Ok(c) = store.create_contract(system, &new).await else {
            continue;
        };
        let applicant = Actor {
            user_id: 0,
            username: "demo:applicant".into(),
            roles: vec![Role::Unit],
            org_id: c.applicant_org_id,
            district_code: None,
        };
        let plan = plans[if big { 4 } else { i % 4 }];
        // Spread the steps over the past: the earlier the start, the nearer (or further past)
        // the deadline.
        let start = today - time::Duration::days(2 + (i as i64 * 3) % 40);
        for (k, a) in plan.iter().enumerate() {
            let who = if matches!(a, A::Submit | A::Resubmit) {
                &applicant
            } else {
                &registrar
            };
            let day = start + time::Duration::days(k as i64);
            if store
                .contract_action(who, c.id, *a, None, "", day.min(today))
                .await
                .is_err()
            {
                break;
            }
        }
    }
    Ok(())
}
