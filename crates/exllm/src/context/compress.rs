//! Compressing the oldest turns: everything but the system prompt and the newest turns is
//! handed to a summarizer (typically a cheap model) and replaced by its summary, so a long
//! conversation keeps its gist without its tokens. Turns are cut as whole units (see
//! `units`): a tool call always stays with its results — both kept or both compressed — and
//! with [`CompressOptions::keep_tool_turns`] the tool exchanges among the old turns are kept
//! verbatim, only the talk around them summarized.

use super::units::{is_system, units};
use crate::types::{Message, Part};
use crate::Result;
use std::future::Future;

/// What to keep when compressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressOptions {
    /// Newest units (a user turn, an answer, a tool call with its results) kept verbatim.
    pub keep_recent: usize,
    /// Keep old units holding tool calls verbatim instead of summarizing them.
    pub keep_tool_turns: bool,
}

impl Default for CompressOptions {
    fn default() -> Self {
        CompressOptions {
            keep_recent: 6,
            keep_tool_turns: false,
        }
    }
}

/// A compressed conversation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Compressed {
    /// Leading system messages, the summary (one system message), then the turns kept.
    pub messages: Vec<Message>,
    /// The summary, when anything was compressed.
    pub summary: Option<String>,
    /// How many messages the summary replaced.
    pub compressed: usize,
}

/// Which messages (indices) of `messages` would be summarized under `opts`.
pub fn compressible(messages: &[Message], opts: &CompressOptions) -> Vec<usize> {
    let lead = messages.iter().take_while(|m| is_system(m)).count();
    let rest = &messages[lead..];
    let all = units(rest);
    let old = all.len().saturating_sub(opts.keep_recent);
    all[..old]
        .iter()
        .filter(|u| {
            !(opts.keep_tool_turns
                && rest[(*u).clone()]
                    .iter()
                    .any(|m| m.content.iter().any(|p| matches!(p, Part::ToolCall(_)))))
        })
        .flat_map(|u| u.clone().map(|i| i + lead))
        .collect()
}

/// Summarizes the oldest turns of `messages` with `summarize` (given the messages to compress,
/// returning their summary) and puts the summary after the leading system messages.
/// `summarize` is not called when there is nothing to compress.
///
/// ```
/// use exllm::context::{compress_oldest, CompressOptions};
/// use exllm::Message;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut history = vec![Message::system("Be brief.")];
/// for i in 0..10 {
///     history.push(Message::user(format!("question {i}")));
///     history.push(Message::assistant(format!("answer {i}")));
/// }
/// let opts = CompressOptions { keep_recent: 4, ..Default::default() };
/// let out = compress_oldest(&history, &opts, |old| async move {
///     Ok(format!("{} earlier messages of questions and answers", old.len()))
/// })
/// .await?;
/// assert_eq!(out.compressed, 16);
/// assert_eq!(out.messages.len(), 1 + 1 + 4);
/// # Ok::<(), exllm::Error>(()) }).unwrap();
/// ```
pub async fn compress_oldest<F, Fut>(
    messages: &[Message],
    opts: &CompressOptions,
    summarize: F,
) -> Result<Compressed>
where
    F: FnOnce(Vec<Message>) -> Fut,
    Fut: Future<Output = Result<String>>,
{
    let picked = compressible(messages, opts);
    if picked.is_empty() {
        return Ok(Compressed {
            messages: messages.to_vec(),
            summary: None,
            compressed: 0,
        });
    }
    let old: Vec<Message> = picked.iter().map(|&i| messages[i].clone()).collect();
    let summary = summarize(old).await?;
    let lead = messages.iter().take_while(|m| is_system(m)).count();
    let mut out: Vec<Message> = messages[..lead].to_vec();
    out.push(Message::system(format!(
        "Summary of the earlier conversation:\n{summary}"
    )));
    let mut drop = picked.iter().copied().peekable();
    for (i, m) in messages.iter().enumerate().skip(lead) {
        if drop.peek() == Some(&i) {
            drop.next();
        } else {
            out.push(m.clone());
        }
    }
    Ok(Compressed {
        messages: out,
        summary: Some(summary),
        compressed: picked.len(),
    })
}

/// The instruction a summarizing model is given with the old turns (see
/// `Client::compress_history`): keep facts, decisions, names, numbers and open questions.
pub const SUMMARY_PROMPT: &str = "Summarise the conversation below for the assistant that \
continues it. Keep every fact, decision, name, number, tool result and open question; drop \
pleasantries. Write plain prose, at most 200 words.";
