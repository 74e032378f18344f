//! An HTTP provider: a codec, an endpoint and the shared transport, with retries before the
//! answer starts. Nothing here is specific to any provider.

use super::builder::ClientBuilder;
use super::{ChatProvider, ChatStream};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::registry::{self, AuthStyle};
use crate::provider::{Auth, Codec, Endpoint, ModelEntry};
use crate::transport::{HttpEventStream, HttpTransport, RetryPolicy};
use crate::types::{ChatRequest, ChatResponse, StreamEvent, Warning};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use std::sync::Arc;

/// A provider reached over HTTP through a codec.
#[derive(Clone)]
pub struct HttpProvider {
    inner: Arc<Shared>,
}

struct Shared {
    codec: &'static dyn Codec,
    endpoint: Endpoint,
    resolved: tokio::sync::OnceCell<Endpoint>,
    transport: HttpTransport,
    retry: RetryPolicy,
}

impl HttpProvider {
    /// A provider speaking `codec` at `endpoint`.
    pub fn new(codec: &'static dyn Codec, endpoint: Endpoint, transport: HttpTransport, retry: RetryPolicy) -> Self {
        HttpProvider {
            inner: Arc::new(Shared {
                codec,
                endpoint,
                resolved: tokio::sync::OnceCell::new(),
                transport,
                retry,
            }),
        }
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Builds a known provider from the registry, the builder's overrides and the environment.
    pub(crate) fn from_registry(name: &str, b: &ClientBuilder, transport: HttpTransport) -> Result<Self> {
        let spec = registry::find(name).ok_or_else(|| {
            let known: Vec<&str> = registry::PROVIDERS.iter().map(|p| p.name).collect();
            Error::new(
                ErrorKind::Config,
                format!("unknown provider `{name}` (known: {}, mock)", known.join(", ")),
            )
        })?;
        let cfg = b.configs.get(name).cloned().unwrap_or_default();
        let env = |vars: &[&str]| vars.iter().find_map(|v| (b.env)(v));
        let mut base_url = cfg
            .base_url
            .clone()
            .or_else(|| env(spec.base_url_env))
            .unwrap_or_else(|| spec.base_url.to_owned());
        // `OLLAMA_HOST=0.0.0.0:11434` style values carry no scheme.
        if !base_url.is_empty() && !base_url.contains("://") {
            base_url.insert_str(0, "http://");
        }
        if base_url.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "provider `{name}` needs a base URL: pass --base-url or set {}",
                    spec.base_url_env.join(" or ")
                ),
            )
            .with_provider(name));
        }
        let key = cfg.api_key.clone().or_else(|| env(spec.key_env).map(Into::into));
        let auth = match (key, spec.auth) {
            (Some(k), AuthStyle::SigV4(_)) => Auth::Bearer(k),
            (None, AuthStyle::SigV4(service)) => sigv4(name, service, &cfg)?,
            (Some(k), AuthStyle::Bearer) => Auth::Bearer(k),
            (Some(k), AuthStyle::Header(h)) => Auth::Header {
                name: h.to_owned(),
                value: k,
            },
            (None, _) if spec.key_required => {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("missing API key for {name}: set {}", spec.key_env[0]),
                )
                .with_provider(name))
            }
            (None, _) => Auth::None,
        };
        let mut headers: Vec<(String, String)> = spec
            .headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        headers.extend(cfg.headers);
        let endpoint = Endpoint {
            provider: name.to_owned(),
            base_url,
            auth,
            headers,
            quirks: spec.quirks,
        };
        let api = cfg.api.unwrap_or(spec.api);
        Ok(Self::new(api.codec(), endpoint, transport, b.retry.clone()))
    }

    /// The endpoint with its `{region}` filled in (for SigV4 providers, whose region may come
    /// from the AWS profile and is resolved at first use).
    async fn resolved(&self) -> Result<&Endpoint> {
        let s = &self.inner;
        if !s.endpoint.base_url.contains("{region}") {
            return Ok(&s.endpoint);
        }
        s.resolved
            .get_or_try_init(|| async {
                let region = match &s.endpoint.auth {
                    #[cfg(feature = "bedrock")]
                    Auth::SigV4(a) => a.region().await?.to_owned(),
                    _ => {
                        return Err(Error::new(ErrorKind::Config, "this provider needs a region")
                            .with_provider(s.endpoint.provider.clone()))
                    }
                };
                let mut ep = s.endpoint.clone();
                ep.base_url = ep.base_url.replace("{region}", &region);
                Ok(ep)
            })
            .await
    }

    /// Encodes and sends, retrying failures that happen before any answer arrived.
    async fn send(&self, req: &ChatRequest, stream: bool) -> Result<(reqwest::Response, Vec<Warning>)> {
        let s = &self.inner;
        let ep = self.resolved().await?;
        let enc = s.codec.encode(req, &req.model, ep, stream)?;
        let mut retry = 0;
        loop {
            #[cfg(feature = "bedrock")]
            let signed;
            let request = match &ep.auth {
                #[cfg(feature = "bedrock")]
                Auth::SigV4(a) => {
                    // Each attempt is signed anew: the signature covers the time.
                    let mut r = clone_request(&enc.request);
                    a.sign(&mut r).await?;
                    signed = r;
                    &signed
                }
                _ => &enc.request,
            };
            match s.transport.send(request, &ep.provider).await {
                Ok(resp) => return Ok((resp, enc.warnings)),
                Err(e) if e.is_retryable() => match s.retry.delay(retry, e.retry_after()) {
                    Some(delay) => {
                        tracing::warn!(
                            provider = %s.endpoint.provider,
                            attempt = retry + 1,
                            delay_ms = delay.as_millis() as u64,
                            reason = %e,
                            "retrying"
                        );
                        tokio::time::sleep(delay).await;
                        retry += 1;
                    }
                    None => return Err(e),
                },
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(feature = "bedrock")]
fn clone_request(r: &http::Request<bytes::Bytes>) -> http::Request<bytes::Bytes> {
    let mut out = http::Request::new(r.body().clone());
    *out.method_mut() = r.method().clone();
    *out.uri_mut() = r.uri().clone();
    *out.headers_mut() = r.headers().clone();
    out
}

#[cfg(feature = "bedrock")]
fn sigv4(_name: &str, service: &'static str, cfg: &super::ProviderConfig) -> Result<Auth> {
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
    Ok(Auth::SigV4(Arc::new(auth)))
}

#[cfg(not(feature = "bedrock"))]
fn sigv4(name: &str, _service: &'static str, _cfg: &super::ProviderConfig) -> Result<Auth> {
    Err(Error::new(
        ErrorKind::Config,
        format!("{name} needs AWS SigV4 signing: build exllm with the `bedrock` feature, or set its bearer-token variable"),
    )
    .with_provider(name))
}

impl ChatProvider for HttpProvider {
    fn chat(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatResponse>> {
        let this = self.clone();
        Box::pin(async move {
            let (resp, warnings) = this.send(&req, false).await?;
            let provider = &this.inner.endpoint.provider;
            let body = this.inner.transport.read_body(resp, provider).await?;
            let mut out = this
                .inner
                .codec
                .decode(&body)
                .map_err(|e| e.with_provider(provider.clone()))?;
            out.warnings.splice(0..0, warnings);
            Ok(out)
        })
    }

    fn chat_stream(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatStream>> {
        let this = self.clone();
        Box::pin(async move {
            let (resp, warnings) = this.send(&req, true).await?;
            let s = &this.inner;
            let events = HttpEventStream::new(
                resp,
                s.codec.framing().framer(),
                s.codec.stream_decoder(),
                s.endpoint.provider.clone(),
            );
            let warnings = futures_util::stream::iter(warnings.into_iter().map(|w| Ok(StreamEvent::Warning(w))));
            Ok(ChatStream::new(warnings.chain(events)))
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<ModelEntry>>> {
        let this = self.clone();
        Box::pin(async move {
            let s = &this.inner;
            let req = s.codec.list_models(&s.endpoint)?;
            let resp = s.transport.send(&req, &s.endpoint.provider).await?;
            let body = s.transport.read_body(resp, &s.endpoint.provider).await?;
            s.codec.decode_models(&body)
        })
    }
}
