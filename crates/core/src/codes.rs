//! Identifiers that carry their own validity: the unified social credit code (统一社会信用代码,
//! GB 32100-2015) and the administrative division code (行政区划代码, GB/T 2260).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The 31 characters a credit code may use (GB 32100 excludes I, O, S, V and Z).
const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1–17: 3^(i) mod 31.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// 统一社会信用代码: 18 characters whose last one is a check character over the first 17.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("must be 18 characters, found {0}")]
    Length(usize),
    #[error(
        "character {pos} ('{ch}') is not allowed (digits and capital letters except I, O, S, V, Z)"
    )]
    Charset { pos: usize, ch: char },
    #[error("check character is '{found}' but should be '{expected}'")]
    Check { found: char, expected: char },
}

fn uscc_value(c: char) -> Option<u32> {
    let v = *USCC_VALUES.get(c as usize)?;
    (v != u8::MAX).then_some(u32::from(v))
}

/// The value of each ASCII character in [`USCC_CHARSET`], `u8::MAX` for the others (a table:
/// every imported contract row checks two codes).
const USCC_VALUES: [u8; 128] = {
    let mut t = [u8::MAX; 128];
    let set = USCC_CHARSET.as_bytes();
    let mut i = 0;
    while i < set.len() {
        t[set[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The check character for the first 17 characters of a credit code, or `None` when one of them
/// is outside the charset.
pub fn credit_code_check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut n = 0;
    for (c, w) in first17.chars().zip(USCC_WEIGHTS) {
        sum += uscc_value(c)? * w;
        n += 1;
    }
    if n != 17 {
        return None;
    }
    let check = (31 - sum % 31) % 31;
    USCC_CHARSET.chars().nth(check as usize)
}

impl CreditCode {
    /// Parses a credit code; lower-case letters and surrounding spaces are accepted and normalised.
    pub fn parse(s: &str) -> Result<Self, CreditCodeError> {
        let s = s.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(CreditCodeError::Length(n));
        }
        for (i, c) in s.chars().enumerate() {
            if uscc_value(c).is_none() {
                return Err(CreditCodeError::Charset { pos: i + 1, ch: c });
            }
        }
        let expected = credit_code_check_char(&s[..17]).expect("charset checked");
        let found = s.chars().nth(17).expect("length checked");
        if found != expected {
            return Err(CreditCodeError::Check { found, expected });
        }
        Ok(Self(s))
    }

    /// Builds a valid code from 17 leading characters by appending the check character
    /// (used by the demo data generator, whose codes are marked as demo records).
    pub fn with_check(first17: &str) -> Option<Self> {
        let c = credit_code_check_char(first17)?;
        Some(Self(format!("{first17}{c}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Characters 3–8 of a credit code are the division code of the registering authority.
    pub fn division_part(&self) -> &str {
        &self.0[2..8]
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 行政区划代码: six digits naming a province, prefecture or county-level unit that exists, or
/// existed, in GB/T 2260 (retired codes stay valid so that old records keep their meaning).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    #[error("must be 6 digits")]
    Format,
    #[error("{0} is not a GB/T 2260 division code")]
    Unknown(String),
}

impl DivisionCode {
    pub fn parse(s: &str) -> Result<Self, DivisionCodeError> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DivisionCodeError::Format);
        }
        if crate::refdata::division(s).is_none() {
            return Err(DivisionCodeError::Unknown(s.to_string()));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when this division lies within `prefix` (a division-code prefix such as `2101`).
    pub fn within(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }
}

impl TryFrom<String> for DivisionCode {
    type Error = DivisionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DivisionCode> for String {
    fn from(c: DivisionCode) -> String {
        c.0
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_credit_codes_pass() {
        // Check characters computed independently of this code (GB 32100 formula, by hand).
        for code in [
            "91110000802100433B",
            "12100000400000624D",
            "91350100M000100Y43",
        ] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn wrong_check_character_is_named() {
        let err = CreditCode::parse("91110000802100433C").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::Check {
                found: 'C',
                expected: 'B'
            }
        );
        assert!(err.to_string().contains("should be 'B'"));
    }

    #[test]
    fn length_and_charset_errors() {
        assert_eq!(
            CreditCode::parse("123").unwrap_err(),
            CreditCodeError::Length(3)
        );
        assert!(matches!(
            CreditCode::parse("9111000080210043IB").unwrap_err(),
            CreditCodeError::Charset { pos: 17, ch: 'I' }
        ));
    }

    #[test]
    fn with_check_round_trips() {
        let c = CreditCode::with_check("91210106MA0XXXXX0").unwrap();
        assert!(CreditCode::parse(c.as_str()).is_ok());
        assert_eq!(c.division_part(), "210106");
    }

    #[test]
    fn lowercase_is_normalised() {
        assert_eq!(
            CreditCode::parse(" 91110000802100433b ").unwrap().as_str(),
            "91110000802100433B"
        );
    }

    #[test]
    fn division_codes() {
        assert!(DivisionCode::parse("210106").is_ok());
        assert_eq!(
            DivisionCode::parse("21010").unwrap_err(),
            DivisionCodeError::Format
        );
        assert!(matches!(
            DivisionCode::parse("219999").unwrap_err(),
            DivisionCodeError::Unknown(_)
        ));
        assert!(DivisionCode::parse("210106").unwrap().within("2101"));
    }
}
