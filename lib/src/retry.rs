//! Bounded retries with exponential back-off and full jitter, shared by both partner clients.

use std::time::Duration as StdDuration;

/// Bounded retries with exponential back-off and full jitter, for 5xx answers and transport failures.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Sends per call, the first included.
    pub attempts: u32,
    pub base_delay: StdDuration,
    pub max_delay: StdDuration,
    /// How long one request may take before it counts as a timeout.
    pub timeout: StdDuration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: StdDuration::from_millis(250),
            max_delay: StdDuration::from_secs(4),
            timeout: StdDuration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    pub fn delay(&self, attempt: u32) -> StdDuration {
        let ceiling = self.base_delay.saturating_mul(1 << attempt.min(16)).min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }
}
