//! Counting whole conversations: text plus the framing each provider wraps around it.
//!
//! A chat API does not bill the bare text. OpenAI's chat format frames every message with a
//! few special tokens (3 per message, 1 more for a `name`, 3 to prime the reply), renders tool
//! definitions into a hidden system section, and Anthropic adds a documented tool-use system
//! prompt (346 tokens). [`MessageRules`] holds those constants per provider; where a provider
//! documents nothing, the constants are estimates and the count is flagged inexact.

use super::image::{inline_size, ImageRule};
use super::{TokenCount, TokenCounter};
use crate::types::{ImageDetail, Message, Part, Role, Tool};

/// The framing a provider adds around messages and tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageRules {
    /// Tokens framing each message (role markers, separators).
    pub per_message: u64,
    /// Extra tokens when a message carries a participant name.
    pub per_name: u64,
    /// Tokens that prime the model's reply, once per request.
    pub reply_priming: u64,
    /// Framing of each tool call in an assistant message.
    pub per_tool_call: u64,
    /// Framing of each tool definition.
    pub per_tool: u64,
    /// Added once when any tool is defined (a hidden tool-use prompt).
    pub tools_preamble: u64,
    /// How images are charged.
    pub image: ImageRule,
    /// Whether the message framing is documented (so plain-text counts can be exact).
    pub documented: bool,
}

impl MessageRules {
    /// OpenAI chat: 3 per message, 1 per name, 3 to prime the reply (documented); tool
    /// framing estimated.
    pub const OPENAI: MessageRules = MessageRules {
        per_message: 3,
        per_name: 1,
        reply_priming: 3,
        per_tool_call: 3,
        per_tool: 7,
        tools_preamble: 12,
        image: ImageRule::OpenAi,
        documented: true,
    };
    /// Anthropic: the documented 346-token tool-use prompt; message framing estimated.
    pub const ANTHROPIC: MessageRules = MessageRules {
        per_message: 3,
        per_name: 0,
        reply_priming: 3,
        per_tool_call: 5,
        per_tool: 5,
        tools_preamble: 346,
        image: ImageRule::Anthropic,
        documented: false,
    };
    /// Gemini: turn markers estimated, 258 tokens per image tile.
    pub const GEMINI: MessageRules = MessageRules {
        per_message: 4,
        per_name: 0,
        reply_priming: 2,
        per_tool_call: 5,
        per_tool: 5,
        tools_preamble: 20,
        image: ImageRule::Gemini,
        documented: false,
    };
    /// Any other provider: a chat template's typical framing, estimated.
    pub const GENERIC: MessageRules = MessageRules {
        per_message: 4,
        per_name: 1,
        reply_priming: 3,
        per_tool_call: 5,
        per_tool: 10,
        tools_preamble: 50,
        image: ImageRule::Fixed(768),
        documented: false,
    };

    /// The rules of the provider a `provider/model` name routes to.
    pub fn for_model(model: &str) -> MessageRules {
        if super::Encoding::for_model(model).is_some() {
            return MessageRules::OPENAI;
        }
        match super::Family::for_model(model) {
            super::Family::OpenAi => MessageRules::OPENAI,
            super::Family::Anthropic => MessageRules::ANTHROPIC,
            super::Family::Gemini => MessageRules::GEMINI,
            _ => MessageRules::GENERIC,
        }
    }
}

/// Adds text counts to a running total.
struct Tally<'a> {
    counter: &'a dyn TokenCounter,
    total: TokenCount,
}

impl Tally<'_> {
    fn text(&mut self, text: &str) {
        self.total = self.total + self.counter.count_text(text);
    }

    fn fixed(&mut self, n: u64, documented: bool) {
        self.total.tokens = self.total.tokens.saturating_add(n);
        self.total.exact &= documented || n == 0;
    }

    fn parts(&mut self, parts: &[Part], rules: &MessageRules) {
        for part in parts {
            match part {
                Part::Text { text } | Part::Refusal { text } => self.text(text),
                Part::Image { source, detail, .. } => {
                    let size = inline_size(source);
                    let n = rules.image.tokens(size, *detail);
                    let known = match rules.image {
                        ImageRule::Fixed(_) => false,
                        ImageRule::OpenAi if *detail == Some(ImageDetail::Low) => true,
                        _ => size.is_some(),
                    };
                    self.fixed(n, known);
                }
                Part::File { filename, .. } => {
                    self.text(filename.as_deref().unwrap_or_default());
                    self.fixed(FILE_TOKENS, false);
                }
                Part::ToolCall(call) => {
                    self.text(&call.id);
                    self.text(&call.name);
                    self.text(&call.arguments_text());
                    self.fixed(rules.per_tool_call, false);
                }
                Part::ToolResult(result) => {
                    self.text(&result.call_id);
                    self.parts(&result.content, rules);
                }
                Part::Reasoning(r) => {
                    self.text(&r.text);
                    // Opaque reasoning is sent back but cannot be tokenized: ~4 bytes a token.
                    let opaque = r.encrypted.as_deref().map_or(0, str::len) as u64;
                    self.fixed(opaque / 4, false);
                }
                Part::ProviderItem(item) => self.text(&item.raw.to_string()),
                _ => {}
            }
        }
    }
}

/// A document of unknown length (a PDF, say): about one page.
const FILE_TOKENS: u64 = 1_500;

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User => "user",
        Role::Assistant => "assistant",
        _ => "tool",
    }
}

/// Tokens of one message, framing included (not the once-per-request reply priming).
pub fn count_message_with(counter: &dyn TokenCounter, message: &Message) -> TokenCount {
    let rules = counter.message_rules();
    let mut t = Tally {
        counter,
        total: TokenCount::zero(counter.count_text("").tokenizer),
    };
    t.fixed(rules.per_message, rules.documented);
    t.text(role_name(message.role));
    if let Some(name) = &message.name {
        t.text(name);
        t.fixed(rules.per_name, rules.documented);
    }
    t.parts(&message.content, &rules);
    t.total
}

/// Tokens a request costs besides its messages: reply priming and tool definitions.
pub fn count_fixed_with(counter: &dyn TokenCounter, tools: &[Tool]) -> TokenCount {
    let rules = counter.message_rules();
    let mut t = Tally {
        counter,
        total: TokenCount::zero(counter.count_text("").tokenizer),
    };
    t.fixed(rules.reply_priming, rules.documented);
    if !tools.is_empty() {
        t.fixed(rules.tools_preamble, false);
    }
    for tool in tools {
        t.fixed(rules.per_tool, false);
        t.text(&tool.name);
        t.text(tool.description.as_deref().unwrap_or_default());
        if !tool.parameters.is_null() {
            t.text(&tool.parameters.to_string());
        }
    }
    t.total
}

/// Tokens of a whole request: every message, the reply priming and the tool definitions.
///
/// ```
/// use exllm::tokens::{count_messages_with, ModelCounter};
/// use exllm::Message;
/// let counter = ModelCounter::new("openai/gpt-4o");
/// let n = count_messages_with(&counter, &[Message::user("hello")], &[]);
/// // 3 framing + 1 role + 1 text + 3 reply priming.
/// # #[cfg(feature = "tiktoken")]
/// assert_eq!((n.tokens, n.exact), (8, true));
/// ```
pub fn count_messages_with(
    counter: &dyn TokenCounter,
    messages: &[Message],
    tools: &[Tool],
) -> TokenCount {
    messages
        .iter()
        .fold(count_fixed_with(counter, tools), |acc, m| {
            acc + count_message_with(counter, m)
        })
}
