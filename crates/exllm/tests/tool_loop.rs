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
