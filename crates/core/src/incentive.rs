//! The record-keeping score of a filing unit and the reward rule of the plan (seed §II.2: "give
//! rewards of up to 100,000 yuan to units with better record keeping"). Pure functions over facts
//! the store reads from the achievement records; the formula is documented in docs/scoring.md.
//!
//! Score = Σ weightᵢ × partᵢ with every part in 0–1 and the weights summing to 100:
//! * **completeness**: the mean weighted completeness of the unit's records (withdrawn ones
//!   excluded), see [`crate::achievement::completeness`];
//! * **timeliness**: freshness of the most recent update (full up to `fresh_days`, none from
//!   `stale_days`, linear between), averaged with the review turnaround (mean days from submission
//!   to publication: full up to `turnaround_good_days`, none from `turnaround_bad_days`) when the
//!   unit has published records;
//! * **quality**: 1 − returns per filing (at least 0);
//! * **volume**: ln(1 + filings) / ln(1 + `volume_target`), at most 1.
//!
//! Weights and thresholds ([`ScoreRules`]) and the reward rule ([`RewardRule`]) are settings.

use crate::money::Fen;
use crate::FieldError;
use serde::{Deserialize, Serialize};
use time::Date;

/// The setting holding [`ScoreRules`] as JSON.
pub const SCORE_RULES_SETTING: &str = "incentive.score_rules";
/// The setting holding [`RewardRule`] as JSON.
pub const REWARD_RULE_SETTING: &str = "incentive.reward_rule";
/// The plan's ceiling per unit: 100,000 yuan.
pub const MAX_REWARD: Fen = Fen(10_000_000);
/// The plan's publication target per year (seed §II.16).
pub const PUBLICATION_TARGET_PER_YEAR: i64 = 2000;

/// What the score needs to know about one record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordFact {
    /// 0–1, [`crate::achievement::Completeness::ratio`].
    pub completeness: f64,
    pub submitted_on: Option<Date>,
    pub published_on: Option<Date>,
    pub updated_on: Date,
    /// Times the bureau returned it.
    pub returned: u32,
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoreRules {
    pub weight_completeness: f64,
    pub weight_timeliness: f64,
    pub weight_quality: f64,
    pub weight_volume: f64,
    pub fresh_days: i64,
    pub stale_days: i64,
    pub turnaround_good_days: i64,
    pub turnaround_bad_days: i64,
    pub volume_target: u32,
}

impl Default for ScoreRules {
    fn default() -> Self {
        ScoreRules {
            weight_completeness: 40.0,
            weight_timeliness: 25.0,
            weight_quality: 20.0,
            weight_volume: 15.0,
            fresh_days: 90,
            stale_days: 365,
            turnaround_good_days: 15,
            turnaround_bad_days: 90,
            volume_target: 50,
        }
    }
}

impl ScoreRules {
    /// Checks the rules: weights non-negative and summing to 100, thresholds ordered.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        let w = [
            self.weight_completeness,
            self.weight_timeliness,
            self.weight_quality,
            self.weight_volume,
        ];
        if w.iter().any(|x| *x < 0.0) || (w.iter().sum::<f64>() - 100.0).abs() > 1e-6 {
            e.push(FieldError::new(
                "weights",
                "权重须非负且合计 100 / weights must be non-negative and sum to 100",
            ));
        }
        if self.fresh_days < 0 || self.stale_days <= self.fresh_days {
            e.push(FieldError::new("stale_days", "must exceed fresh_days"));
        }
        if self.turnaround_good_days < 0 || self.turnaround_bad_days <= self.turnaround_good_days {
            e.push(FieldError::new(
                "turnaround_bad_days",
                "must exceed turnaround_good_days",
            ));
        }
        if self.volume_target == 0 {
            e.push(FieldError::new("volume_target", "must be at least 1"));
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }
}

/// A unit's score with its parts (each 0–1) and the facts behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordScore {
    /// 0–100, one decimal.
    pub total: f64,
    pub completeness: f64,
    pub timeliness: f64,
    pub quality: f64,
    pub volume: f64,
    /// Records ever submitted.
    pub filings: u32,
    /// Records counted for completeness (not withdrawn).
    pub records: u32,
    pub published: u32,
    pub returns: u32,
    /// Days since the last update of any record.
    pub days_since_update: Option<i64>,
    /// Mean days from submission to publication.
    pub mean_turnaround_days: Option<f64>,
}

/// 1 up to `good`, 0 from `bad`, linear between.
fn ramp(x: f64, good: f64, bad: f64) -> f64 {
    if x <= good {
        1.0
    } else if x >= bad {
        0.0
    } else {
        (bad - x) / (bad - good)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The score of one unit from its records.
pub fn score(records: &[RecordFact], rules: &ScoreRules, today: Date) -> RecordScore {
    let live: Vec<_> = records.iter().filter(|r| !r.withdrawn).collect();
    let completeness = if live.is_empty() {
        0.0
    } else {
        live.iter()
            .map(|r| r.completeness.clamp(0.0, 1.0))
            .sum::<f64>()
            / live.len() as f64
    };
    let filings = records.iter().filter(|r| r.submitted_on.is_some()).count() as u32;
    let returns: u32 = records.iter().map(|r| r.returned).sum();
    let last = records.iter().map(|r| r.updated_on).max();
    let days_since_update = last.map(|d| (today - d).whole_days().max(0));
    let turnarounds: Vec<f64> = records
        .iter()
        .filter_map(|r| match (r.submitted_on, r.published_on) {
            (Some(s), Some(p)) => Some((p - s).whole_days().max(0) as f64),
            _ => None,
        })
        .collect();
    let mean_turnaround_days = if turnarounds.is_empty() {
        None
    } else {
        Some(turnarounds.iter().sum::<f64>() / turnarounds.len() as f64)
    };
    let freshness = days_since_update
        .map(|d| ramp(d as f64, rules.fresh_days as f64, rules.stale_days as f64))
        .unwrap_or(0.0);
    let timeliness = match mean_turnaround_days {
        Some(t) => {
            let turn = ramp(
                t,
                rules.turnaround_good_days as f64,
                rules.turnaround_bad_days as f64,
            );
            (freshness + turn) / 2.0
        }
        None => freshness,
    };
    let quality = if filings == 0 {
        0.0
    } else {
        (1.0 - f64::from(returns) / f64::from(filings)).max(0.0)
    };
    let volume =
        (f64::from(filings).ln_1p() / f64::from(rules.volume_target.max(1)).ln_1p()).min(1.0);
    let total = rules.weight_completeness * completeness
        + rules.weight_timeliness * timeliness
        + rules.weight_quality * quality
        + rules.weight_volume * volume;
    RecordScore {
        total: round1(total.clamp(0.0, 100.0)),
        completeness,
        timeliness,
        quality,
        volume,
        filings,
        records: live.len() as u32,
        published: records.iter().filter(|r| r.published_on.is_some()).count() as u32,
        returns,
        days_since_update,
        mean_turnaround_days,
    }
}

/// One tier of the reward: ranks up to `top` (and below the previous tier) get `amount_yuan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardTier {
    pub top: u32,
    pub amount_yuan: i64,
}

/// Which units get how much. Defaults are a design choice ([U]): the plan fixes only the
/// ceiling of 100,000 yuan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RewardRule {
    /// Organization kinds that may be rewarded (key units: universities, institutes, new R&D
    /// institutions, platforms).
    pub eligible_kinds: Vec<String>,
    pub min_score: f64,
    pub min_filings: u32,
    /// Ordered by `top`.
    pub tiers: Vec<RewardTier>,
    /// Per unit, at most [`MAX_REWARD`].
    pub cap_yuan: i64,
}

impl Default for RewardRule {
    fn default() -> Self {
        RewardRule {
            eligible_kinds: vec![
                "university".into(),
                "institute".into(),
                "rnd_institution".into(),
                "platform".into(),
            ],
            min_score: 60.0,
            min_filings: 5,
            tiers: vec![
                RewardTier {
                    top: 1,
                    amount_yuan: 100_000,
                },
                RewardTier {
                    top: 3,
                    amount_yuan: 50_000,
                },
                RewardTier {
                    top: 10,
                    amount_yuan: 20_000,
                },
            ],
            cap_yuan: 100_000,
        }
    }
}

impl RewardRule {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        let cap = Fen::from_yuan(self.cap_yuan).unwrap_or(Fen(i64::MAX));
        if self.cap_yuan < 0 || cap > MAX_REWARD {
            e.push(FieldError::new(
                "cap_yuan",
                "奖励上限不得超过 10 万元 / the cap may not exceed 100,000 yuan",
            ));
        }
        let mut prev = 0;
        for (i, t) in self.tiers.iter().enumerate() {
            if t.top <= prev {
                e.push(FieldError::new(
                    format!("tiers[{i}].top"),
                    "tiers must have increasing `top`",
                ));
            }
            if t.amount_yuan < 0 || t.amount_yuan > self.cap_yuan {
                e.push(FieldError::new(
                    format!("tiers[{i}].amount_yuan"),
                    "must be between 0 and cap_yuan",
                ));
            }
            prev = t.top;
        }
        if !(0.0..=100.0).contains(&self.min_score) {
            e.push(FieldError::new("min_score", "must be within 0–100"));
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }

    fn amount_for(&self, rank: u32) -> Fen {
        let yuan = self
            .tiers
            .iter()
            .find(|t| rank <= t.top)
            .map(|t| t.amount_yuan)
            .unwrap_or(0);
        let cap = Fen::from_yuan(self.cap_yuan.max(0))
            .unwrap_or(MAX_REWARD)
            .min(MAX_REWARD);
        Fen::from_yuan(yuan.max(0)).unwrap_or(cap).min(cap)
    }
}

/// A unit as the ranking sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub org_id: i64,
    pub kind: String,
    pub score: RecordScore,
}

/// A line of the reward list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reward {
    pub org_id: i64,
    /// Rank among the eligible units (1 = best).
    pub rank: u32,
    pub score: f64,
    pub amount: Fen,
}

/// Sorts units best first: score, then filings, then id (stable for ties).
pub fn rank(units: &mut [Ranked]) {
    units.sort_by(|a, b| {
        b.score
            .total
            .total_cmp(&a.score.total)
            .then(b.score.filings.cmp(&a.score.filings))
            .then(a.org_id.cmp(&b.org_id))
    });
}

/// The reward list: eligible units (kind, minimum score and filings), ranked, with their amounts
/// (zero amounts are left out).
pub fn rewards(units: &[Ranked], rule: &RewardRule) -> Vec<Reward> {
    let mut eligible: Vec<Ranked> = units
        .iter()
        .filter(|u| {
            rule.eligible_kinds.contains(&u.kind)
                && u.score.total >= rule.min_score
                && u.score.filings >= rule.min_filings
        })
        .cloned()
        .collect();
    rank(&mut eligible);
    eligible
        .iter()
        .enumerate()
        .map(|(i, u)| Reward {
            org_id: u.org_id,
            rank: i as u32 + 1,
            score: u.score.total,
            amount: rule.amount_for(i as u32 + 1),
        })
        .filter(|r| r.amount > Fen::ZERO)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rec(c: f64, sub: Option<Date>, publ: Option<Date>, upd: Date, ret: u32) -> RecordFact {
        RecordFact {
            completeness: c,
            submitted_on: sub,
            published_on: publ,
            updated_on: upd,
            returned: ret,
            withdrawn: false,
        }
    }

    #[test]
    fn perfect_unit_scores_100() {
        let rules = ScoreRules {
            volume_target: 2,
            ..Default::default()
        };
        let today = date!(2026 - 06 - 01);
        let r = rec(1.0, Some(today), Some(today), today, 0);
        let s = score(&[r, r], &rules, today);
        assert_eq!(s.total, 100.0);
        assert_eq!(s.filings, 2);
    }

    #[test]
    fn parts_move_with_the_records() {
        let rules = ScoreRules::default();
        let today = date!(2026 - 06 - 01);
        let good = rec(
            0.8,
            Some(date!(2026 - 05 - 01)),
            Some(date!(2026 - 05 - 10)),
            date!(2026 - 05 - 10),
            0,
        );
        let base = score(&[good], &rules, today);
        assert!((base.completeness - 0.8).abs() < 1e-9);
        assert_eq!(base.timeliness, 1.0);
        assert_eq!(base.quality, 1.0);
        // a return lowers quality
        let returned = score(
            &[RecordFact {
                returned: 1,
                ..good
            }],
            &rules,
            today,
        );
        assert!(returned.total < base.total);
        assert_eq!(returned.quality, 0.0);
        // an old record lowers timeliness
        let old = score(
            &[RecordFact {
                updated_on: date!(2025 - 01 - 01),
                ..good
            }],
            &rules,
            today,
        );
        assert!(old.timeliness < 1.0 && old.total < base.total);
        // more filings raise volume
        let more = score(&[good, good, good], &rules, today);
        assert!(more.volume > base.volume && more.total > base.total);
        // drafts only: no quality, no volume
        let drafts = score(&[rec(1.0, None, None, today, 0)], &rules, today);
        assert_eq!(
            (drafts.quality, drafts.volume, drafts.filings),
            (0.0, 0.0, 0)
        );
        assert!(score(&[], &rules, today).total == 0.0);
    }

    #[test]
    fn ramp_is_linear() {
        assert_eq!(ramp(10.0, 15.0, 90.0), 1.0);
        assert_eq!(ramp(52.5, 15.0, 90.0), 0.5);
        assert_eq!(ramp(100.0, 15.0, 90.0), 0.0);
    }

    fn unit(id: i64, kind: &str, total: f64, filings: u32) -> Ranked {
        let mut s = score(&[], &ScoreRules::default(), date!(2026 - 01 - 01));
        s.total = total;
        s.filings = filings;
        Ranked {
            org_id: id,
            kind: kind.into(),
            score: s,
        }
    }

    #[test]
    fn reward_rule_tiers_eligibility_and_cap() {
        let rule = RewardRule::default();
        assert!(rule.validate().is_ok());
        let units = vec![
            unit(1, "university", 90.0, 10),
            unit(2, "enterprise", 95.0, 10),
            unit(3, "institute", 80.0, 10),
            unit(4, "university", 55.0, 10),
            unit(5, "university", 85.0, 2),
            unit(6, "rnd_institution", 70.0, 6),
        ];
        let r = rewards(&units, &rule);
        let got: Vec<(i64, u32, i64)> = r.iter().map(|x| (x.org_id, x.rank, x.amount.0)).collect();
        assert_eq!(
            got,
            [(1, 1, 10_000_000), (3, 2, 5_000_000), (6, 3, 5_000_000)]
        );
        let too_much = RewardRule {
            cap_yuan: 200_000,
            ..Default::default()
        };
        assert_eq!(too_much.validate().unwrap_err()[0].field, "cap_yuan");
        let bad_tier = RewardRule {
            tiers: vec![RewardTier {
                top: 1,
                amount_yuan: 150_000,
            }],
            ..Default::default()
        };
        assert!(bad_tier.validate().is_err());
        // even an unvalidated rule never pays more than the plan's ceiling
        let unchecked = RewardRule {
            cap_yuan: 1_000_000,
            tiers: vec![RewardTier {
                top: 1,
                amount_yuan: 500_000,
            }],
            ..Default::default()
        };
        assert_eq!(rewards(&units, &unchecked)[0].amount, MAX_REWARD);
    }

    #[test]
    fn rules_validate_weights() {
        let bad = ScoreRules {
            weight_volume: 30.0,
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err()[0].field, "weights");
        assert!(ScoreRules::default().validate().is_ok());
    }
}
