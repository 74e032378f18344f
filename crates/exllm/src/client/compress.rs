//! `Client::compress_history`: the oldest turns of a conversation summarized by a (cheap)
//! model of the caller's choice, through [`crate::context::compress_oldest`].

use super::Client;
use crate::context::{compress_oldest, CompressOptions, Compressed, SUMMARY_PROMPT};
use crate::types::{ChatRequest, Message, Part};
use crate::Result;

impl Client {
    /// Replaces the oldest turns of `messages` (all but the system prompt and the
    /// `opts.keep_recent` newest units) with a summary written by `summary_model`; tool calls
    /// stay with their results. One call to `summary_model`, none when nothing is old enough.
    pub async fn compress_history(
        &self,
        messages: &[Message],
        summary_model: &str,
        opts: &CompressOptions,
    ) -> Result<Compressed> {
        compress_oldest(messages, opts, |old| async move {
            let transcript = transcript(&old);
            let req = ChatRequest::new(
                summary_model,
                vec![Message::system(SUMMARY_PROMPT), Message::user(transcript)],
            );
            Ok(self.chat(req).await?.text())
        })
        .await
    }
}

/// The messages as plain text, tool calls and results written out.
fn transcript(messages: &[Message]) -> String {
    let mut out = String::new();
    for m in messages {
        let role = format!("{:?}", m.role).to_lowercase();
        for p in &m.content {
            match p {
                Part::ToolCall(c) => {
                    out.push_str(&format!("{role}: [calls {}({})]\n", c.name, c.arguments))
                }
                Part::ToolResult(r) => out.push_str(&format!(
                    "tool result: {}\n",
                    serde_json::to_string(&r.content).unwrap_or_default()
                )),
                _ => {}
            }
        }
        let text = m.text();
        if !text.is_empty() {
            out.push_str(&format!("{role}: {text}\n"));
        }
    }
    out
}
