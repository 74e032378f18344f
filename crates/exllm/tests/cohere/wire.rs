//! Cohere v2 bodies as the API documents them: `/v2/chat` answers whole and as typed SSE events
//! (`message-start`, `content-delta`, `tool-plan-delta`, `tool-call-*`, `message-end`), and
//! `/v2/embed`, `/v2/rerank` answers.

use crate::support::fixtures::{ARGS_FRAGMENTS, ARGS_TEXT, TEXT, TEXT_DELTAS};
use serde_json::{json, Value};

pub const ID: &str = "c14c80c3-18eb-4519-9460-6c92edd8cfb4";
pub const CALL_ID: &str = "get_weather_1byjy32y4hvq";
pub const PLAN: &str = "I will look up the weather in Paris.";
pub const PLAN_DELTAS: [&str; 3] = ["I will look up ", "the weather ", "in Paris."];

pub fn usage() -> Value {
    json!({
        "billed_units": {"input_tokens": 5, "output_tokens": 7},
        "tokens": {"input_tokens": 71, "output_tokens": 7},
        "cached_tokens": 64
    })
}

/// A whole text answer.
pub fn text() -> String {
    json!({
        "id": ID,
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": TEXT}]},
        "usage": usage()
    })
    .to_string()
}

/// A whole tool-call answer with a tool plan.
pub fn tool() -> String {
    json!({
        "id": ID,
        "finish_reason": "TOOL_CALL",
        "message": {
            "role": "assistant",
            "tool_plan": PLAN,
            "tool_calls": [{
                "id": CALL_ID,
                "type": "function",
                "function": {"name": "get_weather", "arguments": ARGS_TEXT}
            }]
        },
        "usage": usage()
    })
    .to_string()
}

fn event(v: Value) -> String {
    format!("event: {}\ndata: {v}\n\n", v["type"].as_str().unwrap())
}

fn start() -> String {
    event(
        json!({"id": ID, "type": "message-start", "delta": {"message": {
            "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []
        }}}),
    )
}

fn end(finish: &str) -> String {
    event(json!({"type": "message-end", "delta": {"finish_reason": finish, "usage": usage()}}))
}

/// The text answer streamed.
pub fn text_stream() -> String {
    let mut out = start();
    out += &event(json!({"type": "content-start", "index": 0,
        "delta": {"message": {"content": {"type": "text", "text": ""}}}}));
    for t in TEXT_DELTAS {
        out += &event(json!({"type": "content-delta", "index": 0,
            "delta": {"message": {"content": {"text": t}}}}));
    }
    out += &event(json!({"type": "content-end", "index": 0}));
    out + &end("COMPLETE")
}

/// The tool-call answer streamed: the plan in pieces, then the call's arguments in fragments.
pub fn tool_stream() -> String {
    let mut out = start();
    for p in PLAN_DELTAS {
        out += &event(json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": p}}}));
    }
    out += &event(
        json!({"type": "tool-call-start", "index": 0, "delta": {"message": {
            "tool_calls": {"id": CALL_ID, "type": "function",
                           "function": {"name": "get_weather", "arguments": ""}}
        }}}),
    );
    for a in ARGS_FRAGMENTS {
        out += &event(json!({"type": "tool-call-delta", "index": 0,
            "delta": {"message": {"tool_calls": {"function": {"arguments": a}}}}}));
    }
    out += &event(json!({"type": "tool-call-end", "index": 0}));
    out + &end("TOOL_CALL")
}

/// A v2 embed answer for `texts`, embedding `text-<i>` as `[i, 1]`.
pub fn embed(texts: &[Value]) -> String {
    let vectors: Vec<Value> = texts
        .iter()
        .map(|t| {
            let i: f64 = t
                .as_str()
                .unwrap()
                .trim_start_matches("text-")
                .parse()
                .unwrap();
            json!([i, 1.0])
        })
        .collect();
    json!({
        "id": "da6e531f-54c6-4a73-bf92-f60566d8d753",
        "embeddings": {"float": vectors},
        "texts": texts,
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": texts.len()}},
        "response_type": "embeddings_by_type"
    })
    .to_string()
}

/// A rerank answer, results deliberately not in score order.
pub fn rerank() -> String {
    json!({
        "id": "07734bd2-2473-4f07-94e1-0d9f0e6843cf",
        "results": [
            {"index": 2, "relevance_score": 0.125},
            {"index": 0, "relevance_score": 0.9990564},
            {"index": 3, "relevance_score": 0.000_27},
            {"index": 1, "relevance_score": 0.75}
        ],
        "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}
    })
    .to_string()
}
