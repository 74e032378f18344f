//! A call's four timeouts, each its own error: connecting, waiting for the response to start,
//! a stream (or body) that stalls, and the whole call. Reasoning models may think for minutes
//! before their first byte, so the defaults are generous and every one can be changed per
//! client and per request.

use std::time::Duration;

/// Timeouts of one call (`None`: no limit).
///
/// ```
/// use exllm::transport::Timeouts;
/// use std::time::Duration;
/// let t = Timeouts::default().with_stall(Duration::from_secs(20));
/// assert_eq!(t.stall, Some(Duration::from_secs(20)));
/// assert_eq!(t.connect, Some(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Setting up the connection (TCP and TLS). Default 30 s.
    pub connect: Option<Duration>,
    /// From sending the request to the response's status line (for a non-streaming call
    /// that is most of the generation). Default 10 minutes.
    pub first_byte: Option<Duration>,
    /// Longest gap between two pieces of a body or stream. Default 5 minutes.
    pub stall: Option<Duration>,
    /// The whole call, retries and the body included. Default none: a stream may run as
    /// long as it keeps moving.
    pub total: Option<Duration>,
    /// The whole of a non-streamed call when `total` is not set. Default 15 minutes (past
    /// `first_byte`), so a server that trickles a body forever cannot hold a call forever.
    pub whole: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Some(Duration::from_secs(30)),
            first_byte: Some(Duration::from_secs(600)),
            stall: Some(Duration::from_secs(300)),
            total: None,
            whole: Some(Duration::from_secs(900)),
        }
    }
}

impl Timeouts {
    /// No timeouts at all.
    pub fn none() -> Self {
        Timeouts {
            connect: None,
            first_byte: None,
            stall: None,
            total: None,
            whole: None,
        }
    }

    /// Sets the connect timeout.
    pub fn with_connect(mut self, d: Duration) -> Self {
        self.connect = Some(d);
        self
    }

    /// Sets the time-to-first-byte timeout.
    pub fn with_first_byte(mut self, d: Duration) -> Self {
        self.first_byte = Some(d);
        self
    }

    /// Sets the stall timeout.
    pub fn with_stall(mut self, d: Duration) -> Self {
        self.stall = Some(d);
        self
    }

    /// Sets the total timeout.
    pub fn with_total(mut self, d: Duration) -> Self {
        self.total = Some(d);
        self
    }

    /// Sets the limit of a whole non-streamed call (used when `total` is not set).
    pub fn with_whole(mut self, d: Duration) -> Self {
        self.whole = Some(d);
        self
    }

    /// The limit of a whole non-streamed call: `total`, else `whole`.
    pub fn whole_call(&self) -> Option<Duration> {
        self.total.or(self.whole)
    }
}
