//! Time as a dependency: partner tokens expire, budgets reset daily and leases run out, and tests must control all of
//! that without waiting. Production uses [`SystemClock`]; tests and the demo share one [`ManualClock`] between the
//! clients and the simulators.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A future returned by [`Clock::sleep_until`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Waits until `until`: really on the system clock; a simulated clock jumps there at once (like a paused
    /// runtime), so waiting out a partner's rate limit takes no real time in tests.
    fn sleep_until(&self, until: DateTime<Utc>) -> Sleep;
}

/// The real time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, until: DateTime<Utc>) -> Sleep {
        let wait = (until - Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told to. Cloning shares the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn at(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep_until(&self, until: DateTime<Utc>) -> Sleep {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if *now < until {
            *now = until;
        }
        Box::pin(std::future::ready(()))
    }
}

/// The shared handle every client takes.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let start = DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().to_utc();
        let clock = ManualClock::at(start);
        let shared = clock.clone();
        assert_eq!(shared.now(), start);
        clock.advance(Duration::minutes(11));
        assert_eq!(shared.now(), start + Duration::minutes(11));
    }

    #[tokio::test]
    async fn sleeping_on_a_manual_clock_jumps_forward_and_never_back() {
        let start = DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().to_utc();
        let clock = ManualClock::at(start);
        clock.sleep_until(start + Duration::seconds(42)).await;
        assert_eq!(clock.now(), start + Duration::seconds(42));
        clock.sleep_until(start).await;
        assert_eq!(clock.now(), start + Duration::seconds(42));
    }
}
