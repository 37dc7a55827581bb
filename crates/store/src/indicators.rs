//! Indicators: every objective of the plan measured for a year, for the city or one district,
//! from the records as they are (computed) or from the latest reported figure (reported); and
//! the district scorecards built from them.

use crate::orgs::division_prefix;
use crate::plan::IndicatorEntry;
use crate::{Result, Store};
use chengguo_core::contract::{districts_of, yoy_growth};
use chengguo_core::plan::{assess, Measurement, Metric, Objective, Plan, Status};
use chengguo_core::{refdata, OrgKind};
use serde::Serialize;
use std::collections::HashMap;
use time::Date;

/// One objective measured for a year and a division.
#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// `yuan`, `count` or `percent`.
    pub unit: String,
    pub direction: String,
    pub year: i32,
    /// `210100` for the city or a district's code.
    pub division: String,
    pub target: Option<f64>,
    /// Where the target comes from: `plan` (the plan's own year), `interpolated` (between two of
    /// its years, or carried after the last), `district` (set by the bureau), `equal_share` (the
    /// city's target divided evenly among its districts), or `none`.
    pub target_basis: String,
    pub value: Option<f64>,
    /// `computed` or `reported`.
    pub source: String,
    /// Value against target (1.0 = reached).
    pub progress: Option<f64>,
    /// `met`, `on_track`, `behind` or `no_data`.
    pub status: String,
    /// The records behind a computed value (a page listing them); for a reported one, its history.
    pub records_url: String,
    /// For a reported value: the entry it comes from.
    pub reported: Option<IndicatorEntry>,
    /// What the figure does not see (e.g. contracts registered elsewhere).
    pub note: String,
    pub per_district: bool,
    pub district_weight: f64,
}

/// What the indicators of one year read, gathered once for the city and all its districts.
pub struct YearFacts {
    year: i32,
    /// `YYYY-12-31`, or today for the current year: stocks are counted up to it.
    until: String,
    elapsed: f64,
    region: String,
    orgs: HashMap<OrgKind, Vec<(String, i64)>>,
    brokers: Vec<(Option<String>, i64)>,
    achievements: Option<Vec<(String, i64)>>,
    reported: Vec<IndicatorEntry>,
    district_targets: Vec<crate::plan::DistrictTarget>,
    contracts: HashMap<String, ContractFigures>,
    /// The statistics' groups of the plan's region per year, read once: the city's and every
    /// district's contract figures are computed from them.
    groups: HashMap<i32, Vec<crate::contracts::Group>>,
    formula: chengguo_core::contract::StatsFormula,
}

#[derive(Debug, Clone, Copy, Default)]
struct ContractFigures {
    turnover_yuan: f64,
    tx_yuan: f64,
    local_absorption: u64,
    rate: Option<f64>,
    any: bool,
}

fn yuan(f: chengguo_core::Fen) -> f64 {
    f.0 as f64 / 100.0
}

fn year_bounds(year: i32) -> (Date, Date) {
    let from = Date::from_calendar_date(year, time::Month::January, 1).expect("valid year");
    let to = Date::from_calendar_date(year, time::Month::December, 31).expect("valid year");
    (from, to)
}

/// The prefix of the plan's region (`210100` → `2101`).
pub fn region_prefix(plan: &Plan) -> String {
    division_prefix(&plan.region)
}

/// Shares of the year past: 1 for past years, 0 for future ones.
fn elapsed_of(year: i32, today: Date) -> f64 {
    match year.cmp(&today.year()) {
        std::cmp::Ordering::Less => 1.0,
        std::cmp::Ordering::Greater => 0.0,
        std::cmp::Ordering::Equal => f64::from(today.ordinal()) / 365.0,
    }
}

impl Store {
    /// Gathers what the indicators of `year` read.
    pub async fn year_facts(&self, plan: &Plan, year: i32, today: Date) -> Result<YearFacts> {
        let until = if year >= today.year() {
            today.to_string()
        } else {
            format!("{year}-12-31")
        };
        let mut orgs = HashMap::new();
        for kind in [
            OrgKind::Incubator,
            OrgKind::Platform,
            OrgKind::TransferInstitution,
        ] {
            orgs.insert(kind, self.org_counts_until(kind, &until).await?);
        }
        let formula = self.contract_settings().await?.formula;
        let reported = self
            .reported_values()
            .await?
            .into_iter()
            .filter(|e| e.year == year)
            .collect();
        let district_targets = self
            .district_targets()
            .await?
            .into_iter()
            .filter(|t| t.year == year)
            .collect();
        Ok(YearFacts {
            year,
            elapsed: elapsed_of(year, today),
            region: region_prefix(plan),
            brokers: self.broker_counts_until(&until).await?,
            achievements: self.achievements_published_by_division(year).await,
            until,
            orgs,
            reported,
            district_targets,
            contracts: HashMap::new(),
            groups: HashMap::new(),
            formula,
        })
    }

    /// Contract figures of a region (a division-code prefix) and year, through the contract
    /// statistics (so the indicator equals them by construction).
    async fn contract_figures(
        &self,
        facts: &mut YearFacts,
        region: &str,
        year: i32,
    ) -> Result<ContractFigures> {
        let key = format!("{region}/{year}");
        if let Some(f) = facts.contracts.get(&key) {
            return Ok(*f);
        }
        let (from, to) = year_bounds(year);
        // Districts of the plan's region (and the region itself) are read from the region's
        // groups, one query per year instead of one per district; the same figures as
        // `contract_stats` (tested in `computed_indicators_equal_contract_statistics`).
        let stats = if region.starts_with(&facts.region) {
            if !facts.groups.contains_key(&year) {
                let groups = self.stats_groups(&facts.region, from, to).await?;
                facts.groups.insert(year, groups);
            }
            let groups = facts.groups.get(&year).map(Vec::as_slice).unwrap_or(&[]);
            crate::contracts::accumulate_groups(groups, region, facts.formula)
        } else {
            self.contract_stats(region, from, to, facts.formula)
                .await?
                .stats
        };
        let s = &stats;
        let f = ContractFigures {
            turnover_yuan: yuan(s.turnover.contract_amount),
            tx_yuan: yuan(s.turnover.tech_transaction_amount),
            local_absorption: s.local_absorption_count(),
            rate: s.local_conversion_rate,
            any: s.turnover.count > 0 || s.absorption.total.count > 0,
        };
        facts.contracts.insert(key, f);
        Ok(f)
    }

    /// Achievements first published in `year` per division of their owner (the same count as
    /// `Store::publication_counts`, by division); `None` when the query fails.
    async fn achievements_published_by_division(&self, year: i32) -> Option<Vec<(String, i64)>> {
        let r: std::result::Result<Vec<(String, i64)>, sqlx::Error> = sqlx::query_as(
            "SELECT o.division_code, COUNT(*) FROM achievements a JOIN organizations o ON o.id = a.owner_org_id \
             WHERE a.published_at >= $1 AND a.published_at < $2 GROUP BY o.division_code",
        )
        .bind(format!("{year}-01-01"))
        .bind(format!("{}-01-01", year + 1))
        .fetch_all(self.pool())
        .await;
        r.ok()
    }

    /// Every objective of the plan for `year`, for the city (`division` = None) or a district.
    pub async fn indicators(
        &self,
        plan: &Plan,
        facts: &mut YearFacts,
        division: Option<&str>,
    ) -> Result<Vec<Indicator>> {
        let mut out = Vec::new();
        for o in &plan.objectives {
            out.push(self.indicator(plan, facts, o, division).await?);
        }
        Ok(out)
    }

    async fn indicator(
        &self,
        plan: &Plan,
        facts: &mut YearFacts,
        o: &Objective,
        division: Option<&str>,
    ) -> Result<Indicator> {
        let year = facts.year;
        let code = division.unwrap_or(&plan.region).to_string();
        let prefix = match division {
            Some(d) => division_prefix(d),
            None => facts.region.clone(),
        };
        let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
        let mut note = String::new();
        let mut reported = None;
        let (value, records_url) = match (o.measurement, o.metric) {
            (Measurement::Computed, Some(m)) => {
                let contracts_url = |measure: &str| {
                    format!("/stats/contracts/records?region={prefix}&from={from}&to={to}&measure={measure}")
                };
                match m {
                    Metric::ContractTurnover
                    | Metric::TechTransactionAmount
                    | Metric::LocalConversionRate
                    | Metric::LocalAbsorptionCount
                    | Metric::LocalAbsorptionGrowth => {
                        let f = self.contract_figures(facts, &prefix, year).await?;
                        note = "仅统计在本平台登记或导入的技术合同 / counts the contracts registered on or imported into the platform".into();
                        match m {
                            Metric::ContractTurnover => {
                                (f.any.then_some(f.turnover_yuan), contracts_url("turnover"))
                            }
                            Metric::TechTransactionAmount => {
                                (f.any.then_some(f.tx_yuan), contracts_url("turnover"))
                            }
                            Metric::LocalConversionRate => {
                                (f.rate.map(|r| r * 100.0), contracts_url("output_local"))
                            }
                            Metric::LocalAbsorptionCount => (
                                f.any.then_some(f.local_absorption as f64),
                                contracts_url("output_local"),
                            ),
                            _ => {
                                let base = match o.baseline {
                                    Some(b) => match b.value {
                                        Some(v) if division.is_none() => Some(v as u64),
                                        _ => Some(
                                            self.contract_figures(facts, &prefix, b.year)
                                                .await?
                                                .local_absorption,
                                        ),
                                    },
                                    None => None,
                                };
                                let v = base
                                    .and_then(|b| yoy_growth(f.local_absorption, b))
                                    .map(|g| g * 100.0);
                                if v.is_none() {
                                    note = "基准年无本地吸纳合同，无法计算增长 / no locally absorbed contracts in the base year: growth cannot be computed".into();
                                }
                                (v, contracts_url("output_local"))
                            }
                        }
                    }
                    Metric::AchievementsPublished => {
                        let v = facts.achievements.as_ref().map(|rows| {
                            rows.iter()
                                .filter(|(d, _)| d.starts_with(&prefix))
                                .map(|(_, n)| *n)
                                .sum::<i64>() as f64
                        });
                        (
                            v,
                            if division.is_some() {
                                format!("/achievements?district={code}")
                            } else {
                                "/achievements/publications".to_string()
                            },
                        )
                    }
                    Metric::Incubators | Metric::Platforms | Metric::TransferInstitutions => {
                        let kind = match m {
                            Metric::Incubators => OrgKind::Incubator,
                            Metric::Platforms => OrgKind::Platform,
                            _ => OrgKind::TransferInstitution,
                        };
                        let n: i64 = facts
                            .orgs
                            .get(&kind)
                            .map(|rows| {
                                rows.iter()
                                    .filter(|(d, _)| d.starts_with(&prefix))
                                    .map(|(_, n)| *n)
                                    .sum()
                            })
                            .unwrap_or(0);
                        (
                            Some(n as f64),
                            format!("/organizations?kind={}&division={code}", kind.as_str()),
                        )
                    }
                    Metric::Brokers => {
                        let n: i64 = facts
                            .brokers
                            .iter()
                            .filter(|(d, _)| {
                                division.is_none()
                                    || d.as_deref().is_some_and(|d| d.starts_with(&prefix))
                            })
                            .map(|(_, n)| *n)
                            .sum();
                        (Some(n as f64), "/users?role=broker".to_string())
                    }
                }
            }
            _ => {
                let own = facts
                    .reported
                    .iter()
                    .find(|e| e.indicator == o.key && e.division == code)
                    .cloned();
                let v = match (&own, division) {
                    (Some(e), _) => Some(e.value),
                    // The city's figure, when only districts reported, is their sum (counts, yuan).
                    (None, None) if o.unit.is_additive() => {
                        let parts: Vec<f64> = facts
                            .reported
                            .iter()
                            .filter(|e| e.indicator == o.key && e.division != code)
                            .map(|e| e.value)
                            .collect();
                        if parts.is_empty() {
                            None
                        } else {
                            note =
                                "各区县上报数之和 / sum of the districts' reported figures".into();
                            Some(parts.iter().sum())
                        }
                    }
                    _ => None,
                };
                reported = own;
                (v, format!("/plan/indicators/{}", o.key))
            }
        };
        let (target, target_basis) = match division {
            None => match o.target_for(year) {
                Some(t) => (
                    Some(t.value),
                    if t.derived { "interpolated" } else { "plan" },
                ),
                None => (None, "none"),
            },
            Some(d) => match facts
                .district_targets
                .iter()
                .find(|t| t.indicator == o.key && t.division == d)
            {
                Some(t) => (Some(t.value), "district"),
                None => match o.target_for(year) {
                    Some(t) if o.unit.is_additive() => {
                        let n = districts_of(&facts.region).len().max(1) as f64;
                        (Some(t.value / n), "equal_share")
                    }
                    Some(t) => (
                        Some(t.value),
                        if t.derived { "interpolated" } else { "plan" },
                    ),
                    None => (None, "none"),
                },
            },
        };
        let (progress, status) = assess(value, target, o.direction, o.exclusive, facts.elapsed);
        let status = if value.is_some() && target.is_none() {
            Status::NoData
        } else {
            status
        };
        Ok(Indicator {
            key: o.key.clone(),
            name_zh: o.name_zh.clone(),
            name_en: o.name_en.clone(),
            unit: o.unit.as_str().into(),
            direction: serde_json::to_value(o.direction)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            year,
            division: code,
            target,
            target_basis: target_basis.into(),
            value,
            source: o.measurement.as_str().into(),
            progress,
            status: status.as_str().into(),
            records_url,
            reported,
            note,
            per_district: o.per_district,
            district_weight: o.district_weight,
        })
    }

    /// Turnover per month (`YYYY-MM`, yuan) of the region for a year.
    pub async fn turnover_by_month(&self, plan: &Plan, year: i32) -> Result<Vec<(String, f64)>> {
        let (from, to) = year_bounds(year);
        Ok(self
            .contract_turnover_by_month(&region_prefix(plan), from, to)
            .await?
            .into_iter()
            .map(|(m, _, a)| (m, yuan(a)))
            .collect())
    }

    /// The scorecards of every district of the plan's region for a year, ranked.
    pub async fn scorecards(&self, plan: &Plan, facts: &mut YearFacts) -> Result<Vec<Scorecard>> {
        let city = self.indicators(plan, facts, None).await?;
        let mut cards = Vec::new();
        for d in refdata::children(&plan.region)
            .into_iter()
            .filter(|d| d.level == 3 && !d.retired)
        {
            let inds = self.indicators(plan, facts, Some(d.code)).await?;
            let mut items = Vec::new();
            let mut score = 0.0;
            for i in inds.into_iter().filter(|i| i.per_district) {
                let city_value = city.iter().find(|c| c.key == i.key).and_then(|c| c.value);
                let additive = i.unit != "percent";
                let share = match (i.value, city_value) {
                    (Some(v), Some(c)) if additive && c > 0.0 => Some(v / c),
                    _ => None,
                };
                let attainment = i.progress.map(|p| p.clamp(0.0, 1.0));
                let points = attainment.unwrap_or(0.0) * i.district_weight;
                score += points;
                items.push(ScoreItem {
                    city_value,
                    share,
                    attainment,
                    points,
                    indicator: i,
                });
            }
            cards.push(Scorecard {
                division: d.code.to_string(),
                name: d.name.to_string(),
                year: facts.year,
                score,
                rank: 0,
                items,
            });
        }
        cards.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.division.cmp(&b.division))
        });
        let mut prev: Option<(f64, usize)> = None;
        for (i, c) in cards.iter_mut().enumerate() {
            // Equal scores share a rank.
            c.rank = match prev {
                Some((s, r)) if (s - c.score).abs() < 1e-9 => r,
                _ => i + 1,
            };
            prev = Some((c.score, c.rank));
        }
        Ok(cards)
    }

    /// When the current year's facts were counted up to (for captions).
    pub fn facts_until(facts: &YearFacts) -> &str {
        &facts.until
    }
}

/// A district's standing for a year.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub division: String,
    pub name: String,
    pub year: i32,
    /// 0–100: Σ weight × min(progress, 1) over the per-district objectives.
    pub score: f64,
    pub rank: usize,
    pub items: Vec<ScoreItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScoreItem {
    pub indicator: Indicator,
    /// The city's value of the same indicator.
    pub city_value: Option<f64>,
    /// The district's share of the city's value (additive units only).
    pub share: Option<f64>,
    /// min(progress, 1).
    pub attainment: Option<f64>,
    /// attainment × weight.
    pub points: f64,
}
