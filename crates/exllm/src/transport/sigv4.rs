//! AWS Signature Version 4 request signing with the official `aws-sigv4` crate, credentials
//! from the standard AWS chain (`aws-config`: environment, shared profiles, web identity,
//! container and instance metadata) or given explicitly, resolved once and refreshed by the
//! chain as they expire.

use crate::error::{Error, ErrorKind, Result};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use std::fmt;
use std::time::SystemTime;
use tokio::sync::OnceCell;

use crate::wire::Signer;
use futures_util::future::BoxFuture;

/// Signs requests for one AWS service.
pub struct SigV4Auth {
    service: &'static str,
    region: Option<String>,
    explicit: Option<Credentials>,
    resolved_region: OnceCell<String>,
    provider: OnceCell<SharedCredentialsProvider>,
}

impl fmt::Debug for SigV4Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Auth")
            .field("service", &self.service)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl SigV4Auth {
    /// Credentials and region (unless given) from the standard AWS chain.
    pub fn from_chain(service: &'static str, region: Option<String>) -> Self {
        SigV4Auth {
            service,
            region,
            explicit: None,
            resolved_region: OnceCell::new(),
            provider: OnceCell::new(),
        }
    }

    /// Fixed credentials and region.
    pub fn with_credentials(
        service: &'static str,
        region: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        let creds = Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            None,
            "exllm",
        );
        SigV4Auth {
            explicit: Some(creds),
            ..Self::from_chain(service, Some(region.into()))
        }
    }

    /// The region requests are signed for.
    pub async fn region(&self) -> Result<&str> {
        self.resolved_region
            .get_or_try_init(|| async {
                let region = match &self.region {
                    Some(r) => r.clone(),
                    None => aws_config::meta::region::RegionProviderChain::default_provider()
                        .region()
                        .await
                        .map(|r| r.to_string())
                        .ok_or_else(|| {
                            Error::new(
                                ErrorKind::Config,
                                "no AWS region: set AWS_REGION or a region in your AWS profile",
                            )
                        })?,
                };
                check_region(&region)?;
                Ok(region)
            })
            .await
            .map(String::as_str)
    }

    async fn credentials(&self) -> Result<Credentials> {
        let provider = self
            .provider
            .get_or_try_init(|| async {
                if let Some(c) = &self.explicit {
                    return Ok::<_, Error>(SharedCredentialsProvider::new(c.clone()));
                }
                let region = aws_config::Region::new(self.region().await?.to_owned());
                let chain =
                    aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                        .region(region)
                        .build()
                        .await;
                Ok(SharedCredentialsProvider::new(chain))
            })
            .await?;
        provider.provide_credentials().await.map_err(|e| {
            Error::new(
                ErrorKind::Auth,
                "no usable AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile)",
            )
            .with_source(e)
        })
    }

    /// Adds the SigV4 headers (`Authorization`, `X-Amz-Date`, and `X-Amz-Security-Token` for
    /// temporary credentials) to `req`.
    pub async fn sign_request(&self, req: &mut http::Request<Bytes>) -> Result<()> {
        let creds = self.credentials().await?;
        let region = self.region().await?.to_owned();
        let identity = creds.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| Error::new(ErrorKind::Config, format!("cannot sign the request: {e}")))?
            .into();
        let uri = req.uri().to_string();
        let headers = req
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)));
        let signable = SignableRequest::new(
            req.method().as_str(),
            uri.as_str(),
            headers,
            SignableBody::Bytes(req.body()),
        )
        .map_err(|e| Error::new(ErrorKind::Config, format!("cannot sign the request: {e}")))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| Error::new(ErrorKind::Config, format!("cannot sign the request: {e}")))?
            .into_parts();
        instructions.apply_to_request_http1x(req);
        Ok(())
    }
}

/// Region names look like `us-east-1`, `eu-central-2`, `us-gov-west-1`: anything else would
/// only surface later as an unreachable host.
fn check_region(r: &str) -> Result<()> {
    let parts: Vec<&str> = r.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Config,
            format!("`{r}` is not an AWS region name (expected something like us-east-1)"),
        ))
    }
}

impl Signer for SigV4Auth {
    fn sign<'a>(&'a self, req: &'a mut http::Request<Bytes>) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.sign_request(req))
    }

    fn resolve<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<String>>> {
        Box::pin(async move {
            match name {
                "region" => Ok(Some(self.region().await?.to_owned())),
                _ => Ok(None),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
            "il-central-1",
        ] {
            check_region(ok).unwrap();
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "moon",
            "us_east_1",
            "us-east-1a",
            "-us-east-1",
        ] {
            assert_eq!(
                check_region(bad).unwrap_err().kind(),
                ErrorKind::Config,
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn a_wrong_region_fails_before_any_request() {
        let auth = SigV4Auth::with_credentials("bedrock", "nowhere", "AKID", "secret", None);
        let mut req = http::Request::new(Bytes::new());
        let err = auth.sign_request(&mut req).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("nowhere"));
    }
}
