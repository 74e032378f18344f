//! Response bodies written for these tests, following each provider's documented wire format:
//! OpenAI Chat Completions (JSON, and SSE `data:` chunks ending with `data: [DONE]`), OpenAI
//! Responses (JSON, and SSE `event:`/`data:` events), Anthropic Messages (JSON, and SSE events
//! `message_start` ... `message_stop`). Each answer exists whole and streamed, with the same
//! content, so the two forms can be compared.

use serde_json::{json, Value};

/// The answer text (non-ASCII, so stream pieces can cut a character in two).
pub const TEXT: &str = "Bonjour, café ☕!";
/// [`TEXT`] in the deltas the streams send.
pub const TEXT_DELTAS: [&str; 4] = ["Bon", "jour, ", "café ", "☕!"];
/// The tool arguments as text, and the fragments the streams send them in.
pub const ARGS_TEXT: &str = r#"{"city": "Paris", "unit": "celsius"}"#;
pub const ARGS_FRAGMENTS: [&str; 4] = [
    r#"{"ci"#,
    r#"ty": "Pa"#,
    r#"ris", "unit""#,
    r#": "celsius"}"#,
];

/// `data: <json>` event.
pub fn data(v: &Value) -> String {
    format!("data: {v}\n\n")
}

/// `event: <name>` + `data: <json>` event.
pub fn event(name: &str, v: &Value) -> String {
    format!("event: {name}\ndata: {v}\n\n")
}

/// OpenAI Chat Completions.
pub mod chat {
    use super::*;

    pub const ID: &str = "chatcmpl-9xTest01";
    pub const CALL_ID: &str = "call_Wx81kq";

    pub fn usage() -> Value {
        json!({
            "prompt_tokens": 14,
            "completion_tokens": 6,
            "total_tokens": 20,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}
        })
    }

    fn completion(model: &str, message: Value, finish: &str) -> String {
        json!({
            "id": ID,
            "object": "chat.completion",
            "created": 1_730_000_000,
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": usage(),
            "system_fingerprint": "fp_e2e"
        })
        .to_string()
    }

    /// A whole text answer.
    pub fn text(model: &str) -> String {
        completion(
            model,
            json!({"role": "assistant", "content": TEXT, "refusal": null}),
            "stop",
        )
    }

    /// A whole tool-call answer.
    pub fn tool(model: &str) -> String {
        completion(
            model,
            json!({
                "role": "assistant",
                "content": null,
                "refusal": null,
                "tool_calls": [{
                    "id": CALL_ID,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ARGS_TEXT}
                }]
            }),
            "tool_calls",
        )
    }

    fn chunk(model: &str, delta: Value, finish: Option<&str>) -> String {
        data(&json!({
            "id": ID,
            "object": "chat.completion.chunk",
            "created": 1_730_000_000,
            "model": model,
            "system_fingerprint": "fp_e2e",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
            "usage": null
        }))
    }

    fn usage_chunk(model: &str) -> String {
        data(&json!({
            "id": ID,
            "object": "chat.completion.chunk",
            "created": 1_730_000_000,
            "model": model,
            "system_fingerprint": "fp_e2e",
            "choices": [],
            "usage": usage()
        }))
    }

    /// The first events of a streamed text answer (the role chunk and the text deltas).
    pub fn text_stream_head(model: &str) -> String {
        let mut s = chunk(
            model,
            json!({"role": "assistant", "content": "", "refusal": null}),
            None,
        );
        for d in TEXT_DELTAS {
            s += &chunk(model, json!({"content": d}), None);
        }
        s
    }

    /// A streamed text answer.
    pub fn text_stream(model: &str) -> String {
        text_stream_head(model)
            + &chunk(model, json!({}), Some("stop"))
            + &usage_chunk(model)
            + "data: [DONE]\n\n"
    }

    /// A streamed tool call, its arguments in fragments.
    pub fn tool_stream(model: &str) -> String {
        let mut s = chunk(
            model,
            json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "index": 0,
                    "id": CALL_ID,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""}
                }]
            }),
            None,
        );
        for f in ARGS_FRAGMENTS {
            s += &chunk(
                model,
                json!({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}),
                None,
            );
        }
        s + &chunk(model, json!({}), Some("tool_calls")) + &usage_chunk(model) + "data: [DONE]\n\n"
    }

    /// A model listing.
    pub fn models() -> String {
        json!({
            "object": "list",
            "data": [
                {"id": "gpt-4o-mini", "object": "model", "created": 1_721_172_741, "owned_by": "system"},
                {"id": "text-embedding-3-small", "object": "model", "created": 1_705_948_997, "owned_by": "openai-internal"}
            ]
        })
        .to_string()
    }
}

/// OpenAI Responses.
pub mod responses {
    use super::*;

    pub const ID: &str = "resp_68e2e7f0test";
    pub const MSG_ID: &str = "msg_68e2e7f1test";
    pub const FC_ID: &str = "fc_68e2e7f2test";
    pub const CALL_ID: &str = "call_Rz55pq";

    pub fn usage() -> Value {
        json!({
            "input_tokens": 14,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 6,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 20
        })
    }

    fn message_item(text: &str) -> Value {
        json!({
            "id": MSG_ID,
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]
        })
    }

    fn call_item(arguments: &str, status: &str) -> Value {
        json!({
            "id": FC_ID,
            "type": "function_call",
            "status": status,
            "call_id": CALL_ID,
            "name": "get_weather",
            "arguments": arguments
        })
    }

    fn response(model: &str, status: &str, output: Value, usage: Value) -> Value {
        json!({
            "id": ID,
            "object": "response",
            "created_at": 1_730_000_000,
            "status": status,
            "error": null,
            "incomplete_details": null,
            "model": model,
            "output": output,
            "parallel_tool_calls": true,
            "usage": usage
        })
    }

    /// A whole text answer.
    pub fn text(model: &str) -> String {
        response(model, "completed", json!([message_item(TEXT)]), usage()).to_string()
    }

    /// A whole tool-call answer.
    pub fn tool(model: &str) -> String {
        response(
            model,
            "completed",
            json!([call_item(ARGS_TEXT, "completed")]),
            usage(),
        )
        .to_string()
    }

    fn created(model: &str) -> String {
        let r = response(model, "in_progress", json!([]), Value::Null);
        event(
            "response.created",
            &json!({"type": "response.created", "sequence_number": 0, "response": r}),
        ) + &event(
            "response.in_progress",
            &json!({"type": "response.in_progress", "sequence_number": 1, "response": r}),
        )
    }

    /// The first events of a streamed text answer (up to the last text delta).
    pub fn text_stream_head(model: &str) -> String {
        let mut s = created(model);
        let mut empty = message_item("");
        empty["status"] = "in_progress".into();
        empty["content"] = json!([]);
        s += &event(
            "response.output_item.added",
            &json!({"type": "response.output_item.added", "sequence_number": 2, "output_index": 0, "item": empty}),
        );
        s += &event(
            "response.content_part.added",
            &json!({"type": "response.content_part.added", "sequence_number": 3, "item_id": MSG_ID,
                    "output_index": 0, "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []}}),
        );
        for (i, d) in TEXT_DELTAS.iter().enumerate() {
            s += &event(
                "response.output_text.delta",
                &json!({"type": "response.output_text.delta", "sequence_number": 4 + i, "item_id": MSG_ID,
                        "output_index": 0, "content_index": 0, "delta": d, "logprobs": []}),
            );
        }
        s
    }

    /// A streamed text answer.
    pub fn text_stream(model: &str) -> String {
        text_stream_head(model)
            + &event(
                "response.output_text.done",
                &json!({"type": "response.output_text.done", "sequence_number": 8, "item_id": MSG_ID,
                        "output_index": 0, "content_index": 0, "text": TEXT, "logprobs": []}),
            )
            + &event(
                "response.content_part.done",
                &json!({"type": "response.content_part.done", "sequence_number": 9, "item_id": MSG_ID,
                        "output_index": 0, "content_index": 0,
                        "part": {"type": "output_text", "text": TEXT, "annotations": []}}),
            )
            + &event(
                "response.output_item.done",
                &json!({"type": "response.output_item.done", "sequence_number": 10, "output_index": 0,
                        "item": message_item(TEXT)}),
            )
            + &event(
                "response.completed",
                &json!({"type": "response.completed", "sequence_number": 11,
                        "response": response(model, "completed", json!([message_item(TEXT)]), usage())}),
            )
    }

    /// A streamed tool call, its arguments in fragments.
    pub fn tool_stream(model: &str) -> String {
        let mut s = created(model);
        s += &event(
            "response.output_item.added",
            &json!({"type": "response.output_item.added", "sequence_number": 2, "output_index": 0,
                    "item": call_item("", "in_progress")}),
        );
        for (i, f) in ARGS_FRAGMENTS.iter().enumerate() {
            s += &event(
                "response.function_call_arguments.delta",
                &json!({"type": "response.function_call_arguments.delta", "sequence_number": 3 + i,
                        "item_id": FC_ID, "output_index": 0, "delta": f}),
            );
        }
        s + &event(
            "response.function_call_arguments.done",
            &json!({"type": "response.function_call_arguments.done", "sequence_number": 7,
                    "item_id": FC_ID, "output_index": 0, "arguments": ARGS_TEXT}),
        ) + &event(
            "response.output_item.done",
            &json!({"type": "response.output_item.done", "sequence_number": 8, "output_index": 0,
                    "item": call_item(ARGS_TEXT, "completed")}),
        ) + &event(
            "response.completed",
            &json!({"type": "response.completed", "sequence_number": 9,
                    "response": response(model, "completed", json!([call_item(ARGS_TEXT, "completed")]), usage())}),
        )
    }
}

/// Anthropic Messages.
pub mod anthropic {
    use super::*;

    pub const ID: &str = "msg_01E2eTestAbc";
    pub const TOOL_ID: &str = "toolu_01E2eTestXyz";
    pub const PREAMBLE: &str = "Let me check.";

    fn message(model: &str, content: Value, stop: &str) -> String {
        json!({
            "id": ID,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": null,
            "usage": {"input_tokens": 14, "output_tokens": 6}
        })
        .to_string()
    }

    /// A whole text answer.
    pub fn text(model: &str) -> String {
        message(model, json!([{"type": "text", "text": TEXT}]), "end_turn")
    }

    /// A whole answer with text then a tool call.
    pub fn tool(model: &str) -> String {
        message(
            model,
            json!([
                {"type": "text", "text": PREAMBLE},
                {"type": "tool_use", "id": TOOL_ID, "name": "get_weather", "input": {"city": "Paris", "unit": "celsius"}}
            ]),
            "tool_use",
        )
    }

    fn start(model: &str) -> String {
        event(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": ID, "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 14, "output_tokens": 1}
            }}),
        )
    }

    fn text_block(index: u32, deltas: &[&str]) -> String {
        let mut s = event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
        );
        for d in deltas {
            s += &event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": d}}),
            );
        }
        s
    }

    fn stop_block(index: u32) -> String {
        event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        )
    }

    fn end(stop: &str) -> String {
        event(
            "message_delta",
            &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
                    "usage": {"output_tokens": 6}}),
        ) + &event("message_stop", &json!({"type": "message_stop"}))
    }

    /// The first events of a streamed text answer (up to the last text delta).
    pub fn text_stream_head(model: &str) -> String {
        start(model) + &event("ping", &json!({"type": "ping"})) + &text_block(0, &TEXT_DELTAS)
    }

    /// A streamed text answer.
    pub fn text_stream(model: &str) -> String {
        text_stream_head(model) + &stop_block(0) + &end("end_turn")
    }

    /// A streamed answer with text then a tool call, its arguments in fragments.
    pub fn tool_stream(model: &str) -> String {
        let mut s = start(model) + &text_block(0, &["Let me ", "check."]) + &stop_block(0);
        s += &event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 1,
                    "content_block": {"type": "tool_use", "id": TOOL_ID, "name": "get_weather", "input": {}}}),
        );
        s += &event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": ""}}),
        );
        for f in ARGS_FRAGMENTS {
            s += &event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 1,
                        "delta": {"type": "input_json_delta", "partial_json": f}}),
            );
        }
        s + &stop_block(1) + &end("tool_use")
    }

    /// A model listing.
    pub fn models() -> String {
        json!({
            "data": [
                {"type": "model", "id": "claude-sonnet-4-5-20250929", "display_name": "Claude Sonnet 4.5",
                 "created_at": "2025-09-29T00:00:00Z"},
                {"type": "model", "id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5",
                 "created_at": "2025-10-01T00:00:00Z"}
            ],
            "has_more": false,
            "first_id": "claude-sonnet-4-5-20250929",
            "last_id": "claude-haiku-4-5-20251001"
        })
        .to_string()
    }
}
