//! The client's calls other than chat and embeddings: image generation, transcription,
//! speech and moderation. Each picks the provider from `provider/model` like chat and hands
//! it the request with the bare model name; typed errors come back as they are.

use super::{split_model, Client};
use crate::error::Result;
use crate::types::{
    ImageRequest, ImageResponse, ModerationRequest, ModerationResponse, SpeechRequest,
    SpeechResponse, Transcription, TranscriptionRequest,
};

impl Client {
    /// Generates images from a prompt (`openai/gpt-image-1`, `together/...`).
    ///
    /// ```no_run
    /// # async fn run() -> exllm::Result<()> {
    /// use exllm::{Client, ImageRequest};
    /// let client = Client::from_env()?;
    /// let resp = client.generate_image(ImageRequest::new("openai/gpt-image-1", "a red kite")).await?;
    /// let png = resp.images[0].data.as_deref();
    /// # Ok(()) }
    /// ```
    pub async fn generate_image(&self, mut req: ImageRequest) -> Result<ImageResponse> {
        let provider = self.bare(&mut req.model)?;
        provider.generate_image(req).await
    }

    /// Transcribes audio (or, with `translate`, translates it into English).
    ///
    /// ```no_run
    /// # async fn run() -> exllm::Result<()> {
    /// use exllm::{Client, TranscriptionRequest};
    /// let client = Client::from_env()?;
    /// let audio = std::fs::read("talk.wav").unwrap();
    /// let t = client.transcribe(TranscriptionRequest::new("openai/whisper-1", "talk.wav", audio)).await?;
    /// println!("{}", t.text);
    /// # Ok(()) }
    /// ```
    pub async fn transcribe(&self, mut req: TranscriptionRequest) -> Result<Transcription> {
        let provider = self.bare(&mut req.model)?;
        provider.transcribe(req).await
    }

    /// Speaks text with a voice; the audio comes back as served.
    ///
    /// ```no_run
    /// # async fn run() -> exllm::Result<()> {
    /// use exllm::{Client, SpeechRequest};
    /// let client = Client::from_env()?;
    /// let speech = client.speak(SpeechRequest::new("openai/tts-1", "Hello", "alloy")).await?;
    /// std::fs::write("hello.mp3", &speech.audio).unwrap();
    /// # Ok(()) }
    /// ```
    pub async fn speak(&self, mut req: SpeechRequest) -> Result<SpeechResponse> {
        let provider = self.bare(&mut req.model)?;
        provider.speak(req).await
    }

    /// Classifies texts (and images) against the provider's content policy.
    pub async fn moderate(&self, mut req: ModerationRequest) -> Result<ModerationResponse> {
        let provider = self.bare(&mut req.model)?;
        provider.moderate(req).await
    }

    /// The provider `model` names, leaving the bare model name in `model`.
    fn bare(&self, model: &mut String) -> Result<std::sync::Arc<dyn super::ChatProvider>> {
        let (provider, name) = split_model(model)?;
        let name = name.to_owned();
        let provider = self.provider(provider)?;
        *model = name;
        Ok(provider)
    }
}
