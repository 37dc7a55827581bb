//! Contract statistics of DOMAIN.md §3 in one streaming pass: feed each registered contract's
//! [`ContractFact`] to a [`StatsAccumulator`], then [`StatsAccumulator::finish`]. The definitions
//! are in the [module documentation](super).

use super::input::CHINA;
use crate::money::Fen;
use crate::refdata;
use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the local conversion rate divides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateBasis {
    /// Sums of an amount (default).
    #[default]
    Amount,
    /// Numbers of contracts.
    Count,
}

/// Which amount the rate sums (with [`RateBasis::Amount`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateAmount {
    /// 合同成交额 (default).
    #[default]
    Contract,
    /// 技术交易额.
    Transaction,
}

/// Which sellers the rate considers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SellerScope {
    /// Every seller in the region (default).
    #[default]
    All,
    /// Universities and research institutes: seller nature 021 or 022.
    UniversitiesAndInstitutes,
}

/// The formula of the local conversion rate (本地转化率), which no official text defines \[U\].
/// The default is Σ contract amount (seller ∈ R ∧ buyer ∈ R) ÷ Σ contract amount (seller ∈ R).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatsFormula {
    #[serde(default)]
    pub basis: RateBasis,
    #[serde(default)]
    pub amount: RateAmount,
    #[serde(default)]
    pub sellers: SellerScope,
}

impl StatsFormula {
    fn seller_counts(&self, nature: &str) -> bool {
        match self.sellers {
            SellerScope::All => true,
            SellerScope::UniversitiesAndInstitutes => matches!(nature.trim(), "021" | "022"),
        }
    }

    fn measure(&self, t: &Tally) -> f64 {
        match (self.basis, self.amount) {
            (RateBasis::Count, _) => t.count as f64,
            (RateBasis::Amount, RateAmount::Contract) => t.contract_amount.0 as f64,
            (RateBasis::Amount, RateAmount::Transaction) => t.tech_transaction_amount.0 as f64,
        }
    }
}

/// What the statistics read of one registered contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractFact<'a> {
    pub seller_division: Option<&'a str>,
    pub buyer_division: Option<&'a str>,
    /// Three digits; a buyer is only ever in a region when this is `156`.
    pub buyer_country: &'a str,
    pub seller_nature: &'a str,
    /// A category code (or a subtype code, rolled up to its category).
    pub category: &'a str,
    pub contract_amount: Fen,
    pub tx_amount: Fen,
}

/// A number of contracts and their two amounts. Amounts serialize as yuan strings (`"1234.50"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: u64,
    /// 合同成交额.
    #[serde(serialize_with = "super::ser_yuan")]
    pub contract_amount: Fen,
    /// 技术交易额.
    #[serde(serialize_with = "super::ser_yuan")]
    pub tech_transaction_amount: Fen,
}

impl Tally {
    /// Adds `n` contracts whose amounts sum to the fact's amounts.
    fn add_n(&mut self, f: &ContractFact<'_>, n: u64) {
        self.count += n;
        // Saturating: i64 fen holds 9.2×10^16 yuan, far beyond any real sum; never wrap.
        self.contract_amount = Fen(self.contract_amount.0.saturating_add(f.contract_amount.0));
        self.tech_transaction_amount =
            Fen(self.tech_transaction_amount.0.saturating_add(f.tx_amount.0));
    }

    fn merge(&mut self, o: &Tally) {
        self.count += o.count;
        self.contract_amount = Fen(self.contract_amount.0.saturating_add(o.contract_amount.0));
        self.tech_transaction_amount = Fen(self
            .tech_transaction_amount
            .0
            .saturating_add(o.tech_transaction_amount.0));
    }
}

/// A total split by where the other party is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    /// All of them (`count`, `contract_amount`, `tech_transaction_amount` in JSON).
    #[serde(flatten)]
    pub total: Tally,
    /// The other party is in the region too.
    pub local: Tally,
    /// The other party is elsewhere in China, abroad, or of unknown location.
    pub non_local: Tally,
}

impl Split {
    fn add(&mut self, f: &ContractFact<'_>, other_in_region: bool, n: u64) {
        self.total.add_n(f, n);
        if other_in_region {
            self.local.add_n(f, n);
        } else {
            self.non_local.add_n(f, n);
        }
    }

    fn merge(&mut self, o: &Split) {
        self.total.merge(&o.total);
        self.local.merge(&o.local);
        self.non_local.merge(&o.non_local);
    }
}

/// One county-level district of the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistrictStats {
    pub division_code: String,
    pub name: String,
    /// Seller in the district.
    pub output: Tally,
    /// Buyer in the district (and in China).
    pub absorption: Tally,
}

/// The statistics of a region and period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContractStats {
    /// The division-code prefix.
    pub region: String,
    /// The formula of `local_conversion_rate`.
    pub formula: StatsFormula,
    /// 技术合同成交额 and 技术交易额: seller in the region.
    pub turnover: Tally,
    /// 输出: seller in the region, split by the buyer.
    pub output: Split,
    /// 吸纳: buyer in the region, wherever registered, split by the seller.
    pub absorption: Split,
    /// 本地转化率 as a fraction; `None` when the denominator is 0.
    pub local_conversion_rate: Option<f64>,
    /// Seller in the region, by category code.
    pub by_category: BTreeMap<String, Tally>,
    /// One entry per district given to the accumulator, in that order.
    pub by_district: Vec<DistrictStats>,
}

impl ContractStats {
    /// 本地吸纳 contracts (seller and buyer in the region): the count whose growth the plan sets
    /// targets for.
    pub fn local_absorption_count(&self) -> u64 {
        self.output.local.count
    }
}

/// Accumulates [`ContractStats`] over a stream of contracts.
#[derive(Debug, Clone)]
pub struct StatsAccumulator {
    region: String,
    formula: StatsFormula,
    districts: Vec<String>,
    output: Split,
    absorption: Split,
    by_category: BTreeMap<String, Tally>,
    district_output: Vec<Tally>,
    district_absorption: Vec<Tally>,
    rate_numerator: Tally,
    rate_denominator: Tally,
}

fn within(division: Option<&str>, prefix: &str) -> bool {
    division.is_some_and(|d| d.trim().starts_with(prefix))
}

/// The category a fact counts under: its top-level category code, or the code as given when it
/// is not in the list.
fn category_key(code: &str) -> &str {
    let code = code.trim();
    let top = [
        "development",
        "transfer",
        "licensing",
        "consulting",
        "service",
    ];
    if top.contains(&code) {
        return code;
    }
    match refdata::lookup(refdata::contract_categories(), code) {
        Some(c) => super::input::root_category(c).code,
        None => code,
    }
}

impl StatsAccumulator {
    /// `region_prefix`: a division-code prefix ([`parse_region`]); `districts`: the division codes
    /// (or prefixes) of the districts to break down, e.g. [`districts_of`] the region.
    pub fn new(
        region_prefix: impl Into<String>,
        formula: StatsFormula,
        districts: Vec<String>,
    ) -> Self {
        let n = districts.len();
        let mut by_category = BTreeMap::new();
        for c in refdata::contract_categories()
            .iter()
            .filter(|c| c.parent.is_none())
        {
            by_category.insert(c.code.to_string(), Tally::default());
        }
        Self {
            region: region_prefix.into(),
            formula,
            districts,
            output: Split::default(),
            absorption: Split::default(),
            by_category,
            district_output: vec![Tally::default(); n],
            district_absorption: vec![Tally::default(); n],
            rate_numerator: Tally::default(),
            rate_denominator: Tally::default(),
        }
    }

    pub fn add(&mut self, f: &ContractFact<'_>) {
        self.add_group(f, 1);
    }

    /// Adds `n` contracts that share every field the statistics read but the amounts, which the
    /// fact carries summed (a row of a `GROUP BY` over stored contracts).
    pub fn add_group(&mut self, f: &ContractFact<'_>, n: u64) {
        let region = self.region.as_str();
        let buyer_domestic = f.buyer_country.trim() == CHINA;
        let seller_in = within(f.seller_division, region);
        let buyer_in = buyer_domestic && within(f.buyer_division, region);
        if seller_in {
            self.output.add(f, buyer_in, n);
            let key = category_key(f.category);
            match self.by_category.get_mut(key) {
                Some(t) => t.add_n(f, n),
                None => self
                    .by_category
                    .entry(key.to_string())
                    .or_default()
                    .add_n(f, n),
            }
            if self.formula.seller_counts(f.seller_nature) {
                self.rate_denominator.add_n(f, n);
                if buyer_in {
                    self.rate_numerator.add_n(f, n);
                }
            }
        }
        if buyer_in {
            self.absorption.add(f, seller_in, n);
        }
        for (i, d) in self.districts.iter().enumerate() {
            if within(f.seller_division, d) {
                self.district_output[i].add_n(f, n);
            }
            if buyer_domestic && within(f.buyer_division, d) {
                self.district_absorption[i].add_n(f, n);
            }
        }
    }

    /// Adds the contracts another accumulator of the same region, formula and districts has seen
    /// (for accumulating in parallel).
    pub fn merge(&mut self, other: &StatsAccumulator) {
        debug_assert!(self.region == other.region && self.districts == other.districts);
        self.output.merge(&other.output);
        self.absorption.merge(&other.absorption);
        for (k, t) in &other.by_category {
            self.by_category.entry(k.clone()).or_default().merge(t);
        }
        for (a, b) in self.district_output.iter_mut().zip(&other.district_output) {
            a.merge(b);
        }
        for (a, b) in self
            .district_absorption
            .iter_mut()
            .zip(&other.district_absorption)
        {
            a.merge(b);
        }
        self.rate_numerator.merge(&other.rate_numerator);
        self.rate_denominator.merge(&other.rate_denominator);
    }

    pub fn finish(self) -> ContractStats {
        let den = self.formula.measure(&self.rate_denominator);
        let local_conversion_rate =
            (den != 0.0).then(|| self.formula.measure(&self.rate_numerator) / den);
        let by_district = self
            .districts
            .into_iter()
            .zip(
                self.district_output
                    .into_iter()
                    .zip(self.district_absorption),
            )
            .map(|(code, (output, absorption))| DistrictStats {
                name: refdata::division(&code)
                    .map(|d| d.name.to_string())
                    .unwrap_or_default(),
                division_code: code,
                output,
                absorption,
            })
            .collect();
        ContractStats {
            region: self.region,
            formula: self.formula,
            turnover: self.output.total,
            output: self.output,
            absorption: self.absorption,
            local_conversion_rate,
            by_category: self.by_category,
            by_district,
        }
    }
}

/// Parses a region: a division code or prefix of 2, 4 or 6 digits naming a division that exists
/// (`2101`, `210100` = Shenyang; `210106` = 铁西区; `21` = 辽宁省). Returns the prefix, trailing
/// `00` pairs dropped (`210100` → `2101`).
pub fn parse_region(s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    let bad = || {
        FieldError::new(
            "region",
            format!("'{t}' 不是行政区划代码或前缀 / is not a division code or prefix (2, 4 or 6 digits, e.g. 2101 = Shenyang)"),
        )
    };
    if !matches!(t.len(), 2 | 4 | 6) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let mut prefix = t;
    while prefix.len() > 2 && prefix.ends_with("00") {
        prefix = &prefix[..prefix.len() - 2];
    }
    let full = format!("{prefix:0<6}");
    if prefix == "00" || refdata::division(&full).is_none() {
        return Err(bad());
    }
    Ok(prefix.to_string())
}

/// The current county-level divisions within a region prefix, in code order: Shenyang's 13 for
/// `2101`, just `210106` for `210106`.
pub fn districts_of(region_prefix: &str) -> Vec<String> {
    refdata::divisions()
        .iter()
        .filter(|d| d.level == 3 && d.is_current() && d.code.starts_with(region_prefix))
        .map(|d| d.code.to_string())
        .collect()
}

/// Year-over-year growth as a fraction ((current − base) ÷ base); `None` for a base of 0.
pub fn yoy_growth(current_count: u64, base_count: u64) -> Option<f64> {
    (base_count != 0).then(|| (current_count as f64 - base_count as f64) / base_count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic, no deps.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len() as u64) as usize]
        }
    }

    /// A generated contract, owned.
    struct Gen {
        seller_division: Option<String>,
        buyer_division: Option<String>,
        buyer_country: String,
        seller_nature: String,
        category: String,
        contract: i64,
        tx: i64,
    }

    impl Gen {
        fn fact(&self) -> ContractFact<'_> {
            ContractFact {
                seller_division: self.seller_division.as_deref(),
                buyer_division: self.buyer_division.as_deref(),
                buyer_country: &self.buyer_country,
                seller_nature: &self.seller_nature,
                category: &self.category,
                contract_amount: Fen(self.contract),
                tx_amount: Fen(self.tx),
            }
        }
    }

    const SHENYANG: &[&str] = &[
        "210102", "210103", "210104", "210105", "210106", "210106", "210106", "210111", "210112",
        "210112", "210113", "210114", "210115", "210123", "210124", "210181",
        // the city itself and a retired county: in 2101, in no current district
        "210100", "210122",
    ];
    /// Elsewhere in China, including Dalian (same province) and a code sharing digits with 2101.
    const ELSEWHERE: &[&str] = &[
        "110101", "310104", "210202", "210203", "440305", "120101", "421001",
    ];
    const FOREIGN: &[&str] = &["840", "276", "392", "344"];
    const NATURES: &[&str] = &["021", "022", "150", "110", "170", "300", "400", "010"];
    const CATEGORIES: &[&str] = &[
        "development",
        "transfer",
        "licensing",
        "consulting",
        "service",
        "transfer.patent",
        "技术培训",
    ];

    /// (division, country) of a party: 45% Shenyang, 35% elsewhere in China, 20% abroad (a few
    /// foreign parties wrongly carrying a Shenyang division code).
    fn party(rng: &mut Lcg) -> (Option<String>, String) {
        match rng.below(20) {
            0..=8 => (Some(rng.pick(SHENYANG).into()), "156".into()),
            9..=15 => (Some(rng.pick(ELSEWHERE).into()), "156".into()),
            16 => (Some("210106".into()), rng.pick(FOREIGN).into()),
            _ => (None, rng.pick(FOREIGN).into()),
        }
    }

    fn generate(n: usize, seed: u64) -> Vec<Gen> {
        let mut rng = Lcg(seed);
        (0..n)
            .map(|_| {
                let (seller_division, seller_country) = party(&mut rng);
                let (buyer_division, buyer_country) = party(&mut rng);
                let contract = rng.below(1_000_000_000) as i64 * (1 + rng.below(3) as i64);
                let tx =
                    contract - (rng.below(contract as u64 + 1) as i64) / (1 + rng.below(4) as i64);
                Gen {
                    // A seller abroad has no division code; nor have a few sellers at home (bad data).
                    seller_division: seller_division
                        .filter(|_| seller_country == "156" && rng.below(20) != 0),
                    buyer_division,
                    buyer_country,
                    seller_nature: rng.pick(NATURES).into(),
                    category: rng.pick(CATEGORIES).into(),
                    contract,
                    tx,
                }
            })
            .collect()
    }

    /// Expected figures, computed naively and separately from the accumulator: a filter per
    /// figure, sums in i128.
    #[derive(Debug, PartialEq)]
    struct Naive(u64, i128, i128);

    fn naive<'a>(gs: impl Iterator<Item = &'a Gen>) -> Naive {
        let mut n = Naive(0, 0, 0);
        for g in gs {
            n.0 += 1;
            n.1 += g.contract as i128;
            n.2 += g.tx as i128;
        }
        n
    }

    fn of(t: &Tally) -> Naive {
        Naive(
            t.count,
            t.contract_amount.0 as i128,
            t.tech_transaction_amount.0 as i128,
        )
    }

    fn has_prefix(code: &Option<String>, prefix: &str) -> bool {
        match code {
            Some(c) => c.len() >= prefix.len() && c[..prefix.len()] == *prefix,
            None => false,
        }
    }

    fn root(category: &str) -> &str {
        match category {
            "transfer.patent" => "transfer",
            "技术培训" => "service",
            c => c,
        }
    }

    fn check_region(gs: &[Gen], region: &str) {
        let seller_in = |g: &Gen| has_prefix(&g.seller_division, region);
        let buyer_in = |g: &Gen| g.buyer_country == "156" && has_prefix(&g.buyer_division, region);
        let districts = districts_of(region);
        let formulas: Vec<StatsFormula> = [RateBasis::Amount, RateBasis::Count]
            .into_iter()
            .flat_map(|basis| {
                [RateAmount::Contract, RateAmount::Transaction]
                    .into_iter()
                    .flat_map(move |amount| {
                        [SellerScope::All, SellerScope::UniversitiesAndInstitutes]
                            .into_iter()
                            .map(move |sellers| StatsFormula {
                                basis,
                                amount,
                                sellers,
                            })
                    })
            })
            .collect();
        for formula in formulas {
            let mut acc = StatsAccumulator::new(region, formula, districts.clone());
            for g in gs {
                acc.add(&g.fact());
            }
            let s = acc.finish();

            assert_eq!(of(&s.turnover), naive(gs.iter().filter(|g| seller_in(g))));
            assert_eq!(of(&s.output.total), of(&s.turnover));
            assert_eq!(
                of(&s.output.local),
                naive(gs.iter().filter(|g| seller_in(g) && buyer_in(g)))
            );
            assert_eq!(
                of(&s.output.non_local),
                naive(gs.iter().filter(|g| seller_in(g) && !buyer_in(g)))
            );
            assert_eq!(
                of(&s.absorption.total),
                naive(gs.iter().filter(|g| buyer_in(g)))
            );
            assert_eq!(
                of(&s.absorption.local),
                naive(gs.iter().filter(|g| buyer_in(g) && seller_in(g)))
            );
            assert_eq!(
                of(&s.absorption.non_local),
                naive(gs.iter().filter(|g| buyer_in(g) && !seller_in(g)))
            );
            assert_eq!(s.local_absorption_count(), s.absorption.local.count);

            for cat in [
                "development",
                "transfer",
                "licensing",
                "consulting",
                "service",
            ] {
                let expected = naive(
                    gs.iter()
                        .filter(|g| seller_in(g) && root(&g.category) == cat),
                );
                assert_eq!(of(&s.by_category[cat]), expected, "{cat}");
            }
            assert_eq!(s.by_category.len(), 5);

            assert_eq!(s.by_district.len(), districts.len());
            for (d, code) in s.by_district.iter().zip(&districts) {
                assert_eq!(&d.division_code, code);
                assert_eq!(
                    of(&d.output),
                    naive(
                        gs.iter()
                            .filter(|g| g.seller_division.as_deref() == Some(code.as_str()))
                    )
                );
                let absorbed = gs.iter().filter(|g| {
                    g.buyer_country == "156" && g.buyer_division.as_deref() == Some(code.as_str())
                });
                assert_eq!(of(&d.absorption), naive(absorbed));
            }

            let scoped = |g: &Gen| match formula.sellers {
                SellerScope::All => true,
                SellerScope::UniversitiesAndInstitutes => {
                    g.seller_nature == "021" || g.seller_nature == "022"
                }
            };
            let value = |n: Naive| match (formula.basis, formula.amount) {
                (RateBasis::Count, _) => n.0 as f64,
                (RateBasis::Amount, RateAmount::Contract) => n.1 as f64,
                (RateBasis::Amount, RateAmount::Transaction) => n.2 as f64,
            };
            let num = value(naive(
                gs.iter()
                    .filter(|g| seller_in(g) && scoped(g) && buyer_in(g)),
            ));
            let den = value(naive(gs.iter().filter(|g| seller_in(g) && scoped(g))));
            assert!(den > 0.0);
            assert_eq!(s.local_conversion_rate, Some(num / den), "{formula:?}");
            assert_eq!(s.formula, formula);
        }
    }

    #[test]
    fn generated_contracts_match_the_definitions() {
        let gs = generate(10_000, 2022);
        // The generator covers every case the definitions distinguish.
        let abroad = gs.iter().filter(|g| g.buyer_country != "156").count();
        let foreign_with_code = gs
            .iter()
            .filter(|g| g.buyer_country != "156" && g.buyer_division.is_some())
            .count();
        let elsewhere = gs
            .iter()
            .filter(|g| g.buyer_country == "156" && !has_prefix(&g.buyer_division, "2101"))
            .count();
        assert!(
            abroad > 1000 && foreign_with_code > 100 && elsewhere > 2000,
            "{abroad} {foreign_with_code} {elsewhere}"
        );
        assert_eq!(districts_of("2101").len(), 13);
        check_region(&gs, "2101");
        check_region(&gs, "210106");
        check_region(&gs, "21");
    }

    #[test]
    fn merging_partial_accumulators_gives_the_same_result() {
        let gs = generate(3_000, 7);
        let f = StatsFormula::default();
        let mut whole = StatsAccumulator::new("2101", f, districts_of("2101"));
        let mut a = StatsAccumulator::new("2101", f, districts_of("2101"));
        let mut b = StatsAccumulator::new("2101", f, districts_of("2101"));
        for (i, g) in gs.iter().enumerate() {
            whole.add(&g.fact());
            if i % 2 == 0 {
                a.add(&g.fact())
            } else {
                b.add(&g.fact())
            }
        }
        a.merge(&b);
        assert_eq!(a.finish(), whole.finish());
    }

    #[test]
    fn sums_are_exact_to_the_fen_over_a_million_rows() {
        let mut rng = Lcg(5);
        let mut acc = StatsAccumulator::new("2101", StatsFormula::default(), vec![]);
        let mut expected: i128 = 0;
        for _ in 0..1_000_000 {
            // 0.01 to 9,999,999.99 yuan, written as a person would and parsed.
            let fen = 1 + rng.below(999_999_999) as i64;
            let text = format!("{}.{:02}", fen / 100, fen % 100);
            let amount = Fen::parse_non_negative(&text).unwrap();
            assert_eq!(amount.0, fen);
            expected += fen as i128;
            acc.add(&ContractFact {
                seller_division: Some("210106"),
                buyer_division: None,
                buyer_country: "840",
                seller_nature: "150",
                category: "service",
                contract_amount: amount,
                tx_amount: amount,
            });
        }
        let s = acc.finish();
        assert_eq!(s.turnover.count, 1_000_000);
        assert_eq!(s.turnover.contract_amount.0 as i128, expected);
        assert_eq!(
            s.output.non_local.tech_transaction_amount.0 as i128,
            expected
        );
        assert_eq!(s.local_conversion_rate, Some(0.0));
    }

    #[test]
    fn json_shape() {
        let mut acc = StatsAccumulator::new("2101", StatsFormula::default(), vec!["210106".into()]);
        let fact = |seller: &'static str, buyer: &'static str, country: &'static str, fen: i64| {
            ContractFact {
                seller_division: Some(seller),
                buyer_division: Some(buyer),
                buyer_country: country,
                seller_nature: "022",
                category: "development",
                contract_amount: Fen(fen),
                tx_amount: Fen(fen / 2),
            }
        };
        acc.add(&fact("210106", "210102", "156", 123_450));
        acc.add(&fact("110101", "210106", "156", 1_00));
        acc.add(&fact("210106", "210106", "840", 5));
        let v = serde_json::to_value(acc.finish()).unwrap();
        assert_eq!(v["region"], "2101");
        assert_eq!(
            v["formula"],
            serde_json::json!({"basis": "amount", "amount": "contract", "sellers": "all"})
        );
        assert_eq!(
            v["turnover"],
            serde_json::json!({"count": 2, "contract_amount": "1234.55", "tech_transaction_amount": "617.27"})
        );
        assert_eq!(v["output"]["count"], 2);
        assert_eq!(v["output"]["local"]["contract_amount"], "1234.50");
        assert_eq!(v["output"]["non_local"]["contract_amount"], "0.05");
        assert_eq!(v["absorption"]["count"], 2);
        assert_eq!(v["absorption"]["contract_amount"], "1235.50");
        assert_eq!(v["absorption"]["local"]["count"], 1);
        assert_eq!(v["absorption"]["non_local"]["contract_amount"], "1.00");
        assert_eq!(
            v["local_conversion_rate"],
            serde_json::json!(123_450.0 / 123_455.0)
        );
        assert_eq!(v["by_category"]["development"]["count"], 2);
        assert_eq!(v["by_category"]["service"]["count"], 0);
        assert_eq!(
            v["by_district"],
            serde_json::json!([{
                "division_code": "210106", "name": "铁西区",
                "output": {"count": 2, "contract_amount": "1234.55", "tech_transaction_amount": "617.27"},
                "absorption": {"count": 1, "contract_amount": "1.00", "tech_transaction_amount": "0.50"}
            }])
        );
        let empty = StatsAccumulator::new("2101", StatsFormula::default(), vec![]).finish();
        assert_eq!(empty.local_conversion_rate, None);
        assert_eq!(
            serde_json::to_value(empty).unwrap()["local_conversion_rate"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn regions_and_growth() {
        assert_eq!(parse_region("2101").unwrap(), "2101");
        assert_eq!(parse_region(" 210100 ").unwrap(), "2101");
        assert_eq!(parse_region("210106").unwrap(), "210106");
        assert_eq!(parse_region("210000").unwrap(), "21");
        for bad in ["", "2", "21010", "2199", "210199", "00", "abcd", "000000"] {
            assert_eq!(parse_region(bad).unwrap_err().field, "region", "{bad}");
        }
        assert_eq!(districts_of("210106"), ["210106"]);
        assert_eq!(yoy_growth(120, 100), Some(0.2));
        assert_eq!(yoy_growth(150, 100), Some(0.5));
        assert_eq!(yoy_growth(80, 100), Some(-0.2));
        assert_eq!(yoy_growth(5, 0), None);
        let f: StatsFormula =
            serde_json::from_str(r#"{"basis":"count","sellers":"universities_and_institutes"}"#)
                .unwrap();
        assert_eq!(
            f,
            StatsFormula {
                basis: RateBasis::Count,
                amount: RateAmount::Contract,
                sellers: SellerScope::UniversitiesAndInstitutes
            }
        );
    }
}
