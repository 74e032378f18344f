//! [`Ollama`]: the management client. Each method is one endpoint of Ollama's API.

use super::blob::{check_digest, file_digest, io_error};
use super::types::{LineDecoder, LocalModel, Progress, ProgressStream, RunningModel};
use super::{GenerateRequest, GenerateResponse};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::common;
use crate::provider::{Auth, Endpoint};
use crate::transport::{FramedStream, HttpTransport};
use crate::wire::Framing;
use futures_core::Stream;
use futures_util::StreamExt;
use http::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

const PROVIDER: &str = "ollama";

/// A client for an Ollama server's native API.
///
/// ```no_run
/// # async fn run() -> exllm::Result<()> {
/// use futures_util::StreamExt;
/// let ollama = exllm::ollama::Ollama::from_env()?;
/// println!("Ollama {}", ollama.version().await?);
/// let mut progress = ollama.pull("llama3.2", false).await?;
/// while let Some(p) = progress.next().await {
///     let p = p?;
///     println!("{} {:?}/{:?}", p.status, p.completed, p.total);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Ollama {
    endpoint: Endpoint,
    transport: HttpTransport,
}

impl Ollama {
    /// A client for the server at `base_url` (`http://localhost:11434`).
    pub fn new(base_url: impl Into<String>) -> Result<Self> {
        let mut base_url = base_url.into();
        if !base_url.contains("://") {
            base_url.insert_str(0, "http://");
        }
        Ok(Ollama {
            endpoint: Endpoint::new(PROVIDER, base_url),
            transport: HttpTransport::new(Default::default())?,
        })
    }

    /// A client for `OLLAMA_HOST` (default `http://localhost:11434`), with `OLLAMA_API_KEY` as
    /// a bearer token when set.
    pub fn from_env() -> Result<Self> {
        let host = std::env::var("OLLAMA_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "http://localhost:11434".into());
        let mut o = Self::new(host)?;
        if let Some(key) = std::env::var("OLLAMA_API_KEY")
            .ok()
            .filter(|k| !k.is_empty())
        {
            o.endpoint.auth = Auth::Bearer(key.into());
        }
        Ok(o)
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.endpoint.base_url
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T> {
        let req = common::request(&self.endpoint, method, path, body)?;
        let resp = self.transport.send(req, PROVIDER).await?;
        let bytes = self.transport.read_body(resp, PROVIDER).await?;
        common::parse(&bytes, "Ollama response").map_err(|e| e.with_provider(PROVIDER))
    }

    async fn empty(&self, method: Method, path: &str, body: &Value) -> Result<()> {
        let req = common::request(&self.endpoint, method, path, Some(body))?;
        self.transport.send(req, PROVIDER).await.map(drop)
    }

    async fn lines<T>(
        &self,
        path: &str,
        body: &Value,
        is_last: fn(&T) -> bool,
    ) -> Result<Pin<Box<dyn Stream<Item = Result<T>> + Send>>>
    where
        T: DeserializeOwned + Send + Unpin + 'static,
    {
        let req = common::post_json_accepting(&self.endpoint, path, body, "application/x-ndjson")?;
        let resp = self.transport.send(req, PROVIDER).await?;
        Ok(Box::pin(FramedStream::new(
            resp,
            Framing::Ndjson.framer(),
            Box::new(LineDecoder::new(is_last)),
            PROVIDER.into(),
        )))
    }

    /// The server's version (`/api/version`).
    pub async fn version(&self) -> Result<String> {
        let v: Value = self.json(Method::GET, "/api/version", None).await?;
        v.get("version")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::new(ErrorKind::Decode, "no `version` in the answer").with_provider(PROVIDER)
            })
    }

    /// Models on the server (`/api/tags`).
    pub async fn list(&self) -> Result<Vec<LocalModel>> {
        #[derive(serde::Deserialize)]
        struct Tags {
            #[serde(default)]
            models: Vec<LocalModel>,
        }
        Ok(self
            .json::<Tags>(Method::GET, "/api/tags", None)
            .await?
            .models)
    }

    /// Models loaded in memory (`/api/ps`).
    pub async fn ps(&self) -> Result<Vec<RunningModel>> {
        #[derive(serde::Deserialize)]
        struct Ps {
            #[serde(default)]
            models: Vec<RunningModel>,
        }
        Ok(self.json::<Ps>(Method::GET, "/api/ps", None).await?.models)
    }

    /// A model's modelfile, parameters, template, details and capabilities (`/api/show`).
    pub async fn show(&self, model: &str, verbose: bool) -> Result<Value> {
        self.json(
            Method::POST,
            "/api/show",
            Some(&json!({"model": model, "verbose": verbose})),
        )
        .await
    }

    /// Copies a model under a new name (`/api/copy`).
    pub async fn copy(&self, source: &str, destination: &str) -> Result<()> {
        self.empty(
            Method::POST,
            "/api/copy",
            &json!({"source": source, "destination": destination}),
        )
        .await
    }

    /// Deletes a model (`/api/delete`); an unknown model is a [`ErrorKind::NotFound`] error.
    pub async fn delete(&self, model: &str) -> Result<()> {
        self.empty(Method::DELETE, "/api/delete", &json!({ "model": model }))
            .await
    }

    /// Downloads a model from a registry, streaming progress (`/api/pull`).
    pub async fn pull(&self, model: &str, insecure: bool) -> Result<ProgressStream> {
        self.lines(
            "/api/pull",
            &json!({"model": model, "insecure": insecure, "stream": true}),
            is_success,
        )
        .await
    }

    /// Uploads a model to a registry, streaming progress (`/api/push`).
    pub async fn push(&self, model: &str, insecure: bool) -> Result<ProgressStream> {
        self.lines(
            "/api/push",
            &json!({"model": model, "insecure": insecure, "stream": true}),
            is_success,
        )
        .await
    }

    /// Creates a model (`/api/create`): `spec` holds `from`, `files` (name → blob digest),
    /// `adapters`, `template`, `system`, `parameters`, `messages`, `quantize`, ...
    pub async fn create(&self, model: &str, spec: crate::types::JsonMap) -> Result<ProgressStream> {
        let mut body = spec;
        body.insert("model".into(), model.into());
        body.insert("stream".into(), true.into());
        self.lines("/api/create", &Value::Object(body), is_success)
            .await
    }

    /// Generates from a raw prompt (`/api/generate`), whole.
    pub async fn generate(&self, req: &GenerateRequest) -> Result<GenerateResponse> {
        let mut body = serde_json::to_value(req)
            .map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
        body["stream"] = false.into();
        self.json(Method::POST, "/api/generate", Some(&body)).await
    }

    /// Generates from a raw prompt, streaming pieces; the last one (`done`) carries `context`
    /// and the counts.
    pub async fn generate_stream(
        &self,
        req: &GenerateRequest,
    ) -> Result<Pin<Box<dyn Stream<Item = Result<GenerateResponse>> + Send>>> {
        let mut body = serde_json::to_value(req)
            .map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
        body["stream"] = true.into();
        self.lines("/api/generate", &body, |g: &GenerateResponse| g.done)
            .await
    }

    /// Whether the server has a blob (`HEAD /api/blobs/:digest`).
    pub async fn blob_exists(&self, digest: &str) -> Result<bool> {
        check_digest(digest)?;
        let req = common::request(
            &self.endpoint,
            Method::HEAD,
            &format!("/api/blobs/{digest}"),
            None,
        )?;
        match self.transport.send(req, PROVIDER).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Uploads a file as a blob (`POST /api/blobs/:digest`), streamed from disk, unless the
    /// server has it already. `progress(done, total)` follows hashing, then the upload.
    /// Returns the digest to use in [`Ollama::create`]'s `files`.
    pub async fn push_blob(
        &self,
        path: &Path,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Result<String> {
        let len = tokio::fs::metadata(path)
            .await
            .map_err(|e| io_error(path, e))?
            .len();
        let progress = Arc::new(progress);
        let p = progress.clone();
        let (digest, hashed) = file_digest(path, move |n| p(n, len)).await?;
        if self.blob_exists(&digest).await? {
            progress(hashed, hashed);
            return Ok(digest);
        }
        self.upload(path, &digest, progress).await?;
        Ok(digest)
    }

    /// Uploads `path` under `digest` as it is; a digest that does not match the file is a
    /// [`ErrorKind::BadRequest`] error from the server.
    pub async fn upload(
        &self,
        path: &Path,
        digest: &str,
        progress: Arc<dyn Fn(u64, u64) + Send + Sync>,
    ) -> Result<()> {
        check_digest(digest)?;
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| io_error(path, e))?;
        let len = file.metadata().await.map_err(|e| io_error(path, e))?.len();
        let mut sent = 0u64;
        let body = tokio_util::io::ReaderStream::new(file).map(move |chunk| {
            if let Ok(c) = &chunk {
                sent += c.len() as u64;
                progress(sent, len);
            }
            chunk
        });
        let mut head = common::request(
            &self.endpoint,
            Method::POST,
            &format!("/api/blobs/{digest}"),
            None,
        )?;
        head.headers_mut()
            .insert(http::header::CONTENT_LENGTH, len.into());
        self.transport
            .send_streaming(&head, reqwest::Body::wrap_stream(body), PROVIDER)
            .await
            .map(drop)
            .map_err(|e| match e.status() {
                Some(400) => Error::new(
                    ErrorKind::BadRequest,
                    format!(
                        "the server rejected blob {digest}: {} (does the digest match the file?)",
                        e.message()
                    ),
                )
                .with_status(400)
                .with_provider(PROVIDER),
                _ => e,
            })
    }
}

fn is_success(p: &Progress) -> bool {
    p.status == "success"
}

/// Progress lines a caller can print, e.g. `pulling 8eeb52dfb3bb: 42%`.
pub fn describe(p: &Progress) -> String {
    match (p.completed, p.total) {
        (Some(c), Some(t)) if t > 0 => format!("{} {}%", p.status, c * 100 / t),
        _ => p.status.clone(),
    }
}
