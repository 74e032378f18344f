//! The client's calls other than chat and embeddings: image generation, transcription,
//! speech and moderation. Each picks the provider from `provider/model` like chat, hands it the
//! request with the bare model name, and prices the answer from the catalog where the model
//! has a price for what it measures (images, seconds, characters, tokens).

use super::{split_model, Client, SpeechStream};
use crate::catalog::{ModelEntry, PriceSet};
use crate::error::Result;
use crate::types::{
    ImageRequest, ImageResponse, ModerationRequest, ModerationResponse, SpeechRequest,
    SpeechResponse, Transcription, TranscriptionRequest, Usage,
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
        let entry = self.model_entry(&req.model);
        let provider = self.bare(&mut req.model)?;
        let mut resp = provider.generate_image(req).await?;
        resp.cost_usd = entry.and_then(|m| image_cost(m, &resp));
        Ok(resp)
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
        let entry = self.model_entry(&req.model);
        let provider = self.bare(&mut req.model)?;
        let mut t = provider.transcribe(req).await?;
        t.cost_usd = entry.and_then(|m| transcription_cost(m, &t));
        Ok(t)
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
        let entry = self.model_entry(&req.model);
        let characters = req.input.chars().count() as f64;
        let provider = self.bare(&mut req.model)?;
        let mut resp = provider.speak(req).await?;
        resp.cost_usd = entry.and_then(|m| Some(price(m, |p| p.input_per_character)? * characters));
        Ok(resp)
    }

    /// Speaks text with a voice, handing the audio over as it downloads (to write or play it
    /// without holding the whole file). Retries happen before the first byte, as for chat.
    pub async fn speak_stream(&self, mut req: SpeechRequest) -> Result<SpeechStream> {
        let entry = self.model_entry(&req.model);
        let characters = req.input.chars().count() as f64;
        let provider = self.bare(&mut req.model)?;
        let mut stream = provider.speak_stream(req).await?;
        stream.cost_usd =
            entry.and_then(|m| Some(price(m, |p| p.input_per_character)? * characters));
        Ok(stream)
    }

    /// Classifies texts (and images) against the provider's content policy.
    pub async fn moderate(&self, mut req: ModerationRequest) -> Result<ModerationResponse> {
        let provider = self.bare(&mut req.model)?;
        provider.moderate(req).await
    }

    /// The provider `model` names, leaving the bare model name in `model`.
    fn bare(&self, model: &mut String) -> Result<std::sync::Arc<dyn super::Backend>> {
        let (provider, name) = split_model(model)?;
        let name = name.to_owned();
        let provider = self.provider(provider)?;
        *model = name;
        Ok(provider)
    }
}

fn price(m: &ModelEntry, field: impl Fn(&PriceSet) -> Option<f64>) -> Option<f64> {
    m.price(0, false, field)
}

/// Input tokens at `input`, output tokens at `output`; `None` unless both counts and prices
/// are known (a part left out would understate the cost).
fn token_cost(usage: &Usage, input: Option<f64>, output: Option<f64>) -> Option<f64> {
    Some(usage.input_tokens? as f64 * input? + usage.output_tokens? as f64 * output?)
}

/// Per image where the catalog says so, else by tokens (gpt-image models).
fn image_cost(m: &ModelEntry, resp: &ImageResponse) -> Option<f64> {
    if let Some(p) = price(m, |p| p.output_image) {
        return Some(p * resp.images.len() as f64);
    }
    let output = price(m, |p| p.output_image_token).or_else(|| price(m, |p| p.output));
    token_cost(resp.usage.as_ref()?, price(m, |p| p.input), output)
}

/// Per second of audio (the seconds billed, else the duration) where the catalog says so, else
/// by tokens.
fn transcription_cost(m: &ModelEntry, t: &Transcription) -> Option<f64> {
    let per_second =
        price(m, |p| p.input_per_second).or_else(|| price(m, |p| p.input_audio_per_second));
    if let (Some(p), Some(s)) = (per_second, t.billed_seconds.or(t.duration)) {
        return Some(p * s);
    }
    let input = price(m, |p| p.input_audio).or_else(|| price(m, |p| p.input));
    token_cost(t.usage.as_ref()?, input, price(m, |p| p.output))
}
