//! Registration (certificate) numbers: a configurable layout filled with the year, the site's
//! division and number, and a serial the store allocates per site and year.

use crate::codes::DivisionCode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The layout of a registration number, e.g. `{year}{province}{city}{site:02}{serial:06}`.
///
/// Placeholders: `{year}` (four digits), `{yy}` (the last two), `{province}`, `{city}` and
/// `{county}` (digits 1–2, 3–4 and 5–6 of the site's division code), `{division}` (all six),
/// `{site}` (the site's number within its city) and `{serial}`; `site` and `serial` take a
/// zero-padded width, `{serial:06}`. Anything else is copied as it is. A layout must contain a
/// year, the site and the serial, so that numbers are unique per site and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CertificateLayout {
    pattern: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year,
    Yy,
    Province,
    City,
    County,
    Division,
    Site(usize),
    Serial(usize),
}

/// A layout pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("登记编号格式无效 / invalid registration number layout '{pattern}': {reason}")]
pub struct LayoutError {
    pub pattern: String,
    pub reason: String,
}

/// A number that does not fit its layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("{what} {value} 超出 {width} 位 / {what} {value} does not fit in {width} digits")]
    TooWide {
        what: &'static str,
        value: u64,
        width: usize,
    },
    #[error("年份 {0} 无效 / year {0} out of range")]
    Year(i32),
}

impl CertificateLayout {
    /// The default for today's 16-digit numbers: year(4) + province(2) + city(2) + site(2) +
    /// serial(6). The real 16-digit layout is unverified \[U\]: this extends the 14-digit one.
    pub const DEFAULT: &'static str = "{year}{province}{city}{site:02}{serial:06}";
    /// The older 14-digit layout \[S\]: year(2) + province(2) + city(2) + site(2) + serial(6).
    pub const LEGACY_14: &'static str = "{yy}{province}{city}{site:02}{serial:06}";

    pub fn parse(pattern: &str) -> Result<Self, LayoutError> {
        let err = |reason: String| LayoutError {
            pattern: pattern.to_string(),
            reason,
        };
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '{' => {
                    let mut spec = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => spec.push(c),
                            None => return Err(err("'{' without '}'".into())),
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    let (name, width) = match spec.split_once(':') {
                        Some((n, w)) => {
                            let width = w
                                .parse::<usize>()
                                .ok()
                                .filter(|w| (1..=12).contains(w))
                                .ok_or_else(|| {
                                    err(format!("width '{w}' must be 1 to 12 digits"))
                                })?;
                            (n, Some(width))
                        }
                        None => (spec.as_str(), None),
                    };
                    let part = match (name, width) {
                        ("year", None) => Part::Year,
                        ("yy", None) => Part::Yy,
                        ("province", None) => Part::Province,
                        ("city", None) => Part::City,
                        ("county", None) => Part::County,
                        ("division", None) => Part::Division,
                        ("site", w) => Part::Site(w.unwrap_or(0)),
                        ("serial", w) => Part::Serial(w.unwrap_or(0)),
                        (n, Some(_))
                            if ["year", "yy", "province", "city", "county", "division"]
                                .contains(&n) =>
                        {
                            return Err(err(format!("{{{n}}} takes no width")))
                        }
                        (n, _) => return Err(err(format!("unknown placeholder {{{n}}}"))),
                    };
                    parts.push(part);
                }
                '}' => return Err(err("'}' without '{'".into())),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        let count = |f: fn(&Part) -> bool| parts.iter().filter(|p| f(p)).count();
        if count(|p| matches!(p, Part::Serial(_))) != 1 {
            return Err(err("needs exactly one {serial}".into()));
        }
        if count(|p| matches!(p, Part::Year | Part::Yy)) == 0 {
            return Err(err("needs {year} or {yy}".into()));
        }
        if count(|p| matches!(p, Part::Site(_))) == 0 {
            return Err(err("needs {site}".into()));
        }
        Ok(Self {
            pattern: pattern.to_string(),
            parts,
        })
    }

    /// The 14-digit layout.
    pub fn legacy_14() -> Self {
        Self::parse(Self::LEGACY_14).expect("valid layout")
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The largest serial the layout can hold (`None`: unbounded, `{serial}` without width).
    pub fn max_serial(&self) -> Option<u64> {
        self.parts.iter().find_map(|p| match p {
            Part::Serial(w) if *w > 0 => Some(10u64.pow(*w as u32) - 1),
            _ => None,
        })
    }

    /// The registration number of the `serial`-th contract registered in `year` at site number
    /// `site` located in `site_division`.
    pub fn format(
        &self,
        year: i32,
        site_division: &DivisionCode,
        site: u32,
        serial: u64,
    ) -> Result<String, CertificateError> {
        if !(0..=9999).contains(&year) {
            return Err(CertificateError::Year(year));
        }
        let d = site_division.as_str();
        let padded = |what, value: u64, width: usize| {
            let s = format!("{value:0width$}");
            if width > 0 && s.len() > width {
                Err(CertificateError::TooWide { what, value, width })
            } else {
                Ok(s)
            }
        };
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(s) => out.push_str(s),
                Part::Year => out.push_str(&format!("{year:04}")),
                Part::Yy => out.push_str(&format!("{:02}", year % 100)),
                Part::Province => out.push_str(&d[0..2]),
                Part::City => out.push_str(&d[2..4]),
                Part::County => out.push_str(&d[4..6]),
                Part::Division => out.push_str(d),
                Part::Site(w) => out.push_str(&padded("site", u64::from(site), *w)?),
                Part::Serial(w) => out.push_str(&padded("serial", serial, *w)?),
            }
        }
        Ok(out)
    }
}

impl Default for CertificateLayout {
    fn default() -> Self {
        Self::parse(Self::DEFAULT).expect("valid layout")
    }
}

impl TryFrom<String> for CertificateLayout {
    type Error = LayoutError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CertificateLayout> for String {
    fn from(l: CertificateLayout) -> String {
        l.pattern
    }
}

impl fmt::Display for CertificateLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shenyang() -> DivisionCode {
        DivisionCode::parse("210100").unwrap()
    }

    #[test]
    fn default_and_legacy_layouts() {
        let n = CertificateLayout::default()
            .format(2024, &shenyang(), 3, 42)
            .unwrap();
        assert_eq!(n, "2024210103000042");
        assert_eq!(n.len(), 16);
        let old = CertificateLayout::legacy_14()
            .format(2008, &shenyang(), 1, 123_456)
            .unwrap();
        assert_eq!(old, "08210101123456");
        assert_eq!(old.len(), 14);
        assert_eq!(CertificateLayout::default().max_serial(), Some(999_999));
    }

    #[test]
    fn numbers_differ_by_site_year_and_serial() {
        let l = CertificateLayout::default();
        let a = l.format(2024, &shenyang(), 1, 1).unwrap();
        assert_ne!(a, l.format(2024, &shenyang(), 2, 1).unwrap());
        assert_ne!(a, l.format(2025, &shenyang(), 1, 1).unwrap());
        assert_ne!(a, l.format(2024, &shenyang(), 1, 2).unwrap());
    }

    #[test]
    fn custom_layouts_and_overflow() {
        let l = CertificateLayout::parse("沈-{year}-{division}-{site}-{serial:05}").unwrap();
        assert_eq!(
            l.format(2024, &shenyang(), 12, 7).unwrap(),
            "沈-2024-210100-12-00007"
        );
        assert_eq!(
            l.format(2024, &shenyang(), 1, 100_000).unwrap_err(),
            CertificateError::TooWide {
                what: "serial",
                value: 100_000,
                width: 5
            }
        );
        assert!(CertificateLayout::default()
            .format(2024, &shenyang(), 100, 1)
            .is_err());
        let json = serde_json::to_string(&l).unwrap();
        assert_eq!(serde_json::from_str::<CertificateLayout>(&json).unwrap(), l);
    }

    #[test]
    fn bad_layouts_are_refused() {
        for p in [
            "{year}{site}",
            "{site}{serial}",
            "{year}{serial}",
            "{year}{site}{serial}{serial}",
            "{year}{site}{serial:abc}",
            "{year:4}{site}{serial}",
            "{year}{site}{serial",
            "{year}}{site}{serial}",
            "{year}{site}{serial}{week}",
        ] {
            assert!(CertificateLayout::parse(p).is_err(), "{p}");
        }
    }
}
