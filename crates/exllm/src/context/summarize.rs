//! Fitting by summary: the turns that do not fit are replaced by one message describing them.
//!
//! Summarizing is the caller's call to make (which model, which prompt, what it costs), so it
//! comes in as an async callback; this module decides what to summarize and where the summary
//! goes. A tenth of the budget (at most 2,000 tokens) is set aside for the summary. If the
//! summary comes back longer than that, more of the oldest turns are dropped (and reported)
//! rather than exceeding the window.

use super::fit::Costed;
use super::units::is_system;
use super::{FitOptions, Fitted, TokenBudget};
use crate::tokens::{count_message_with, ModelCounter};
use crate::types::Message;
use crate::Result;
use std::future::Future;

/// Like [`super::fit_to_context`], but the dropped messages are handed to `summarize`, and its
/// answer goes back into the conversation as one system message after the leading system
/// messages. `summarize` is not called when everything fits.
///
/// ```
/// use exllm::context::{fit_to_context_with_summary, FitOptions};
/// use exllm::Message;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut history = vec![Message::system("Be brief.")];
/// for i in 0..100 {
///     history.push(Message::user(format!("question {i} ").repeat(40)));
///     history.push(Message::assistant(format!("answer {i} ").repeat(40)));
/// }
/// let opts = FitOptions::default().with_context_window(6_000).with_max_output_tokens(500);
/// let fitted = fit_to_context_with_summary(&history, "openai/gpt-4o", &opts, |dropped| async move {
///     Ok(format!("{} earlier messages about questions and answers.", dropped.len()))
/// })
/// .await?;
/// assert!(fitted.summary.is_some() && fitted.tokens.tokens <= fitted.budget);
/// assert!(fitted.messages[1].text().contains("earlier messages"));
/// # Ok::<(), exllm::Error>(()) }).unwrap();
/// ```
pub async fn fit_to_context_with_summary<F, Fut>(
    messages: &[Message],
    model: &str,
    opts: &FitOptions,
    summarize: F,
) -> Result<Fitted>
where
    F: FnOnce(Vec<Message>) -> Fut,
    Fut: Future<Output = Result<String>>,
{
    let costed = Costed::new(messages, model, opts);
    let budget = TokenBudget::resolve(model, opts, costed.exact())?.input;
    let keep = costed.plan(messages, opts.strategy, budget, 0)?;
    if keep.iter().all(|k| *k) {
        return Ok(costed.apply(messages, &keep, budget));
    }
    let reserve = (budget / 10).min(2_000);
    let keep = costed
        .plan(messages, opts.strategy, budget, reserve)
        .or_else(|_| costed.plan(messages, opts.strategy, budget, 0))?;
    let dropped: Vec<Message> = messages
        .iter()
        .zip(&keep)
        .filter(|(_, k)| !**k)
        .map(|(m, _)| m.clone())
        .collect();
    let summary = summarize(dropped).await?;
    let note = Message::system(format!("Summary of the earlier conversation:\n{summary}"));
    let note_cost = count_message_with(&ModelCounter::new(model), &note);
    // Re-plan with the summary's real size; this only drops more when it overran the reserve.
    let keep = if note_cost.tokens <= reserve {
        keep
    } else {
        costed.plan(messages, opts.strategy, budget, note_cost.tokens)?
    };
    let mut fitted = costed.apply(messages, &keep, budget);
    let at = fitted
        .messages
        .iter()
        .position(|m| !is_system(m))
        .unwrap_or(fitted.messages.len());
    fitted.messages.insert(at, note);
    fitted.tokens = fitted.tokens + note_cost;
    fitted.summary = Some(summary);
    Ok(fitted)
}
