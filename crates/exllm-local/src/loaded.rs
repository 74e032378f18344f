//! The models a provider keeps loaded, bounded: each load is hundreds of megabytes, and the
//! names come from callers, so past the limit the least recently used model is dropped (a
//! generation still running keeps its own handle until it ends).

use std::collections::HashMap;

/// At most `max` values by name, evicting the least recently used.
pub(crate) struct Lru<T> {
    max: usize,
    tick: u64,
    items: HashMap<String, (T, u64)>,
}

impl<T: Clone> Lru<T> {
    pub(crate) fn new(max: usize) -> Self {
        Lru {
            max: max.max(1),
            tick: 0,
            items: HashMap::new(),
        }
    }

    /// The value under `name`, marked as just used.
    pub(crate) fn get(&mut self, name: &str) -> Option<T> {
        self.tick += 1;
        let tick = self.tick;
        self.items.get_mut(name).map(|(v, used)| {
            *used = tick;
            v.clone()
        })
    }

    /// Keeps `value` under `name` (an entry already there wins, as when two callers loaded
    /// the same model at once) and returns what is kept, evicting the least recently used
    /// entries past the limit.
    pub(crate) fn insert(&mut self, name: &str, value: T) -> T {
        self.tick += 1;
        let tick = self.tick;
        let kept = self
            .items
            .entry(name.to_owned())
            .or_insert((value, tick))
            .0
            .clone();
        while self.items.len() > self.max {
            let oldest = self
                .items
                .iter()
                .filter(|(k, _)| k.as_str() != name)
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    tracing::info!(model = %k, "local model unloaded (least recently used)");
                    self.items.remove(&k);
                }
                None => break,
            }
        }
        kept
    }

    pub(crate) fn remove(&mut self, name: &str) -> bool {
        self.items.remove(name).is_some()
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        self.items.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_goes_first() {
        let mut l = Lru::new(2);
        l.insert("a", 1);
        l.insert("b", 2);
        assert_eq!(l.get("a"), Some(1));
        l.insert("c", 3);
        assert_eq!(l.get("b"), None, "b was used least recently");
        assert_eq!((l.get("a"), l.get("c")), (Some(1), Some(3)));
        assert_eq!(l.insert("c", 9), 3, "an entry already there wins");
        assert!(l.remove("a") && !l.remove("a"));
    }
}
