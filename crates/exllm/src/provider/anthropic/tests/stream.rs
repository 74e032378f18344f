//! Stream decoding, and streamed answers equal to whole ones.

use super::*;

#[test]
fn stream_thinking_and_text_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/thinking_text.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/thinking_text.json"))
    );
}

#[test]
fn stream_usage_merges_message_start_and_delta() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/thinking_text.sse")));
    let u = streamed.usage.unwrap();
    assert_eq!(u.input_tokens, Some(2150));
    assert_eq!(u.output_tokens, Some(70));
    assert_eq!(u.cache_read_tokens, Some(2000));
    assert_eq!(u.cache_write_tokens, Some(100));
}

#[test]
fn stream_tool_use_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/tool_use.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/tool_use.json"))
    );
    assert_eq!(
        streamed.tool_calls()[0].arguments,
        json!({"city": "Paris", "unit": "celsius"})
    );
}

#[test]
fn stream_tool_use_with_input_in_the_start_block() {
    let streamed = CODEC.stream(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_9","name":"lookup","input":{"id":7}}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":5}}"#,
        STOP,
    ]));
    assert_eq!(
        streamed.content,
        vec![call("toolu_9", "lookup", json!({"id": 7}))]
    );
}

#[test]
fn stream_server_tools_and_citations_equal_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/web_search.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/web_search.json"))
    );
}

#[test]
fn stream_redacted_thinking_equals_decode() {
    let streamed = CODEC.stream(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgB-redacted"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Done."}}"#,
        r#"{"type":"content_block_stop","index":1}"#,
        END_TURN,
        STOP,
    ]));
    let whole = CODEC.decode(
        r#"{"id":"msg_s","model":"claude-sonnet-4-5","content":[{"type":"redacted_thinking","data":"EmwKAhgB-redacted"},{"type":"text","text":"Done."}],
            "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":5}}"#,
    );
    assert_eq!(streamed, whole);
}

#[test]
fn stream_stop_sequence_equals_decode() {
    let streamed = CODEC.stream(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"1, 2, 3"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"4"},"usage":{"output_tokens":5}}"#,
        STOP,
    ]));
    let whole = CODEC.decode(
        r#"{"id":"msg_s","model":"claude-sonnet-4-5","content":[{"type":"text","text":"1, 2, 3"}],
            "stop_reason":"stop_sequence","stop_sequence":"4","usage":{"input_tokens":10,"output_tokens":5}}"#,
    );
    assert_eq!(streamed, whole);
    assert_eq!(streamed.provider_meta["stop_sequence"], "4");
}

#[test]
fn stream_skips_pings_and_unknown_events_and_deltas() {
    let unknown_block = r#"{"type":"future_block","id":"fb_1","payload":{"a":1}}"#;
    let streamed = CODEC.stream(&typed_frames(&[
        r#"{"type":"ping"}"#,
        START,
        "",
        r#"{"type":"some_future_event","data":{"x":1}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"future_delta","stuff":"?"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        &format!(r#"{{"type":"content_block_start","index":1,"content_block":{unknown_block}}}"#),
        r#"{"type":"content_block_stop","index":1}"#,
        r#"{"type":"content_block_stop","index":7}"#,
        r#"{"type":"ping"}"#,
        END_TURN,
        STOP,
    ]));
    let whole = CODEC.decode(&format!(
        r#"{{"id":"msg_s","model":"claude-sonnet-4-5","content":[{{"type":"text","text":"Hello"}},{unknown_block}],
            "stop_reason":"end_turn","usage":{{"input_tokens":10,"output_tokens":5}}}}"#
    ));
    assert_eq!(streamed, whole);
    assert_eq!(streamed.text(), "Hello");
}

#[test]
fn stream_error_event_ends_with_error() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Partial"}}"#,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    ]));
    end.expect("an error event is terminal");
    let r = collect(events);
    assert_eq!(r.text(), "Partial");
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("overloaded_error")));
    let e = r.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("overloaded_error"));
    assert_eq!(e.message, "Overloaded");
    // Usage from message_start is still reported.
    assert_eq!(r.usage.unwrap().input_tokens, Some(10));
}

#[test]
fn stream_without_terminal_event_is_truncated() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[
        START,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Once upon"}}"#,
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
    ]));
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    let partial = collect(events);
    assert_eq!(partial.text(), "Once upon");
    assert!(partial.finish.is_none());

    let (_, end) = CODEC.stream_events::<(String, String)>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_message_delta_without_message_stop_is_complete() {
    let (events, end) = CODEC.stream_events(&typed_frames(&[START, END_TURN]));
    end.unwrap();
    let r = collect(events);
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("end_turn")));
    assert_eq!(r.usage.unwrap().output_tokens, Some(5));
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    for bad in [
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":",
        "event: ping",
        "[1, 2]",
    ] {
        let (_, end) = CODEC.stream_events(&typed_frames(&[START, bad]));
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode, "{bad}");
    }
}

#[test]
fn stream_events_of_odd_shapes_are_read_leniently() {
    // Valid JSON objects whose fields have unexpected shapes are not decode errors: an
    // unknown type is skipped, a known one keeps what it can read.
    for odd in [
        "{\"type\":[]}",
        "{\"type\":\"content_block_delta\",\"index\":-3}",
        "{\"type\":\"message_start\",\"message\":{},\"index\":\"zero\"}",
        "{\"type\":\"future_event\",\"index\":\"x\",\"delta\":{\"stdout\":1}}",
    ] {
        let (events, end) = CODEC.stream_events(&typed_frames(&[START, odd, END_TURN, STOP]));
        end.unwrap_or_else(|e| panic!("{odd}: {e}"));
        assert_eq!(finish_of(&collect(events)).0, FinishKind::Stop, "{odd}");
    }
}
