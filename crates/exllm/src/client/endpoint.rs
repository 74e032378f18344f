//! Builds a provider's [`Endpoint`] from its registry row, the caller's overrides and the
//! environment: base URL and its placeholders, query parameters, headers, and credentials
//! (a key, a bearer token, or a per-request signer for AWS and Google Cloud).

use super::builder::{ClientBuilder, ProviderConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::registry::{self, AuthStyle, ProviderSpec};
use crate::provider::{Api, Auth, Endpoint};

/// The first `{name}` placeholder left in `s`.
pub(crate) fn placeholder(s: &str) -> Option<String> {
    let start = s.find('{')?;
    let len = s[start + 1..].find('}')?;
    Some(s[start + 1..start + 1 + len].to_owned())
}

/// The endpoint and wire API of provider `name`.
pub(crate) fn build(name: &str, b: &ClientBuilder) -> Result<(Endpoint, Api)> {
    let spec = registry::find(name).ok_or_else(|| {
        let known: Vec<&str> = registry::PROVIDERS.iter().map(|p| p.name).collect();
        Error::new(
            ErrorKind::Config,
            format!(
                "unknown provider `{name}` (known: {}, mock)",
                known.join(", ")
            ),
        )
    })?;
    let cfg = b.configs.get(name).cloned().unwrap_or_default();
    let env = |vars: &[&str]| vars.iter().find_map(|v| (b.env)(v));
    let mut base_url = cfg
        .base_url
        .clone()
        .or_else(|| env(spec.base_url_env))
        .unwrap_or_else(|| spec.base_url.to_owned());
    if base_url.is_empty() {
        return Err(config(
            name,
            format!(
                "provider `{name}` needs a base URL: pass --base-url or set {}",
                spec.base_url_env.join(" or ")
            ),
        ));
    }
    // `OLLAMA_HOST=0.0.0.0:11434` style values carry no scheme. A URL that is a placeholder
    // (`{host}/serving-endpoints`) gets its scheme once filled.
    if !base_url.contains("://") && !base_url.starts_with('{') {
        base_url.insert_str(0, "http://");
    }
    let auth = auth(name, spec, &cfg, &env)?;
    let mut query: Vec<(String, String)> = spec
        .query
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    // The caller's headers replace the registry's of the same name.
    let mut headers: Vec<(String, String)> = spec
        .headers
        .iter()
        .filter(|(k, _)| !cfg.headers.iter().any(|(c, _)| c.eq_ignore_ascii_case(k)))
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for var in spec.vars {
        let placeholder = format!("{{{}}}", var.name);
        let in_url =
            base_url.contains(&placeholder) || query.iter().any(|(_, v)| v.contains(&placeholder));
        let in_headers = headers.iter().any(|(_, v)| v.contains(&placeholder));
        if !in_url && !in_headers {
            continue;
        }
        let value = cfg
            .vars
            .iter()
            .find(|(k, _)| k == var.name)
            .map(|(_, v)| v.clone())
            .or_else(|| cfg.region.clone().filter(|_| var.name == "region"))
            .or_else(|| env(var.env))
            .or_else(|| var.default.map(str::to_owned));
        match value {
            Some(value) => {
                base_url = base_url.replace(&placeholder, &value);
                for (_, v) in query.iter_mut().chain(headers.iter_mut()) {
                    *v = v.replace(&placeholder, &value);
                }
            }
            // A header whose value is unset is optional (OpenRouter's attribution): not sent.
            None if !in_url => headers.retain(|(_, v)| !v.contains(&placeholder)),
            // A signer may know it (a Google project from the credentials file).
            None if matches!(auth, Auth::Signer(_)) => {}
            None => {
                return Err(config(
                    name,
                    format!(
                        "provider `{name}` needs its {}: set {} (or pass --base-url)",
                        var.name,
                        var.env.join(" or ")
                    ),
                ))
            }
        }
    }
    // A cloud host given without a scheme (`DATABRICKS_HOST=adb-1.azuredatabricks.net`).
    if !base_url.contains("://") {
        base_url.insert_str(0, "https://");
    }
    // Registry header values may hold keys once their placeholders are filled: from here
    // on they are secrets, like the caller's own headers.
    let mut headers: Vec<(String, crate::types::Secret)> =
        headers.into_iter().map(|(k, v)| (k, v.into())).collect();
    headers.extend(cfg.headers.iter().cloned());
    let endpoint = Endpoint {
        provider: name.to_owned(),
        base_url,
        auth,
        headers,
        query,
        quirks: spec.quirks,
    };
    Ok((endpoint, cfg.api.unwrap_or(spec.api)))
}

fn config(name: &str, message: String) -> Error {
    Error::new(ErrorKind::Config, message).with_provider(name)
}

fn auth(
    name: &str,
    spec: &ProviderSpec,
    cfg: &ProviderConfig,
    env: &dyn Fn(&[&str]) -> Option<String>,
) -> Result<Auth> {
    let key = cfg
        .api_key
        .clone()
        .or_else(|| env(spec.key_env).map(Into::into));
    if let AuthStyle::Token(grant) = spec.auth {
        if let Some(a) = super::token_auth::auth(name, grant, key.as_ref(), env)? {
            return Ok(a);
        }
    }
    Ok(match (key, spec.auth) {
        (Some(k), AuthStyle::Bearer | AuthStyle::SigV4(_) | AuthStyle::Token(_)) => Auth::Bearer(k),
        (Some(k), AuthStyle::Header(h)) => Auth::Header {
            name: h.to_owned(),
            value: k,
        },
        (Some(k), AuthStyle::GoogleOAuth) => Auth::Header {
            name: "x-goog-api-key".into(),
            value: k,
        },
        (None, AuthStyle::SigV4(service)) => sigv4(name, service, cfg)?,
        (None, AuthStyle::GoogleOAuth) => google(name, cfg, env)?,
        (None, _) => match env(spec.bearer_env) {
            Some(token) => Auth::Bearer(token.into()),
            None if spec.key_required => {
                let mut vars = spec
                    .key_env
                    .first()
                    .copied()
                    .into_iter()
                    .chain(spec.bearer_env.iter().copied());
                let first = vars.next().unwrap_or("its API key variable");
                let alt: Vec<&str> = vars.collect();
                let alt = if alt.is_empty() {
                    String::new()
                } else {
                    format!(" (or {})", alt.join(", "))
                };
                return Err(config(
                    name,
                    format!("missing API key for {name}: set {first}{alt}"),
                ));
            }
            None => Auth::None,
        },
    })
}

#[cfg(feature = "bedrock")]
fn sigv4(_name: &str, service: &'static str, cfg: &ProviderConfig) -> Result<Auth> {
    use crate::transport::SigV4Auth;
    let auth = match &cfg.aws_credentials {
        Some((id, secret, token)) => SigV4Auth::with_credentials(
            service,
            cfg.region.clone().unwrap_or_else(|| "us-east-1".into()),
            id.clone(),
            secret.expose().to_owned(),
            token.as_ref().map(|t| t.expose().to_owned()),
        ),
        None => SigV4Auth::from_chain(service, cfg.region.clone()),
    };
    Ok(Auth::Signer(std::sync::Arc::new(auth)))
}

#[cfg(not(feature = "bedrock"))]
fn sigv4(name: &str, _service: &'static str, _cfg: &ProviderConfig) -> Result<Auth> {
    Err(config(
        name,
        format!("{name} needs AWS SigV4 signing: build exllm with the `bedrock` feature, or set its bearer-token variable"),
    ))
}

#[cfg(feature = "vertex")]
fn google(
    _name: &str,
    cfg: &ProviderConfig,
    env: &dyn Fn(&[&str]) -> Option<String>,
) -> Result<Auth> {
    use crate::transport::GoogleAuth;
    let file = cfg
        .credentials_file
        .clone()
        .or_else(|| env(&["GOOGLE_APPLICATION_CREDENTIALS"]).map(Into::into));
    let auth = match file {
        Some(f) => GoogleAuth::from_file(f)?,
        None => GoogleAuth::new(None),
    };
    Ok(Auth::Signer(std::sync::Arc::new(auth)))
}

#[cfg(not(feature = "vertex"))]
fn google(
    name: &str,
    _cfg: &ProviderConfig,
    _env: &dyn Fn(&[&str]) -> Option<String>,
) -> Result<Auth> {
    Err(config(
        name,
        format!("{name} needs Google Cloud OAuth: build exllm with the `vertex` feature"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_in_order() {
        assert_eq!(
            placeholder("https://{location}-x/{project}").as_deref(),
            Some("location")
        );
        assert_eq!(placeholder("https://x"), None);
    }
}
