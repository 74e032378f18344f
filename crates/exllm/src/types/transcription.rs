//! Speech to text in canonical form: audio bytes in, text (with segments and word timings
//! when asked for) out. One shape for OpenAI's `/audio/transcriptions` and `/audio/translations`
//! and the servers copying them (Groq, Mistral, ...).

use super::response::Warning;
use super::usage::Usage;
use super::JsonMap;
use bytes::Bytes;

/// The answer format asked of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TranscriptFormat {
    /// `{"text": ...}`.
    Json,
    /// JSON with language, duration, segments and (when asked) words.
    VerboseJson,
    /// Plain text.
    Text,
    /// SubRip subtitles.
    Srt,
    /// WebVTT subtitles.
    Vtt,
}

impl TranscriptFormat {
    /// The wire value of `response_format`.
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptFormat::Json => "json",
            TranscriptFormat::VerboseJson => "verbose_json",
            TranscriptFormat::Text => "text",
            TranscriptFormat::Srt => "srt",
            TranscriptFormat::Vtt => "vtt",
        }
    }

    /// Whether the answer is JSON (else it is the text itself).
    pub fn is_json(self) -> bool {
        matches!(self, TranscriptFormat::Json | TranscriptFormat::VerboseJson)
    }
}

/// Which timings a verbose answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampGranularity {
    /// Word start and end times.
    Word,
    /// Segment start and end times.
    Segment,
}

impl TimestampGranularity {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            TimestampGranularity::Word => "word",
            TimestampGranularity::Segment => "segment",
        }
    }
}

/// A transcription (or, with `translate`, a translation into English) request.
///
/// ```
/// use exllm::TranscriptionRequest;
/// let req = TranscriptionRequest::new("openai/whisper-1", "talk.wav", vec![0u8; 4]);
/// assert_eq!(req.filename, "talk.wav");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptionRequest {
    /// `provider/model`.
    pub model: String,
    /// The audio file's bytes.
    pub audio: Bytes,
    /// The file name sent with it (servers tell the format by its extension).
    pub filename: String,
    /// The audio's media type (`audio/wav`); guessed from the file name when `None`.
    pub media_type: Option<String>,
    /// The spoken language (ISO 639-1), when known.
    pub language: Option<String>,
    /// Text to guide the model (spellings, the previous segment).
    pub prompt: Option<String>,
    /// The answer format (the server's default, JSON, when `None`).
    pub response_format: Option<TranscriptFormat>,
    /// Timings a verbose answer should carry.
    pub timestamp_granularities: Vec<TimestampGranularity>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Translate into English (`/audio/translations`) instead of transcribing.
    pub translate: bool,
    /// Sent as extra form fields (strings as they are, other values as JSON text).
    pub provider_options: JsonMap,
}

impl TranscriptionRequest {
    /// A request for `model` (`provider/model`) over the audio file `filename`'s bytes.
    pub fn new(
        model: impl Into<String>,
        filename: impl Into<String>,
        audio: impl Into<Bytes>,
    ) -> Self {
        TranscriptionRequest {
            model: model.into(),
            filename: filename.into(),
            audio: audio.into(),
            ..Default::default()
        }
    }
}

/// A timed stretch of the transcript.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptSegment {
    /// The server's segment id, when sent.
    pub id: Option<u64>,
    /// Start, in seconds.
    pub start: f64,
    /// End, in seconds.
    pub end: f64,
    /// Its text.
    pub text: String,
    /// Who speaks, where the server tells speakers apart.
    pub speaker: Option<String>,
}

/// One timed word.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptWord {
    /// The word.
    pub word: String,
    /// Start, in seconds.
    pub start: f64,
    /// End, in seconds.
    pub end: f64,
}

/// A transcript.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcription {
    /// The whole text (for subtitle formats, the subtitle file).
    pub text: String,
    /// The language detected or given, as the server names it.
    pub language: Option<String>,
    /// The audio's length in seconds, when reported.
    pub duration: Option<f64>,
    /// Timed segments (verbose answers).
    pub segments: Vec<TranscriptSegment>,
    /// Timed words (verbose answers that asked for word timings).
    pub words: Vec<TranscriptWord>,
    /// Token usage (token-priced models), when reported.
    pub usage: Option<Usage>,
    /// The seconds billed, when the server says (Whisper's `usage.seconds`).
    pub billed_seconds: Option<f64>,
    /// The price in USD, when the catalog prices the model per second or per token.
    pub cost_usd: Option<f64>,
    /// The body as the server sent it.
    pub raw: String,
    /// Settings the provider could not honour.
    pub warnings: Vec<Warning>,
}
