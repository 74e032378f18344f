//! An HTTP provider: a codec, an endpoint and the shared transport, with retries before the
//! answer starts. Nothing here is specific to any provider.

use super::builder::ClientBuilder;
use super::{ChatProvider, ChatStream};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::registry::{self, AuthStyle};
use crate::provider::{Auth, Codec, Encoded, Endpoint, ModelEntry};
use crate::transport::{FramedStream, HttpTransport, RetryPolicy};
use crate::types::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, RerankRequest, RerankResponse,
    StreamEvent, Warning,
};
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
    pub fn new(
        codec: &'static dyn Codec,
        endpoint: Endpoint,
        transport: HttpTransport,
        retry: RetryPolicy,
    ) -> Self {
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
    pub(crate) fn from_registry(
        name: &str,
        b: &ClientBuilder,
        transport: HttpTransport,
    ) -> Result<Self> {
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
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "provider `{name}` needs a base URL: pass --base-url or set {}",
                    spec.base_url_env.join(" or ")
                ),
            )
            .with_provider(name));
        }
        // `OLLAMA_HOST=0.0.0.0:11434` style values carry no scheme.
        if !base_url.contains("://") {
            base_url.insert_str(0, "http://");
        }
        let mut query: Vec<(String, String)> = spec
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for var in spec.vars {
            let placeholder = format!("{{{}}}", var.name);
            if !base_url.contains(&placeholder)
                && !query.iter().any(|(_, v)| v.contains(&placeholder))
            {
                continue;
            }
            let value = cfg
                .vars
                .iter()
                .find(|(k, _)| k == var.name)
                .map(|(_, v)| v.clone())
                .or_else(|| env(var.env))
                .or_else(|| var.default.map(str::to_owned))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Config,
                        format!(
                            "provider `{name}` needs its {}: set {} (or pass --base-url)",
                            var.name,
                            var.env.join(" or ")
                        ),
                    )
                    .with_provider(name)
                })?;
            base_url = base_url.replace(&placeholder, &value);
            for (_, v) in &mut query {
                *v = v.replace(&placeholder, &value);
            }
        }
        let key = cfg
            .api_key
            .clone()
            .or_else(|| env(spec.key_env).map(Into::into));
        let auth = match (key, spec.auth) {
            (Some(k), AuthStyle::SigV4(_)) => Auth::Bearer(k),
            (None, AuthStyle::SigV4(service)) => sigv4(name, service, &cfg)?,
            (Some(k), AuthStyle::Bearer) => Auth::Bearer(k),
            (Some(k), AuthStyle::Header(h)) => Auth::Header {
                name: h.to_owned(),
                value: k,
            },
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
                    return Err(Error::new(
                        ErrorKind::Config,
                        format!("missing API key for {name}: set {first}{alt}"),
                    )
                    .with_provider(name));
                }
                None => Auth::None,
            },
        };
        // The caller's headers replace the registry's of the same name.
        let mut headers: Vec<(String, String)> = spec
            .headers
            .iter()
            .filter(|(k, _)| !cfg.headers.iter().any(|(c, _)| c.eq_ignore_ascii_case(k)))
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        headers.extend(cfg.headers.iter().cloned());
        let endpoint = Endpoint {
            provider: name.to_owned(),
            base_url,
            auth,
            headers,
            query,
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
                let region = region_of(&s.endpoint).await?;
                let mut ep = s.endpoint.clone();
                ep.base_url = ep.base_url.replace("{region}", &region);
                Ok(ep)
            })
            .await
    }

    /// Takes the key out of an error's text, should the server have echoed it.
    fn redact(&self, e: Error) -> Error {
        match &self.inner.endpoint.auth {
            Auth::Bearer(k) => e.redact(k.expose()),
            Auth::Header { value, .. } => e.redact(value.expose()),
            _ => e,
        }
    }

    /// Encodes and sends, retrying failures that happen before any answer arrived.
    async fn send(
        &self,
        encode: impl FnOnce(&Endpoint) -> Result<Encoded>,
    ) -> Result<(reqwest::Response, Vec<Warning>)> {
        self.send_once(encode).await.map_err(|e| self.redact(e))
    }

    /// Encodes (with the resolved endpoint) and sends, retrying failures that happen before
    /// any answer arrived.
    async fn send_once(
        &self,
        encode: impl FnOnce(&Endpoint) -> Result<Encoded>,
    ) -> Result<(reqwest::Response, Vec<Warning>)> {
        let s = &self.inner;
        let ep = self.resolved().await?;
        let enc = encode(ep)?;
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
                            provider = %ep.provider,
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

    /// Sends a non-streaming request and decodes its body.
    async fn call<T>(
        &self,
        encode: impl FnOnce(&Endpoint) -> Result<Encoded>,
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<(T, Vec<Warning>)> {
        let (resp, warnings) = self.send(encode).await?;
        let provider = &self.inner.endpoint.provider;
        let body = self.inner.transport.read_body(resp, provider).await?;
        let out = decode(&body).map_err(|e| self.redact(e.with_provider(provider.clone())))?;
        Ok((out, warnings))
    }
}

/// The region a provider's requests are signed for.
async fn region_of(ep: &Endpoint) -> Result<String> {
    match &ep.auth {
        #[cfg(feature = "bedrock")]
        Auth::SigV4(a) => Ok(a.region().await?.to_owned()),
        _ => Err(
            Error::new(ErrorKind::Config, "this provider's base URL needs a region")
                .with_provider(ep.provider.clone()),
        ),
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
            let codec = this.inner.codec;
            let (mut out, warnings) = this
                .call(
                    |ep| codec.encode(&req, &req.model, ep, false),
                    |b| codec.decode(b),
                )
                .await?;
            out.warnings.splice(0..0, warnings);
            Ok(out)
        })
    }

    fn chat_stream(&self, req: ChatRequest) -> BoxFuture<'static, Result<ChatStream>> {
        let this = self.clone();
        Box::pin(async move {
            let s = &this.inner;
            let (resp, warnings) = this
                .send(|ep| s.codec.encode(&req, &req.model, ep, true))
                .await?;
            let events = FramedStream::new(
                resp,
                s.codec.framing().framer(),
                s.codec.stream_decoder(),
                s.endpoint.provider.clone(),
            );
            let warnings = futures_util::stream::iter(
                warnings.into_iter().map(|w| Ok(StreamEvent::Warning(w))),
            );
            Ok(ChatStream::new(warnings.chain(events)))
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<ModelEntry>>> {
        let this = self.clone();
        Box::pin(async move {
            let codec = this.inner.codec;
            let encode = |ep: &Endpoint| {
                codec.list_models(ep).map(|request| Encoded {
                    request,
                    warnings: Vec::new(),
                })
            };
            Ok(this.call(encode, |b| codec.decode_models(b)).await?.0)
        })
    }

    fn embed(&self, req: EmbedRequest) -> BoxFuture<'static, Result<EmbedResponse>> {
        let this = self.clone();
        Box::pin(async move {
            let codec = this.inner.codec;
            let limit = codec.embed_batch_limit(&req.model).max(1);
            let mut out = EmbedResponse::default();
            // Batches go one after another so the vectors come back in input order.
            for chunk in req.inputs.chunks(limit) {
                let batch = EmbedRequest {
                    inputs: chunk.to_vec(),
                    ..req.clone()
                };
                let (mut part, warnings) = this
                    .call(
                        |ep| codec.encode_embed(&batch, &batch.model, ep),
                        |b| codec.decode_embed(b),
                    )
                    .await?;
                if part.embeddings.len() != chunk.len() {
                    return Err(Error::new(
                        ErrorKind::Decode,
                        format!(
                            "asked for {} embeddings, got {}",
                            chunk.len(),
                            part.embeddings.len()
                        ),
                    )
                    .with_provider(this.inner.endpoint.provider.clone()));
                }
                part.warnings.extend(warnings);
                out.extend(part);
            }
            Ok(out)
        })
    }

    fn rerank(&self, req: RerankRequest) -> BoxFuture<'static, Result<RerankResponse>> {
        let this = self.clone();
        Box::pin(async move {
            let codec = this.inner.codec;
            Ok(this
                .call(
                    |ep| codec.encode_rerank(&req, &req.model, ep),
                    |b| codec.decode_rerank(b),
                )
                .await?
                .0)
        })
    }
}
