//! Google Cloud OAuth for Vertex AI with the maintained `gcp_auth` crate: a service-account
//! JSON file (`GOOGLE_APPLICATION_CREDENTIALS` or an explicit path), else the standard
//! chain (gcloud application-default credentials, the metadata server, the gcloud CLI).
//! Tokens are cached and refreshed by `gcp_auth`.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::Signer;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use gcp_auth::{CustomServiceAccount, TokenProvider};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::OnceCell;

const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Bearer tokens for Google Cloud APIs.
pub struct GoogleAuth {
    file: Option<PathBuf>,
    provider: OnceCell<Arc<dyn TokenProvider>>,
}

impl fmt::Debug for GoogleAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleAuth")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl GoogleAuth {
    /// Credentials from a service-account JSON file, or from the standard chain when `None`.
    pub fn new(file: Option<PathBuf>) -> Self {
        GoogleAuth {
            file,
            provider: OnceCell::new(),
        }
    }

    /// Reads and checks a service-account file now, so a bad file is reported before any
    /// request.
    pub fn from_file(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let sa = load(&path)?;
        let auth = Self::new(Some(path));
        let provider: Arc<dyn TokenProvider> = Arc::new(sa);
        let _ = auth.provider.set(provider);
        Ok(auth)
    }

    async fn provider(&self) -> Result<&Arc<dyn TokenProvider>> {
        self.provider
            .get_or_try_init(|| async {
                match &self.file {
                    Some(path) => Ok(Arc::new(load(path)?) as Arc<dyn TokenProvider>),
                    None => gcp_auth::provider().await.map_err(|e| {
                        Error::new(
                            ErrorKind::Auth,
                            "no Google Cloud credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account file or run `gcloud auth application-default login`",
                        )
                        .with_source(e)
                    }),
                }
            })
            .await
    }
}

fn load(path: &PathBuf) -> Result<CustomServiceAccount> {
    CustomServiceAccount::from_file(path).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!(
                "{} is not a usable service-account key file",
                path.display()
            ),
        )
        .with_source(e)
    })
}

impl Signer for GoogleAuth {
    fn sign<'a>(&'a self, req: &'a mut http::Request<Bytes>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let token = self.provider().await?.token(&[SCOPE]).await.map_err(|e| {
                Error::new(ErrorKind::Auth, "cannot get a Google Cloud access token").with_source(e)
            })?;
            let mut v = http::HeaderValue::from_str(&format!("Bearer {}", token.as_str()))
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Auth,
                        "the access token is not a valid header value",
                    )
                })?;
            v.set_sensitive(true);
            req.headers_mut().insert(http::header::AUTHORIZATION, v);
            Ok(())
        })
    }

    fn resolve<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<String>>> {
        Box::pin(async move {
            if name != "project" {
                return Ok(None);
            }
            let id = self.provider().await?.project_id().await.map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    "no Google Cloud project: set GOOGLE_CLOUD_PROJECT",
                )
                .with_source(e)
            })?;
            Ok(Some(id.to_string()))
        })
    }
}
