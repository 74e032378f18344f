//! Cohere v2 for the matrix: answers whole and streamed, and readers of the request.

use super::*;

fn usage() -> Value {
    json!({"billed_units": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT},
           "tokens": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT}})
}

fn whole(message: Value, finish: &str) -> Reply {
    Reply::json(
        200,
        json!({"id": "matrix", "finish_reason": finish, "message": message, "usage": usage()})
            .to_string(),
    )
}

fn ev(v: Value) -> String {
    event(v["type"].as_str().unwrap(), &v)
}

fn start() -> String {
    ev(
        json!({"id": "matrix", "type": "message-start", "delta": {"message": {
        "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
    )
}

fn end(finish: &str) -> String {
    ev(json!({"type": "message-end", "delta": {"finish_reason": finish, "usage": usage()}}))
}

pub fn text(t: &str) -> Reply {
    whole(
        json!({"role": "assistant", "content": [{"type": "text", "text": t}]}),
        "COMPLETE",
    )
}

pub fn text_stream(deltas: &[&str]) -> Reply {
    let mut out = vec![
        start(),
        ev(json!({"type": "content-start", "index": 0,
        "delta": {"message": {"content": {"type": "text", "text": ""}}}})),
    ];
    for d in deltas {
        out.push(ev(json!({"type": "content-delta", "index": 0,
            "delta": {"message": {"content": {"text": d}}}})));
    }
    out.push(ev(json!({"type": "content-end", "index": 0})));
    out.push(end("COMPLETE"));
    sse(out)
}

pub fn tool_calls(calls: &[Call]) -> Reply {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, args)| {
            json!({"id": id, "type": "function",
                   "function": {"name": name, "arguments": whole_args(args)}})
        })
        .collect();
    whole(
        json!({"role": "assistant", "tool_plan": "I will call the tools.", "tool_calls": calls}),
        "TOOL_CALL",
    )
}

pub fn tool_calls_stream(calls: &[Call]) -> Reply {
    let mut out = vec![start()];
    for (i, (id, name, args)) in calls.iter().enumerate() {
        out.push(ev(
            json!({"type": "tool-call-start", "index": i, "delta": {"message": {
            "tool_calls": {"id": id, "type": "function",
                           "function": {"name": name, "arguments": ""}}}}}),
        ));
        for p in pieces(args, 3) {
            out.push(ev(json!({"type": "tool-call-delta", "index": i,
                "delta": {"message": {"tool_calls": {"function": {"arguments": p}}}}})));
        }
        out.push(ev(json!({"type": "tool-call-end", "index": i})));
    }
    out.push(end("TOOL_CALL"));
    sse(out)
}

pub fn choice(c: &ToolChoice) -> Value {
    match c {
        ToolChoice::Auto => Value::Null,
        ToolChoice::None => json!("NONE"),
        // Cohere cannot name one tool: exllm sends REQUIRED and warns.
        ToolChoice::Required | ToolChoice::Tool(_) => json!("REQUIRED"),
        other => panic!("unexpected tool choice {other:?}"),
    }
}

pub fn schema_in(body: &Value) -> Value {
    let f = &body["response_format"];
    if f["type"] == "json_object" {
        f["json_schema"].clone()
    } else {
        Value::Null
    }
}

pub fn embed_inputs(body: &Value) -> Vec<String> {
    arr(&body["texts"]).iter().map(str_of).collect()
}

pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
    json!({"id": "matrix", "embeddings": {"float": vectors},
           "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": vectors.len()}},
           "response_type": "embeddings_by_type"})
    .to_string()
}
