//! Stream decoding, streamed answers equal to whole ones, and logprobs streamed or not.

use super::*;

#[test]
fn stream_reasoning_and_text_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/reasoning_text.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/reasoning_text.json"))
    );
}

#[test]
fn stream_start_comes_once_from_response_created() {
    let (events, end) = CODEC.stream_events(&sse(include_str!("../fixtures/reasoning_text.sse")));
    end.unwrap();
    let starts: Vec<&StreamEvent> = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Start { .. }))
        .collect();
    assert_eq!(
        starts,
        [&StreamEvent::Start {
            id: Some("resp_exllm_1".into()),
            model: Some("o4-mini-2025-04-16".into()),
        }]
    );
    // Text arrives as deltas; output_text.done does not repeat it.
    let text: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, ["9.8 is", " larger than", " 9.11."]);
}

#[test]
fn stream_tools_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/tools.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/tools.json"))
    );
    assert_eq!(
        streamed.tool_calls()[0].arguments,
        json!({"city": "Paris", "days": 3})
    );
}

#[test]
fn stream_text_only_in_done_event() {
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_item.added","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[]}}"#,
        r#"{"type":"response.output_text.done","output_index":0,"content_index":0,"text":"Whole text"}"#,
        r#"{"type":"response.completed","response":{"id":"resp_s","status":"completed","output":[]}}"#,
    ]));
    assert_eq!(streamed.text(), "Whole text");
}

#[test]
fn stream_function_call_without_argument_deltas() {
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Oslo\"}","status":"completed"}}"#,
        r#"{"type":"response.completed","response":{"id":"resp_s","status":"completed","output":[]}}"#,
    ]));
    assert_eq!(
        streamed.content,
        vec![call("call_1", "get_weather", json!({"city": "Oslo"}))]
    );
    assert_eq!(
        finish_of(&streamed),
        (FinishKind::ToolCalls, Some("completed"))
    );
}

#[test]
fn stream_refusal_equals_decode() {
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_item.added","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[]}}"#,
        r#"{"type":"response.content_part.added","output_index":0,"content_index":0,"part":{"type":"refusal","refusal":""}}"#,
        r#"{"type":"response.refusal.delta","output_index":0,"content_index":0,"delta":"I can't"}"#,
        r#"{"type":"response.refusal.delta","output_index":0,"content_index":0,"delta":" assist."}"#,
        r#"{"type":"response.refusal.done","output_index":0,"content_index":0,"refusal":"I can't assist."}"#,
        r#"{"type":"response.output_item.done","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[{"type":"refusal","refusal":"I can't assist."}]}}"#,
        r#"{"type":"response.completed","response":{"id":"resp_s","model":"gpt-4.1","status":"completed","output":[]}}"#,
    ]));
    let whole = CODEC.decode(
        r#"{"id":"resp_s","model":"gpt-4.1","status":"completed","output":[{"id":"m","type":"message","role":"assistant","content":[{"type":"refusal","refusal":"I can't assist."}]}]}"#,
    );
    assert_eq!(streamed, whole);
}

#[test]
fn stream_incomplete_equals_decode() {
    let usage = r#"{"input_tokens":10,"output_tokens":16,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":26}"#;
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_item.added","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[]}}"#,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"The answer is"}"#,
        &format!(
            r#"{{"type":"response.incomplete","response":{{"id":"resp_s","model":"gpt-4.1","status":"incomplete","incomplete_details":{{"reason":"max_output_tokens"}},"output":[],"usage":{usage}}}}}"#
        ),
    ]));
    let whole = CODEC.decode(&format!(
        r#"{{"id":"resp_s","model":"gpt-4.1","status":"incomplete","incomplete_details":{{"reason":"max_output_tokens"}},
            "output":[{{"type":"message","id":"m","role":"assistant","content":[{{"type":"output_text","text":"The answer is","annotations":[]}}]}}],"usage":{usage}}}"#
    ));
    assert_eq!(streamed, whole);
    assert_eq!(
        finish_of(&streamed),
        (FinishKind::Length, Some("max_output_tokens"))
    );
    assert_eq!(streamed.usage.unwrap().output_tokens, Some(16));
}

#[test]
fn stream_failed_response_equals_decode() {
    let failed = r#"{"id":"resp_s","model":"gpt-4.1","status":"failed","error":{"code":"server_error","message":"Something went wrong."},"output":[],"usage":null}"#;
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        &format!(r#"{{"type":"response.failed","sequence_number":3,"response":{failed}}}"#),
    ]));
    assert_eq!(streamed, CODEC.decode(failed));
    assert_eq!(finish_of(&streamed), (FinishKind::Error, Some("failed")));
    assert_eq!(streamed.error.unwrap().message, "Something went wrong.");
}

#[test]
fn stream_error_event_ends_with_error() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Hal"}"#,
        r#"{"type":"error","sequence_number":4,"code":"rate_limit_exceeded","message":"Rate limit reached.","param":null}"#,
    ]));
    end.expect("an error event is terminal");
    let r = collect(events);
    assert_eq!(r.text(), "Hal");
    assert_eq!(
        finish_of(&r),
        (FinishKind::Error, Some("rate_limit_exceeded"))
    );
    let e = r.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(e.message, "Rate limit reached.");
}

#[test]
fn stream_nested_error_event() {
    let r = CODEC.stream(&typed_frames(&[
        r#"{"type":"error","error":{"type":"invalid_request_error","code":"invalid_prompt","message":"Bad prompt."}}"#,
    ]));
    assert_eq!(
        finish_of(&r),
        (FinishKind::Error, Some("invalid_request_error"))
    );
    assert_eq!(r.error.unwrap().message, "Bad prompt.");
}

#[test]
fn stream_without_terminal_event_is_truncated() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[
        CREATED,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Once"}"#,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":" upon"}"#,
    ]));
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    assert_eq!(collect(events).text(), "Once upon");

    let (_, end) = CODEC.stream_events::<(String, String)>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    for bad in [
        "{\"type\":\"response.output_text.delta\",\"delta\":",
        "garbage",
        "[1]",
        "{\"type\":\"response.completed\",\"response\":{\"output\":{}}}",
    ] {
        let (_, end) = CODEC.stream_events(&typed_frames(&[CREATED, bad]));
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode, "{bad}");
    }
}

#[test]
fn stream_skips_unknown_events_done_and_blank_frames() {
    let streamed = CODEC.stream(&typed_frames(&[
        CREATED,
        "",
        r#"{"type":"response.queued","response":{"id":"other","model":"other"}}"#,
        r#"{"type":"response.some_future_event","output_index":0,"payload":{"x":1}}"#,
        r#"{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Hi"}"#,
        r#"{"type":"response.output_text.logprobs","output_index":0}"#,
        r#"{"type":"response.output_item.done","output_index":0,"item":{"id":"m","type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi"}]}}"#,
        r#"{"type":"response.completed","response":{"id":"resp_s","model":"gpt-4.1","status":"completed","output":[]}}"#,
        "[DONE]",
    ]));
    assert_eq!(streamed.id.as_deref(), Some("resp_s"));
    assert_eq!(streamed.model.as_deref(), Some("gpt-4.1"));
    assert_eq!(streamed.content, vec![Part::text("Hi")]);
    assert_eq!(finish_of(&streamed), (FinishKind::Stop, Some("completed")));
}

#[test]
fn logprobs_are_requested_and_kept_streamed_or_not() {
    let mut r = CODEC.req(vec![Message::user("Hi")]);
    r.logprobs = Some(true);
    assert_eq!(
        CODEC.body_of(&r)["include"],
        json!(["message.output_text.logprobs"])
    );

    let lp = json!([{"token": "Hi", "logprob": -0.1, "top_logprobs": []}]);
    let whole = CODEC.decode(
        &json!({
            "id": "resp_1", "model": "m", "status": "completed",
            "output": [{"type": "message", "id": "msg_1", "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi", "annotations": [], "logprobs": lp}]}]
        })
        .to_string(),
    );
    assert_eq!(whole.provider_meta["logprobs"], lp);
    let delta = json!({"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "Hi", "logprobs": lp}).to_string();
    let done = json!({"type": "response.completed", "response": {"id": "resp_1", "model": "m", "status": "completed", "output": []}}).to_string();
    let (events, end) = CODEC.stream_events(&typed_frames(&[&delta, &done]));
    end.unwrap();
    let mut c = Collector::new();
    events.into_iter().for_each(|e| c.push(e));
    assert_eq!(c.finish().provider_meta["logprobs"], lp);
}

#[test]
fn message_text_arriving_only_in_the_item_done_event_is_kept() {
    let added = json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "id": "m1", "content": []}}).to_string();
    let item_done = json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "message", "id": "m1",
        "content": [{"type": "output_text", "text": "whole text", "annotations": []}]}})
    .to_string();
    let done =
        json!({"type": "response.completed", "response": {"status": "completed", "output": []}})
            .to_string();
    let (events, end) = CODEC.stream_events(&typed_frames(&[&added, &item_done, &done]));
    end.unwrap();
    let mut c = Collector::new();
    events.into_iter().for_each(|e| c.push(e));
    assert_eq!(c.finish().text(), "whole text");

    // With a `.done` event first, the item's copy of the text is not added again.
    let part_done = json!({"type": "response.output_text.done", "output_index": 0, "content_index": 0, "text": "whole text"}).to_string();
    let (events, _) = CODEC.stream_events(&typed_frames(&[&part_done, &item_done, &done]));
    let mut c = Collector::new();
    events.into_iter().for_each(|e| c.push(e));
    assert_eq!(c.finish().text(), "whole text");
}

#[test]
fn service_tier_is_reported_whole_and_streamed() {
    let response = json!({"id": "resp_t", "object": "response", "model": "gpt-4.1",
        "status": "completed", "service_tier": "flex",
        "output": [{"type": "message", "id": "m", "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}],
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}});
    let whole = CODEC.decode(&response.to_string());
    assert_eq!(whole.service_tier.as_deref(), Some("flex"));
    let done = json!({"type": "response.completed", "response": response}).to_string();
    let streamed = CODEC.stream(&typed_frames(&[CREATED, &done]));
    assert_eq!(streamed.service_tier.as_deref(), Some("flex"));
    // `auto` asked, `default` served: the served tier is what is reported.
    let mut r = CODEC.hi();
    r.service_tier = Some("auto".into());
    assert_eq!(CODEC.body_of(&r)["service_tier"], "auto");
}

#[test]
fn a_prediction_is_not_sent_and_warned() {
    let mut r = CODEC.hi();
    r.prediction = Some("draft".into());
    let (_, body, warnings) = CODEC.encode_with(&r, false);
    assert!(body.get("prediction").is_none());
    assert_eq!(settings(&warnings), ["prediction"]);
}
