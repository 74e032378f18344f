//! Whole-body decoding: output items, reasoning, refusals, incomplete and failed responses,
//! usage and malformed bodies.

use super::*;

#[test]
fn decode_reasoning_and_text() {
    let r = CODEC.decode(include_str!("../fixtures/reasoning_text.json"));
    assert_eq!(r.id.as_deref(), Some("resp_exllm_1"));
    assert_eq!(r.model.as_deref(), Some("o4-mini-2025-04-16"));
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: "**Comparing decimals**\n\nTenths decide it. 8 beats 1.".into(),
                signature: None,
                encrypted: Some("gAAAAB-exllm-opaque-reasoning==".into()),
                id: Some("rs_exllm_1".into()),
            }),
            Part::text("9.8 is larger than 9.11."),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("completed")));
    let u = r.usage.as_ref().unwrap();
    assert_eq!(u.input_tokens, Some(30));
    assert_eq!(u.output_tokens, Some(400));
    assert_eq!(u.cache_read_tokens, Some(0));
    assert_eq!(u.cache_write_tokens, None);
    assert_eq!(u.reasoning_tokens, Some(384));
    assert_eq!(u.raw.as_ref().unwrap().value()["total_tokens"], 430);
    // Empty annotation lists add no metadata.
    assert!(r.provider_meta.is_empty());
    assert!(r.error.is_none());
}

#[test]
fn decode_provider_items_annotations_and_function_calls() {
    let r = CODEC.decode(include_str!("../fixtures/tools.json"));
    assert_eq!(r.content.len(), 3);
    match &r.content[0] {
        Part::ProviderItem(item) => {
            assert_eq!(item.api, "openai-responses");
            assert_eq!(item.item_type, "web_search_call");
            assert_eq!(item.raw["action"]["query"], "weather in Paris today");
        }
        other => panic!("expected a provider item, got {other:?}"),
    }
    assert_eq!(r.content[1], Part::text("Paris is sunny today."));
    assert_eq!(
        r.content[2],
        call(
            "call_exllm_1",
            "get_forecast",
            json!({"city": "Paris", "days": 3})
        )
    );
    // `completed` with a function call is a tool-call finish; the raw value is kept.
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("completed")));
    assert_eq!(
        r.provider_meta["annotations"],
        json!([{"type": "url_citation", "start_index": 0, "end_index": 21, "url": "https://example.com/paris-weather", "title": "Paris weather"}])
    );
    assert_eq!(r.usage.unwrap().cache_read_tokens, Some(128));
}

#[test]
fn decode_unknown_output_items_are_kept_verbatim() {
    let r = CODEC.decode(
        r#"{"id":"r","status":"completed","output":[
            {"type":"code_interpreter_call","id":"ci_1","code":"print(1)","outputs":[{"type":"logs","logs":"1"}]},
            {"type":"mcp_list_tools","id":"mcpl_1","server_label":"x","tools":[]},
            {"type":"some_future_item","id":"f_1"}
        ]}"#,
    );
    let types: Vec<&str> = r
        .content
        .iter()
        .map(|p| match p {
            Part::ProviderItem(i) => i.item_type.as_str(),
            _ => "not a provider item",
        })
        .collect();
    assert_eq!(
        types,
        [
            "code_interpreter_call",
            "mcp_list_tools",
            "some_future_item"
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("completed")));
}

#[test]
fn decode_refusal() {
    let r = CODEC.decode(
        r#"{"id":"r","status":"completed","output":[{"type":"message","id":"m","role":"assistant","content":[{"type":"refusal","refusal":"I can't assist with that."}]}]}"#,
    );
    assert_eq!(
        r.content,
        vec![Part::Refusal {
            text: "I can't assist with that.".into()
        }]
    );
}

#[test]
fn decode_incomplete_reasons() {
    for (details, kind, raw) in [
        (
            json!({"reason": "max_output_tokens"}),
            FinishKind::Length,
            "max_output_tokens",
        ),
        (
            json!({"reason": "content_filter"}),
            FinishKind::ContentFilter,
            "content_filter",
        ),
        (
            json!({"reason": "something_new"}),
            FinishKind::Other,
            "something_new",
        ),
        (Value::Null, FinishKind::Other, "incomplete"),
    ] {
        let body = json!({
            "id": "r", "status": "incomplete", "incomplete_details": details,
            "output": [{"type": "message", "id": "m", "role": "assistant", "status": "incomplete",
                        "content": [{"type": "output_text", "text": "Partial", "annotations": []}]}]
        });
        let r = CODEC.decode(&body.to_string());
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{details}");
        assert_eq!(r.text(), "Partial");
    }
}

#[test]
fn decode_failed_is_an_error() {
    let r = CODEC.decode(
        r#"{"id":"resp_f","object":"response","status":"failed","model":"gpt-4.1",
            "error":{"code":"server_error","message":"The model failed to generate a response."},
            "incomplete_details":null,"output":[],"usage":null}"#,
    );
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("failed")));
    let e = r.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert_eq!(e.message, "The model failed to generate a response.");
    assert!(r.usage.is_none());
    assert!(r.content.is_empty());
}

#[test]
fn decode_other_statuses() {
    for (status, expected) in [
        ("in_progress", None),
        ("queued", None),
        ("cancelled", Some((FinishKind::Other, Some("cancelled")))),
    ] {
        let r = CODEC.decode(&json!({"id": "r", "status": status, "output": []}).to_string());
        assert_eq!(
            r.finish.as_ref().map(|f| (f.kind, f.raw.as_deref())),
            expected,
            "{status}"
        );
    }
    assert!(CODEC.decode(r#"{"output":[]}"#).finish.is_none());
}

#[test]
fn decode_reasoning_variants() {
    let r = CODEC.decode(
        r#"{"status":"completed","output":[
            {"type":"reasoning","id":"rs_hidden","summary":[]},
            {"type":"reasoning","id":"rs_raw","summary":[],"content":[{"type":"reasoning_text","text":"raw chain"}]}
        ]}"#,
    );
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                id: Some("rs_hidden".into()),
                ..Default::default()
            }),
            Part::Reasoning(Reasoning {
                text: "raw chain".into(),
                id: Some("rs_raw".into()),
                ..Default::default()
            }),
        ]
    );
}

#[test]
fn decode_function_call_empty_arguments() {
    let r = CODEC.decode(
        r#"{"status":"completed","output":[{"type":"function_call","id":"fc","call_id":"call_x","name":"now","arguments":""}]}"#,
    );
    assert_eq!(r.tool_calls()[0].arguments, json!({}));
    assert_eq!(r.tool_calls()[0].id, "call_x");
}

#[test]
fn decode_usage_without_details_leaves_parts_unknown() {
    let r = CODEC.decode(
        r#"{"status":"completed","output":[],"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}"#,
    );
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(5), Some(2)));
    assert_eq!(u.cache_read_tokens, None);
    assert_eq!(u.reasoning_tokens, None);
}

#[test]
fn decode_malformed_body_is_a_decode_error() {
    for body in [
        "",
        "nope",
        "{\"output\": [",
        "{\"output\": {}}",
        "{\"status\": 5}",
    ] {
        let err = OpenAiResponsesCodec.decode(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
    }
}
