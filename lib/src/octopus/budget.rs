//! Daily call limits per operation, and what "a day" means for them.
//!
//! Octopus prints a limit on every operation but documents neither when the day resets nor what happens past the
//! limit (docs/partners/octopus.md §9, §12). Assumption (the simulator makes the same one, in its own code): **a day is a calendar
//! day in Belgium** (Europe/Brussels): Octopus is a Belgian service whose messages come in Dutch. If it turns out to
//! reset at UTC midnight instead, lower the limits per connection by the spend of the one or two overlapping hours.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Brussels;

use super::Operation;

/// The budget day `at` falls on.
pub fn budget_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Brussels).date_naive()
}

/// When the budgets of the day `at` falls on start again: the next midnight in Belgium.
pub fn budget_resets_at(at: DateTime<Utc>) -> DateTime<Utc> {
    let next = budget_day(at).checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
    Brussels
        .from_local_datetime(&next.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or(at, |t| t.with_timezone(&Utc))
}

/// The daily limits a connection spends against: the spec's, unless the connection overrides one (keyed by
/// [`Operation::budget_name`]), for instance after Octopus granted more or to keep a reserve for manual work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyLimits {
    overrides: BTreeMap<String, u32>,
}

impl DailyLimits {
    pub fn with_overrides(overrides: BTreeMap<String, u32>) -> Self {
        Self { overrides }
    }

    /// The limit of `operation`, or `None` when it has none (login).
    pub fn of(&self, operation: Operation) -> Option<u32> {
        self.overrides
            .get(operation.budget_name())
            .copied()
            .or_else(|| operation.daily_limit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_budget_day_is_a_belgian_calendar_day_in_winter_and_summer() {
        // 23:30 UTC in January is already 00:30 the next day in Brussels (UTC+1).
        assert_eq!(budget_day(utc("2026-01-14T23:30:00Z")).to_string(), "2026-01-15");
        assert_eq!(budget_day(utc("2026-01-14T22:59:00Z")).to_string(), "2026-01-14");
        // Summer time is UTC+2.
        assert_eq!(budget_day(utc("2026-07-14T22:00:00Z")).to_string(), "2026-07-15");
        assert_eq!(
            budget_resets_at(utc("2026-07-14T10:00:00Z")),
            utc("2026-07-14T22:00:00Z")
        );
        assert_eq!(
            budget_resets_at(utc("2026-01-14T10:00:00Z")),
            utc("2026-01-14T23:00:00Z")
        );
    }

    #[test]
    fn an_override_replaces_the_documented_limit_of_that_operation_only() {
        let limits = DailyLimits::with_overrides([("insertBuySellBooking".to_owned(), 350)].into());
        assert_eq!(limits.of(Operation::InsertBuySellBooking), Some(350));
        assert_eq!(limits.of(Operation::GetAccounts), Some(2));
        assert_eq!(limits.of(Operation::AuthenticateUser), None);
    }
}
