//! The `metrics` facade onto OpenTelemetry instruments: each counter, gauge and histogram
//! becomes the OpenTelemetry instrument of the same name, its labels the attributes, so
//! exllm's metrics (and any other `metrics` user's in the process) reach the same collector as
//! the spans. exllm's own metrics get their GenAI units and bucket boundaries even when nobody
//! described them.

use crate::telemetry::metric;
use metrics::{
    CounterFn, GaugeFn, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use opentelemetry::metrics::{Counter, Gauge, Histogram, InstrumentBuilder, Meter};
use opentelemetry::KeyValue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Bucket boundaries (seconds) the GenAI conventions advise for durations.
const SECONDS_BUCKETS: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// Bucket boundaries for the cost of one call, in USD.
const COST_BUCKETS: [f64; 10] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// A [`metrics::Recorder`] that forwards to OpenTelemetry instruments of one meter; install it
/// with [`metrics::set_global_recorder`] or [`super::OtlpGuard::install_recorder`].
///
/// Counters add (an `absolute` value adds what it grew by), histograms record, gauges keep
/// their value per label set so `increment`/`decrement` work. A description given with
/// `describe_*` applies to instruments first used after it.
#[derive(Clone)]
pub struct OtlpRecorder {
    meter: Meter,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for OtlpRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpRecorder").finish_non_exhaustive()
    }
}

/// Instruments by name, handles by name and labels, descriptions by name.
#[derive(Default)]
struct State {
    described: HashMap<String, (Option<Unit>, SharedString)>,
    counters: HashMap<String, Counter<u64>>,
    gauges: HashMap<String, Gauge<f64>>,
    histograms: HashMap<String, Histogram<f64>>,
    counter_handles: HashMap<Key, Arc<CounterHandle>>,
    gauge_handles: HashMap<Key, Arc<GaugeHandle>>,
    histogram_handles: HashMap<Key, Arc<HistogramHandle>>,
}

/// What an instrument is created with: unit, description, bucket boundaries.
struct Shape {
    unit: Option<&'static str>,
    description: Option<String>,
    buckets: Option<Vec<f64>>,
}

impl OtlpRecorder {
    /// A recorder creating its instruments on `meter`.
    pub fn new(meter: Meter) -> Self {
        OtlpRecorder {
            meter,
            state: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn describe(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.lock()
            .described
            .insert(key.as_str().to_owned(), (unit, description));
    }
}

impl State {
    /// How to create the instrument `name`: what `describe_*` said, else exllm's defaults.
    fn shape(&self, name: &str) -> Shape {
        let (unit, description) = match self.described.get(name) {
            Some((unit, d)) => (unit.map(ucum), (!d.is_empty()).then(|| d.to_string())),
            None => (None, None),
        };
        let (default_unit, buckets) = match name {
            metric::DURATION | metric::TIME_TO_FIRST_TOKEN => {
                (Some("s"), Some(SECONDS_BUCKETS.to_vec()))
            }
            metric::COST => (Some("USD"), Some(COST_BUCKETS.to_vec())),
            metric::TOKENS => (Some("{token}"), None),
            metric::REQUESTS => (Some("{request}"), None),
            _ if unit == Some("s") => (None, Some(SECONDS_BUCKETS.to_vec())),
            _ => (None, None),
        };
        Shape {
            unit: unit.or(default_unit),
            description,
            buckets,
        }
    }
}

/// The UCUM unit OpenTelemetry expects for a `metrics` unit.
fn ucum(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "1",
        Unit::Percent => "%",
        Unit::Seconds => "s",
        Unit::Milliseconds => "ms",
        Unit::Microseconds => "us",
        Unit::Nanoseconds => "ns",
        Unit::Tebibytes => "TiBy",
        Unit::Gibibytes => "GiBy",
        Unit::Mebibytes => "MiBy",
        Unit::Kibibytes => "KiBy",
        Unit::Bytes => "By",
        Unit::TerabitsPerSecond => "Tbit/s",
        Unit::GigabitsPerSecond => "Gbit/s",
        Unit::MegabitsPerSecond => "Mbit/s",
        Unit::KilobitsPerSecond => "kbit/s",
        Unit::BitsPerSecond => "bit/s",
        Unit::CountPerSecond => "1/s",
    }
}

fn attributes(key: &Key) -> Vec<KeyValue> {
    key.labels()
        .map(|l| KeyValue::new(l.key().to_owned(), l.value().to_owned()))
        .collect()
}

/// A counter with one label set.
struct CounterHandle {
    counter: Counter<u64>,
    attrs: Vec<KeyValue>,
    /// The counter's value so far, to turn an `absolute` value into an increment.
    total: AtomicU64,
}

impl CounterFn for CounterHandle {
    fn increment(&self, value: u64) {
        self.total.fetch_add(value, Ordering::Relaxed);
        self.counter.add(value, &self.attrs);
    }

    fn absolute(&self, value: u64) {
        let before = self.total.fetch_max(value, Ordering::Relaxed);
        if value > before {
            self.counter.add(value - before, &self.attrs);
        }
    }
}

/// A gauge with one label set, keeping its value (as `f64` bits) for increments.
struct GaugeHandle {
    gauge: Gauge<f64>,
    attrs: Vec<KeyValue>,
    value: AtomicU64,
}

impl GaugeHandle {
    fn update(&self, f: impl Fn(f64) -> f64) {
        let mut now = 0.0;
        let _ = self
            .value
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                now = f(f64::from_bits(bits));
                Some(now.to_bits())
            });
        self.gauge.record(now, &self.attrs);
    }
}

impl GaugeFn for GaugeHandle {
    fn increment(&self, value: f64) {
        self.update(|v| v + value);
    }

    fn decrement(&self, value: f64) {
        self.update(|v| v - value);
    }

    fn set(&self, value: f64) {
        self.update(|_| value);
    }
}

/// A histogram with one label set.
struct HistogramHandle {
    histogram: Histogram<f64>,
    attrs: Vec<KeyValue>,
}

impl HistogramFn for HistogramHandle {
    fn record(&self, value: f64) {
        self.histogram.record(value, &self.attrs);
    }
}

/// The instrument named `name`: the one made before, or a new one from `build`.
fn made<I: Clone>(
    instruments: &mut HashMap<String, I>,
    name: &str,
    build: impl FnOnce() -> I,
) -> I {
    if let Some(i) = instruments.get(name) {
        return i.clone();
    }
    let i = build();
    instruments.insert(name.to_owned(), i.clone());
    i
}

impl Shape {
    /// Unit and description on a counter or gauge builder.
    fn apply<'a, T>(&self, mut b: InstrumentBuilder<'a, T>) -> InstrumentBuilder<'a, T> {
        if let Some(u) = self.unit {
            b = b.with_unit(u);
        }
        if let Some(d) = &self.description {
            b = b.with_description(d.clone());
        }
        b
    }
}

impl Recorder for OtlpRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Counter {
        let mut st = self.lock();
        if let Some(h) = st.counter_handles.get(key) {
            return metrics::Counter::from_arc(h.clone());
        }
        let name = key.name();
        let shape = st.shape(name);
        let counter = made(&mut st.counters, name, || {
            shape.apply(self.meter.u64_counter(name.to_owned())).build()
        });
        let handle = Arc::new(CounterHandle {
            counter,
            attrs: attributes(key),
            total: AtomicU64::new(0),
        });
        st.counter_handles.insert(key.clone(), handle.clone());
        metrics::Counter::from_arc(handle)
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Gauge {
        let mut st = self.lock();
        if let Some(h) = st.gauge_handles.get(key) {
            return metrics::Gauge::from_arc(h.clone());
        }
        let name = key.name();
        let shape = st.shape(name);
        let gauge = made(&mut st.gauges, name, || {
            shape.apply(self.meter.f64_gauge(name.to_owned())).build()
        });
        let handle = Arc::new(GaugeHandle {
            gauge,
            attrs: attributes(key),
            value: AtomicU64::new(0f64.to_bits()),
        });
        st.gauge_handles.insert(key.clone(), handle.clone());
        metrics::Gauge::from_arc(handle)
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Histogram {
        let mut st = self.lock();
        if let Some(h) = st.histogram_handles.get(key) {
            return metrics::Histogram::from_arc(h.clone());
        }
        let name = key.name();
        let shape = st.shape(name);
        let histogram = made(&mut st.histograms, name, || {
            let mut b = self.meter.f64_histogram(name.to_owned());
            if let Some(u) = shape.unit {
                b = b.with_unit(u);
            }
            if let Some(d) = &shape.description {
                b = b.with_description(d.clone());
            }
            if let Some(bounds) = shape.buckets.clone() {
                b = b.with_boundaries(bounds);
            }
            b.build()
        });
        let handle = Arc::new(HistogramHandle {
            histogram,
            attrs: attributes(key),
        });
        st.histogram_handles.insert(key.clone(), handle.clone());
        metrics::Histogram::from_arc(handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::metrics::MeterProvider;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

    fn exported(
        provider: &SdkMeterProvider,
        exporter: &InMemoryMetricExporter,
    ) -> Vec<ResourceMetrics> {
        provider.force_flush().unwrap();
        exporter.get_finished_metrics().unwrap()
    }

    #[test]
    fn counters_gauges_and_histograms_reach_the_meter() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let rec = OtlpRecorder::new(provider.meter("test"));
        metrics::with_local_recorder(&rec, || {
            metrics::counter!("calls", "who" => "a").increment(2);
            metrics::counter!("calls", "who" => "a").absolute(5);
            metrics::gauge!("depth").increment(3.0);
            metrics::gauge!("depth").decrement(1.0);
            metrics::histogram!(metric::DURATION).record(0.5);
        });
        let all = exported(&provider, &exporter);
        let metrics: Vec<_> = all
            .last()
            .unwrap()
            .scope_metrics()
            .flat_map(|s| s.metrics())
            .collect();
        let find = |n: &str| metrics.iter().find(|m| m.name() == n).unwrap();
        match find("calls").data() {
            AggregatedMetrics::U64(MetricData::Sum(s)) => {
                let p = s.data_points().next().unwrap();
                assert_eq!(p.value(), 5);
                assert_eq!(p.attributes().next().unwrap().key.as_str(), "who");
            }
            other => panic!("calls: {other:?}"),
        }
        match find("depth").data() {
            AggregatedMetrics::F64(MetricData::Gauge(g)) => {
                assert_eq!(g.data_points().next().unwrap().value(), 2.0)
            }
            other => panic!("depth: {other:?}"),
        }
        let duration = find(metric::DURATION);
        assert_eq!(duration.unit(), "s");
        match duration.data() {
            AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                let p = h.data_points().next().unwrap();
                assert_eq!(p.count(), 1);
                assert_eq!(p.bounds().count(), SECONDS_BUCKETS.len());
            }
            other => panic!("duration: {other:?}"),
        }
    }
}
