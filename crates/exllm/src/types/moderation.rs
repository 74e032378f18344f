//! Content moderation in canonical form: texts (and image URLs) in, per-input verdicts out,
//! each with the categories as the provider names them.

use super::JsonMap;

/// A moderation request.
///
/// ```
/// use exllm::ModerationRequest;
/// let req = ModerationRequest::new("openai/omni-moderation-latest", ["some text"]);
/// assert_eq!(req.texts, ["some text"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModerationRequest {
    /// `provider/model`.
    pub model: String,
    /// Texts to classify.
    pub texts: Vec<String>,
    /// Images to classify (URLs or `data:` URLs), for models that take images.
    pub image_urls: Vec<String>,
    /// A conversation to classify as a whole, its last turn in the context of the others
    /// (Mistral `/chat/moderations`; other providers refuse it). Used instead of `texts`.
    pub conversation: Vec<super::Message>,
    /// Merged into the provider's request body.
    pub provider_options: JsonMap,
}

impl ModerationRequest {
    /// A request for `model` (`provider/model`) over `texts`.
    pub fn new<S: Into<String>>(
        model: impl Into<String>,
        texts: impl IntoIterator<Item = S>,
    ) -> Self {
        ModerationRequest {
            model: model.into(),
            texts: texts.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// One category of a verdict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModerationCategory {
    /// The provider's name for it (`harassment/threatening`).
    pub name: String,
    /// Whether the input falls in it.
    pub flagged: bool,
    /// The model's score, when sent.
    pub score: Option<f64>,
}

/// The verdict on one input (OpenAI: one for all the inputs of a multi-modal request).
/// Where the provider sends no overall verdict (Mistral), `flagged` says whether any
/// category is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModerationResult {
    /// Whether anything was flagged.
    pub flagged: bool,
    /// Every category the provider reported, sorted by name.
    pub categories: Vec<ModerationCategory>,
}

impl ModerationResult {
    /// The names of the flagged categories, sorted.
    pub fn flagged_categories(&self) -> Vec<&str> {
        self.categories
            .iter()
            .filter(|c| c.flagged)
            .map(|c| c.name.as_str())
            .collect()
    }
}

/// Verdicts, one per result the provider sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModerationResponse {
    /// The provider's response id.
    pub id: Option<String>,
    /// The model, as the provider names it.
    pub model: Option<String>,
    /// The verdicts.
    pub results: Vec<ModerationResult>,
}

impl ModerationResponse {
    /// Whether any result was flagged.
    pub fn flagged(&self) -> bool {
        self.results.iter().any(|r| r.flagged)
    }
}
