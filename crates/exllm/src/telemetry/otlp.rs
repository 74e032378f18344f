//! Export to an OpenTelemetry collector over OTLP/HTTP (protobuf): the GenAI `tracing` spans
//! through a `tracing-opentelemetry` layer, and the `metrics`-facade metrics through a
//! recorder onto OpenTelemetry instruments. It lives behind the `otlp` feature because the
//! OpenTelemetry SDK is a dependency most callers do not need. Exports run on the SDK's own
//! background threads, so they need no async runtime and never slow a call down.
//!
//! [`install`] sets everything up process-wide; a program with its own `tracing` subscriber
//! builds an [`OtlpGuard`] and adds [`OtlpGuard::layer`] to it instead.

mod client;
mod recorder;

pub use recorder::OtlpRecorder;

use crate::error::{Error, ErrorKind};
use crate::types::Secret;
use client::BlockingHttp;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::InstrumentationScope;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use std::collections::HashMap;
use std::time::Duration;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Where the collector listens when nothing says otherwise (OTLP/HTTP's standard port).
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

/// Where and how to export.
///
/// `Debug` never shows header values: they often carry an API key.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpConfig {
    /// The collector's base URL; `/v1/traces` and `/v1/metrics` are appended.
    pub endpoint: String,
    /// The `service.name` resource attribute.
    pub service_name: String,
    /// Headers sent with every export (`authorization`, `x-api-key`, ...).
    pub headers: Vec<(String, Secret)>,
    /// How long one export, or the final flush, may take.
    pub timeout: Duration,
    /// How often metrics are exported.
    pub metrics_interval: Duration,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        OtlpConfig {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            service_name: "exllm".to_owned(),
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            metrics_interval: Duration::from_secs(60),
        }
    }
}

impl OtlpConfig {
    /// The defaults, exporting to `endpoint`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        OtlpConfig {
            endpoint: endpoint.into(),
            ..Default::default()
        }
    }

    /// The standard variables: `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`
    /// (`k1=v1,k2=v2`, values percent-encoded), `OTEL_SERVICE_NAME` and
    /// `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds); unset ones keep their defaults.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`OtlpConfig::from_env`] reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let mut c = OtlpConfig::default();
        let set = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        if let Some(e) = set("OTEL_EXPORTER_OTLP_ENDPOINT") {
            c.endpoint = e.trim().to_owned();
        }
        if let Some(n) = set("OTEL_SERVICE_NAME") {
            c.service_name = n.trim().to_owned();
        }
        if let Some(h) = set("OTEL_EXPORTER_OTLP_HEADERS") {
            c.headers = parse_headers(&h)?;
        }
        if let Some(t) = set("OTEL_EXPORTER_OTLP_TIMEOUT") {
            let ms: u64 = t.trim().parse().map_err(|_| {
                Error::new(
                    ErrorKind::Config,
                    format!("OTEL_EXPORTER_OTLP_TIMEOUT is not a number of milliseconds: {t:?}"),
                )
            })?;
            c.timeout = Duration::from_millis(ms);
        }
        Ok(c)
    }

    /// Sets `service.name`.
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = name.into();
        self
    }

    /// Adds a header sent with every export.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the export timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how often metrics are exported.
    pub fn with_metrics_interval(mut self, interval: Duration) -> Self {
        self.metrics_interval = interval;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint.trim().trim_end_matches('/'))
    }

    /// The headers, checked, as the exporter takes them.
    fn header_map(&self) -> Result<HashMap<String, String>, Error> {
        let mut out = HashMap::new();
        for (name, value) in &self.headers {
            ::http::HeaderName::try_from(name.as_str()).map_err(|_| {
                Error::new(ErrorKind::Config, format!("OTLP: bad header name {name:?}"))
            })?;
            ::http::HeaderValue::try_from(value.expose()).map_err(|_| {
                // The value is a secret: name the header only.
                Error::new(
                    ErrorKind::Config,
                    format!("OTLP: bad value for header {name:?}"),
                )
            })?;
            out.insert(name.clone(), value.expose().to_owned());
        }
        Ok(out)
    }
}

/// `k1=v1,k2=v2` with percent-encoded values, as `OTEL_EXPORTER_OTLP_HEADERS` holds them.
fn parse_headers(s: &str) -> Result<Vec<(String, Secret)>, Error> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    "OTEL_EXPORTER_OTLP_HEADERS: expected key=value pairs separated by commas",
                )
            })?;
            let v = percent_encoding::percent_decode_str(v.trim()).decode_utf8_lossy();
            Ok((k.trim().to_owned(), Secret::new(v.into_owned())))
        })
        .collect()
}

/// The tracer and meter providers exporting to one collector. Dropping it (or calling
/// [`OtlpGuard::shutdown`]) exports what is still buffered and stops the exporters, so keep it
/// alive until the program ends.
///
/// Build one with [`OtlpGuard::new`] to compose it yourself ([`OtlpGuard::layer`],
/// [`OtlpGuard::recorder`]), or let [`install`] do everything.
pub struct OtlpGuard {
    tracer: SdkTracerProvider,
    meter: SdkMeterProvider,
    timeout: Duration,
    shut: bool,
}

impl std::fmt::Debug for OtlpGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpGuard")
            .field("shut", &self.shut)
            .finish_non_exhaustive()
    }
}

/// What to call exllm's tracer and meter.
fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("exllm")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

fn build_error(what: &str, e: opentelemetry_otlp::ExporterBuildError) -> Error {
    Error::new(ErrorKind::Config, format!("OTLP {what} exporter: {e}")).with_source(e)
}

fn sdk_error(e: OTelSdkError) -> Error {
    let kind = match e {
        OTelSdkError::Timeout(_) => ErrorKind::Timeout,
        _ => ErrorKind::Network,
    };
    Error::new(kind, format!("OTLP export: {e}")).with_source(e)
}

impl OtlpGuard {
    /// Builds the exporters and providers; installs nothing.
    pub fn new(config: &OtlpConfig) -> Result<Self, Error> {
        let headers = config.header_map()?;
        let client = BlockingHttp::new(config.timeout)?;
        let resource = Resource::builder()
            .with_service_name(config.service_name.clone())
            .build();

        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(client.clone())
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(config.url("/v1/traces"))
            .with_headers(headers.clone())
            .with_timeout(config.timeout)
            .build()
            .map_err(|e| build_error("span", e))?;
        let tracer = SdkTracerProvider::builder()
            .with_batch_exporter(spans)
            .with_resource(resource.clone())
            .build();

        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(config.url("/v1/metrics"))
            .with_headers(headers)
            .with_timeout(config.timeout)
            .build()
            .map_err(|e| build_error("metric", e))?;
        let reader = PeriodicReader::builder(metrics)
            .with_interval(config.metrics_interval)
            .build();
        let meter = SdkMeterProvider::builder()
            .with_reader(reader)
            .with_resource(resource)
            .build();

        Ok(OtlpGuard {
            tracer,
            meter,
            timeout: config.timeout,
            shut: false,
        })
    }

    /// A `tracing` layer exporting spans (with their fields as attributes) to the collector,
    /// for a subscriber of your own. It takes every span it is given: filter it
    /// (`layer.with_filter(LevelFilter::INFO)`) to keep debug spans of other crates out.
    pub fn layer<S>(&self) -> impl Layer<S>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        tracing_opentelemetry::layer()
            .with_tracked_inactivity(false)
            .with_tracer(self.tracer.tracer_with_scope(scope()))
    }

    /// A `metrics` recorder exporting to the collector, to install or combine with others.
    pub fn recorder(&self) -> OtlpRecorder {
        OtlpRecorder::new(self.meter.meter_with_scope(scope()))
    }

    /// Installs [`OtlpGuard::recorder`] as the process's `metrics` recorder.
    pub fn install_recorder(&self) -> Result<(), Error> {
        metrics::set_global_recorder(self.recorder()).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                "a global metrics recorder is already installed; add OtlpGuard::recorder() to it",
            )
            .with_source(e)
        })
    }

    /// Exports what is buffered now. Blocks (up to the export timeout per signal): from async
    /// code, call it through `spawn_blocking`.
    pub fn flush(&self) -> Result<(), Error> {
        let spans = self.tracer.force_flush().map_err(sdk_error);
        let metrics = self.meter.force_flush().map_err(sdk_error);
        spans.and(metrics)
    }

    /// Exports what is buffered and stops both exporters. Blocks like [`OtlpGuard::flush`];
    /// dropping the guard does the same and ignores errors.
    pub fn shutdown(mut self) -> Result<(), Error> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), Error> {
        if std::mem::replace(&mut self.shut, true) {
            return Ok(());
        }
        let spans = self.tracer.shutdown_with_timeout(self.timeout);
        let metrics = self.meter.shutdown_with_timeout(self.timeout);
        spans.map_err(sdk_error).and(metrics.map_err(sdk_error))
    }
}

impl Drop for OtlpGuard {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "OTLP: the last export failed");
        }
    }
}

/// Exports exllm's spans and metrics to the collector `config` names, process-wide: installs
/// a `tracing` subscriber holding just the OTLP layer (INFO and above) and the `metrics`
/// recorder. Keep the returned guard until the program ends; dropping it flushes.
///
/// Fails with [`ErrorKind::Config`] when the exporters cannot be built or a global `tracing`
/// subscriber or `metrics` recorder is already installed; then compose [`OtlpGuard::layer`]
/// into your subscriber yourself.
///
/// ```no_run
/// use exllm::telemetry::otlp::{install, OtlpConfig};
///
/// # fn main() -> Result<(), exllm::Error> {
/// let config = OtlpConfig::from_env()?
///     .with_service_name("my-app")
///     .with_header("x-api-key", std::env::var("COLLECTOR_KEY").unwrap_or_default());
/// let guard = install(config)?;
/// // ... make calls with an `exllm::Client`: each one exports a `chat {model}` span and the
/// // `gen_ai.client.*` metrics ...
/// guard.shutdown()?; // or let it drop at the end of `main`
/// # Ok(())
/// # }
/// ```
pub fn install(config: OtlpConfig) -> Result<OtlpGuard, Error> {
    use tracing_subscriber::layer::SubscriberExt;
    let guard = OtlpGuard::new(&config)?;
    let subscriber =
        tracing_subscriber::registry().with(guard.layer().with_filter(LevelFilter::INFO));
    tracing::subscriber::set_global_default(subscriber).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            "a global tracing subscriber is already installed; add OtlpGuard::layer() to it",
        )
        .with_source(e)
    })?;
    guard.install_recorder()?;
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_env_reads_the_standard_variables_and_hides_header_values() {
        let env = |k: &str| {
            match k {
                "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("https://collector:4318/"),
                "OTEL_EXPORTER_OTLP_HEADERS" => Some("x-api-key=s3cr%3Dt-value, tenant = a"),
                "OTEL_SERVICE_NAME" => Some("svc"),
                "OTEL_EXPORTER_OTLP_TIMEOUT" => Some("2500"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let c = OtlpConfig::from_lookup(env).unwrap();
        assert_eq!(c.url("/v1/traces"), "https://collector:4318/v1/traces");
        assert_eq!(c.service_name, "svc");
        assert_eq!(c.timeout, Duration::from_millis(2500));
        let h = c.header_map().unwrap();
        assert_eq!(h["x-api-key"], "s3cr=t-value");
        assert_eq!(h["tenant"], "a");
        assert!(!format!("{c:?}").contains("s3cr"));
    }

    #[test]
    fn unset_variables_keep_the_defaults_and_bad_ones_are_config_errors() {
        let c = OtlpConfig::from_lookup(|_| None).unwrap();
        assert_eq!(c, OtlpConfig::default());
        assert_eq!(c.url("/v1/metrics"), "http://localhost:4318/v1/metrics");
        for (k, v) in [
            ("OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
        ] {
            let e = OtlpConfig::from_lookup(|x| (x == k).then(|| v.to_owned())).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config);
        }
        let bad = OtlpConfig::default().with_header("x-key", "line\nbreak-secret");
        let e = OtlpGuard::new(&bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(!e.to_string().contains("break-secret"));
    }
}
