//! Metric handles of one provider and model, registered once and reused by every call.
//!
//! The `metrics` macros build a key (label vector and hash) and look it up in the recorder on
//! every use: five times per call, which was most of the cost of telemetry, with or without
//! a recorder installed.
//! A client keeps the handles per recorder, provider and model instead; a call looks them up
//! once. The recorder is identified by its address, so installing a recorder later (or
//! running a call under a local recorder) registers new handles rather than reusing the no-op
//! ones.

use super::metric;
use metrics::{Counter, Histogram, Key, Label, Level, Metadata, Recorder, SharedString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where the handles say they come from.
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// More distinct provider/model pairs than this and the cache starts over (a gateway serving
/// an unbounded set of model names must not grow without end).
const MAX_ENTRIES: usize = 4096;

/// The metrics of calls of one model.
pub(crate) struct Instruments {
    pub input_tokens: Counter,
    pub output_tokens: Counter,
    pub cost: Histogram,
    pub duration: Histogram,
    pub ok: Counter,
    pub error: Counter,
    pub time_to_first_token: Histogram,
}

impl Instruments {
    fn register(r: &dyn Recorder, provider: &str, model: &str) -> Self {
        let shared = |s: &str| SharedString::from_shared(Arc::<str>::from(s));
        let base = [
            Label::new("gen_ai.provider.name", shared(provider)),
            Label::new("gen_ai.request.model", shared(model)),
            Label::new("gen_ai.operation.name", "chat"),
        ];
        let with = |extra: Option<(&'static str, &'static str)>| {
            let mut l = base.to_vec();
            l.extend(extra.map(|(k, v)| Label::new(k, v)));
            l
        };
        let key = |name: &'static str, labels: Vec<Label>| Key::from_parts(name, labels);
        let counter = |name, labels| r.register_counter(&key(name, labels), &METADATA);
        let histogram = |name, labels| r.register_histogram(&key(name, labels), &METADATA);
        Instruments {
            input_tokens: counter(metric::TOKENS, with(Some(("gen_ai.token.type", "input")))),
            output_tokens: counter(metric::TOKENS, with(Some(("gen_ai.token.type", "output")))),
            cost: histogram(metric::COST, with(None)),
            duration: histogram(metric::DURATION, with(None)),
            ok: counter(metric::REQUESTS, with(Some(("outcome", "ok")))),
            error: counter(metric::REQUESTS, with(Some(("outcome", "error")))),
            time_to_first_token: histogram(metric::TIME_TO_FIRST_TOKEN, base[..2].to_vec()),
        }
    }
}

/// A client's handles, by recorder address, provider and model.
#[derive(Default)]
pub(crate) struct InstrumentCache {
    inner: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    by: HashMap<usize, HashMap<String, HashMap<String, Arc<Instruments>>>>,
    /// The entry used last: a client mostly calls one model, and comparing two short
    /// strings costs less than three hash lookups.
    last: Option<(usize, String, String, Arc<Instruments>)>,
}

impl InstrumentCache {
    /// The handles of `provider`/`model` on the current recorder.
    pub fn get(&self, provider: &str, model: &str) -> Arc<Instruments> {
        metrics::with_recorder(|r| {
            let id = (r as *const dyn Recorder).cast::<()>() as usize;
            let Ok(mut cache) = self.inner.lock() else {
                // Poisoned by a panic elsewhere: register afresh rather than trust it.
                return Arc::new(Instruments::register(r, provider, model));
            };
            let last = cache.last.as_ref();
            if let Some((_, _, _, i)) =
                last.filter(|(i, p, m, _)| *i == id && p == provider && m == model)
            {
                return i.clone();
            }
            let found = cache
                .by
                .get(&id)
                .and_then(|p| p.get(provider))
                .and_then(|m| m.get(model))
                .cloned();
            let made = found.unwrap_or_else(|| cache.insert(id, provider, model, r));
            cache.last = Some((id, provider.to_owned(), model.to_owned(), made.clone()));
            made
        })
    }
}

impl Cache {
    fn insert(
        &mut self,
        id: usize,
        provider: &str,
        model: &str,
        r: &dyn Recorder,
    ) -> Arc<Instruments> {
        let entries: usize = self
            .by
            .values()
            .flat_map(HashMap::values)
            .map(HashMap::len)
            .sum();
        if entries >= MAX_ENTRIES {
            self.by.clear();
        }
        let made = Arc::new(Instruments::register(r, provider, model));
        self.by
            .entry(id)
            .or_default()
            .entry(provider.to_owned())
            .or_default()
            .insert(model.to_owned(), made.clone());
        made
    }
}

impl std::fmt::Debug for InstrumentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstrumentCache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    fn counts(snap: metrics_util::debugging::Snapshotter) -> Vec<(String, String, u64)> {
        let mut out: Vec<_> = snap
            .snapshot()
            .into_vec()
            .into_iter()
            .filter_map(|(k, _, _, v)| match v {
                DebugValue::Counter(n) => Some((
                    k.key().name().to_owned(),
                    k.key()
                        .labels()
                        .map(|l| format!("{}={}", l.key(), l.value()))
                        .collect::<Vec<_>>()
                        .join(","),
                    n,
                )),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn handles_are_reused_per_model_and_registered_anew_per_recorder() {
        let cache = InstrumentCache::default();
        // No recorder: no-op handles, which must not stick once a recorder is there.
        cache.get("openai", "gpt").ok.increment(1);
        let rec = DebuggingRecorder::new();
        let snap = rec.snapshotter();
        metrics::with_local_recorder(&rec, || {
            let a = cache.get("openai", "gpt");
            assert!(Arc::ptr_eq(&a, &cache.get("openai", "gpt")));
            assert!(!Arc::ptr_eq(&a, &cache.get("openai", "gpt-mini")));
            a.ok.increment(2);
            a.input_tokens.increment(7);
            cache.get("openai", "gpt-mini").error.increment(1);
        });
        let c = counts(snap);
        let base =
            "gen_ai.provider.name=openai,gen_ai.request.model=gpt,gen_ai.operation.name=chat";
        assert!(c.contains(&(metric::REQUESTS.into(), format!("{base},outcome=ok"), 2)));
        assert!(c.contains(&(
            metric::TOKENS.into(),
            format!("{base},gen_ai.token.type=input"),
            7
        )));
        assert!(c.iter().any(|(n, l, v)| n == metric::REQUESTS
            && l.contains("model=gpt-mini")
            && l.ends_with("outcome=error")
            && *v == 1));
    }
}
