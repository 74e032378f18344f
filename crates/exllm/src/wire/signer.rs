//! Credentials that must be computed per request (AWS SigV4 signatures, Google OAuth tokens)
//! rather than sent as a fixed header: the transport calls the signer before every attempt.

use crate::error::Result;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use std::fmt;

/// Adds credentials to each request just before it is sent.
pub trait Signer: Send + Sync + fmt::Debug {
    /// Signs `req` (adds headers); called again for every retry.
    fn sign<'a>(&'a self, req: &'a mut http::Request<Bytes>) -> BoxFuture<'a, Result<()>>;

    /// Resolves a base-URL placeholder the signer's configuration knows (`region` for AWS,
    /// `project` for Google Cloud); `None` when it knows no such name.
    fn resolve<'a>(&'a self, _name: &'a str) -> BoxFuture<'a, Result<Option<String>>> {
        Box::pin(async { Ok(None) })
    }

    /// The server refused the credentials this signer added (HTTP 401): a cached token is
    /// dropped so the next request gets a fresh one.
    fn rejected(&self) {}
}
