//! The demo: organizations of Shenyang and one account per role, so that a newcomer's first
//! `chengguo serve --demo` shows a living platform. Institution names are real public names;
//! their credit codes are generated (valid check characters, organization part `DM…`) and every
//! demo row is marked `is_demo`, so nobody mistakes them for registry data.

use crate::{NewUser, Result, Store, Table};

mod contracts;
mod records;
use chengguo_core::{Actor, CreditCode, DivisionCode, NewOrganization, OrgKind, Role};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "chengguo-demo";

/// (name, kind, nature, division code)
const ORGS: &[(&str, OrgKind, &str, &str)] = &[
    ("沈阳市科学技术局", OrgKind::Government, "010", "210103"),
    ("浑南区科学技术局", OrgKind::Government, "010", "210112"),
    ("铁西区科学技术局", OrgKind::Government, "010", "210106"),
    ("东北大学", OrgKind::University, "022", "210102"),
    ("沈阳工业大学", OrgKind::University, "022", "210112"),
    ("沈阳化工大学", OrgKind::University, "022", "210106"),
    ("沈阳航空航天大学", OrgKind::University, "022", "210113"),
    ("沈阳建筑大学", OrgKind::University, "022", "210112"),
    ("沈阳农业大学", OrgKind::University, "022", "210103"),
    ("沈阳药科大学", OrgKind::University, "022", "210103"),
    ("辽宁大学", OrgKind::University, "022", "210105"),
    ("中国医科大学", OrgKind::University, "022", "210113"),
    ("沈阳理工大学", OrgKind::University, "022", "210112"),
    ("中国科学院金属研究所", OrgKind::Institute, "021", "210103"),
    (
        "中国科学院沈阳自动化研究所",
        OrgKind::Institute,
        "021",
        "210112",
    ),
    (
        "中国科学院沈阳应用生态研究所",
        OrgKind::Institute,
        "021",
        "210103",
    ),
    (
        "沈阳产业技术研究院",
        OrgKind::RndInstitution,
        "021",
        "210112",
    ),
    ("辽宁材料实验室", OrgKind::Platform, "021", "210112"),
    ("辽宁智能制造实验室", OrgKind::Platform, "021", "210112"),
    (
        "沈阳新松机器人自动化股份有限公司",
        OrgKind::Enterprise,
        "160",
        "210112",
    ),
    ("东软集团股份有限公司", OrgKind::Enterprise, "160", "210112"),
    (
        "沈阳鼓风机集团股份有限公司",
        OrgKind::Enterprise,
        "160",
        "210106",
    ),
    ("沈阳机床股份有限公司", OrgKind::Enterprise, "160", "210106"),
    (
        "沈阳芯源微电子设备股份有限公司",
        OrgKind::Enterprise,
        "160",
        "210112",
    ),
    ("拓荆科技股份有限公司", OrgKind::Enterprise, "160", "210112"),
    (
        "东北制药集团股份有限公司",
        OrgKind::Enterprise,
        "160",
        "210106",
    ),
    (
        "沈阳远大智能工业集团股份有限公司",
        OrgKind::Enterprise,
        "160",
        "210113",
    ),
    (
        "沈阳金杯汽车零部件示例有限公司",
        OrgKind::Enterprise,
        "150",
        "210104",
    ),
    (
        "沈阳辽中农产品深加工示例有限公司",
        OrgKind::Enterprise,
        "170",
        "210115",
    ),
    (
        "新民市节能环保示例科技有限公司",
        OrgKind::Enterprise,
        "170",
        "210181",
    ),
    (
        "东北科技大市场",
        OrgKind::TransferInstitution,
        "150",
        "210112",
    ),
    (
        "沈阳工业大学技术转移中心",
        OrgKind::TransferInstitution,
        "022",
        "210112",
    ),
    (
        "沈阳市技术合同登记浑南服务站",
        OrgKind::RegistrationSite,
        "020",
        "210112",
    ),
    (
        "沈阳市技术合同登记铁西服务站",
        OrgKind::RegistrationSite,
        "020",
        "210106",
    ),
    (
        "沈阳市技术合同登记沈河服务站",
        OrgKind::RegistrationSite,
        "020",
        "210103",
    ),
    (
        "东大三好街成果转化中试基地",
        OrgKind::PilotBase,
        "150",
        "210102",
    ),
    (
        "沈阳化工新材料中试基地",
        OrgKind::PilotBase,
        "150",
        "210106",
    ),
    ("浑南科技城众创空间", OrgKind::Incubator, "150", "210112"),
    (
        "沈北新区科技企业孵化器",
        OrgKind::Incubator,
        "150",
        "210113",
    ),
];

/// (username, display name, roles, organization name, district code)
type DemoAccount = (
    &'static str,
    &'static str,
    &'static [Role],
    &'static str,
    Option<&'static str>,
);
const ACCOUNTS: &[DemoAccount] = &[
    (
        "bureau",
        "市科技局 成果转化处",
        &[Role::Bureau],
        "沈阳市科学技术局",
        None,
    ),
    (
        "district",
        "浑南区科技局",
        &[Role::District],
        "浑南区科学技术局",
        Some("210112"),
    ),
    (
        "unit",
        "东北大学 技术转移办公室",
        &[Role::Unit],
        "东北大学",
        None,
    ),
    (
        "enterprise",
        "新松机器人 技术部",
        &[Role::Enterprise],
        "沈阳新松机器人自动化股份有限公司",
        None,
    ),
    (
        "broker",
        "东北科技大市场 经纪人",
        &[Role::Broker],
        "东北科技大市场",
        None,
    ),
    (
        "registrar",
        "浑南服务站 登记员",
        &[Role::Registrar],
        "沈阳市技术合同登记浑南服务站",
        None,
    ),
    ("public", "公众用户", &[Role::Public], "", None),
];

/// A valid demo credit code: registration authority and category from the kind, the division,
/// `DM` and a serial, then the GB 32100 check character.
pub fn demo_credit_code(kind: OrgKind, division: &str, serial: usize) -> CreditCode {
    let prefix = match kind {
        OrgKind::Government => "11",
        OrgKind::University | OrgKind::Institute | OrgKind::RegistrationSite => "12",
        OrgKind::RndInstitution | OrgKind::Platform => "52",
        _ => "91",
    };
    CreditCode::with_check(&format!("{prefix}{division}DM{serial:07}")).expect("demo code charset")
}

/// What `load` did.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub organizations: usize,
    pub accounts: Vec<(String, Vec<Role>)>,
    pub skipped: bool,
    /// Generated achievements and demands.
    pub achievements: usize,
    pub demands: usize,
    /// Generated technology contracts (registered ones and the registrar queue's).
    pub contracts: usize,
}

/// Loads the demo into an empty database; leaves a database that has organizations untouched.
pub async fn load(store: &Store) -> Result<DemoSummary> {
    if store.count(Table::Organizations).await? > 0 || store.count(Table::Users).await? > 0 {
        return Ok(DemoSummary {
            skipped: true,
            ..Default::default()
        });
    }
    let actor = Actor::system("demo");
    let orgs: Vec<NewOrganization> = ORGS
        .iter()
        .enumerate()
        .map(|(i, (name, kind, nature, division))| NewOrganization {
            name: name.to_string(),
            credit_code: demo_credit_code(*kind, division, i + 1),
            division_code: DivisionCode::parse(division).expect("demo division codes exist"),
            nature: nature.to_string(),
            kind: *kind,
            description: "演示数据 / demo record".to_string(),
            is_demo: true,
        })
        .collect();
    store.import_orgs(&actor, &orgs).await?;
    let mut summary = DemoSummary {
        organizations: orgs.len(),
        ..Default::default()
    };
    for (username, display, roles, org_name, district) in ACCOUNTS {
        let org_id = match orgs.iter().find(|o| o.name == *org_name) {
            Some(o) => store
                .org_by_credit_code(o.credit_code.as_str())
                .await?
                .map(|o| o.id),
            None => None,
        };
        store
            .create_user(
                &actor,
                &NewUser {
                    username: username.to_string(),
                    password: DEMO_PASSWORD.to_string(),
                    display_name: display.to_string(),
                    roles: roles.to_vec(),
                    org_id,
                    district_code: district.map(str::to_string),
                },
            )
            .await?;
        summary
            .accounts
            .push((username.to_string(), roles.to_vec()));
    }
    crate::plan::load_demo(store).await?;
    let (achievements, demands) = records::load(store, &actor).await?;
    summary.achievements = achievements;
    summary.demands = demands;
    summary.contracts = contracts::load(store, &actor).await?;
    Ok(summary)
}
