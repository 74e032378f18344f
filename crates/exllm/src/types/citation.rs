//! A source the answer cites (web search results, grounding chunks, url annotations), in one
//! shape for every provider. Each provider's raw citation objects stay in `provider_meta`;
//! this is the canonical list: one entry per url, in order of first appearance.

use serde::{Deserialize, Serialize};

/// A cited source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The source's url.
    pub url: String,
    /// Its title, when the provider gave one (an empty title the provider sent is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Citation {
    /// A citation of `url` with an optional title.
    pub fn new(url: impl Into<String>, title: Option<String>) -> Self {
        Citation {
            url: url.into(),
            title,
        }
    }

    /// Adds `c` to `list` unless its url is already there (empty urls are dropped). The first
    /// title wins: a later one only fills an entry that had none.
    pub fn add_to(list: &mut Vec<Citation>, c: Citation) {
        if c.url.is_empty() {
            return;
        }
        match list.iter_mut().find(|old| old.url == c.url) {
            Some(old) => {
                if old.title.is_none() {
                    old.title = c.title;
                }
            }
            None => list.push(c),
        }
    }
}

#[cfg(test)]
mod tests;
