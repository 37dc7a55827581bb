//! Roles of PRODUCT.md. One account may hold several; anonymous visitors act as `public`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 公众: browses published records.
    Public,
    /// 企业: posts demands, follows achievements.
    Enterprise,
    /// 高校院所: a university / institute tech-transfer office filing achievements.
    Unit,
    /// 技术经纪人: brokers matches.
    Broker,
    /// 登记员: staff of one contract registration site.
    Registrar,
    /// 区县: a district or county officer.
    District,
    /// 科技局: the municipal S&T bureau.
    Bureau,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Public,
        Role::Enterprise,
        Role::Unit,
        Role::Broker,
        Role::Registrar,
        Role::District,
        Role::Bureau,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Enterprise => "enterprise",
            Role::Unit => "unit",
            Role::Broker => "broker",
            Role::Registrar => "registrar",
            Role::District => "district",
            Role::Bureau => "bureau",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Role::Public => "公众",
            Role::Enterprise => "企业",
            Role::Unit => "高校院所",
            Role::Broker => "技术经纪人",
            Role::Registrar => "登记员",
            Role::District => "区县",
            Role::Bureau => "科技局",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Role::Public => "Public",
            Role::Enterprise => "Enterprise",
            Role::Unit => "University / institute",
            Role::Broker => "Broker",
            Role::Registrar => "Registrar",
            Role::District => "District",
            Role::Bureau => "Bureau",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("unknown role '{s}' (one of: public, enterprise, unit, broker, registrar, district, bureau)"))
    }
}
