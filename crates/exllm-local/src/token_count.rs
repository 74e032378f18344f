//! Local models count tokens with their own tokenizer, exactly, through exllm's
//! [`TokenCounter`] trait, so context fitting and cost estimates use the real numbers instead
//! of exllm's calibrated estimate.

use crate::tokenizer::ChatTokenizer;
use exllm::tokens::{MessageRules, TokenCount, TokenCounter};

impl TokenCounter for ChatTokenizer {
    /// The exact count; should the tokenizer ever fail on a text, exllm's generic estimate
    /// (flagged inexact) stands in.
    fn count_text(&self, text: &str) -> TokenCount {
        match self.inner.encode_fast(text, false) {
            Ok(enc) => TokenCount {
                tokens: enc.len() as u64,
                exact: true,
                tokenizer: "hf-tokenizers",
            },
            Err(_) => exllm::tokens::count_text("local/unknown", text),
        }
    }

    /// ChatML and Llama 3 templates frame a message with about four special and separator
    /// tokens plus the role, and prime the reply with three.
    fn message_rules(&self) -> MessageRules {
        let mut rules = MessageRules::GENERIC;
        rules.per_message = 4;
        rules.per_name = 0;
        rules.reply_priming = 3;
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenizers::Tokenizer;

    #[test]
    fn counts_with_the_model_tokenizer() {
        let json = r#"{"version": "1.0", "truncation": null, "padding": null,
            "added_tokens": [], "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null, "decoder": null, "model": {"type": "WordLevel",
            "vocab": {"hello": 0, "world": 1, "[UNK]": 2}, "unk_token": "[UNK]"}}"#;
        let inner = Tokenizer::from_bytes(json).unwrap();
        let tk = ChatTokenizer {
            inner,
            bos: None,
            eos: None,
            add_bos: false,
            end_ids: vec![],
        };
        let n = tk.count_text("hello world again");
        assert_eq!((n.tokens, n.exact, n.tokenizer), (3, true, "hf-tokenizers"));
        let msgs = [exllm::Message::user("hello world")];
        let total = exllm::tokens::count_messages_with(&tk, &msgs, &[]);
        assert_eq!(total.tokens, 4 + 1 + 2 + 3);
    }
}
