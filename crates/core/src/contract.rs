//! Technology contracts (技术合同) and their registration (认定登记), DOMAIN.md §2 and §3: the
//! contract as parsed from a form, a JSON body or an import row; the registration workflow; the
//! certificate number; working-day deadlines; and the statistics the indicators use. No I/O: the
//! store keeps contracts and their history, the web layer and the CLI call these rules.
//!
//! # The contract ([`ContractInput`] → [`NewContract`])
//! Every field arrives as a raw string and is parsed at once, reporting *every* problem of the
//! input as a [`FieldError`](crate::FieldError) named after the import column
//! ([`IMPORT_COLUMNS`]). Amounts are exact fen ([`Fen`](crate::Fen)), more than two decimals is an
//! error, and `0 ≤ 技术交易额 ≤ 合同成交额`. Dates are strictly `YYYY-MM-DD` calendar dates
//! ([`parse_date`]). Parties ([`Party`]) carry a 3-digit country code: a party in China (`156`)
//! needs a credit code (check character verified) and a division code; a party abroad has
//! neither. The seller registers; for a technology import (seller abroad) the domestic buyer does
//! ([`NewContract::applicant`]).
//!
//! # The registration workflow ([`transition`])
//! The *applicant* is the organization that applies for registration: the seller, or the
//! domestic buyer of a technology import. The *site* is the registration site (登记点) the
//! application was submitted to. Only the site's registrars decide.
//!
//! | from | action | taken by | to | condition |
//! |---|---|---|---|---|
//! | draft | `submit` | applicant | submitted | |
//! | submitted | `accept` (受理) | site registrar | accepted | the review clock starts |
//! | accepted, resubmitted, expert_review | `request_correction` (补正) | site registrar | needs_correction | the clock stops |
//! | needs_correction | `resubmit` | applicant | resubmitted | the clock restarts from zero |
//! | accepted, resubmitted | `refer_expert` | site registrar | expert_review | any amount; required at ≥ the threshold |
//! | accepted, resubmitted | `register` | site registrar | registered | 技术交易额 < threshold, or already expert-reviewed |
//! | expert_review | `register` | site registrar | registered | |
//! | accepted, resubmitted, expert_review | `reject` (不予登记) | site registrar | rejected | a refusal ground from [`refusal_grounds`](crate::refdata::refusal_grounds) |
//! | registered, changed | `change` (变更) | site registrar | changed | on the parties' application |
//! | registered, changed | `cancel` (注销) | site registrar | cancelled | on the parties' application |
//!
//! `rejected` and `cancelled` are final; every other (status, action) pair is refused as
//! [`TransitionError::Invalid`] (HTTP 409 `invalid_transition`), an action by the wrong side as
//! [`TransitionError::Forbidden`] (403). Decisions:
//!
//! * **Change and cancellation** are applied for by the parties (outside the platform's workflow,
//!   or as an attachment) and *processed by the site that registered the contract*, so the action
//!   is the site registrar's, like every other decision after submission.
//! * **The bureau** (科技局) oversees every site: it reads all contracts, their history and the
//!   statistics, but takes no registration decision. A bureau account acts on a contract only if
//!   it also holds the registrar role at that contract's site ([`is_site_registrar`]).
//! * A registrar may refer a contract below the threshold to experts; a contract whose 技术交易额
//!   is at or above the threshold ([`RegistrationRules::expert_threshold`], 500万 yuan by
//!   default, DOMAIN §2) cannot be registered before it has been through expert review.
//!
//! # Certificate numbers ([`CertificateLayout`])
//! Registration assigns a number unique per site and year: the store allocates the serial
//! (per site and year), the layout makes the number. The 14-digit layout of the 2000s is
//! `{yy}{province}{city}{site:02}{serial:06}` \[S\]; the layout of today's 16-digit numbers is
//! unverified \[U\], the default is the same with a four-digit year,
//! `{year}{province}{city}{site:02}{serial:06}`. The layout is a setting.
//!
//! # Deadlines ([`WorkCalendar`])
//! Review takes at most 15 working days, 30 with expert review (draft rules of 2024 \[S\]; both are
//! settings in [`RegistrationRules`]), counted from acceptance and restarted by a resubmission.
//! Saturdays and Sundays are non-working; public holidays and the officially adjusted working
//! weekends (调休) are configured lists: no national holiday table is built in.
//!
//! # Statistics ([`StatsAccumulator`] → [`ContractStats`]), DOMAIN §3
//! Input: the registered and changed contracts ([`ContractStatus::counts_in_statistics`]) whose
//! registration date lies in the period, wherever registered. For a region R given as a
//! division-code prefix (`2101` = Shenyang, `210106` = 铁西区), with "x ∈ R" meaning x's division
//! code starts with R and, for the buyer, the buyer is in China (country `156`); a party without a
//! division code is never in R:
//!
//! | figure | contracts counted |
//! |---|---|
//! | `turnover` (技术合同成交额, 技术交易额) | seller ∈ R |
//! | `output` (输出) | seller ∈ R; `local`: buyer ∈ R, `non_local`: the rest (elsewhere in China, abroad) |
//! | `absorption` (吸纳) | buyer ∈ R; `local`: seller ∈ R, `non_local`: the rest |
//! | `by_category` | seller ∈ R, by contract category (subtypes rolled up) |
//! | `by_district` | for each county-level district D: output (seller ∈ D), absorption (buyer ∈ D) |
//! | `local_conversion_rate` (本地转化率) \[U\] | Σ x (seller ∈ R′ ∧ buyer ∈ R) ÷ Σ x (seller ∈ R′) |
//!
//! In the rate, x is the contract amount (default), the technology transaction amount, or 1
//! (count), and R′ is R restricted to the sellers the [`StatsFormula`] selects: all (default) or
//! universities and institutes only (seller nature 021 科研机构 or 022 高等院校). The rate is a
//! fraction (0.503, not 50.3) and `None` when the denominator is 0. Locally absorbed contracts
//! (本地吸纳) are `output.local` (= `absorption.local`); their year-over-year growth is
//! [`yoy_growth`] of the counts of two periods. Amounts are summed exactly in fen.

mod certificate;
mod input;
mod stats;
mod workdays;
mod workflow;

pub use certificate::{CertificateError, CertificateLayout, LayoutError};
pub use input::{
    parse_date, ContractInput, DateError, Installment, NewContract, Party, PaymentInput,
    Registration, CHINA, IMPORT_COLUMNS,
};
pub use stats::{
    districts_of, parse_region, yoy_growth, ContractFact, ContractStats, DistrictStats, RateAmount,
    RateBasis, SellerScope, Split, StatsAccumulator, StatsFormula, Tally,
};
pub use workdays::{deadline, working_days_between, DeadlineStatus, WorkCalendar};
pub use workflow::{
    allowed_actions, can_create, can_edit, can_read, is_applicant_member, is_site_registrar,
    next_status, parse_refusal_ground, transition, ContractAction, ContractStatus,
    RegistrationRules, Side, TransitionCtx, TransitionError,
};

/// Serializes a date as `YYYY-MM-DD`.
fn ser_date<S: serde::Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// Serializes an optional date as `YYYY-MM-DD` or `null`.
fn ser_opt_date<S: serde::Serializer>(d: &Option<time::Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// Serializes fen as a decimal yuan string, `"1234.50"`.
fn ser_yuan<S: serde::Serializer>(f: &crate::Fen, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(f)
}
