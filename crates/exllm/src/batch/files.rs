//! A provider's file store through the client: upload streamed from disk (with progress),
//! list, look up, delete, and content streamed as it downloads. The requests come from the
//! file codecs in `provider::batch::files`; they go out through the provider's shared
//! transport, so keys, retries and timeouts work as for chat.

use super::http_of;
use crate::client::{Backend, Client};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::batch::{files as codec, gemini_files as gemini, FileApi};
use crate::types::{FileList, FileObject};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

/// A file's content as it downloads.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// Told of an upload's progress: bytes of the file sent so far, and its size.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// One provider's file store (OpenAI and the hosts that copy its `/files`, Anthropic's
/// Files API).
///
/// ```no_run
/// # async fn run() -> exllm::Result<()> {
/// let client = exllm::Client::from_env()?;
/// let files = client.files("openai")?;
/// let f = files.upload(std::path::Path::new("report.pdf"), Some("user_data")).await?;
/// println!("{} ({} bytes)", f.id, f.bytes.unwrap_or(0));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Files {
    provider: Arc<dyn Backend>,
    api: FileApi,
    name: String,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files")
            .field("provider", &self.name)
            .finish()
    }
}

impl Client {
    /// The file store of `provider` (`openai`, `azure`, `groq`, `mistral`, `anthropic`, ...).
    pub fn files(&self, provider: &str) -> Result<Files> {
        let p = self.provider(provider)?;
        let api = p
            .api()
            .and_then(FileApi::of)
            .ok_or_else(|| no_files(provider))?;
        Ok(Files {
            provider: p,
            api,
            name: provider.to_owned(),
        })
    }
}

fn no_files(provider: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("{provider} has no file store exllm can use"),
    )
    .with_provider(provider)
}

/// The media type a file is uploaded as, from its name.
fn media_type_of(name: &str) -> &'static str {
    if name.to_ascii_lowercase().ends_with(".jsonl") {
        return "application/jsonl";
    }
    crate::media::type_from_url(name).unwrap_or("application/octet-stream")
}

impl Files {
    /// Uploads the file at `path`, streamed from disk. OpenAI needs a `purpose` (`batch`,
    /// `user_data`, `fine-tune`, ...); Anthropic and Gemini take none. A message refers to
    /// the file by [`FileObject::id`] (Gemini: by [`FileObject::uri`]).
    pub async fn upload(&self, path: &Path, purpose: Option<&str>) -> Result<FileObject> {
        self.upload_with_progress(path, purpose, Arc::new(|_, _| {}))
            .await
    }

    /// [`Files::upload`], telling `progress` of each piece sent.
    pub async fn upload_with_progress(
        &self,
        path: &Path,
        purpose: Option<&str>,
        progress: Progress,
    ) -> Result<FileObject> {
        let io = |e: std::io::Error| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("cannot read {}: {e}", path.display()),
            )
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let body = || {
            let file = std::fs::File::open(path).map_err(io)?;
            let progress = progress.clone();
            let mut sent = 0u64;
            let chunks = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file)).map(
                move |chunk| {
                    if let Ok(c) = &chunk {
                        sent += c.len() as u64;
                        progress(sent, len);
                    }
                    chunk
                },
            );
            Ok(chunks)
        };
        self.send_upload(&filename, purpose, len, body).await
    }

    /// Uploads `data` as a file named `filename` (a batch's JSONL built in memory).
    pub async fn upload_bytes(
        &self,
        filename: &str,
        data: Bytes,
        purpose: Option<&str>,
    ) -> Result<FileObject> {
        self.upload_bytes_with_progress(filename, data, purpose, Arc::new(|_, _| {}))
            .await
    }

    /// [`Files::upload_bytes`], telling `progress` of each piece sent (the bytes go out in
    /// pieces of 64 KiB so a big batch file shows its progress).
    pub async fn upload_bytes_with_progress(
        &self,
        filename: &str,
        data: Bytes,
        purpose: Option<&str>,
        progress: Progress,
    ) -> Result<FileObject> {
        const PIECE: usize = 64 * 1024;
        let len = data.len() as u64;
        let body = || {
            let data = data.clone();
            let progress = progress.clone();
            let pieces = (0..data.len()).step_by(PIECE).map(move |at| {
                let end = (at + PIECE).min(data.len());
                progress(end as u64, len);
                Ok::<_, std::io::Error>(data.slice(at..end))
            });
            Ok(futures_util::stream::iter(pieces))
        };
        self.send_upload(filename, purpose, len, body).await
    }

    async fn send_upload<S>(
        &self,
        filename: &str,
        purpose: Option<&str>,
        len: u64,
        content: impl Fn() -> Result<S>,
    ) -> Result<FileObject>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    {
        let http = http_of(&self.provider, &self.name)?;
        let media_type = media_type_of(filename);
        let ep = http.job_endpoint().await?;
        if self.api == FileApi::Gemini {
            // Resumable: a start request names the file and answers with where to send it.
            let (headers, _) = http
                .job_call_headers(|ep| gemini::start(ep, filename, media_type, len))
                .await?;
            let url = gemini::upload_url(&ep, &headers)?;
            let head = gemini::finish(&ep, &url, len)?;
            let head = |_: &crate::provider::Endpoint| Ok(crate::provider::copy_request(&head));
            let body = || Ok(reqwest::Body::wrap_stream(content()?));
            let name = self.name.clone();
            return http
                .job_upload(head, body, |b| gemini::decode_upload(&name, b))
                .await;
        }
        // The form's two byte runs only depend on the endpoint: built once, sent per attempt.
        let up = codec::upload(self.api, &ep, filename, media_type, purpose, len)?;
        let (prefix, suffix) = (up.prefix.clone(), up.suffix.clone());
        let head = |_: &crate::provider::Endpoint| Ok(crate::provider::copy_request(&up.head));
        let body = || {
            let head = futures_util::stream::iter([Ok(prefix.clone())]);
            let tail = futures_util::stream::iter([Ok(suffix.clone())]);
            Ok(reqwest::Body::wrap_stream(
                head.chain(content()?).chain(tail),
            ))
        };
        let name = self.name.clone();
        http.job_upload(head, body, |b| codec::decode_file(&name, b))
            .await
    }

    /// A page of the store's files, after the file `after` when given.
    pub async fn list(&self, limit: Option<u32>, after: Option<&str>) -> Result<FileList> {
        let http = http_of(&self.provider, &self.name)?;
        let api = self.api;
        if api == FileApi::Gemini {
            return http
                .job_call(
                    |ep| gemini::list(ep, limit, after),
                    |b| gemini::decode_list(&self.name, b),
                )
                .await;
        }
        http.job_call(
            |ep| codec::list(api, ep, limit, after),
            |b| codec::decode_list(&self.name, b),
        )
        .await
    }

    /// One file's metadata.
    pub async fn get(&self, id: &str) -> Result<FileObject> {
        let http = http_of(&self.provider, &self.name)?;
        let api = self.api;
        if api == FileApi::Gemini {
            return http
                .job_call(
                    |ep| gemini::get(ep, id),
                    |b| gemini::decode_file(&self.name, b),
                )
                .await;
        }
        http.job_call(
            |ep| codec::get(api, ep, id),
            |b| codec::decode_file(&self.name, b),
        )
        .await
    }

    /// Deletes a file.
    pub async fn delete(&self, id: &str) -> Result<()> {
        let http = http_of(&self.provider, &self.name)?;
        let api = self.api;
        if api == FileApi::Gemini {
            // Deleting answers `{}`.
            return http.job_call(|ep| gemini::delete(ep, id), |_| Ok(())).await;
        }
        http.job_call(|ep| codec::delete(api, ep, id), codec::decode_deleted)
            .await
    }

    /// A file's content, handed over as it downloads (Gemini offers no download of uploaded
    /// files: [`ErrorKind::Unsupported`]).
    pub async fn content(&self, id: &str) -> Result<ByteStream> {
        if self.api == FileApi::Gemini {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "Gemini's File API does not give uploaded files back",
            )
            .with_provider(self.name.clone()));
        }
        let http = http_of(&self.provider, &self.name)?;
        let api = self.api;
        let chunks = http.job_download(|ep| codec::content(api, ep, id)).await?;
        Ok(Box::pin(chunks))
    }

    /// Writes a file's content to `path` as it downloads; the bytes written.
    pub async fn download(&self, id: &str, path: &Path) -> Result<u64> {
        let mut chunks = self.content(id).await?;
        write_stream(&mut chunks, path).await
    }
}

/// Writes chunks to a new file at `path`, as they come.
pub(crate) async fn write_stream(chunks: &mut ByteStream, path: &Path) -> Result<u64> {
    use std::io::Write;
    let io = |e: std::io::Error| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let mut n = 0u64;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        out.write_all(&chunk).map_err(io)?;
        n += chunk.len() as u64;
    }
    out.flush().map_err(io)?;
    Ok(n)
}
