//! Text to speech in canonical form: text and a voice in, audio bytes out.

use super::response::Warning;
use super::JsonMap;
use bytes::Bytes;

/// An audio container or encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioFormat {
    /// MPEG layer 3.
    Mp3,
    /// Opus in Ogg.
    Opus,
    /// AAC.
    Aac,
    /// FLAC.
    Flac,
    /// WAV (PCM with a header).
    Wav,
    /// Raw 16-bit little-endian PCM.
    Pcm,
}

impl AudioFormat {
    /// Every format.
    pub const ALL: [AudioFormat; 6] = [
        AudioFormat::Mp3,
        AudioFormat::Opus,
        AudioFormat::Aac,
        AudioFormat::Flac,
        AudioFormat::Wav,
        AudioFormat::Pcm,
    ];

    /// The wire value (and usual file extension).
    pub fn as_str(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Opus => "opus",
            AudioFormat::Aac => "aac",
            AudioFormat::Flac => "flac",
            AudioFormat::Wav => "wav",
            AudioFormat::Pcm => "pcm",
        }
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Opus => "audio/ogg",
            AudioFormat::Aac => "audio/aac",
            AudioFormat::Flac => "audio/flac",
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Pcm => "audio/pcm",
        }
    }

    /// The format a file name's extension names (`talk.MP3` is MP3; `.ogg` is Opus).
    pub fn from_path(path: &str) -> Option<AudioFormat> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "ogg" | "oga" => Some(AudioFormat::Opus),
            "m4a" => Some(AudioFormat::Aac),
            e => AudioFormat::ALL.into_iter().find(|f| f.as_str() == e),
        }
    }
}

/// A speech request.
///
/// ```
/// use exllm::SpeechRequest;
/// let req = SpeechRequest::new("openai/tts-1", "Hello there", "alloy");
/// assert_eq!(req.voice, "alloy");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpeechRequest {
    /// `provider/model`.
    pub model: String,
    /// The text to speak.
    pub input: String,
    /// The voice, as the provider names it.
    pub voice: String,
    /// The audio format (the server's default, MP3 on OpenAI, when `None`).
    pub format: Option<AudioFormat>,
    /// Speaking speed (1.0 is normal).
    pub speed: Option<f32>,
    /// How to speak (tone, accent), for models that take instructions.
    pub instructions: Option<String>,
    /// Merged into the provider's request body.
    pub provider_options: JsonMap,
}

impl SpeechRequest {
    /// A request for `model` (`provider/model`) speaking `input` with `voice`.
    pub fn new(
        model: impl Into<String>,
        input: impl Into<String>,
        voice: impl Into<String>,
    ) -> Self {
        SpeechRequest {
            model: model.into(),
            input: input.into(),
            voice: voice.into(),
            ..Default::default()
        }
    }
}

/// Spoken audio.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpeechResponse {
    /// The audio bytes, as served.
    pub audio: Bytes,
    /// The response's `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The price in USD, when the catalog prices the model per input character.
    pub cost_usd: Option<f64>,
    /// Settings the provider could not honour.
    pub warnings: Vec<Warning>,
}
