//! Shared transport: HTTP over reqwest (rustls), the signers that need credentials (AWS SigV4,
//! Google OAuth), the circuit breaker, timeouts, and the stream that ties a body, a framer and
//! a codec's stream decoder (both from [`crate::wire`]) together without an extra task or
//! channel. Codecs never see any of this, and nothing here knows a codec.

mod breaker;
mod cassette;
#[cfg(feature = "vertex")]
mod google;
mod http;
#[cfg(feature = "redis")]
mod redis_conn;
#[cfg(feature = "bedrock")]
mod sigv4;
mod stream;
mod timeouts;
mod token;

pub use crate::types::{RetryPolicy, Timeouts};
pub use breaker::{Breaker, BreakerPolicy, BreakerState};
pub use cassette::Cassette;
#[cfg(feature = "vertex")]
pub use google::GoogleAuth;
pub use http::HttpTransport;
#[cfg(feature = "redis")]
pub use redis_conn::RedisConn;
#[cfg(feature = "bedrock")]
pub use sigv4::SigV4Auth;
pub(crate) use stream::FramedStream;
pub(crate) use timeouts::limit;
pub use token::TokenAuth;
