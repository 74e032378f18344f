//! Building the continuation of an interrupted answer and merging it with what was kept:
//! plain functions over requests and responses, so every strategy is tested without I/O.

use super::ResumeStrategy;
use crate::types::{ChatRequest, ChatResponse, Message, Part, Usage};

/// The text of the partial answer a strategy keeps (tool calls and reasoning are not kept:
/// they are regenerated whole).
pub(crate) fn kept_text(partial: &ChatResponse, strategy: ResumeStrategy) -> String {
    let text = partial.text();
    match strategy {
        ResumeStrategy::Paragraph => match text.rfind("\n\n") {
            Some(i) => text[..i + 2].to_owned(),
            None => String::new(),
        },
        _ => text,
    }
}

/// The output budget left for the continuation: the request's `max_tokens` less what the
/// kept text used (the provider's count when all of the partial is kept, else an estimate of
/// four characters a token), so the whole answer stays within the original limit.
pub(crate) fn budget_left(
    max_tokens: Option<u32>,
    partial: &ChatResponse,
    kept: &str,
    strategy: ResumeStrategy,
) -> Option<u32> {
    let max = max_tokens?;
    let reported = partial.usage.as_ref().and_then(|u| u.output_tokens);
    let used = match (strategy, reported) {
        (ResumeStrategy::Exact, Some(n)) => n,
        _ => (kept.chars().count() as u64).div_ceil(4),
    };
    Some(max.saturating_sub(u32::try_from(used).unwrap_or(u32::MAX)))
}

/// The request that continues the answer. With `kept` text: sent back as the start of the
/// assistant's turn (trailing whitespace removed, which prefill APIs reject), followed by an
/// instruction when the model cannot continue a prefill. With a `summary`: an instruction to
/// continue after what it summarises. With neither: the original request again.
pub(crate) fn continuation(
    orig: &ChatRequest,
    kept: &str,
    prefill: bool,
    summary: Option<&str>,
    budget: Option<u32>,
) -> ChatRequest {
    let mut req = orig.clone();
    if budget.is_some() {
        req.max_tokens = budget;
    }
    if let Some(s) = summary {
        req.messages.push(Message::user(format!(
            "Your previous answer was interrupted. What you had written so far, summarised:\n\
             {s}\nContinue the answer from where it stopped, without repeating what was \
             already written."
        )));
    } else if !kept.trim().is_empty() {
        req.messages.push(Message::assistant(kept.trim_end()));
        if !prefill {
            req.messages.push(Message::user(
                "Your answer above was cut off. Continue it exactly from where it stops, \
                 without repeating anything already written.",
            ));
        }
    }
    req
}

/// The request asking for a summary of what was received.
pub(crate) fn summary_request(orig: &ChatRequest, text: &str) -> ChatRequest {
    ChatRequest::new(
        orig.model.clone(),
        vec![
            Message::system(
                "Summarise the text the user gives in a few sentences, keeping its facts, \
                 names and numbers. Reply with the summary only.",
            ),
            Message::user(text),
        ],
    )
    .with_max_tokens(256)
}

/// The whole answer: the kept text joined with the continuation, usage summed over every
/// call (the broken one included: its tokens were paid for).
pub(crate) fn merge(
    partial: &ChatResponse,
    kept: &str,
    mut cont: ChatResponse,
    extra: Option<&Usage>,
) -> ChatResponse {
    let mut content = Vec::with_capacity(cont.content.len() + 1);
    match cont.content.first_mut() {
        Some(Part::Text { text }) if !kept.is_empty() => text.insert_str(0, kept),
        _ if !kept.is_empty() => content.push(Part::text(kept)),
        _ => {}
    }
    content.append(&mut cont.content);
    cont.content = content;
    let mut usage: Option<Usage> = None;
    for u in [partial.usage.as_ref(), extra, cont.usage.as_ref()]
        .into_iter()
        .flatten()
    {
        usage.get_or_insert_with(Usage::default).add(u);
    }
    cont.usage = usage;
    cont.cost = None;
    cont
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Role, ToolCall};

    fn partial(text: &str, out: Option<u64>) -> ChatResponse {
        ChatResponse {
            content: vec![
                Part::text(text),
                Part::ToolCall(ToolCall {
                    id: "c".into(),
                    name: "half".into(),
                    arguments: serde_json::json!("{\"a\": 1"),
                    provider_meta: None,
                }),
            ],
            usage: out.map(|n| Usage {
                input_tokens: Some(10),
                output_tokens: Some(n),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn strategies_keep_the_right_text_and_budget() {
        let p = partial("First paragraph.\n\nSecond, cut of", Some(9));
        assert_eq!(
            kept_text(&p, ResumeStrategy::Exact),
            "First paragraph.\n\nSecond, cut of"
        );
        let para = kept_text(&p, ResumeStrategy::Paragraph);
        assert_eq!(para, "First paragraph.\n\n");
        assert_eq!(
            budget_left(Some(100), &p, "", ResumeStrategy::Exact),
            Some(91)
        );
        assert_eq!(
            budget_left(Some(100), &p, &para, ResumeStrategy::Paragraph),
            Some(95)
        );
        assert_eq!(budget_left(None, &p, "", ResumeStrategy::Exact), None);
        assert_eq!(budget_left(Some(3), &p, "", ResumeStrategy::Exact), Some(0));
        assert_eq!(
            kept_text(&partial("no break", None), ResumeStrategy::Paragraph),
            ""
        );
    }

    #[test]
    fn continuation_requests_per_strategy() {
        let orig = ChatRequest::new("p/m", vec![Message::user("Tell me")]).with_max_tokens(50);
        let r = continuation(&orig, "It was a dark ", true, None, Some(40));
        assert_eq!(r.messages.len(), 2);
        assert_eq!(r.messages[1].role, Role::Assistant);
        assert_eq!(r.messages[1].text(), "It was a dark");
        assert_eq!(r.max_tokens, Some(40));
        let r = continuation(&orig, "It was", false, None, Some(40));
        assert_eq!(r.messages.last().unwrap().role, Role::User);
        let r = continuation(&orig, "ignored", false, Some("A story began."), None);
        assert_eq!(r.messages.len(), 2);
        assert!(r.messages[1].text().contains("A story began."));
        assert_eq!(r.max_tokens, Some(50));
        assert_eq!(
            continuation(&orig, "  ", true, None, None).messages.len(),
            1
        );
    }

    #[test]
    fn merge_joins_text_and_sums_usage_without_the_half_call() {
        let p = partial("It was a dark", Some(4));
        let mut cont = ChatResponse {
            content: vec![Part::text(" and stormy night.")],
            usage: Some(Usage {
                input_tokens: Some(14),
                output_tokens: Some(5),
                ..Default::default()
            }),
            ..Default::default()
        };
        cont.cost = None;
        let m = merge(&p, "It was a dark", cont, None);
        assert_eq!(m.text(), "It was a dark and stormy night.");
        assert!(m.tool_calls().is_empty());
        assert_eq!(m.usage.as_ref().unwrap().output_tokens, Some(9));
        assert_eq!(m.usage.as_ref().unwrap().input_tokens, Some(24));
    }
}
