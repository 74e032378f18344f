//! Enforcing a call's [`Timeouts`](crate::types::Timeouts): the error each one gives when it
//! expires, and running a future under one.

use crate::error::{Error, ErrorKind, TimeoutKind};
use std::time::Duration;

/// The error of an expired timeout.
pub(crate) fn expired(kind: TimeoutKind, after: Option<Duration>, provider: &str) -> Error {
    let what = match kind {
        TimeoutKind::Connect => "could not connect",
        TimeoutKind::FirstByte => "no response",
        TimeoutKind::Stall => "the response stalled: nothing arrived",
        TimeoutKind::Total => "the call did not finish",
    };
    let within = after.map_or(String::new(), |d| {
        format!(" within {:.1} s", d.as_secs_f64())
    });
    Error::new(ErrorKind::Timeout, format!("{what}{within}"))
        .with_provider(provider)
        .with_timeout_kind(kind)
}

/// Runs `f` under an optional time limit, failing with a timeout of `kind`.
pub(crate) async fn limit<T>(
    d: Option<Duration>,
    kind: TimeoutKind,
    provider: &str,
    f: impl std::future::Future<Output = crate::Result<T>>,
) -> crate::Result<T> {
    match d {
        Some(d) => tokio::time::timeout(d, f)
            .await
            .unwrap_or_else(|_| Err(expired(kind, Some(d), provider))),
        None => f.await,
    }
}
