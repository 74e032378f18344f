//! Property tests of the context tools beyond truncation: packing never exceeds the window,
//! compression and packing never leave a tool call without its result, the budget split never
//! hands out more than asked, and chunks are the whole document.

use super::*;
use crate::tokens::count_messages;
use crate::types::{Part, Role, ToolCall, ToolResult};
use proptest::prelude::*;
use std::collections::BTreeSet;

const MODEL: &str = "openai/gpt-4o";

fn words(n: usize, seed: usize) -> String {
    (0..n)
        .map(|i| ["alpha", "beta", "gamma", "delta", "omega"][(i + seed) % 5])
        .collect::<Vec<_>>()
        .join(" ")
}

fn call(id: &str) -> Part {
    Part::ToolCall(ToolCall {
        id: id.into(),
        name: "lookup".into(),
        arguments: serde_json::json!({"q": id}),
        provider_meta: None,
    })
}

fn result(id: &str, len: usize) -> Part {
    Part::ToolResult(ToolResult {
        call_id: id.into(),
        name: Some("lookup".into()),
        content: vec![Part::text(words(len, 1))],
        is_error: false,
    })
}

/// A history from turn kinds: user text, assistant text, one tool call answered, two parallel
/// calls answered in one message.
fn history(kinds: &[(u8, usize)]) -> Vec<Message> {
    let mut out = Vec::new();
    for (i, &(kind, len)) in kinds.iter().enumerate() {
        match kind % 4 {
            0 => out.push(Message::user(words(len, i))),
            1 => out.push(Message::assistant(words(len, i))),
            2 => {
                let id = format!("c{i}");
                out.push(Message::new(Role::Assistant, vec![call(&id)]));
                out.push(Message::new(Role::Tool, vec![result(&id, len)]));
            }
            _ => {
                let (a, b) = (format!("a{i}"), format!("b{i}"));
                out.push(Message::new(Role::Assistant, vec![call(&a), call(&b)]));
                out.push(Message::new(
                    Role::Tool,
                    vec![result(&a, len), result(&b, len / 2)],
                ));
            }
        }
    }
    out
}

/// Calls without results and results without calls.
fn orphans(messages: &[Message]) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut calls, mut results) = (BTreeSet::new(), BTreeSet::new());
    for p in messages.iter().flat_map(|m| &m.content) {
        match p {
            Part::ToolCall(c) => {
                calls.insert(c.id.clone());
            }
            Part::ToolResult(r) => {
                results.insert(r.call_id.clone());
            }
            _ => {}
        }
    }
    let lone_calls = calls.difference(&results).cloned().collect();
    let lone_results = results.difference(&calls).cloned().collect();
    (lone_calls, lone_results)
}

fn tool(i: usize) -> Tool {
    Tool {
        name: format!("tool_{i}"),
        description: Some(words(10 + i * 7, i)),
        parameters: serde_json::json!({"type": "object", "properties": {"q": {"type": "string"}}}),
        ..Default::default()
    }
}

fn kinds() -> impl proptest::strategy::Strategy<Value = Vec<(u8, usize)>> {
    prop::collection::vec((0u8..4, 1usize..300), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn packing_stays_in_the_window_and_keeps_tool_pairs(
        kinds in kinds(),
        docs in prop::collection::vec(1usize..600, 0..6),
        n_tools in 0usize..5,
        w in (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0),
        window in 1_500u64..20_000,
        output in 100u64..1_000,
    ) {
        let system = vec![Message::system("You are terse.")];
        let history = history(&kinds);
        let documents: Vec<String> = docs.iter().enumerate().map(|(i, n)| words(*n, i)).collect();
        let tools: Vec<Tool> = (0..n_tools).map(tool).collect();
        let weights = BudgetWeights { system: w.0, history: w.1, tools: w.2, documents: w.3 };
        let opts = FitOptions::default().with_context_window(window).with_max_output_tokens(output);
        let p = pack(MODEL, &system, &history, &tools, &documents, weights, &opts).unwrap();
        let counted = count_messages(MODEL, &p.messages, &p.tools).tokens;
        prop_assert_eq!(counted, p.tokens);
        prop_assert!(p.tokens <= p.budget, "{} > {}", p.tokens, p.budget);
        prop_assert!(p.budget + output <= window);
        let (calls, results) = orphans(&p.messages);
        prop_assert!(calls.is_empty() && results.is_empty(), "{:?} {:?}", calls, results);
        prop_assert_eq!(&p.messages[0], &system[0]);
        // The history kept is its newest part, whole.
        let kept = history.len() - p.dropped_history;
        prop_assert_eq!(&p.messages[p.messages.len() - kept..], &history[p.dropped_history..]);
    }

    #[test]
    fn compressing_never_separates_a_call_from_its_result(
        kinds in kinds(),
        keep_recent in 0usize..8,
        keep_tool_turns in any::<bool>(),
    ) {
        let mut msgs = vec![Message::system("Be brief.")];
        msgs.extend(history(&kinds));
        let opts = CompressOptions { keep_recent, keep_tool_turns };
        let out = futures_util::FutureExt::now_or_never(compress_oldest(&msgs, &opts, |old| async move {
            let (c, r) = orphans(&old);
            assert!(c.is_empty() && r.is_empty(), "the summarizer got half a tool exchange");
            Ok(format!("{} messages", old.len()))
        }))
        .expect("no await point pends")
        .unwrap();
        let (calls, results) = orphans(&out.messages);
        prop_assert!(calls.is_empty() && results.is_empty(), "{:?} {:?}", calls, results);
        prop_assert_eq!(out.messages.len(), msgs.len() - out.compressed + usize::from(out.summary.is_some()));
        if keep_tool_turns {
            let before = orphans(&msgs);
            prop_assert!(before.0.is_empty());
            let tool_calls = |m: &[Message]| m.iter().flat_map(|m| &m.content).filter(|p| matches!(p, Part::ToolCall(_))).count();
            prop_assert_eq!(tool_calls(&out.messages), tool_calls(&msgs));
        }
    }

    #[test]
    fn the_split_never_gives_more_than_needed_or_available(
        need in (0u64..50_000, 0u64..50_000, 0u64..50_000, 0u64..50_000),
        w in (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0),
        budget in 0u64..100_000,
    ) {
        let need = BudgetParts { system: need.0, history: need.1, tools: need.2, documents: need.3 };
        let weights = BudgetWeights { system: w.0, history: w.1, tools: w.2, documents: w.3 };
        let got = split_budget(budget, need, weights);
        prop_assert!(got.total() <= budget);
        prop_assert!(got.system <= need.system && got.history <= need.history);
        prop_assert!(got.tools <= need.tools && got.documents <= need.documents);
        if need.total() <= budget {
            prop_assert_eq!(got, need);
        } else {
            // Only rounding is left unhanded.
            prop_assert!(got.total() + 4 >= budget, "{:?} of {}", got, budget);
        }
    }

    #[test]
    fn chunks_are_the_whole_text_and_respect_the_limit(
        pieces in prop::collection::vec((1usize..40, 0u8..5), 1..40),
        max_tokens in 5u64..200,
    ) {
        let marks = [". ", "! ", "? ", "\n\n", " "];
        let text: String = pieces.iter().enumerate()
            .map(|(i, (n, m))| format!("{}{}", words(*n, i), marks[*m as usize]))
            .collect();
        let opts = ChunkOptions { max_tokens, ..Default::default() };
        let embed = |s: Vec<String>| async move {
            Ok(s.iter().map(|t| vec![t.len() as f32, t.matches("alpha").count() as f32 + 1.0]).collect())
        };
        let chunks = futures_util::FutureExt::now_or_never(semantic_chunks(&text, MODEL, &opts, embed))
            .expect("no await point pends")
            .unwrap();
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        prop_assert_eq!(&joined, &text);
        for c in &chunks {
            prop_assert!(c.tokens <= max_tokens || sentences(&c.text).len() == 1, "{:?}", c);
        }
    }
}

#[test]
fn packing_gives_unused_shares_to_the_history_and_fails_on_a_huge_system_prompt() {
    let system = vec![Message::system("Short.")];
    let history: Vec<Message> = (0..100).map(|i| Message::user(words(100, i))).collect();
    let opts = FitOptions::default()
        .with_context_window(8_000)
        .with_max_output_tokens(1_000);
    let p = pack(
        MODEL,
        &system,
        &history,
        &[],
        &[],
        BudgetWeights::default(),
        &opts,
    )
    .unwrap();
    // No documents or tools: the history has nearly the whole budget, not its 45 %.
    assert!(p.tokens * 10 > p.budget * 9, "{} of {}", p.tokens, p.budget);
    assert!(p.dropped_history > 0);
    let huge = vec![Message::system(words(20_000, 0))];
    let e = pack(
        MODEL,
        &huge,
        &history,
        &[],
        &[],
        BudgetWeights::default(),
        &opts,
    )
    .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::ContextLength);
}

#[test]
fn chunks_cut_where_the_topic_changes() {
    let text =
        "Cats purr. Cats nap a lot. Cats chase mice. Rust compiles. Rust is safe. Rust is fast.";
    let embed = |s: Vec<String>| async move {
        Ok(s.iter()
            .map(|t| {
                if t.contains("Cats") {
                    vec![1.0, 0.1]
                } else {
                    vec![0.1, 1.0]
                }
            })
            .collect())
    };
    let chunks = futures_util::FutureExt::now_or_never(semantic_chunks(
        text,
        MODEL,
        &ChunkOptions::default(),
        embed,
    ))
    .unwrap()
    .unwrap();
    let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Cats purr. Cats nap a lot. Cats chase mice. ",
            "Rust compiles. Rust is safe. Rust is fast."
        ]
    );
    let bad = |_s: Vec<String>| async move { Ok(vec![vec![1.0]]) };
    assert!(futures_util::FutureExt::now_or_never(semantic_chunks(
        text,
        MODEL,
        &ChunkOptions::default(),
        bad
    ))
    .unwrap()
    .is_err());
}

#[tokio::test]
async fn a_cheap_model_summarizes_the_oldest_turns() {
    use crate::{Client, MockProvider};
    let mock = MockProvider::new().with_text("Ada asked about the weather; it was sunny.");
    let client = Client::builder()
        .provider("mock", std::sync::Arc::new(mock.clone()))
        .build()
        .unwrap();
    let mut msgs = vec![Message::system("Be brief.")];
    msgs.extend(history(&[(0, 3), (2, 5), (1, 4), (0, 2), (1, 2)]));
    let opts = CompressOptions {
        keep_recent: 2,
        ..Default::default()
    };
    let out = client
        .compress_history(&msgs, "mock/cheap", &opts)
        .await
        .unwrap();
    assert_eq!(out.compressed, 4);
    assert_eq!(out.messages.len(), 1 + 1 + 2);
    assert!(out.messages[1].text().ends_with("it was sunny."));
    let sent = &mock.requests()[0];
    assert_eq!(sent.model, "cheap");
    assert_eq!(sent.messages[0].text(), SUMMARY_PROMPT);
    assert!(
        sent.messages[1].text().contains("[calls lookup("),
        "{}",
        sent.messages[1].text()
    );
    assert!(sent.messages[1].text().contains("tool result:"));
}
