//! The wire APIs of the calls other than chat, by the names the command line takes
//! (`--api openai-embed`, `rerank`, ...). Each is served by the codec of one chat [`Api`]
//! family — OpenAI-compatible hosts serve `/embeddings`, `/rerank` and the media endpoints
//! next to `/chat/completions` — so choosing one means choosing that family's codec.

use super::Api;
use crate::error::{Error, ErrorKind, Result};
use std::fmt;
use std::str::FromStr;

/// What a call does, for the APIs other than chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Task {
    /// Embeddings.
    Embed,
    /// Reranking.
    Rerank,
    /// Image generation.
    Image,
    /// Speech to text.
    Transcribe,
    /// Content moderation.
    Moderate,
    /// Text to speech.
    Speech,
}

/// A wire API for a call other than chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServiceApi {
    /// OpenAI-style `/embeddings` (OpenAI, Voyage, Jina, Mistral, Together, ...).
    OpenAiEmbed,
    /// Gemini `batchEmbedContents`.
    GeminiEmbed,
    /// Cohere v2 `/embed`.
    CohereEmbed,
    /// Ollama `/api/embed`.
    OllamaEmbed,
    /// Cohere v2 `/rerank`.
    CohereRerank,
    /// The Jina / Voyage / Together `/rerank`.
    Rerank,
    /// OpenAI `/images/generations`.
    OpenAiImages,
    /// OpenAI `/audio/transcriptions` and `/audio/translations`.
    OpenAiTranscribe,
    /// OpenAI `/moderations`.
    OpenAiModerations,
    /// OpenAI `/audio/speech`.
    OpenAiSpeech,
}

impl ServiceApi {
    /// Every such API.
    pub const ALL: [ServiceApi; 10] = [
        ServiceApi::OpenAiEmbed,
        ServiceApi::GeminiEmbed,
        ServiceApi::CohereEmbed,
        ServiceApi::OllamaEmbed,
        ServiceApi::CohereRerank,
        ServiceApi::Rerank,
        ServiceApi::OpenAiImages,
        ServiceApi::OpenAiTranscribe,
        ServiceApi::OpenAiModerations,
        ServiceApi::OpenAiSpeech,
    ];

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceApi::OpenAiEmbed => "openai-embed",
            ServiceApi::GeminiEmbed => "gemini-embed",
            ServiceApi::CohereEmbed => "cohere-embed",
            ServiceApi::OllamaEmbed => "ollama-embed",
            ServiceApi::CohereRerank => "cohere-rerank",
            ServiceApi::Rerank => "rerank",
            ServiceApi::OpenAiImages => "openai-images",
            ServiceApi::OpenAiTranscribe => "openai-transcribe",
            ServiceApi::OpenAiModerations => "openai-moderations",
            ServiceApi::OpenAiSpeech => "openai-speech",
        }
    }

    /// What calls it serves.
    pub fn task(self) -> Task {
        match self {
            ServiceApi::OpenAiEmbed
            | ServiceApi::GeminiEmbed
            | ServiceApi::CohereEmbed
            | ServiceApi::OllamaEmbed => Task::Embed,
            ServiceApi::CohereRerank | ServiceApi::Rerank => Task::Rerank,
            ServiceApi::OpenAiImages => Task::Image,
            ServiceApi::OpenAiTranscribe => Task::Transcribe,
            ServiceApi::OpenAiModerations => Task::Moderate,
            ServiceApi::OpenAiSpeech => Task::Speech,
        }
    }

    /// The chat API family whose codec serves it.
    pub fn api(self) -> Api {
        match self {
            ServiceApi::GeminiEmbed => Api::Gemini,
            ServiceApi::CohereEmbed | ServiceApi::CohereRerank => Api::Cohere,
            ServiceApi::OllamaEmbed => Api::Ollama,
            _ => Api::OpenAiChat,
        }
    }

    /// Parses `s` as an API serving `task`, saying which would when it names none.
    pub fn parse_for(s: &str, task: Task) -> Result<ServiceApi> {
        let api: ServiceApi = s.parse()?;
        if api.task() == task {
            return Ok(api);
        }
        let fit: Vec<&str> = ServiceApi::ALL
            .iter()
            .filter(|a| a.task() == task)
            .map(|a| a.as_str())
            .collect();
        Err(Error::new(
            ErrorKind::Config,
            format!(
                "API `{s}` does not serve this call (use: {})",
                fit.join(", ")
            ),
        ))
    }
}

impl fmt::Display for ServiceApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServiceApi {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        ServiceApi::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = ServiceApi::ALL.iter().map(|a| a.as_str()).collect();
                Error::new(
                    ErrorKind::Config,
                    format!("unknown API `{s}` (known: {})", known.join(", ")),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_their_task() {
        for a in ServiceApi::ALL {
            assert_eq!(a.as_str().parse::<ServiceApi>().unwrap(), a);
            assert_eq!(ServiceApi::parse_for(a.as_str(), a.task()).unwrap(), a);
        }
        assert_eq!(ServiceApi::CohereRerank.api(), Api::Cohere);
        assert_eq!(ServiceApi::Rerank.api(), Api::OpenAiChat);
        let e = ServiceApi::parse_for("rerank", Task::Embed).unwrap_err();
        assert!(e.message().contains("openai-embed"), "{e}");
        assert_eq!(
            "chat".parse::<ServiceApi>().unwrap_err().kind(),
            ErrorKind::Config
        );
    }
}
