//! Bedrock Converse for the matrix: answers whole and as AWS event streams, and readers of
//! the request.

use super::*;
use crate::bedrock_wire::{event as aws_event, stream_reply};

fn usage() -> Value {
    json!({"inputTokens": USAGE_IN, "outputTokens": USAGE_OUT,
           "totalTokens": USAGE_IN + USAGE_OUT})
}

fn whole(content: Vec<Value>, stop: &str) -> Reply {
    Reply::json(
        200,
        json!({"output": {"message": {"role": "assistant", "content": content}},
               "stopReason": stop, "usage": usage(), "metrics": {"latencyMs": 412}})
        .to_string(),
    )
}

fn tail(stop: &str) -> Vec<Vec<u8>> {
    vec![
        aws_event("messageStop", json!({ "stopReason": stop })),
        aws_event(
            "metadata",
            json!({"usage": usage(), "metrics": {"latencyMs": 412}}),
        ),
    ]
}

pub fn text(t: &str) -> Reply {
    whole(vec![json!({ "text": t })], "end_turn")
}

pub fn text_stream(deltas: &[&str]) -> Reply {
    let mut out = vec![aws_event("messageStart", json!({"role": "assistant"}))];
    for d in deltas {
        out.push(aws_event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": d}}),
        ));
    }
    out.push(aws_event(
        "contentBlockStop",
        json!({"contentBlockIndex": 0}),
    ));
    out.extend(tail("end_turn"));
    stream_reply(&out, 11)
}

pub fn tool_calls(calls: &[Call]) -> Reply {
    whole(
        calls
            .iter()
            .map(|(id, name, args)| {
                json!({"toolUse": {"toolUseId": id, "name": name, "input": args_value(args)}})
            })
            .collect(),
        "tool_use",
    )
}

pub fn tool_calls_stream(calls: &[Call]) -> Reply {
    let mut out = vec![aws_event("messageStart", json!({"role": "assistant"}))];
    for (i, (id, name, args)) in calls.iter().enumerate() {
        out.push(aws_event(
            "contentBlockStart",
            json!({"contentBlockIndex": i,
                   "start": {"toolUse": {"toolUseId": id, "name": name}}}),
        ));
        for p in pieces(args, 3) {
            out.push(aws_event(
                "contentBlockDelta",
                json!({"contentBlockIndex": i, "delta": {"toolUse": {"input": p}}}),
            ));
        }
        out.push(aws_event(
            "contentBlockStop",
            json!({ "contentBlockIndex": i }),
        ));
    }
    out.extend(tail("tool_use"));
    stream_reply(&out, 11)
}

pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
    arr(&body["toolConfig"]["tools"])
        .iter()
        .map(|t| {
            (
                str_of(&t["toolSpec"]["name"]),
                t["toolSpec"]["inputSchema"]["json"].clone(),
            )
        })
        .collect()
}

pub fn choice(c: &ToolChoice) -> Value {
    match c {
        ToolChoice::Auto => json!({"auto": {}}),
        // Converse has no "none": nothing is sent (and exllm warns).
        ToolChoice::None => Value::Null,
        ToolChoice::Required => json!({"any": {}}),
        ToolChoice::Tool(n) => json!({"tool": {"name": n}}),
        other => panic!("unexpected tool choice {other:?}"),
    }
}

pub fn turns(body: &Value) -> Vec<Turn> {
    let mut out = Vec::new();
    if !body["system"].is_null() {
        out.push(Turn {
            role: "system".into(),
            text: text_of(&body["system"]),
            ..Default::default()
        });
    }
    for m in arr(&body["messages"]) {
        let mut t = Turn {
            role: str_of(&m["role"]),
            ..Default::default()
        };
        for b in arr(&m["content"]) {
            if let Some(s) = b["text"].as_str() {
                t.text.push_str(s);
            }
            if let Some(u) = b.get("toolUse") {
                t.calls.push((
                    str_of(&u["toolUseId"]),
                    str_of(&u["name"]),
                    u["input"].clone(),
                ));
            }
            if let Some(r) = b.get("toolResult") {
                let text = arr(&r["content"])
                    .iter()
                    .map(|c| match c["text"].as_str() {
                        Some(s) => s.to_owned(),
                        None => c["json"].to_string(),
                    })
                    .collect();
                t.results.push(SentResult {
                    refers: str_of(&r["toolUseId"]),
                    text,
                    error: Some(r["status"] == "error"),
                });
            }
        }
        out.push(t);
    }
    out
}

pub fn embed_inputs(body: &Value) -> Vec<String> {
    vec![str_of(&body["inputText"])]
}

pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
    let [v] = vectors else {
        panic!("Titan embeds one text per request")
    };
    json!({"embedding": v, "inputTextTokenCount": 2}).to_string()
}
