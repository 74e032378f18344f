//! Gemini for the matrix: answers whole and streamed, and readers of the request.

use super::*;

fn usage() -> Value {
    json!({"promptTokenCount": USAGE_IN, "candidatesTokenCount": USAGE_OUT,
           "totalTokenCount": USAGE_IN + USAGE_OUT})
}

fn chunk(parts: Vec<Value>, finish: Option<&str>) -> Value {
    let mut cand = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    let mut v = json!({"candidates": [cand.clone()], "modelVersion": "gemini-2.5-flash",
                       "responseId": "matrix"});
    if let Some(f) = finish {
        cand["finishReason"] = f.into();
        v["candidates"] = json!([cand]);
        v["usageMetadata"] = usage();
    } else {
        v["usageMetadata"] = json!({"promptTokenCount": USAGE_IN, "totalTokenCount": USAGE_IN});
    }
    v
}

/// Chunks as SSE (CRLF event ends, as Gemini sends them), cut into 7-byte pieces.
fn stream(chunks: Vec<Value>) -> Reply {
    let body: String = chunks
        .iter()
        .map(|c| format!("data: {c}\r\n\r\n"))
        .collect();
    Reply::sse(split_every(body.as_bytes(), 7))
}

fn call_part((_, name, args): &Call) -> Value {
    if args.is_empty() {
        json!({"functionCall": {"name": name}})
    } else {
        json!({"functionCall": {"name": name, "args": args_value(args)}})
    }
}

pub fn text(t: &str) -> Reply {
    Reply::json(
        200,
        chunk(vec![json!({ "text": t })], Some("STOP")).to_string(),
    )
}

pub fn text_stream(deltas: &[&str]) -> Reply {
    let n = deltas.len();
    stream(
        deltas
            .iter()
            .enumerate()
            .map(|(i, d)| chunk(vec![json!({ "text": d })], (i + 1 == n).then_some("STOP")))
            .collect(),
    )
}

pub fn tool_calls(calls: &[Call]) -> Reply {
    Reply::json(
        200,
        chunk(calls.iter().map(call_part).collect(), Some("STOP")).to_string(),
    )
}

/// Gemini sends each call whole: the first in a chunk of its own, the others together
/// in the last chunk (with the finish reason), so the made-up ids must count across
/// chunks and within one.
pub fn tool_calls_stream(calls: &[Call]) -> Reply {
    let Some((first, rest)) = calls.split_first() else {
        return stream(vec![chunk(Vec::new(), Some("STOP"))]);
    };
    if rest.is_empty() {
        return stream(vec![chunk(vec![call_part(first)], Some("STOP"))]);
    }
    stream(vec![
        chunk(vec![call_part(first)], None),
        chunk(rest.iter().map(call_part).collect(), Some("STOP")),
    ])
}

pub fn tools_in(body: &Value) -> Vec<(String, Value)> {
    arr(&body["tools"])
        .iter()
        .flat_map(|t| arr(&t["functionDeclarations"]))
        .map(|d| (str_of(&d["name"]), d["parameters"].clone()))
        .collect()
}

pub fn choice(c: &ToolChoice) -> Value {
    let cfg = match c {
        ToolChoice::Auto => json!({"mode": "AUTO"}),
        ToolChoice::None => json!({"mode": "NONE"}),
        ToolChoice::Required => json!({"mode": "ANY"}),
        ToolChoice::Tool(n) => json!({"mode": "ANY", "allowedFunctionNames": [n]}),
        other => panic!("unexpected tool choice {other:?}"),
    };
    json!({ "functionCallingConfig": cfg })
}

pub fn turns(body: &Value) -> Vec<Turn> {
    let mut out = Vec::new();
    if !body["systemInstruction"].is_null() {
        out.push(Turn {
            role: "system".into(),
            text: text_of(&body["systemInstruction"]["parts"]),
            ..Default::default()
        });
    }
    for c in arr(&body["contents"]) {
        let role = match c["role"].as_str() {
            Some("model") => "assistant",
            _ => "user",
        };
        let mut t = Turn {
            role: role.into(),
            ..Default::default()
        };
        for p in arr(&c["parts"]) {
            if let Some(s) = p["text"].as_str() {
                t.text.push_str(s);
            }
            if let Some(f) = p.get("functionCall") {
                let id = f["id"].as_str().unwrap_or_default().to_owned();
                t.calls.push((id, str_of(&f["name"]), f["args"].clone()));
            }
            if let Some(f) = p.get("functionResponse") {
                let r = &f["response"];
                let (text, error) = match (&r["error"], &r["content"]) {
                    (Value::String(e), _) => (e.clone(), true),
                    (_, Value::String(c)) => (c.clone(), false),
                    _ => (r.to_string(), false),
                };
                t.results.push(SentResult {
                    refers: str_of(&f["name"]),
                    text,
                    error: Some(error),
                });
            }
        }
        out.push(t);
    }
    out
}

pub fn schema_in(body: &Value) -> Value {
    let g = &body["generationConfig"];
    if g["responseMimeType"] == "application/json" {
        g["responseJsonSchema"].clone()
    } else {
        Value::Null
    }
}

pub fn embed_inputs(body: &Value) -> Vec<String> {
    arr(&body["requests"])
        .iter()
        .map(|r| {
            assert_eq!(r["model"], "models/gemini-embedding-001", "{r}");
            str_of(&r["content"]["parts"][0]["text"])
        })
        .collect()
}

pub fn embed_answer(vectors: &[Vec<f32>]) -> String {
    let e: Vec<Value> = vectors.iter().map(|v| json!({ "values": v })).collect();
    json!({ "embeddings": e }).to_string()
}
