//! Pacing under Focus's 200 requests per sliding minute per account (docs/partners/focus.md §2.5).
//!
//! Every answer carries `X-RateLimit-Remaining` and `X-RateLimit-Reset` (the moment the oldest counted request leaves
//! the window, as `2021-06-15T10:51:23.035+0100`). The pacer keeps the number of sends it believes are left, takes
//! one before each send, and when none is left waits until the reset. Requests still in flight are subtracted from
//! what an answer reports, so concurrent callers on one client never overshoot. Other instances are not seen; their
//! overshoot comes back as 429, which the client waits out.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use tokio::sync::{Mutex, Notify};

use crate::clock::SharedClock;

/// The documented limit, used until the first answer says otherwise.
pub const DEFAULT_LIMIT: u32 = 200;

#[derive(Debug)]
struct State {
    remaining: u32,
    reset: Option<DateTime<Utc>>,
    in_flight: u32,
}

#[derive(Debug)]
pub(super) struct Pacer {
    state: Mutex<State>,
    clock: SharedClock,
    answered: Notify,
}

/// What an answer's headers said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitHeaders {
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    pub reset: Option<DateTime<Utc>>,
}

impl RateLimitHeaders {
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        Self {
            limit: text("x-ratelimit-limit").and_then(|v| v.parse().ok()),
            remaining: text("x-ratelimit-remaining").and_then(|v| v.parse().ok()),
            reset: text("x-ratelimit-reset").and_then(parse_reset),
        }
    }
}

/// `2021-06-15T10:51:23.035+0100` (offset without a colon); an RFC 3339 form is accepted too.
pub fn parse_reset(text: &str) -> Option<DateTime<Utc>> {
    DateTime::<FixedOffset>::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Pacer {
    pub(super) fn new(clock: SharedClock) -> Self {
        Self {
            state: Mutex::new(State {
                remaining: DEFAULT_LIMIT,
                reset: None,
                in_flight: 0,
            }),
            clock,
            answered: Notify::new(),
        }
    }

    /// Takes one send, waiting for the window to move if none is left.
    pub(super) async fn acquire(&self) {
        loop {
            let mut state = self.state.lock().await;
            if state.remaining > 0 {
                state.remaining -= 1;
                state.in_flight += 1;
                return;
            }
            if state.reset.is_none() && state.in_flight > 0 {
                // A request sent after the last wait is out: its answer tells how much the window freed.
                let answered = self.answered.notified();
                tokio::pin!(answered);
                answered.as_mut().enable();
                drop(state);
                answered.await;
                continue;
            }
            let now = self.clock.now();
            // Without a known reset, a full window is the longest the oldest request can still count.
            let until = state.reset.filter(|r| *r > now).unwrap_or(now + Duration::seconds(60));
            self.clock.sleep_until(until).await;
            // At least the oldest request left the window; the next answer tells how many more did.
            state.remaining = 0;
            state.reset = None;
            state.in_flight += 1;
            return;
        }
    }

    /// Records an answer (or a lost one: `None`).
    pub(super) async fn answered(&self, headers: Option<RateLimitHeaders>) {
        let mut state = self.state.lock().await;
        state.in_flight = state.in_flight.saturating_sub(1);
        if let Some(h) = headers
            && let Some(remaining) = h.remaining
        {
            state.remaining = remaining.saturating_sub(state.in_flight);
            state.reset = h.reset.or(state.reset);
        }
        self.answered.notify_waiters();
    }

    /// After a 429: nothing is left until `until`.
    pub(super) async fn exhausted_until(&self, until: DateTime<Utc>) {
        let mut state = self.state.lock().await;
        state.remaining = 0;
        state.reset = Some(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_header_is_read_with_its_colonless_offset() {
        let t = parse_reset("2021-06-15T10:51:23.035+0100").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-06-15T09:51:23.035+00:00");
        assert_eq!(
            parse_reset("2021-06-15T09:51:23+00:00").unwrap().timestamp(),
            t.timestamp()
        );
        assert!(parse_reset("1623750683").is_none(), "not epoch seconds");
    }
}
