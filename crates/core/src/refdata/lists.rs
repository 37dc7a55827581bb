//! The fixed code lists of DOMAIN.md §2, §4 and §6 as static data.
//!
//! Codes are stable: they are what the database stores and exports carry. Numeric codes
//! (entity nature) are the codes of the technology-contract registration form; the other lists
//! have English snake_case slugs (the forms use Chinese names only). Chinese names follow the
//! wording of the forms and regulations; where DOMAIN.md marks a list [S] the wording is from
//! secondary sources and may need adjusting, the codes must not change.

use super::Code;

const fn c(code: &'static str, zh: &'static str, en: &'static str) -> Code {
    Code {
        code,
        zh,
        en,
        parent: None,
        aliases: &[],
    }
}

const fn sub(code: &'static str, zh: &'static str, en: &'static str, parent: &'static str) -> Code {
    Code {
        code,
        zh,
        en,
        parent: Some(parent),
        aliases: &[],
    }
}

impl Code {
    /// Other spellings accepted by [`super::lookup`].
    const fn aka(self, aliases: &'static [&'static str]) -> Code {
        Code { aliases, ..self }
    }
}

/// 技术领域: the 11 technology fields of the contract registration form, in form order.
pub static TECH_FIELDS: &[Code] = &[
    c(
        "electronic_information",
        "电子信息",
        "Electronic information",
    ),
    c("aerospace", "航空航天", "Aerospace"),
    c(
        "advanced_manufacturing",
        "先进制造",
        "Advanced manufacturing",
    ),
    c(
        "biomedicine",
        "生物医药和医疗器械",
        "Biomedicine and medical devices",
    )
    .aka(&["生物、医药和医疗器械"]),
    c(
        "new_materials",
        "新材料及其应用",
        "New materials and their application",
    ),
    c(
        "new_energy",
        "新能源与高效节能",
        "New energy and energy efficiency",
    ),
    c(
        "environment",
        "环境保护与资源综合利用",
        "Environmental protection and comprehensive resource use",
    ),
    c("nuclear", "核应用", "Nuclear applications").aka(&["核应用技术"]),
    c("agriculture", "农业", "Agriculture"),
    c("modern_transport", "现代交通", "Modern transport"),
    c(
        "urban_social",
        "城市建设与社会发展",
        "Urban construction and social development",
    ),
];

/// 法人单位性质 (entity nature) of buyer and seller on the contract registration form. 021–024
/// subdivide 020 (事业单位), 110–180 subdivide 100 (内资企业).
pub static NATURES: &[Code] = &[
    c("010", "机关", "Government agency").aka(&["机关法人"]),
    c("020", "事业单位", "Public institution").aka(&["事业", "事业法人"]),
    sub("021", "科研机构", "Research institute", "020").aka(&["科研院所"]),
    sub("022", "高等院校", "Higher education institution", "020").aka(&["高等学校", "高校"]),
    sub("023", "医疗卫生", "Medical or health institution", "020").aka(&["医疗卫生机构"]),
    sub("024", "其他事业单位", "Other public institution", "020").aka(&["其它事业单位"]),
    c("030", "社会团体", "Social organisation").aka(&["社团", "社团法人"]),
    c("100", "内资企业", "Domestic enterprise"),
    sub("110", "国有企业", "State-owned enterprise", "100"),
    sub("120", "集体企业", "Collective enterprise", "100"),
    sub(
        "130",
        "股份合作企业",
        "Joint-stock cooperative enterprise",
        "100",
    ),
    sub("140", "联营企业", "Joint-operation enterprise", "100"),
    sub("150", "有限责任公司", "Limited liability company", "100"),
    sub("160", "股份有限公司", "Joint-stock limited company", "100"),
    sub("170", "私营企业", "Private enterprise", "100"),
    sub("180", "其他企业", "Other domestic enterprise", "100").aka(&["其它企业"]),
    c(
        "200",
        "港澳台商投资企业",
        "Hong Kong, Macao or Taiwan-invested enterprise",
    )
    .aka(&["港澳台", "港澳台投资企业"]),
    c("300", "外商投资企业", "Foreign-invested enterprise").aka(&["外商", "外资企业"]),
    c("400", "个人", "Individual").aka(&["自然人"]),
];

/// 合同类别 and their subtypes. `licensing` is a category of its own under the revised rules
/// [S]; under the 2000 rules licences were registered as transfers, so records of that time
/// may carry `transfer` with a licence subtype in free text. The Chinese names of the
/// consulting subtypes are the regulations' usual wording [S] (DOMAIN.md lists them in English).
pub static CONTRACT_CATEGORIES: &[Code] = &[
    c("development", "技术开发", "Technology development"),
    sub(
        "development.commissioned",
        "委托开发",
        "Commissioned development",
        "development",
    ),
    sub(
        "development.cooperative",
        "合作开发",
        "Cooperative development",
        "development",
    ),
    c("transfer", "技术转让", "Technology transfer"),
    sub(
        "transfer.patent",
        "专利权转让",
        "Patent right transfer",
        "transfer",
    )
    .aka(&["专利权"]),
    sub(
        "transfer.patent_application",
        "专利申请权转让",
        "Patent application right transfer",
        "transfer",
    )
    .aka(&["专利申请权"]),
    sub(
        "transfer.technical_secret",
        "技术秘密转让",
        "Technical secret transfer",
        "transfer",
    ),
    sub(
        "transfer.other",
        "其他技术转让",
        "Other technology transfer",
        "transfer",
    ),
    sub(
        "transfer.ic_layout",
        "集成电路布图设计专有权转让",
        "IC layout design right transfer",
        "transfer.other",
    ),
    sub(
        "transfer.plant_variety",
        "植物新品种权转让",
        "Plant variety right transfer",
        "transfer.other",
    ),
    sub(
        "transfer.software_copyright",
        "计算机软件著作权转让",
        "Software copyright transfer",
        "transfer.other",
    ),
    sub(
        "transfer.biomedicine_variety",
        "生物医药新品种权转让",
        "New biomedicine variety transfer",
        "transfer.other",
    ),
    c("licensing", "技术许可", "Technology licensing"),
    sub(
        "licensing.patent",
        "专利实施许可",
        "Patent licence",
        "licensing",
    ),
    sub(
        "licensing.technical_secret",
        "技术秘密许可",
        "Technical secret licence",
        "licensing",
    )
    .aka(&["技术秘密使用许可"]),
    sub(
        "licensing.other",
        "其他技术许可",
        "Other technology licence",
        "licensing",
    ),
    c("consulting", "技术咨询", "Technology consulting"),
    sub(
        "consulting.feasibility",
        "可行性论证",
        "Feasibility study",
        "consulting",
    ),
    sub(
        "consulting.assessment",
        "技术评价",
        "Technology assessment",
        "consulting",
    )
    .aka(&["分析评价"]),
    sub(
        "consulting.forecasting",
        "技术预测",
        "Technology forecasting",
        "consulting",
    ),
    sub(
        "consulting.novelty_search",
        "科技查新",
        "Novelty search",
        "consulting",
    )
    .aka(&["查新"]),
    sub(
        "consulting.other",
        "其他技术咨询",
        "Other technology consulting",
        "consulting",
    ),
    c("service", "技术服务", "Technology service"),
    sub(
        "service.general",
        "一般技术服务",
        "General technology service",
        "service",
    ),
    sub(
        "service.training",
        "技术培训",
        "Technology training",
        "service",
    ),
    sub(
        "service.intermediary",
        "技术中介",
        "Technology intermediary service",
        "service",
    ),
];

/// 知识产权类型 of the contract registration form.
pub static IP_TYPES: &[Code] = &[
    c("patent", "专利", "Patent"),
    c("technical_secret", "技术秘密", "Technical secret"),
    c(
        "software_copyright",
        "计算机软件著作权",
        "Software copyright",
    )
    .aka(&["软件著作权"]),
    c(
        "ic_layout",
        "集成电路布图设计专有权",
        "IC layout design right",
    )
    .aka(&["集成电路布图设计"]),
    c("plant_variety", "植物新品种权", "Plant variety right").aka(&["植物新品种"]),
    c(
        "biomedicine_variety",
        "生物医药新品种",
        "New biomedicine variety",
    ),
    c("other", "其他", "Other").aka(&["其它"]),
    c("none", "未涉及", "None").aka(&["不涉及", "无"]),
];

/// 计划类别: the plan a contract's project belongs to.
pub static PLAN_CATEGORIES: &[Code] = &[
    c("national", "国家计划", "National plan").aka(&["国家"]),
    c("ministry", "部门计划", "Ministry plan").aka(&["部门"]),
    c("provincial", "省级计划", "Provincial plan").aka(&["省", "省计划", "省、自治区、直辖市计划"]),
    c("municipal", "地市县计划", "Prefecture or county plan").aka(&["地市县", "市计划"]),
    c("unplanned", "计划外", "Outside any plan"),
];

/// 科技成果类别 (DOMAIN.md §4).
pub static ACHIEVEMENT_CATEGORIES: &[Code] = &[
    c("applied", "应用技术", "Applied technology").aka(&["应用技术成果"]),
    c("basic", "基础理论", "Basic theory").aka(&["基础理论成果"]),
    c("soft_science", "软科学", "Soft science").aka(&["软科学成果"]),
];

/// 成果所处阶段 (DOMAIN.md §4).
pub static STAGES: &[Code] = &[
    c("lab", "初期阶段", "Early stage (laboratory, bench test)").aka(&["初期", "实验室", "小试"]),
    c("pilot", "中期阶段", "Middle stage (pilot test)").aka(&["中期", "中试"]),
    c("mature", "成熟应用阶段", "Mature application").aka(&["成熟应用", "成熟"]),
];

/// 科技成果转化方式 (促进科技成果转化法 art. 16). `other_negotiated` (其他协商确定的方式) is
/// DOMAIN.md [U].
pub static TRANSFORMATION_MODES: &[Code] = &[
    c(
        "self_implementation",
        "自行投资实施",
        "Implementation by own investment",
    )
    .aka(&["自行实施"]),
    c("transfer", "转让", "Transfer"),
    c("licensing", "许可", "Licensing"),
    c("joint_implementation", "合作实施", "Joint implementation"),
    c("equity_investment", "作价投资", "Investment at a valuation").aka(&["作价入股"]),
    c("other_negotiated", "其他协商方式", "Other negotiated mode").aka(&["其他协商确定的方式"]),
];

/// 不予登记的理由: grounds for refusing to register a contract (DOMAIN.md §2, [S]).
pub static REFUSAL_GROUNDS: &[Code] = &[
    c(
        "invalid_contract",
        "合同无效或尚未生效",
        "Contract invalid or not yet in force",
    ),
    c(
        "not_technology_contract",
        "不属于技术合同",
        "Not a technology contract",
    ),
    c(
        "unclear_terms",
        "当事人、标的或价款不明确",
        "Parties, subject matter or price unclear",
    ),
    c(
        "missing_approval",
        "缺少批准或审批文件",
        "Required approval missing",
    ),
    c(
        "name_content_mismatch",
        "合同名称与内容不符",
        "Contract name does not match its content",
    ),
    c(
        "illegal_restriction",
        "含有非法限制性条款",
        "Illegal restrictive clauses",
    ),
    c(
        "defective_certificates",
        "证明文件有缺陷",
        "Defective certificates",
    ),
    c(
        "seal_problem",
        "签章不全或不符",
        "Seals incomplete or not matching",
    ),
    c("other", "其他", "Other").aka(&["其它"]),
];

/// 技术经纪人/经理人 levels (DOMAIN.md §6).
pub static BROKER_LEVELS: &[Code] = &[
    c("junior", "初级技术经纪人", "Junior technology broker").aka(&["初级"]),
    c(
        "intermediate",
        "中级技术经纪人",
        "Intermediate technology broker",
    )
    .aka(&["中级"]),
    c("senior", "高级技术经理人", "Senior technology manager").aka(&["高级"]),
];
