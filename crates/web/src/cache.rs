//! The figures cache: the current plan, indicators, scorecards and the rendered dashboard, kept
//! per data version so that a repeated view costs one read of the audit sequence.
//!
//! Every committed change appends an audit entry in its own transaction (plan loads, indicator
//! values, district targets, task reports and states, settings, contracts, organizations,
//! achievements, accounts), so the sequence of the latest entry names the state of the data; with
//! the date in China (stocks are counted up to today, reports fall overdue) it is the
//! [`Version`] every entry is computed at. A newer version empties the cache; a request that read
//! an older version than the cache holds (it raced a write) computes without storing. The number
//! of entries is bounded ([`CAPACITY`]), one computation per key runs at a time (the others wait
//! for its result), and a failed computation is not kept.

use chengguo_store::Store;
use prometheus_client::metrics::counter::Counter;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Most entries held (plans × years × districts × languages × audiences stay far below).
pub const CAPACITY: usize = 512;

/// The state of the data a cached value was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Today in China (`YYYY-MM-DD` order is date order).
    pub day: time::Date,
    /// The sequence of the latest audit entry.
    pub seq: i64,
}

impl Version {
    /// The version now: one read of the audit sequence.
    pub async fn now(store: &Store) -> Result<Version, chengguo_store::StoreError> {
        Ok(Version {
            seq: store.last_change_seq().await?,
            day: crate::api::plan::today(),
        })
    }
}

/// What a cached value is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// The current plan.
    Plan,
    /// Every objective for a year, for the city (`None`) or a district.
    Indicators { year: i32, district: Option<String> },
    /// The districts' scorecards for a year.
    Scorecards { year: i32 },
    /// The dashboard's tasks board.
    Tasks,
    /// The rendered body of `/dashboard` (`year` as asked, `None` for the default).
    Dashboard {
        year: Option<i32>,
        lang: crate::i18n::Lang,
        internal: bool,
    },
}

type Slot = Arc<OnceCell<Arc<dyn Any + Send + Sync>>>;

struct Entries {
    version: Option<Version>,
    map: HashMap<Key, Slot>,
}

/// See the module documentation.
pub struct FiguresCache {
    entries: Mutex<Entries>,
    capacity: usize,
    computations: Counter,
    hits: Counter,
}

impl Default for FiguresCache {
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}

impl FiguresCache {
    pub fn new(capacity: usize) -> Self {
        FiguresCache {
            entries: Mutex::new(Entries {
                version: None,
                map: HashMap::new(),
            }),
            capacity: capacity.max(1),
            computations: Counter::default(),
            hits: Counter::default(),
        }
    }

    /// Values computed so far (cache misses), for tests and `/metrics`.
    pub fn computations(&self) -> u64 {
        self.computations.get()
    }

    /// The counters, for registration in the metrics registry.
    pub fn counters(&self) -> (Counter, Counter) {
        (self.computations.clone(), self.hits.clone())
    }

    /// The value of `key` at `version`: the cached one, or `compute`'s (cached unless it failed
    /// or `version` is older than the cache's).
    ///
    /// Panics if one key is used with two value types (a programming error).
    pub async fn get<V, E, F, Fut>(
        &self,
        version: Version,
        key: Key,
        compute: F,
    ) -> Result<Arc<V>, E>
    where
        V: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let slot = {
            let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            match e.version {
                Some(v) if v > version => None,
                Some(v) if v == version => Some(e.slot(&key, self.capacity)),
                _ => {
                    e.version = Some(version);
                    e.map.clear();
                    Some(e.slot(&key, self.capacity))
                }
            }
        };
        let Some(slot) = slot else {
            // This request read the data before a write the cache already reflects.
            self.computations.inc();
            return compute().await.map(Arc::new);
        };
        if let Some(v) = slot.get() {
            self.hits.inc();
            return Ok(downcast(v));
        }
        let result = slot
            .get_or_try_init(|| async {
                self.computations.inc();
                compute()
                    .await
                    .map(|v| Arc::new(v) as Arc<dyn Any + Send + Sync>)
            })
            .await;
        match result {
            Ok(v) => Ok(downcast(v)),
            Err(err) => {
                let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
                if e.map
                    .get(&key)
                    .is_some_and(|s| Arc::ptr_eq(s, &slot) && s.get().is_none())
                {
                    e.map.remove(&key);
                }
                Err(err)
            }
        }
    }
}

impl Entries {
    fn slot(&mut self, key: &Key, capacity: usize) -> Slot {
        if let Some(s) = self.map.get(key) {
            return s.clone();
        }
        if self.map.len() >= capacity {
            // Any entry: they are all of the current version, and rebuilt on demand.
            if let Some(k) = self.map.keys().next().cloned() {
                self.map.remove(&k);
            }
        }
        let s: Slot = Arc::new(OnceCell::new());
        self.map.insert(key.clone(), s.clone());
        s
    }
}

fn downcast<V: Send + Sync + 'static>(v: &Arc<dyn Any + Send + Sync>) -> Arc<V> {
    v.clone()
        .downcast::<V>()
        .unwrap_or_else(|_| panic!("one value type per cache key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(seq: i64) -> Version {
        Version {
            day: time::macros::date!(2026 - 12 - 04),
            seq,
        }
    }

    async fn get(c: &FiguresCache, seq: i64, year: i32, value: i32) -> Result<Arc<i32>, String> {
        c.get(version(seq), Key::Scorecards { year }, || async move {
            Ok::<_, String>(value)
        })
        .await
    }

    #[tokio::test]
    async fn repeats_are_served_and_new_versions_recompute() {
        let c = FiguresCache::new(2);
        assert_eq!(*get(&c, 1, 2025, 10).await.unwrap(), 10);
        assert_eq!(*get(&c, 1, 2025, 11).await.unwrap(), 10, "cached");
        assert_eq!(c.computations(), 1);
        assert_eq!(*get(&c, 2, 2025, 12).await.unwrap(), 12, "a new version");
        assert_eq!(
            *get(&c, 1, 2025, 13).await.unwrap(),
            13,
            "older: computed, not kept"
        );
        assert_eq!(*get(&c, 2, 2025, 14).await.unwrap(), 12);
        assert_eq!(c.computations(), 3);
        // bounded: a third key evicts one of the two
        get(&c, 2, 2024, 1).await.unwrap();
        get(&c, 2, 2023, 1).await.unwrap();
        assert_eq!(c.entries.lock().unwrap().map.len(), 2);
        // failures are not kept
        let e = c
            .get(version(2), Key::Tasks, || async {
                Err::<i32, _>("no".to_string())
            })
            .await;
        assert!(e.is_err());
        assert!(!c.entries.lock().unwrap().map.contains_key(&Key::Tasks));
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        let c = Arc::new(FiguresCache::default());
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                c.get(version(5), Key::Plan, || async {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok::<_, String>(7u8)
                })
                .await
                .map(|v| *v)
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(7));
        }
        assert_eq!(c.computations(), 1);
    }
}
