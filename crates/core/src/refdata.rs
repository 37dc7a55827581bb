//! Reference data: administrative divisions and the fixed code lists of the domain.
//!
//! # Design
//!
//! * **Divisions** ([`Division`], [`division`], [`children`], [`full_name`], …) come from
//!   `data/divisions.tsv`, a table generated from a public dataset by
//!   `tools/refdata/gen_divisions.py` (the file header names the package releases, the upstream
//!   NBS data and the licence). The table is embedded with `include_str!` and parsed once, on
//!   first use. It keeps codes that later revisions retired (`retired == true`) so that old
//!   records still validate; new input may be checked against [`Division::is_current`].
//! * **Code lists** are static slices of one generic entry type, [`Code`]: a stable `code`
//!   (what is stored and exported), the Chinese name `zh` (what the forms and most imports
//!   carry), the English name `en`, an optional `parent` code in the same list (for
//!   subdivisions such as 021 科研机构 under 020 事业单位) and extra accepted spellings. One
//!   function per list returns it ([`tech_fields`], [`natures`], …) and [`lookup`] resolves a
//!   code, a Chinese or an English name against any list. [`CodeList`] names the lists, so
//!   that generic code (import mappings, API endpoints) can refer to a list by its slug.
//! * **Industrial chains** are a *versioned* code list ([`ChainList`], [`chains`]): later plans
//!   regroup the chains, so records keep the list version beside the chain code.
//!
//! Everything here is data without I/O; values that DOMAIN.md marks as unverified ([U]) are
//! either left out (the last 5 chains) or flagged in the list's documentation.

mod chains;
mod divisions;
mod lists;

pub use chains::{chain, chain_list, chain_lists, chains, ChainList, SHENYANG_2022};
pub use divisions::{
    children, division, divisions, divisions_named, full_name, shenyang_districts, Division,
    SHENYANG,
};
pub use lists::{
    ACHIEVEMENT_CATEGORIES, BROKER_LEVELS, CONTRACT_CATEGORIES, IP_TYPES, NATURES, PLAN_CATEGORIES,
    REFUSAL_GROUNDS, STAGES, TECH_FIELDS, TRANSFORMATION_MODES,
};

use serde::Serialize;

/// One entry of a code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Code {
    /// The stable code: stored in the database and written to exports.
    pub code: &'static str,
    /// Chinese name, as on the forms.
    pub zh: &'static str,
    /// English name.
    pub en: &'static str,
    /// The code of the enclosing entry in the same list, for subdivisions.
    pub parent: Option<&'static str>,
    /// Further Chinese spellings accepted on input (never produced on output).
    #[serde(skip)]
    pub aliases: &'static [&'static str],
}

/// Finds an entry of `list` by its code, its Chinese name, its English name or an alias.
///
/// Surrounding whitespace is ignored; codes and English names match case-insensitively. A
/// purely numeric input also matches a numeric code with its leading zeros dropped (`10` finds
/// `010`), since spreadsheets strip them.
pub fn lookup<'a>(list: &'a [Code], code_or_name: &str) -> Option<&'a Code> {
    let s = code_or_name.trim();
    if s.is_empty() {
        return None;
    }
    list.iter()
        .find(|c| c.code.eq_ignore_ascii_case(s))
        .or_else(|| list.iter().find(|c| c.zh == s))
        .or_else(|| list.iter().find(|c| c.en.eq_ignore_ascii_case(s)))
        .or_else(|| list.iter().find(|c| c.aliases.contains(&s)))
        .or_else(|| {
            let n: u64 = s
                .parse()
                .ok()
                .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))?;
            list.iter()
                .find(|c| c.code.bytes().all(|b| b.is_ascii_digit()) && c.code.parse() == Ok(n))
        })
}

/// The direct subdivisions of `code` in `list`, in list order.
pub fn subcodes<'a>(list: &'a [Code], code: &str) -> Vec<&'a Code> {
    list.iter().filter(|c| c.parent == Some(code)).collect()
}

/// 技术领域: the 11 technology fields (DOMAIN.md §2), in form order.
pub fn tech_fields() -> &'static [Code] {
    TECH_FIELDS
}

/// 法人单位性质: entity nature codes (DOMAIN.md §2), with the 内资企业 subdivision 110–180.
pub fn natures() -> &'static [Code] {
    NATURES
}

/// 合同类别: the five contract categories and their subtypes (subtypes have a `parent`).
pub fn contract_categories() -> &'static [Code] {
    CONTRACT_CATEGORIES
}

/// 知识产权类型: the 8 IP types of the contract form.
pub fn ip_types() -> &'static [Code] {
    IP_TYPES
}

/// 计划类别: national / ministry / provincial / municipal / unplanned.
pub fn plan_categories() -> &'static [Code] {
    PLAN_CATEGORIES
}

/// 科技成果类别: applied / basic / soft science.
pub fn achievement_categories() -> &'static [Code] {
    ACHIEVEMENT_CATEGORIES
}

/// 成果所处阶段: lab / pilot / mature.
pub fn stages() -> &'static [Code] {
    STAGES
}

/// 科技成果转化方式: the 6 transformation modes (DOMAIN.md §4).
pub fn transformation_modes() -> &'static [Code] {
    TRANSFORMATION_MODES
}

/// 不予登记的理由: refusal grounds for contract registration (DOMAIN.md §2).
pub fn refusal_grounds() -> &'static [Code] {
    REFUSAL_GROUNDS
}

/// 技术经纪人 levels (DOMAIN.md §6).
pub fn broker_levels() -> &'static [Code] {
    BROKER_LEVELS
}

/// The names of the fixed code lists (industrial chains are versioned: see [`chains`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeList {
    TechField,
    Nature,
    ContractCategory,
    IpType,
    PlanCategory,
    AchievementCategory,
    Stage,
    TransformationMode,
    RefusalGround,
    BrokerLevel,
}

impl CodeList {
    pub const ALL: [CodeList; 10] = [
        CodeList::TechField,
        CodeList::Nature,
        CodeList::ContractCategory,
        CodeList::IpType,
        CodeList::PlanCategory,
        CodeList::AchievementCategory,
        CodeList::Stage,
        CodeList::TransformationMode,
        CodeList::RefusalGround,
        CodeList::BrokerLevel,
    ];

    /// The entries of this list.
    pub fn codes(self) -> &'static [Code] {
        match self {
            CodeList::TechField => TECH_FIELDS,
            CodeList::Nature => NATURES,
            CodeList::ContractCategory => CONTRACT_CATEGORIES,
            CodeList::IpType => IP_TYPES,
            CodeList::PlanCategory => PLAN_CATEGORIES,
            CodeList::AchievementCategory => ACHIEVEMENT_CATEGORIES,
            CodeList::Stage => STAGES,
            CodeList::TransformationMode => TRANSFORMATION_MODES,
            CodeList::RefusalGround => REFUSAL_GROUNDS,
            CodeList::BrokerLevel => BROKER_LEVELS,
        }
    }

    /// The list's snake_case slug, e.g. `tech_field`.
    pub fn slug(self) -> &'static str {
        match self {
            CodeList::TechField => "tech_field",
            CodeList::Nature => "nature",
            CodeList::ContractCategory => "contract_category",
            CodeList::IpType => "ip_type",
            CodeList::PlanCategory => "plan_category",
            CodeList::AchievementCategory => "achievement_category",
            CodeList::Stage => "stage",
            CodeList::TransformationMode => "transformation_mode",
            CodeList::RefusalGround => "refusal_ground",
            CodeList::BrokerLevel => "broker_level",
        }
    }

    /// The list's Chinese title.
    pub fn zh(self) -> &'static str {
        match self {
            CodeList::TechField => "技术领域",
            CodeList::Nature => "单位性质",
            CodeList::ContractCategory => "合同类别",
            CodeList::IpType => "知识产权类型",
            CodeList::PlanCategory => "计划类别",
            CodeList::AchievementCategory => "成果类别",
            CodeList::Stage => "成果所处阶段",
            CodeList::TransformationMode => "转化方式",
            CodeList::RefusalGround => "不予登记理由",
            CodeList::BrokerLevel => "技术经纪人等级",
        }
    }

    /// [`lookup`] in this list.
    pub fn lookup(self, code_or_name: &str) -> Option<&'static Code> {
        lookup(self.codes(), code_or_name)
    }
}

impl std::str::FromStr for CodeList {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CodeList::ALL
            .into_iter()
            .find(|l| l.slug() == s.trim())
            .ok_or_else(|| format!("unknown code list '{s}'"))
    }
}

impl std::fmt::Display for CodeList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.slug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// (name, list, the list its parent codes refer to)
    fn all_lists() -> Vec<(String, &'static [Code], &'static [Code])> {
        let mut v: Vec<_> = CodeList::ALL
            .iter()
            .map(|l| (l.slug().to_string(), l.codes(), l.codes()))
            .collect();
        for cl in chain_lists() {
            v.push((
                format!("chains {} groups", cl.version),
                cl.groups,
                cl.groups,
            ));
            v.push((format!("chains {}", cl.version), cl.items, cl.groups));
        }
        v
    }

    #[test]
    fn list_sizes_follow_domain() {
        assert_eq!(tech_fields().len(), 11);
        assert_eq!(ip_types().len(), 8);
        assert_eq!(plan_categories().len(), 5);
        assert_eq!(achievement_categories().len(), 3);
        assert_eq!(stages().len(), 3);
        assert_eq!(transformation_modes().len(), 6);
        assert_eq!(refusal_grounds().len(), 9);
        assert_eq!(broker_levels().len(), 3);
        let top: Vec<_> = contract_categories()
            .iter()
            .filter(|c| c.parent.is_none())
            .map(|c| c.code)
            .collect();
        assert_eq!(
            top,
            [
                "development",
                "transfer",
                "licensing",
                "consulting",
                "service"
            ]
        );
        let natures: Vec<_> = natures().iter().map(|c| c.code).collect();
        assert_eq!(
            natures,
            [
                "010", "020", "021", "022", "023", "024", "030", "100", "110", "120", "130", "140",
                "150", "160", "170", "180", "200", "300", "400"
            ]
        );
        let fields: Vec<_> = tech_fields().iter().map(|c| c.code).collect();
        assert_eq!(
            fields,
            [
                "electronic_information",
                "aerospace",
                "advanced_manufacturing",
                "biomedicine",
                "new_materials",
                "new_energy",
                "environment",
                "nuclear",
                "agriculture",
                "modern_transport",
                "urban_social"
            ]
        );
    }

    #[test]
    fn every_parent_exists_and_keys_are_unambiguous() {
        for (name, list, parents) in all_lists() {
            let codes: HashSet<_> = list.iter().map(|c| c.code).collect();
            assert_eq!(codes.len(), list.len(), "{name}: duplicate code");
            let parent_codes: HashSet<_> = parents.iter().map(|c| c.code).collect();
            let mut keys = HashSet::new();
            for c in list {
                assert!(
                    !c.code.is_empty() && !c.zh.is_empty() && !c.en.is_empty(),
                    "{name}: {c:?}"
                );
                if let Some(p) = c.parent {
                    assert!(
                        parent_codes.contains(p),
                        "{name}: parent {p} of {} missing",
                        c.code
                    );
                }
                // Each accepted spelling must belong to one entry only and lead back to it.
                let own: HashSet<String> = [c.code, c.zh, c.en]
                    .into_iter()
                    .chain(c.aliases.iter().copied())
                    .map(str::to_lowercase)
                    .collect();
                for key in own {
                    assert_eq!(
                        lookup(list, &key).map(|x| x.code),
                        Some(c.code),
                        "{name}: '{key}'"
                    );
                    assert!(keys.insert(key.clone()), "{name}: '{key}' is ambiguous");
                }
            }
        }
        for d in divisions() {
            if let Some(p) = d.parent {
                assert!(
                    division(p).is_some(),
                    "division parent {p} of {} missing",
                    d.code
                );
            }
        }
    }

    #[test]
    fn lookup_by_chinese_name_code_and_english() {
        assert_eq!(
            lookup(natures(), "有限责任公司").map(|c| c.code),
            Some("150")
        );
        assert_eq!(lookup(natures(), "150").map(|c| c.zh), Some("有限责任公司"));
        assert_eq!(
            lookup(natures(), " 高等院校 ").map(|c| (c.code, c.parent)),
            Some(("022", Some("020")))
        );
        assert_eq!(
            lookup(natures(), "21").map(|c| c.code),
            Some("021"),
            "leading zero stripped by a spreadsheet"
        );
        assert_eq!(lookup(natures(), "21x"), None);
        assert_eq!(lookup(natures(), ""), None);
        assert_eq!(
            lookup(tech_fields(), "新材料及其应用").map(|c| c.code),
            Some("new_materials")
        );
        assert_eq!(
            lookup(tech_fields(), "AEROSPACE").map(|c| c.zh),
            Some("航空航天")
        );
        assert_eq!(
            lookup(ip_types(), "计算机软件著作权").map(|c| c.code),
            Some("software_copyright")
        );
        assert_eq!(lookup(ip_types(), "未涉及").map(|c| c.code), Some("none"));
        assert_eq!(
            lookup(contract_categories(), "技术开发").map(|c| c.code),
            Some("development")
        );
        assert_eq!(
            lookup(contract_categories(), "技术培训").and_then(|c| c.parent),
            Some("service")
        );
        assert_eq!(lookup(stages(), "中试").map(|c| c.code), Some("pilot"));
        assert_eq!(
            CodeList::PlanCategory.lookup("计划外").map(|c| c.code),
            Some("unplanned")
        );
        assert_eq!(
            lookup(broker_levels(), "高级技术经理人").map(|c| c.code),
            Some("senior")
        );
        assert_eq!(lookup(tech_fields(), "量子"), None);
        let subs: Vec<_> = subcodes(natures(), "020").iter().map(|c| c.code).collect();
        assert_eq!(subs, ["021", "022", "023", "024"]);
    }

    #[test]
    fn code_lists_by_slug() {
        for l in CodeList::ALL {
            assert_eq!(l.slug().parse::<CodeList>(), Ok(l));
            assert_eq!(
                serde_json::to_value(l).unwrap(),
                serde_json::json!(l.slug())
            );
        }
        assert!("nope".parse::<CodeList>().is_err());
    }

    #[test]
    fn industrial_chains_are_versioned() {
        let cl = chains();
        assert_eq!(cl.version, "shenyang-2022");
        assert_eq!(chain_list("shenyang-2022"), Some(cl));
        assert_eq!(chain_list("shenyang-1999"), None);
        let count = |g: &str| cl.in_group(g).len();
        assert_eq!(
            (
                count("traditional"),
                count("raw_material"),
                count("emerging")
            ),
            (5, 3, 7)
        );
        assert_eq!(
            cl.items.len(),
            15,
            "the last 5 chains are unknown and must not be invented"
        );
        assert_eq!(
            chain("集成电路").map(|c| c.code),
            Some("integrated_circuits")
        );
        assert_eq!(
            chain("machine_tools").and_then(|c| c.parent),
            Some("traditional")
        );
        assert_eq!(cl.group("老字号").map(|g| g.code), Some("traditional"));
    }
}
