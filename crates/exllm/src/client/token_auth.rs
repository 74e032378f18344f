//! Credentials of providers whose bearer token comes from a token endpoint
//! ([`AuthStyle::Token`](crate::provider::registry::AuthStyle::Token)): which token signer a
//! registry row and the environment call for, if any.

use crate::error::{Error, ErrorKind, Result};
use crate::provider::registry::TokenGrant;
use crate::provider::Auth;
use crate::transport::TokenAuth;
use crate::types::Secret;
use std::sync::Arc;

/// The signer for `grant` given the key (if set) and the environment; `None` when there is
/// nothing to exchange, so the caller falls back to a plain key or token.
pub(crate) fn auth(
    name: &str,
    grant: TokenGrant,
    key: Option<&Secret>,
    env: &dyn Fn(&[&str]) -> Option<String>,
) -> Result<Option<Auth>> {
    let signer = match grant {
        TokenGrant::ApiKey {
            url,
            url_env,
            grant_type,
        } => match key {
            Some(key) => {
                let url = env(url_env).unwrap_or_else(|| url.to_owned());
                TokenAuth::api_key(name, url, grant_type, key.clone())
            }
            None => return Ok(None),
        },
        // A key is a personal access token, sent as it is.
        TokenGrant::ClientCredentials { .. } if key.is_some() => return Ok(None),
        TokenGrant::ClientCredentials {
            path,
            id_env,
            secret_env,
            scope,
        } => match (env(id_env), env(secret_env)) {
            (Some(id), Some(secret)) => {
                TokenAuth::client_credentials(name, path, id, secret.into(), scope)
            }
            (None, None) => return Ok(None),
            (id, _) => {
                let missing = if id.is_none() { id_env } else { secret_env };
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "{name} OAuth needs both a client id and a secret: set {}",
                        missing.join(" or ")
                    ),
                )
                .with_provider(name));
            }
        },
    };
    Ok(Some(Auth::Signer(Arc::new(signer))))
}
