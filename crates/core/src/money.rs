//! Exact money. Amounts are integer fen (分, 1/100 yuan) everywhere: in the database, in sums and
//! in the API, where they are written as decimal strings in yuan with two decimals ("1234.50").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("is empty")]
    Empty,
    #[error("'{0}' is not an amount in yuan (digits with at most two decimals)")]
    Format(String),
    #[error("'{0}' has more than two decimals")]
    TooPrecise(String),
    #[error("'{0}' is too large")]
    Overflow(String),
    #[error("must not be negative")]
    Negative,
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Option<Fen> {
        yuan.checked_mul(100).map(Fen)
    }

    /// Parses yuan as typed by a person: `1234`, `1234.5`, `1,234.50`, `-3.20`.
    /// More than two decimals is an error, never rounded.
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let t: String = s
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '，')
            .collect();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(&t)),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty()) || !digits(int_part) || !digits(frac_part)
        {
            return Err(MoneyError::Format(s.trim().to_string()));
        }
        if frac_part.len() > 2 {
            return Err(MoneyError::TooPrecise(s.trim().to_string()));
        }
        let overflow = || MoneyError::Overflow(s.trim().to_string());
        let yuan: i64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| overflow())?
        };
        let mut frac: i64 = if frac_part.is_empty() {
            0
        } else {
            frac_part.parse().map_err(|_| overflow())?
        };
        if frac_part.len() == 1 {
            frac *= 10;
        }
        let fen = yuan
            .checked_mul(100)
            .and_then(|v| v.checked_add(frac))
            .ok_or_else(overflow)?;
        Ok(Fen(if neg { -fen } else { fen }))
    }

    /// Like [`Fen::parse_yuan`] but refuses negative amounts.
    pub fn parse_non_negative(s: &str) -> Result<Fen, MoneyError> {
        let f = Self::parse_yuan(s)?;
        if f.0 < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(f)
    }

    /// Yuan with two decimals, e.g. `1234.50`.
    pub fn to_yuan_string(self) -> String {
        self.to_string()
    }

    /// Yuan with thousands separators for pages, e.g. `1,234.50`.
    pub fn to_display(self) -> String {
        let s = format!("{}", self.0.unsigned_abs() / 100);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!(
            "{}{}.{:02}",
            if self.0 < 0 { "-" } else { "" },
            out,
            self.0.unsigned_abs() % 100
        )
    }

    pub fn checked_add(self, o: Fen) -> Option<Fen> {
        self.0.checked_add(o.0).map(Fen)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0 + o.0)
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        self.0 += o.0;
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0 - o.0)
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_exactly() {
        assert_eq!(Fen::parse_yuan("1234").unwrap(), Fen(123_400));
        assert_eq!(Fen::parse_yuan("1234.5").unwrap(), Fen(123_450));
        assert_eq!(Fen::parse_yuan("1,234.05").unwrap(), Fen(123_405));
        assert_eq!(Fen::parse_yuan(".5").unwrap(), Fen(50));
        assert_eq!(Fen::parse_yuan("-3.20").unwrap(), Fen(-320));
        assert_eq!(
            Fen::parse_yuan("0.1").unwrap() + Fen::parse_yuan("0.2").unwrap(),
            Fen(30)
        );
    }

    #[test]
    fn refuses_bad_amounts() {
        assert!(matches!(
            Fen::parse_yuan("1.234"),
            Err(MoneyError::TooPrecise(_))
        ));
        assert!(matches!(Fen::parse_yuan("12a"), Err(MoneyError::Format(_))));
        assert!(matches!(Fen::parse_yuan(""), Err(MoneyError::Empty)));
        assert!(matches!(Fen::parse_yuan("."), Err(MoneyError::Format(_))));
        assert!(matches!(
            Fen::parse_yuan("99999999999999999999"),
            Err(MoneyError::Overflow(_))
        ));
        assert!(matches!(
            Fen::parse_non_negative("-1"),
            Err(MoneyError::Negative)
        ));
    }

    #[test]
    fn formats() {
        assert_eq!(Fen(123_450).to_string(), "1234.50");
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen(123_456_789).to_display(), "1,234,567.89");
        assert_eq!(Fen(0).to_display(), "0.00");
    }
}
