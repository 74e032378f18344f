//! Fitting tests: fixed cases, then properties over random conversations.

use super::units::units;
use super::{
    context_stats_with, fit_to_context, fit_to_context_with_summary, units, FitOptions,
    Strategy as Fit,
};
use crate::types::Message;
use crate::types::{Part, Reasoning, Role, ToolCall, ToolResult};
use proptest::prelude::{
    any, prop_assert, prop_assert_eq, proptest, Just, ProptestConfig, Strategy,
};
use std::collections::HashSet;

fn call(id: &str) -> Message {
    Message::new(
        Role::Assistant,
        vec![Part::ToolCall(ToolCall {
            id: id.into(),
            name: "lookup".into(),
            arguments: serde_json::json!({"q": id}),
            provider_meta: None,
        })],
    )
}

fn thinking(text: &str) -> Message {
    Message::new(
        Role::Assistant,
        vec![Part::Reasoning(Reasoning {
            text: text.into(),
            ..Default::default()
        })],
    )
}

fn result(id: &str, text: &str) -> Message {
    Message::tool_result(ToolResult::text(id, text))
}

#[test]
fn units_keep_calls_results_and_reasoning_together() {
    let msgs = vec![
        Message::system("s"),
        Message::user("u"),
        thinking("hmm"),
        call("a"),
        Message::user("interjection"),
        result("a", "r"),
        Message::assistant("done"),
    ];
    assert_eq!(units(&msgs), vec![0..1, 1..2, 2..6, 6..7]);
}

#[test]
fn errors_are_clear() {
    let msgs = vec![Message::system("x ".repeat(500)), Message::user("hi")];
    let opts = FitOptions::default().with_context_window(100);
    let err = fit_to_context(&msgs, "openai/gpt-4o", &opts).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::ContextLength);
    let err = fit_to_context(&msgs, "nobody/knows", &FitOptions::default()).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    assert!(fit_to_context(&[], "nobody/knows", &opts).is_ok());
}

#[test]
fn sliding_window_lets_the_first_turn_go_and_smart_keeps_it() {
    let mut msgs = vec![Message::system("s"), Message::user("the task ".repeat(20))];
    for i in 0..40 {
        msgs.push(Message::assistant(format!("step {i} ").repeat(20)));
        msgs.push(Message::user(format!("more {i} ").repeat(20)));
    }
    let opts = FitOptions::default()
        .with_context_window(1_000)
        .with_max_output_tokens(0);
    let smart = fit_to_context(&msgs, "openai/gpt-4o", &opts).unwrap();
    let sliding = fit_to_context(
        &msgs,
        "openai/gpt-4o",
        &opts.clone().with_strategy(Fit::SlidingWindow),
    )
    .unwrap();
    assert!(smart.kept.contains(&1) && !sliding.kept.contains(&1));
    assert!(sliding.kept.len() >= smart.kept.len());
    let stats = context_stats_with(&msgs, "openai/gpt-4o", &opts);
    assert_eq!(stats.would_drop.as_ref(), Some(&smart.dropped));
    assert!(stats.window_share.unwrap() > 1.0);
}

#[tokio::test]
async fn summaries_replace_what_was_dropped() {
    let mut msgs = vec![Message::system("s"), Message::user("task")];
    for i in 0..30 {
        msgs.push(Message::assistant(format!("step {i} ").repeat(30)));
        msgs.push(Message::user(format!("more {i}")));
    }
    let opts = FitOptions::default()
        .with_context_window(2_000)
        .with_max_output_tokens(100);
    let model = "openai/gpt-4o";
    let fitted = fit_to_context_with_summary(&msgs, model, &opts, |dropped| async move {
        assert!(!dropped.is_empty());
        Ok("the user asked for many steps".to_owned())
    })
    .await
    .unwrap();
    assert_eq!(fitted.messages[0], msgs[0]);
    assert!(fitted.messages[1].text().contains("many steps"));
    assert!(fitted.tokens.tokens <= fitted.budget);
    let recount = crate::tokens::count_messages(model, &fitted.messages, &[]);
    assert_eq!(recount.tokens, fitted.tokens.tokens);
    // Nothing to drop: the summarizer is not called.
    let small = &msgs[..3];
    let fitted = fit_to_context_with_summary(small, model, &opts, |_| async {
        Err(crate::Error::new(
            crate::ErrorKind::InvalidInput,
            "not called",
        ))
    })
    .await
    .unwrap();
    assert_eq!((fitted.messages.len(), fitted.summary), (3, None));
    // A summary too long for the reserve makes room by dropping more.
    let long = "word ".repeat(600);
    let fitted = fit_to_context_with_summary(&msgs, model, &opts, |_| async move { Ok(long) })
        .await
        .unwrap();
    assert!(fitted.tokens.tokens <= fitted.budget);
}

/// One random turn: a user message, then an answer that may think and call tools.
fn turn(i: usize) -> impl Strategy<Value = Vec<Message>> {
    let words = "[a-z]{1,8}( [a-z]{1,8}){0,40}";
    (words, words, any::<bool>(), 0..3usize, any::<bool>()).prop_map(
        move |(q, a, think, calls, user_in_between)| {
            let mut out = vec![Message::user(q)];
            if think {
                out.push(thinking(&a));
            }
            let ids: Vec<String> = (0..calls).map(|c| format!("call_{i}_{c}")).collect();
            for id in &ids {
                out.push(call(id));
            }
            if user_in_between && !ids.is_empty() {
                out.push(Message::user("wait"));
            }
            for id in &ids {
                out.push(result(id, &a));
            }
            out.push(Message::assistant(a));
            out
        },
    )
}

fn conversation() -> impl Strategy<Value = Vec<Message>> {
    (any::<bool>(), 1..12usize).prop_flat_map(|(system, n)| {
        let turns: Vec<_> = (0..n).map(turn).collect();
        (Just(system), turns, any::<bool>()).prop_map(|(system, turns, trailing_user)| {
            let mut msgs: Vec<Message> = system
                .then(|| Message::system("You are a careful assistant."))
                .into_iter()
                .collect();
            msgs.extend(turns.into_iter().flatten());
            if trailing_user {
                msgs.push(Message::user("and finally?"));
            }
            msgs
        })
    })
}

fn ids(msgs: &[Message]) -> (HashSet<String>, HashSet<String>) {
    let (mut calls, mut results) = (HashSet::new(), HashSet::new());
    for part in msgs.iter().flat_map(|m| &m.content) {
        match part {
            Part::ToolCall(c) => calls.insert(c.id.clone()),
            Part::ToolResult(r) => results.insert(r.call_id.clone()),
            _ => false,
        };
    }
    (calls, results)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fitting_keeps_its_promises(
        msgs in conversation(),
        window in 50u64..3_000,
        output in 0u64..200,
        smart in any::<bool>(),
        anthropic in any::<bool>(),
    ) {
        let model = if anthropic { "anthropic/claude-sonnet-4-5" } else { "openai/gpt-4o" };
        let strategy = if smart { Fit::Smart } else { Fit::SlidingWindow };
        let opts = FitOptions::default()
            .with_context_window(window)
            .with_max_output_tokens(output)
            .with_strategy(strategy);
        let fitted = match fit_to_context(&msgs, model, &opts) {
            Ok(f) => f,
            Err(e) => {
                prop_assert_eq!(e.kind(), crate::ErrorKind::ContextLength);
                // A big enough window always works.
                let big = opts.clone().with_context_window(10_000_000);
                prop_assert!(fit_to_context(&msgs, model, &big).is_ok());
                return Ok(());
            }
        };
        // It fits, and the count is the real count of what is sent.
        prop_assert!(fitted.tokens.tokens <= fitted.budget);
        let recount = crate::tokens::count_messages(model, &fitted.messages, &[]);
        prop_assert_eq!(recount.tokens, fitted.tokens.tokens);
        // Order is preserved and the indices describe the output.
        prop_assert!(fitted.kept.windows(2).all(|w| w[0] < w[1]));
        for (k, m) in fitted.kept.iter().zip(&fitted.messages) {
            prop_assert_eq!(&msgs[*k], m);
        }
        prop_assert_eq!(fitted.kept.len() + fitted.dropped.len(), msgs.len());
        // System messages and the newest user message survive (and the first, when smart).
        let user_turns: Vec<usize> =
            (0..msgs.len()).filter(|&i| units::is_user_turn(&msgs[i])).collect();
        for (i, m) in msgs.iter().enumerate() {
            if units::is_system(m) || Some(&i) == user_turns.last()
                || (smart && Some(&i) == user_turns.first())
            {
                prop_assert!(fitted.kept.contains(&i), "message {} was dropped", i);
            }
        }
        // No orphans: every kept call has its results and every kept result its call.
        let (calls, results) = ids(&fitted.messages);
        prop_assert_eq!(calls, results);
        // Reasoning never loses the turn it belongs to.
        for w in fitted.messages.windows(2) {
            if matches!(w[0].content.first(), Some(Part::Reasoning(_))) {
                prop_assert_eq!(w[1].role, Role::Assistant);
            }
        }
    }
}
