//! Working days (工作日) for review deadlines. Saturdays and Sundays are non-working; public
//! holidays and the officially adjusted working weekends (调休上班日) change every year with the
//! State Council's notice, so both are configured lists, not a table built into the code.
//!
//! As in administrative deadlines, the day a period starts on is not counted: a period of n
//! working days from `start` ends on the n-th working day after `start`.

use serde::Serialize;
use std::collections::BTreeSet;
use time::{Date, Weekday};

/// Which days are working days: weekdays, minus the holidays, plus the adjusted working weekends.
/// A date in both lists is a working day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    holidays: BTreeSet<Date>,
    adjusted_workdays: BTreeSet<Date>,
}

/// Where a deadline stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlineStatus {
    /// The last day of the period.
    #[serde(serialize_with = "super::ser_date")]
    pub deadline: Date,
    /// Working days from today to the deadline (today not counted): 0 on the deadline itself,
    /// negative when past it.
    pub working_days_left: i64,
    /// Today is after the deadline.
    pub overdue: bool,
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl WorkCalendar {
    /// A calendar with public holidays (days off on weekdays) and adjusted working days (weekend
    /// days that are worked, 调休).
    pub fn new(
        holidays: impl IntoIterator<Item = Date>,
        adjusted_workdays: impl IntoIterator<Item = Date>,
    ) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
            adjusted_workdays: adjusted_workdays.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        if self.adjusted_workdays.contains(&d) {
            return true;
        }
        !is_weekend(d) && !self.holidays.contains(&d)
    }

    /// The number of working days after `from` up to and including `to`; negative (the count
    /// from `to` to `from`, negated) when `to` is before `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let n = i64::from(to.to_julian_day() - from.to_julian_day());
        // Weekdays among from+1 ..= to: five in every full week, then the remainder one by one.
        let w0 = i64::from(from.weekday().number_days_from_monday());
        let mut count = n / 7 * 5 + (1..=n % 7).filter(|k| (w0 + k) % 7 < 5).count() as i64;
        let range = (
            std::ops::Bound::Excluded(from),
            std::ops::Bound::Included(to),
        );
        count -= self
            .holidays
            .range(range)
            .filter(|d| !is_weekend(**d) && !self.adjusted_workdays.contains(d))
            .count() as i64;
        count += self
            .adjusted_workdays
            .range(range)
            .filter(|d| is_weekend(**d))
            .count() as i64;
        count
    }

    /// The n-th working day after `start` (`start` itself for n = 0).
    pub fn deadline(&self, start: Date, n: u32) -> Date {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = match d.next_day() {
                Some(x) => x,
                None => return Date::MAX,
            };
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The deadline of a period of `n` working days from `start`, as seen on `today`.
    pub fn status(&self, start: Date, n: u32, today: Date) -> DeadlineStatus {
        let deadline = self.deadline(start, n);
        DeadlineStatus {
            deadline,
            working_days_left: self.working_days_between(today, deadline),
            overdue: today > deadline,
        }
    }
}

/// [`WorkCalendar::working_days_between`] with holidays only (no adjusted working weekends).
pub fn working_days_between(from: Date, to: Date, holidays: &[Date]) -> i64 {
    WorkCalendar::new(holidays.iter().copied(), []).working_days_between(from, to)
}

/// [`WorkCalendar::deadline`] with holidays only (no adjusted working weekends).
pub fn deadline(start: Date, n_working_days: u32, holidays: &[Date]) -> Date {
    WorkCalendar::new(holidays.iter().copied(), []).deadline(start, n_working_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// Counting day by day, for comparison with the arithmetic.
    fn slow_between(cal: &WorkCalendar, from: Date, to: Date) -> i64 {
        let (a, b, sign) = if to < from {
            (to, from, -1)
        } else {
            (from, to, 1)
        };
        let mut d = a;
        let mut n = 0;
        while d < b {
            d = d.next_day().unwrap();
            if cal.is_working_day(d) {
                n += 1;
            }
        }
        sign * n
    }

    #[test]
    fn weekends_are_skipped() {
        // 2024-03-01 is a Friday.
        let fri = date!(2024 - 03 - 01);
        assert_eq!(working_days_between(fri, date!(2024 - 03 - 04), &[]), 1);
        assert_eq!(working_days_between(fri, date!(2024 - 03 - 02), &[]), 0);
        assert_eq!(working_days_between(fri, fri, &[]), 0);
        assert_eq!(working_days_between(date!(2024 - 03 - 04), fri, &[]), -1);
        assert_eq!(deadline(fri, 1, &[]), date!(2024 - 03 - 04));
        assert_eq!(deadline(fri, 15, &[]), date!(2024 - 03 - 22));
        assert_eq!(deadline(fri, 0, &[]), fri);
        // A Saturday start: the first working day is Monday.
        assert_eq!(
            deadline(date!(2024 - 03 - 02), 1, &[]),
            date!(2024 - 03 - 04)
        );
    }

    #[test]
    fn holidays_and_adjusted_weekends() {
        // An illustrative configuration (not an official table): a Monday–Wednesday holiday
        // and the Sunday before it worked.
        let cal = WorkCalendar::new(
            [
                date!(2024 - 04 - 08),
                date!(2024 - 04 - 09),
                date!(2024 - 04 - 10),
            ],
            [date!(2024 - 04 - 07)],
        );
        assert!(cal.is_working_day(date!(2024 - 04 - 07)));
        assert!(!cal.is_working_day(date!(2024 - 04 - 08)));
        // Fri 04-05 + 1 working day = Sun 04-07 (adjusted); + 2 = Thu 04-11.
        assert_eq!(
            cal.deadline(date!(2024 - 04 - 05), 1),
            date!(2024 - 04 - 07)
        );
        assert_eq!(
            cal.deadline(date!(2024 - 04 - 05), 2),
            date!(2024 - 04 - 11)
        );
        assert_eq!(
            cal.working_days_between(date!(2024 - 04 - 05), date!(2024 - 04 - 12)),
            3
        );
    }

    #[test]
    fn arithmetic_matches_day_by_day_counting() {
        let cal = WorkCalendar::new(
            [
                date!(2024 - 01 - 01),
                date!(2024 - 02 - 12),
                date!(2024 - 02 - 17),
                date!(2024 - 05 - 01),
            ],
            [
                date!(2024 - 02 - 04),
                date!(2024 - 02 - 18),
                date!(2024 - 02 - 17),
            ],
        );
        let base = date!(2023 - 12 - 20);
        for a in 0..60 {
            for b in (0..200).step_by(7) {
                let from = base + time::Duration::days(a);
                let to = base + time::Duration::days(b);
                assert_eq!(
                    cal.working_days_between(from, to),
                    slow_between(&cal, from, to),
                    "{from} {to}"
                );
            }
            let from = base + time::Duration::days(a);
            for n in [0, 1, 15, 30] {
                assert_eq!(
                    cal.working_days_between(from, cal.deadline(from, n)),
                    i64::from(n)
                );
            }
        }
    }

    #[test]
    fn status_says_what_is_overdue() {
        let cal = WorkCalendar::default();
        let start = date!(2024 - 03 - 01); // deadline for 15 days: Fri 03-22
        let s = cal.status(start, 15, date!(2024 - 03 - 20));
        assert_eq!(
            (s.deadline, s.working_days_left, s.overdue),
            (date!(2024 - 03 - 22), 2, false)
        );
        let s = cal.status(start, 15, date!(2024 - 03 - 22));
        assert_eq!((s.working_days_left, s.overdue), (0, false));
        let s = cal.status(start, 15, date!(2024 - 03 - 23)); // Saturday after
        assert_eq!((s.working_days_left, s.overdue), (0, true));
        let s = cal.status(start, 15, date!(2024 - 03 - 26));
        assert_eq!((s.working_days_left, s.overdue), (-2, true));
        assert_eq!(
            serde_json::to_value(s).unwrap(),
            serde_json::json!({"deadline": "2024-03-22", "working_days_left": -2, "overdue": true})
        );
    }
}
