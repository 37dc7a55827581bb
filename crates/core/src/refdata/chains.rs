//! Industrial chains (产业链) as a versioned code list: later plans regroup the chains, so a
//! record stores the chain code together with the list version it was classified under.

use super::{lookup, Code};
use serde::Serialize;

/// One version of the industrial-chain list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainList {
    /// Stable version tag, e.g. `shenyang-2022`.
    pub version: &'static str,
    /// What the version is based on.
    pub source: &'static str,
    /// The groups (`parent` of every item is one of these codes).
    pub groups: &'static [Code],
    /// The chains, grouped, in the order of the source.
    pub items: &'static [Code],
}

impl ChainList {
    /// A chain of this list by code, Chinese or English name (see [`lookup`]).
    pub fn get(&self, code_or_name: &str) -> Option<&'static Code> {
        lookup(self.items, code_or_name)
    }

    /// A group of this list by code, Chinese or English name.
    pub fn group(&self, code_or_name: &str) -> Option<&'static Code> {
        lookup(self.groups, code_or_name)
    }

    /// The chains of one group, in list order.
    pub fn in_group(&self, group_code: &str) -> Vec<&'static Code> {
        self.items
            .iter()
            .filter(|c| c.parent == Some(group_code))
            .collect()
    }
}

const fn g(code: &'static str, zh: &'static str, en: &'static str) -> Code {
    Code {
        code,
        zh,
        en,
        parent: None,
        aliases: &[],
    }
}

const fn item(code: &'static str, zh: &'static str, en: &'static str, group: &'static str) -> Code {
    Code {
        code,
        zh,
        en,
        parent: Some(group),
        aliases: &[],
    }
}

/// Shenyang's "5+3+7+5" industrial chains (DOMAIN.md §7, [S]): 老字号 5, 原字号 3, 新字号 7.
///
/// The last group of 5 is **not known** (DOMAIN.md marks it [U]); it is deliberately left out
/// rather than guessed. When it is confirmed, publish a new version (e.g. `shenyang-2022b`)
/// with the extra group and items instead of changing this one, so that records classified
/// under this version keep their meaning.
pub static SHENYANG_2022: ChainList = ChainList {
    version: "shenyang-2022",
    source: "沈阳市\"5+3+7+5\"产业链 (DOMAIN.md §7); the last 5 are unknown and not listed",
    groups: &[
        g("traditional", "老字号", "Traditional industries"),
        g("raw_material", "原字号", "Raw-material industries"),
        g("emerging", "新字号", "Emerging industries"),
    ],
    items: &[
        item(
            "auto_parts",
            "汽车及零部件",
            "Automobiles and parts",
            "traditional",
        ),
        item(
            "general_machinery",
            "通用机械装备",
            "General machinery and equipment",
            "traditional",
        ),
        item(
            "special_equipment",
            "石化重矿轨道交通及专用装备",
            "Petrochemical, heavy-mining, rail-transit and special equipment",
            "traditional",
        ),
        item(
            "machine_tools",
            "机床及功能部件",
            "Machine tools and functional components",
            "traditional",
        ),
        item(
            "power_equipment",
            "电力装备",
            "Power equipment",
            "traditional",
        ),
        item(
            "metallurgy_building_materials",
            "冶金建材",
            "Metallurgy and building materials",
            "raw_material",
        ),
        item(
            "petrochemicals",
            "石油化工",
            "Petrochemicals",
            "raw_material",
        ),
        item(
            "agro_processing",
            "农产品深加工",
            "Deep processing of agricultural products",
            "raw_material",
        ),
        item(
            "new_energy_vehicles",
            "新能源及新能源汽车",
            "New energy and new-energy vehicles",
            "emerging",
        ),
        item(
            "integrated_circuits",
            "集成电路",
            "Integrated circuits",
            "emerging",
        ),
        item("aviation", "航空", "Aviation", "emerging"),
        item(
            "biomedicine_medical_equipment",
            "生物医药及医疗装备",
            "Biomedicine and medical equipment",
            "emerging",
        ),
        item("robotics", "机器人", "Robotics", "emerging"),
        item("new_materials", "新材料", "New materials", "emerging"),
        item(
            "energy_saving_environmental",
            "节能环保",
            "Energy saving and environmental protection",
            "emerging",
        ),
    ],
};

static ALL: &[&ChainList] = &[&SHENYANG_2022];

/// The current industrial-chain list.
pub fn chains() -> &'static ChainList {
    &SHENYANG_2022
}

/// Every published version, oldest first.
pub fn chain_lists() -> &'static [&'static ChainList] {
    ALL
}

/// One version by its tag.
pub fn chain_list(version: &str) -> Option<&'static ChainList> {
    ALL.iter().copied().find(|l| l.version == version.trim())
}

/// A chain of the current list by code, Chinese or English name.
pub fn chain(code_or_name: &str) -> Option<&'static Code> {
    chains().get(code_or_name)
}
