//! A small time-bounded cache for the two lookups every request makes (its API key, and for
//! Cloud calls its phone number). Entries live `ttl`; this node drops them at once when it
//! changes the underlying row (revoking a key, updating a channel), other nodes within `ttl`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most entries before the cache starts over (bounds memory against many distinct keys).
const CAPACITY: usize = 10_000;

pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (value, Instant::now()));
    }

    pub fn clear(&self) {
        self.entries.lock().expect("cache lock").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_clear() {
        let c = TtlCache::new(Duration::from_millis(30));
        c.put("a", 1);
        assert_eq!(c.get(&"a"), Some(1));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&"a"), None);
        c.put("b", 2);
        c.clear();
        assert_eq!(c.get(&"b"), None);
    }
}
