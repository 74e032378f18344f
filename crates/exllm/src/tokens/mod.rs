//! Token counting before a request is sent: to fit a context window, to budget cost, to split
//! documents.
//!
//! OpenAI models are counted exactly with their own BPE tables when the `tiktoken` feature is
//! on. Every other model — and OpenAI's without the feature — gets a calibrated estimate
//! (see the `estimate` module's notes for the measured error). A [`TokenCount`] always says
//! which it is, so a caller can leave a margin for estimates. Providers with their own
//! tokenizer (local models) plug in through [`TokenCounter`]; message framing, tool
//! definitions and images follow each provider's rules ([`MessageRules`], [`ImageRule`]).
//!
//! ```
//! use exllm::tokens::{count_messages, count_text};
//! use exllm::Message;
//! let n = count_text("anthropic/claude-sonnet-4-5", "Hello, world!");
//! assert!(!n.exact && n.tokens > 0);
//! let total = count_messages("openai/gpt-4o", &[Message::user("Hi")], &[]);
//! assert!(total.tokens >= 8);
//! ```

mod estimate;
mod family;
mod image;
mod messages;
#[cfg(feature = "tiktoken")]
mod tiktoken;

pub use family::{Encoding, Family};
pub use image::ImageRule;
pub use messages::{count_fixed_with, count_message_with, count_messages_with, MessageRules};
#[cfg(feature = "tiktoken")]
pub use tiktoken::bpe;

use crate::types::{Message, Tool};
use estimate::Profile;
use std::ops::Add;

/// A token count, and whether it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenCount {
    /// The number of tokens.
    pub tokens: u64,
    /// `true` when counted with the model's own tokenizer and documented framing; `false`
    /// for an estimate.
    pub exact: bool,
    /// What counted: `o200k_base`, `cl100k_base`, `estimate:anthropic`, ...
    pub tokenizer: &'static str,
}

impl TokenCount {
    /// Zero tokens, exactly.
    pub fn zero(tokenizer: &'static str) -> TokenCount {
        TokenCount {
            tokens: 0,
            exact: true,
            tokenizer,
        }
    }
}

impl Add for TokenCount {
    type Output = TokenCount;

    /// The sum; exact only when both are. The left side's tokenizer name is kept.
    fn add(self, rhs: TokenCount) -> TokenCount {
        TokenCount {
            tokens: self.tokens.saturating_add(rhs.tokens),
            exact: self.exact && rhs.exact,
            tokenizer: self.tokenizer,
        }
    }
}

/// Something that can count the tokens of a text: a model's tokenizer or an estimate.
///
/// Implement it for a provider with its own tokenizer (exllm-local does so for its models)
/// and use it with [`count_messages_with`]. Counting must not panic on any input.
///
/// ```
/// use exllm::tokens::{count_messages_with, TokenCount, TokenCounter};
/// struct Chars;
/// impl TokenCounter for Chars {
///     fn count_text(&self, text: &str) -> TokenCount {
///         TokenCount { tokens: text.chars().count() as u64, exact: true, tokenizer: "chars" }
///     }
/// }
/// assert_eq!(Chars.count_text("abc").tokens, 3);
/// let n = count_messages_with(&Chars, &[exllm::Message::user("abc")], &[]);
/// assert!(n.tokens > 3 && !n.exact);
/// ```
pub trait TokenCounter: Send + Sync {
    /// Tokens of `text` as plain content (special-token markup counts as ordinary text).
    fn count_text(&self, text: &str) -> TokenCount;

    /// How messages, tools and images are framed; generic estimates unless overridden.
    fn message_rules(&self) -> MessageRules {
        MessageRules::GENERIC
    }
}

/// The counter exllm picks for a `provider/model` name: tiktoken for OpenAI encodings (with
/// the `tiktoken` feature), a calibrated estimate otherwise, and the provider's message rules.
#[derive(Debug, Clone, Copy)]
pub struct ModelCounter {
    encoding: Option<Encoding>,
    profile: Profile,
    rules: MessageRules,
}

impl ModelCounter {
    /// The counter for `model` (`provider/model`); never fails, unknown models are estimated.
    pub fn new(model: &str) -> ModelCounter {
        let encoding = Encoding::for_model(model);
        let profile = match encoding {
            Some(e) => Profile::for_encoding(e),
            None => Profile::for_family(Family::for_model(model)),
        };
        ModelCounter {
            encoding,
            profile,
            rules: MessageRules::for_model(model),
        }
    }

    /// The exact encoding used, if any (`None` when counts are estimated).
    pub fn encoding(&self) -> Option<Encoding> {
        if cfg!(feature = "tiktoken") {
            self.encoding
        } else {
            None
        }
    }
}

impl TokenCounter for ModelCounter {
    fn count_text(&self, text: &str) -> TokenCount {
        #[cfg(feature = "tiktoken")]
        if let Some(enc) = self.encoding {
            if let Some(tokens) = tiktoken::count(enc, text) {
                return TokenCount {
                    tokens,
                    exact: true,
                    tokenizer: enc.name(),
                };
            }
        }
        TokenCount {
            tokens: self.profile.estimate(text),
            exact: false,
            tokenizer: self.profile.name,
        }
    }

    fn message_rules(&self) -> MessageRules {
        self.rules
    }
}

/// Tokens of `text` for `model` (`provider/model`).
///
/// ```
/// let n = exllm::tokens::count_text("openai/gpt-4o", "hello world");
/// # #[cfg(feature = "tiktoken")]
/// assert_eq!((n.tokens, n.exact, n.tokenizer), (2, true, "o200k_base"));
/// ```
pub fn count_text(model: &str, text: &str) -> TokenCount {
    ModelCounter::new(model).count_text(text)
}

/// Tokens of a request to `model`: messages with their framing, reply priming and tools.
pub fn count_messages(model: &str, messages: &[Message], tools: &[Tool]) -> TokenCount {
    count_messages_with(&ModelCounter::new(model), messages, tools)
}

#[cfg(test)]
mod tests;
