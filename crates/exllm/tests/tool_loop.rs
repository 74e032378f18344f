//! The tool loop against the mock provider: calls run (in parallel when the model asks for
//! several), failures and panics become error results, usage adds up, and the step limit holds.

use exllm::client::ToolSet;
use exllm::{ChatRequest, Client, Message, MockProvider, Part, Role, Tool, Usage};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn tool(name: &str) -> Tool {
    Tool::new(name, "test tool", json!({"type": "object"}))
}

fn tools() -> ToolSet {
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let (b1, b2) = (barrier.clone(), barrier);
    ToolSet::new()
        .with(tool("add"), move |args| {
            let b = b1.clone();
            async move {
                // Both `add` and `wait` must be running at once to pass this barrier.
                b.wait().await;
                let a = args["a"].as_i64().ok_or("a is missing")?;
                Ok((a + args["b"].as_i64().unwrap_or(0)).to_string())
            }
        })
        .with(tool("wait"), move |_| {
            let b = b2.clone();
            async move {
                b.wait().await;
                Ok("waited".to_owned())
            }
        })
        .with(tool("broken"), |_| async {
            Err::<String, _>("it broke".to_owned())
        })
        .with(tool("panics"), |_| async { panic!("boom") })
}

fn client(mock: &MockProvider) -> Client {
    Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .build()
        .unwrap()
}

fn with_usage(mut r: exllm::ChatResponse, n: u64) -> exllm::ChatResponse {
    r.usage = Some(Usage {
        input_tokens: Some(n),
        output_tokens: Some(1),
        ..Default::default()
    });
    r
}

#[tokio::test]
async fn runs_calls_in_parallel_and_feeds_results_back() {
    let mock = MockProvider::new()
        .with_tool_calls(vec![
            ("add", json!({"a": 2, "b": 3})),
            ("wait", json!({})),
            ("broken", json!({})),
            ("panics", json!({})),
            ("nope", json!({})),
        ])
        .with_response(with_usage(MockProvider::text_response("The sum is 5."), 10));
    let req = ChatRequest::new("mock/m", vec![Message::user("add 2 and 3")]);
    let run = tokio::time::timeout(
        Duration::from_secs(5),
        client(&mock).run_tools(req, &tools(), 4),
    )
    .await
    .expect("parallel tools do not deadlock")
    .unwrap();
    assert!(!run.hit_step_limit);
    assert_eq!(run.responses.len(), 2);
    assert_eq!(run.last().unwrap().text(), "The sum is 5.");
    // user, assistant (calls), tool (results), assistant (answer)
    let roles: Vec<Role> = run.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::Tool, Role::Assistant]
    );
    let results: Vec<(String, bool)> = run.messages[2]
        .content
        .iter()
        .map(|p| match p {
            Part::ToolResult(r) => (r.text_content(), r.is_error),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(results[0], ("5".to_owned(), false));
    assert_eq!(results[1], ("waited".to_owned(), false));
    assert_eq!(results[2], ("it broke".to_owned(), true));
    assert!(
        results[3].1 && results[3].0.contains("panicked"),
        "{:?}",
        results[3]
    );
    assert!(
        results[4].1 && results[4].0.contains("no tool named `nope`"),
        "{:?}",
        results[4]
    );
    // The model saw the tools and, on the second call, the results.
    let reqs = mock.requests();
    assert_eq!(reqs[0].tools.len(), 4);
    assert_eq!(reqs[1].messages.len(), 3);
    assert_eq!(run.usage.input_tokens, Some(10));
}

#[tokio::test]
async fn stops_at_the_step_limit() {
    // A model that never stops calling a tool.
    let mock = MockProvider::new().with_handler(|_| {
        Ok(exllm::ChatResponse {
            content: vec![Part::ToolCall(exllm::ToolCall {
                id: "c".into(),
                name: "broken".into(),
                arguments: json!({}),
                provider_meta: None,
            })],
            ..Default::default()
        })
    });
    let req = ChatRequest::new("mock/m", vec![Message::user("loop")]);
    let run = client(&mock).run_tools(req, &tools(), 3).await.unwrap();
    assert!(run.hit_step_limit);
    assert_eq!(run.responses.len(), 3);
    assert_eq!(mock.requests().len(), 3);
}

/// A tool that counts how many of its calls run at once.
fn counting(
    now: Arc<std::sync::atomic::AtomicUsize>,
    peak: Arc<std::sync::atomic::AtomicUsize>,
) -> ToolSet {
    use std::sync::atomic::Ordering::SeqCst;
    ToolSet::new().with(tool("slow"), move |_| {
        let (now, peak) = (now.clone(), peak.clone());
        async move {
            let n = now.fetch_add(1, SeqCst) + 1;
            peak.fetch_max(n, SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            now.fetch_sub(1, SeqCst);
            Ok("done".to_owned())
        }
    })
}

#[tokio::test]
async fn calls_of_one_step_run_at_most_the_concurrency_limit_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let calls: Vec<_> = (0..12).map(|i| ("slow", json!({"i": i}))).collect();
    let mock = MockProvider::new().with_tool_calls(calls).with_text("ok");
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let set = counting(now, peak.clone()).with_concurrency(3);
    let req = ChatRequest::new("mock/m", vec![Message::user("go")]);
    let run = client(&mock).run_tools(req, &set, 4).await.unwrap();
    assert_eq!(
        peak.load(SeqCst),
        3,
        "at most three at once, and three did run together"
    );
    let results = run
        .messages
        .iter()
        .find(|m| m.role == Role::Tool)
        .unwrap()
        .content
        .len();
    assert_eq!(results, 12);
}

#[tokio::test]
async fn an_answer_asking_for_too_many_calls_is_an_error_and_runs_none() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let calls: Vec<_> = (0..5).map(|i| ("slow", json!({"i": i}))).collect();
    let mock = MockProvider::new().with_tool_calls(calls).with_text("ok");
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let set = counting(now, peak.clone()).with_max_calls_per_step(4);
    let req = ChatRequest::new("mock/m", vec![Message::user("go")]);
    let e = client(&mock).run_tools(req, &set, 4).await.unwrap_err();
    assert_eq!(e.kind(), exllm::ErrorKind::InvalidInput);
    assert_eq!(e.code(), Some("too_many_tool_calls"));
    assert_eq!(e.partial().unwrap().tool_calls().len(), 5);
    assert_eq!(peak.load(SeqCst), 0, "no call ran");
}
