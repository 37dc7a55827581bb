//! Organizations (机构): universities, institutes, enterprises, registration sites … identified by
//! their unified social credit code.

use crate::codes::{CreditCode, DivisionCode};
use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    University,
    Institute,
    RndInstitution,
    Enterprise,
    TransferInstitution,
    RegistrationSite,
    PilotBase,
    Incubator,
    Platform,
    Government,
}

impl OrgKind {
    pub const ALL: [OrgKind; 10] = [
        OrgKind::University,
        OrgKind::Institute,
        OrgKind::RndInstitution,
        OrgKind::Enterprise,
        OrgKind::TransferInstitution,
        OrgKind::RegistrationSite,
        OrgKind::PilotBase,
        OrgKind::Incubator,
        OrgKind::Platform,
        OrgKind::Government,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::University => "university",
            OrgKind::Institute => "institute",
            OrgKind::RndInstitution => "rnd_institution",
            OrgKind::Enterprise => "enterprise",
            OrgKind::TransferInstitution => "transfer_institution",
            OrgKind::RegistrationSite => "registration_site",
            OrgKind::PilotBase => "pilot_base",
            OrgKind::Incubator => "incubator",
            OrgKind::Platform => "platform",
            OrgKind::Government => "government",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            OrgKind::University => "高等院校",
            OrgKind::Institute => "科研院所",
            OrgKind::RndInstitution => "新型研发机构",
            OrgKind::Enterprise => "企业",
            OrgKind::TransferInstitution => "技术转移机构",
            OrgKind::RegistrationSite => "技术合同登记点",
            OrgKind::PilotBase => "中试基地",
            OrgKind::Incubator => "孵化器/众创空间",
            OrgKind::Platform => "科技创新平台",
            OrgKind::Government => "政府部门",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            OrgKind::University => "University",
            OrgKind::Institute => "Research institute",
            OrgKind::RndInstitution => "New R&D institution",
            OrgKind::Enterprise => "Enterprise",
            OrgKind::TransferInstitution => "Technology transfer institution",
            OrgKind::RegistrationSite => "Contract registration site",
            OrgKind::PilotBase => "Pilot base",
            OrgKind::Incubator => "Incubator / maker space",
            OrgKind::Platform => "Innovation platform",
            OrgKind::Government => "Government department",
        }
    }

    /// Accepts the slug, the Chinese or the English name (imports use either).
    pub fn parse(s: &str) -> Option<OrgKind> {
        let t = s.trim();
        OrgKind::ALL.into_iter().find(|k| {
            k.as_str().eq_ignore_ascii_case(t) || k.zh() == t || k.en().eq_ignore_ascii_case(t)
        })
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgKind::parse(s).ok_or_else(|| {
            let all: Vec<_> = OrgKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown kind '{s}' (one of: {})", all.join(", "))
        })
    }
}

/// A stored organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub division_code: String,
    pub nature: String,
    pub kind: OrgKind,
    pub description: String,
    /// Demo records carry generated credit codes; they are marked so nobody mistakes them.
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A validated organization to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOrganization {
    pub name: String,
    pub credit_code: CreditCode,
    pub division_code: DivisionCode,
    pub nature: String,
    pub kind: OrgKind,
    pub description: String,
    pub is_demo: bool,
}

/// Raw fields as they arrive from a form, a JSON body or an import row.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrgInput {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub division_code: Option<String>,
    pub nature: Option<String>,
    pub kind: Option<String>,
    pub description: Option<String>,
}

/// A validated change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrganizationPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<CreditCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division_code: Option<DivisionCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<OrgKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl OrganizationPatch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.credit_code.is_none()
            && self.division_code.is_none()
            && self.nature.is_none()
            && self.kind.is_none()
            && self.description.is_none()
    }
}

const NAME_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 4000;

fn parse_name(s: &str, errs: &mut Vec<FieldError>) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        errs.push(FieldError::new("name", "必填 / is required"));
        None
    } else if t.chars().count() > NAME_MAX {
        errs.push(FieldError::new(
            "name",
            format!("最多 {NAME_MAX} 字 / at most {NAME_MAX} characters"),
        ));
        None
    } else {
        Some(t.to_string())
    }
}

fn parse_credit(s: &str, errs: &mut Vec<FieldError>) -> Option<CreditCode> {
    match CreditCode::parse(s) {
        Ok(c) => Some(c),
        Err(e) => {
            errs.push(FieldError::new(
                "credit_code",
                format!("统一社会信用代码无效 / invalid credit code: {e}"),
            ));
            None
        }
    }
}

fn parse_division(s: &str, errs: &mut Vec<FieldError>) -> Option<DivisionCode> {
    match DivisionCode::parse(s) {
        Ok(c) => Some(c),
        Err(e) => {
            errs.push(FieldError::new(
                "division_code",
                format!("行政区划代码无效 / invalid division code: {e}"),
            ));
            None
        }
    }
}

/// Accepts a nature code (`150`) or its Chinese name (`有限责任公司`) and returns the code.
pub fn parse_nature(s: &str) -> Result<String, String> {
    let t = s.trim();
    crate::refdata::lookup(crate::refdata::natures(), t)
        .map(|c| c.code.to_string())
        .ok_or_else(|| format!("单位性质代码无效 / unknown nature code '{t}' (DOMAIN §2: 010, 020–024, 030, 100–180, 200, 300, 400)"))
}

fn parse_nature_field(s: &str, errs: &mut Vec<FieldError>) -> Option<String> {
    parse_nature(s)
        .map_err(|m| errs.push(FieldError::new("nature", m)))
        .ok()
}

fn parse_kind(s: &str, errs: &mut Vec<FieldError>) -> Option<OrgKind> {
    s.parse::<OrgKind>()
        .map_err(|m| errs.push(FieldError::new("kind", format!("机构类型无效 / {m}"))))
        .ok()
}

fn parse_description(s: &str, errs: &mut Vec<FieldError>) -> Option<String> {
    let t = s.trim();
    if t.chars().count() > DESCRIPTION_MAX {
        errs.push(FieldError::new(
            "description",
            format!("最多 {DESCRIPTION_MAX} 字 / at most {DESCRIPTION_MAX} characters"),
        ));
        None
    } else {
        Some(t.to_string())
    }
}

fn required<'a>(v: &'a Option<String>, field: &str, errs: &mut Vec<FieldError>) -> Option<&'a str> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Some(s),
        _ => {
            errs.push(FieldError::new(field, "必填 / is required"));
            None
        }
    }
}

impl OrgInput {
    /// Parses every field and reports every problem at once.
    pub fn into_new(self) -> Result<NewOrganization, Vec<FieldError>> {
        let mut errs = Vec::new();
        let name = required(&self.name, "name", &mut errs).and_then(|s| parse_name(s, &mut errs));
        let credit = required(&self.credit_code, "credit_code", &mut errs)
            .and_then(|s| parse_credit(s, &mut errs));
        let division = required(&self.division_code, "division_code", &mut errs)
            .and_then(|s| parse_division(s, &mut errs));
        let nature = required(&self.nature, "nature", &mut errs)
            .and_then(|s| parse_nature_field(s, &mut errs));
        let kind = required(&self.kind, "kind", &mut errs).and_then(|s| parse_kind(s, &mut errs));
        let description = parse_description(self.description.as_deref().unwrap_or(""), &mut errs);
        match (name, credit, division, nature, kind, description) {
            (
                Some(name),
                Some(credit_code),
                Some(division_code),
                Some(nature),
                Some(kind),
                Some(description),
            ) if errs.is_empty() => Ok(NewOrganization {
                name,
                credit_code,
                division_code,
                nature,
                kind,
                description,
                is_demo: false,
            }),
            _ => Err(errs),
        }
    }

    /// Parses the fields that are present into a patch.
    pub fn into_patch(self) -> Result<OrganizationPatch, Vec<FieldError>> {
        let mut errs = Vec::new();
        let p = OrganizationPatch {
            name: self.name.as_deref().and_then(|s| parse_name(s, &mut errs)),
            credit_code: self
                .credit_code
                .as_deref()
                .and_then(|s| parse_credit(s, &mut errs)),
            division_code: self
                .division_code
                .as_deref()
                .and_then(|s| parse_division(s, &mut errs)),
            nature: self
                .nature
                .as_deref()
                .and_then(|s| parse_nature_field(s, &mut errs)),
            kind: self.kind.as_deref().and_then(|s| parse_kind(s, &mut errs)),
            description: self
                .description
                .as_deref()
                .and_then(|s| parse_description(s, &mut errs)),
        };
        if errs.is_empty() {
            Ok(p)
        } else {
            Err(errs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OrgInput {
        OrgInput {
            name: Some("沈阳示例科技有限公司".into()),
            credit_code: Some("91110000802100433B".into()),
            division_code: Some("210106".into()),
            nature: Some("150".into()),
            kind: Some("enterprise".into()),
            description: None,
        }
    }

    #[test]
    fn valid_input_parses() {
        let o = input().into_new().unwrap();
        assert_eq!(o.kind, OrgKind::Enterprise);
        assert_eq!(o.nature, "150");
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut i = input();
        i.credit_code = Some("91110000802100433C".into());
        i.kind = Some("shop".into());
        i.name = Some("  ".into());
        let errs = i.into_new().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "credit_code", "kind"]);
    }

    #[test]
    fn kinds_parse_from_chinese() {
        assert_eq!(OrgKind::parse("高等院校"), Some(OrgKind::University));
        assert_eq!(
            OrgKind::parse("Registration_Site"),
            Some(OrgKind::RegistrationSite)
        );
    }

    #[test]
    fn patch_only_carries_given_fields() {
        let p = OrgInput {
            name: Some("新名字".into()),
            ..Default::default()
        }
        .into_patch()
        .unwrap();
        assert_eq!(p.name.as_deref(), Some("新名字"));
        assert!(p.kind.is_none());
        assert!(!p.is_empty());
    }
}
