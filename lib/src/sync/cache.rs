//! One small cache for everything an instance keeps for a while (settings, reference data): values by key, each
//! fresh for the cache's time to live on the clock the caller passes (the injected one). The lock is a plain
//! mutex held only to copy a value in or out, never across a call to a partner or AWS: two callers that miss at
//! once both read, and the later write wins.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (V, DateTime<Utc>)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value stored for `key` less than the time to live before `now`.
    pub fn get(&self, key: &K, now: DateTime<Utc>) -> Option<V> {
        self.lock()
            .get(key)
            .filter(|(_, at)| now - *at < self.ttl)
            .map(|(value, _)| value.clone())
    }

    pub fn put(&self, key: K, value: V, now: DateTime<Utc>) {
        self.lock().insert(key, (value, now));
    }

    pub fn forget(&self, key: &K) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (V, DateTime<Utc>)>> {
        // A panic while holding the lock cannot leave a half-written entry (insert and remove are whole), so the
        // entries are still good after one.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_value_is_fresh_for_its_time_to_live_and_gone_after_or_when_forgotten() {
        let cache = TtlCache::new(Duration::minutes(1));
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        cache.put("settings", 1, t0);
        assert_eq!(cache.get(&"settings", t0 + Duration::seconds(59)), Some(1));
        assert_eq!(
            cache.get(&"settings", t0 + Duration::minutes(1)),
            None,
            "stale at the time to live"
        );
        cache.put("settings", 2, t0 + Duration::minutes(2));
        cache.forget(&"settings");
        assert_eq!(cache.get(&"settings", t0 + Duration::minutes(2)), None);
        assert_eq!(cache.get(&"other", t0), None);
    }
}
