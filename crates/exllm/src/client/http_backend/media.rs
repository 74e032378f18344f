//! The HTTP provider's calls other than chat, embeddings and reranking: image generation,
//! transcription, speech and moderation. Each is the codec's encode and decode around the
//! same `send` as chat, so retries, timeouts, the breaker, redaction and logging apply alike.

use super::HttpBackend;
use crate::client::SpeechStream;
use crate::error::{Error, ErrorKind, Result, TimeoutKind};
use crate::transport::{limit, HttpTransport};
use crate::types::{
    ImageRequest, ImageResponse, ModerationRequest, ModerationResponse, SpeechRequest,
    SpeechResponse, Transcription, TranscriptionRequest,
};

impl HttpBackend {
    pub(super) async fn image_call(&self, req: ImageRequest) -> Result<ImageResponse> {
        let codec = self.inner.codec;
        let (mut out, notes) = self
            .call(
                |ep| codec.encode_image(&req, &req.model, ep),
                |b| codec.decode_image(b),
            )
            .await?;
        out.warnings.splice(0..0, notes.warnings);
        Ok(out)
    }

    pub(super) async fn transcribe_call(&self, req: TranscriptionRequest) -> Result<Transcription> {
        let codec = self.inner.codec;
        let format = req.response_format;
        let (mut out, notes) = self
            .call(
                |ep| codec.encode_transcription(&req, &req.model, ep),
                |b| codec.decode_transcription(b, format),
            )
            .await?;
        out.warnings.splice(0..0, notes.warnings);
        Ok(out)
    }

    pub(super) async fn moderate_call(&self, req: ModerationRequest) -> Result<ModerationResponse> {
        let codec = self.inner.codec;
        let (out, _) = self
            .call(
                |ep| codec.encode_moderation(&req, &req.model, ep),
                |b| codec.decode_moderation(b),
            )
            .await?;
        Ok(out)
    }

    /// Speech handed over as it downloads. A JSON answer is read whole and refused the way
    /// `speech_call` refuses it, so a stream only ever carries audio.
    pub(super) async fn speech_stream_call(&self, req: SpeechRequest) -> Result<SpeechStream> {
        let codec = self.inner.codec;
        let provider = &self.inner.endpoint.provider;
        let t = self.policy(None);
        let deadline = t.timeouts.total.map(|d| tokio::time::Instant::now() + d);
        let send = self.send(&t, |ep| codec.encode_speech(&req, &req.model, ep));
        let (resp, notes) = limit(t.timeouts.total, TimeoutKind::Total, provider, send).await?;
        let content_type = resp
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if content_type
            .as_deref()
            .is_some_and(|c| c.trim_start().starts_with("application/json"))
        {
            let body = self.inner.transport.read_body(resp, provider).await?;
            let e = codec
                .decode_speech(body, content_type.as_deref())
                .err()
                .unwrap_or_else(|| {
                    Error::new(ErrorKind::Decode, "the speech endpoint answered JSON")
                });
            return Err(self.redact(e.with_provider(provider.clone())));
        }
        let chunks = HttpTransport::body_chunks(resp, provider.clone(), t.timeouts.stall, deadline);
        let mut stream = SpeechStream::new(chunks, content_type);
        stream.warnings = notes.warnings;
        Ok(stream)
    }

    /// Speech needs the response's `Content-Type` besides its body, so it reads the body
    /// itself rather than through `call`; the audio is kept as the transport's bytes.
    pub(super) async fn speech_call(&self, req: SpeechRequest) -> Result<SpeechResponse> {
        let codec = self.inner.codec;
        let provider = &self.inner.endpoint.provider;
        let t = self.policy(None);
        limit(t.timeouts.total, TimeoutKind::Total, provider, async {
            let (resp, notes) = self
                .send(&t, |ep| codec.encode_speech(&req, &req.model, ep))
                .await?;
            let content_type = resp
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = self.inner.transport.read_body(resp, provider).await?;
            let mut out = codec
                .decode_speech(body, content_type.as_deref())
                .map_err(|e| self.redact(e.with_provider(provider.clone())))?;
            out.warnings.splice(0..0, notes.warnings);
            Ok(out)
        })
        .await
    }
}
