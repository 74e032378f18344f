//! The Responses event stream: recorded Responses and Anthropic streams re-encoded by us and
//! decoded by the library's Responses stream decoder, the event grammar checked on every
//! output, and item switching, calls without end events and broken streams.

use super::tests::expected;
use super::*;
use crate::wire::anthropic::test_support::{
    cases, decode_sse, encode_stream, event_sequences, sse_frames, Case, Summary,
};
use crate::wire::Inbound;
use exllm::provider::{AnthropicCodec, Codec, OpenAiResponsesCodec};
use exllm::{Collector, StreamEvent};
use proptest::prelude::*;

fn encoder() -> Box<dyn StreamEncoder> {
    let mut inbound = Inbound::default();
    inbound.request.model = "gpt-alias".into();
    OpenAiResponses::stream_encoder(&inbound)
}

/// Checks the grammar of one of our streams and returns its frames' data: sequence numbers
/// 0, 1, 2, ...; `response.created` and `.in_progress` first; items added with increasing
/// output indexes, one open at a time, each done with the type and ids it was added with;
/// deltas on the open item; a final
/// `response.completed` / `.incomplete` / `.failed` (after an `error` event for a broken
/// stream).
fn check_grammar(body: &[u8]) -> Vec<Value> {
    let frames = sse_frames(body);
    let data: Vec<Value> = frames
        .iter()
        .map(|(_, d)| serde_json::from_slice(d).unwrap())
        .collect();
    let names: Vec<&str> = frames.iter().map(|(e, _)| e.as_str()).collect();
    for (n, (name, d)) in names.iter().zip(&data).enumerate() {
        assert_eq!(d["type"], *name);
        assert_eq!(d["sequence_number"], n as u64);
    }
    let last = *names.last().unwrap();
    assert!(
        [
            "response.completed",
            "response.incomplete",
            "response.failed"
        ]
        .contains(&last),
        "{last}"
    );
    if names.contains(&"error") {
        assert_eq!(&names[names.len() - 2..], ["error", "response.failed"]);
        return data;
    }
    assert_eq!(&names[..2], ["response.created", "response.in_progress"]);
    let mut open: Option<u64> = None;
    let mut next = 0u64;
    let mut added = Value::Null;
    for (name, d) in names.iter().zip(&data) {
        match *name {
            "response.output_item.added" => {
                assert_eq!(open, None, "one item at a time");
                assert_eq!(d["output_index"], next);
                open = Some(next);
                next += 1;
                added = d["item"].clone();
            }
            "response.output_item.done" => {
                assert_eq!(d["output_index"].as_u64(), open);
                // The SDKs refuse an item whose identity changed between added and done.
                for key in ["type", "id", "call_id"] {
                    assert_eq!(d["item"][key], added[key], "{key} of item {open:?}");
                }
                open = None;
            }
            n if n.ends_with(".delta") || n.ends_with("part.added") => {
                assert_eq!(d["output_index"].as_u64(), open, "{n} on the open item")
            }
            n if n.starts_with("response.")
                && n != "response.created"
                && n != "response.in_progress"
                && d.get("response").is_some() =>
            {
                assert_eq!(open, None, "items close before the end");
                assert_eq!(
                    d["response"]["output"].as_array().unwrap().len() as u64,
                    next
                );
            }
            _ => {}
        }
    }
    data
}

fn check_case(case: &Case, codec: &dyn Codec) {
    let (events, complete) = case.library_events(codec);
    let want = Collector::collect(events.clone());
    let body = encode_stream(encoder(), &events, complete);
    check_grammar(&body);
    let (got, got_complete) = decode_sse(&OpenAiResponsesCodec, &body);
    assert!(
        got_complete,
        "{}: the library reads our stream to its end",
        case.name
    );
    let mut want_summary = expected(&want);
    let mut got_summary = Summary::of(&got);
    if !complete || want.error.is_some() {
        assert!(got.error.is_some(), "{}", case.name);
        want_summary.finish = Some(FinishKind::Error);
    }
    if want.usage.is_none() {
        got_summary.usage = None;
    }
    if want.finish.is_none() && complete {
        // No finish reported: ours says completed.
        want_summary.finish = got_summary.finish;
    }
    assert_eq!(got_summary, want_summary, "{}", case.name);
}

#[test]
fn recorded_responses_streams_survive_our_encoding() {
    let all = cases("openai-responses");
    all.iter()
        .for_each(|c| check_case(c, &OpenAiResponsesCodec));
    assert!(all.iter().filter(|c| c.stream).count() > 10);
}

#[test]
fn recorded_anthropic_streams_come_out_as_responses_events() {
    let all = cases("anthropic");
    all.iter().for_each(|c| check_case(c, &AnthropicCodec));
    assert!(all.iter().filter(|c| c.stream).count() > 10);
}

#[test]
fn items_follow_the_answer_and_calls_without_end_events_stream_in_order() {
    let start = |i: u32, id: &str, name: &str| StreamEvent::ToolCallStart {
        index: i,
        id: id.into(),
        name: name.into(),
    };
    let delta = |i: u32, a: &str| StreamEvent::ToolCallDelta {
        index: i,
        arguments: a.into(),
    };
    // As the library decodes a Chat Completions backend: calls never end explicitly.
    let events = vec![
        StreamEvent::Start {
            id: Some("chatcmpl-1".into()),
            model: None,
        },
        StreamEvent::ReasoningDelta("Plan".into()),
        StreamEvent::TextDelta("Sure.".into()),
        StreamEvent::RefusalDelta("Not all.".into()),
        start(0, "call_a", "a"),
        delta(0, "{\"x\""),
        delta(0, ":1}"),
        start(1, "call_b", "b"),
        delta(1, "{}"),
        StreamEvent::usage(Usage {
            input_tokens: Some(10),
            output_tokens: Some(5),
            cache_read_tokens: Some(4),
            reasoning_tokens: Some(2),
            ..Default::default()
        }),
        StreamEvent::Finish(FinishReason::new(FinishKind::ToolCalls, "tool_calls")),
    ];
    let body = encode_stream(encoder(), &events, true);
    let data = check_grammar(&body);
    assert_eq!(data[0]["response"]["id"], "chatcmpl-1");
    assert_eq!(data[0]["response"]["status"], "in_progress");
    let last = &data.last().unwrap()["response"];
    assert_eq!(
        (last["status"].as_str(), last["model"].as_str()),
        (Some("completed"), Some("gpt-alias"))
    );
    let kinds: Vec<&str> = last["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["reasoning", "message", "function_call", "function_call"]
    );
    assert_eq!(
        last["output"][1]["content"][1],
        json!({"type": "refusal", "refusal": "Not all."})
    );
    assert_eq!(last["output"][2]["arguments"], "{\"x\":1}");
    // The second call streamed live, once the first one's arguments were whole.
    let second = data
        .iter()
        .position(|d| d["type"] == "response.output_item.added" && d["item"]["call_id"] == "call_b")
        .unwrap();
    assert!(data[second + 1]["type"] == "response.function_call_arguments.delta");

    let (resp, _) = decode_sse(&OpenAiResponsesCodec, &body);
    assert_eq!(
        (resp.text(), resp.reasoning_text()),
        ("Sure.".into(), "Plan".into())
    );
    let calls = resp.tool_calls();
    assert_eq!(
        (
            calls[0].id.as_str(),
            &calls[0].arguments,
            calls[1].name.as_str()
        ),
        ("call_a", &json!({"x": 1}), "b")
    );
    let u = resp.usage.clone().unwrap();
    assert_eq!(
        (u.input_tokens, u.cache_read_tokens, u.reasoning_tokens),
        (Some(10), Some(4), Some(2))
    );
    assert_eq!(resp.finish_kind(), Some(FinishKind::ToolCalls));
}

#[test]
fn interleaved_fragments_wait_for_their_call() {
    let start = |i: u32, name: &str| StreamEvent::ToolCallStart {
        index: i,
        id: format!("c{i}"),
        name: name.into(),
    };
    let delta = |i: u32, a: &str| StreamEvent::ToolCallDelta {
        index: i,
        arguments: a.into(),
    };
    let events = vec![
        start(0, "a"),
        delta(0, "{\"x\":"),
        start(1, "b"),
        delta(1, "{\"y\":2}"),
        delta(0, "1}"),
        StreamEvent::ToolCallEnd { index: 1 },
    ];
    let body = encode_stream(encoder(), &events, true);
    check_grammar(&body);
    let (resp, _) = decode_sse(&OpenAiResponsesCodec, &body);
    let args: Vec<_> = resp
        .tool_calls()
        .iter()
        .map(|c| c.arguments.clone())
        .collect();
    assert_eq!(args, [json!({"x": 1}), json!({"y": 2})]);
}

#[test]
fn opaque_reasoning_keeps_the_backend_item_id() {
    let events = vec![
        StreamEvent::ReasoningDone {
            signature: None,
            encrypted: Some("gAAA".into()),
            id: Some("rs_7".into()),
        },
        StreamEvent::TextDelta("Hi".into()),
        StreamEvent::Finish(FinishReason::new(FinishKind::Length, "length")),
    ];
    let body = encode_stream(encoder(), &events, true);
    let data = check_grammar(&body);
    assert_eq!(data.last().unwrap()["type"], "response.incomplete");
    let (resp, _) = decode_sse(&OpenAiResponsesCodec, &body);
    assert!(
        matches!(&resp.content[0], Part::Reasoning(r) if r.id.as_deref() == Some("rs_7") && r.encrypted.as_deref() == Some("gAAA"))
    );
    assert_eq!(resp.finish_kind(), Some(FinishKind::Length));
}

#[test]
fn a_broken_stream_ends_with_error_and_response_failed() {
    let mut enc = encoder();
    let mut out = Vec::new();
    enc.event(&StreamEvent::TextDelta("Half".into()), &mut out);
    let error = ApiError {
        status: 502,
        kind: "server_error",
        message: "backend gone".into(),
        retry_after: None,
    };
    enc.error(&error, &mut out);
    enc.finish(&mut out);
    let data = check_grammar(&out);
    let n = data.len();
    assert_eq!(data[n - 2]["error"]["message"], "backend gone");
    assert_eq!(data[n - 1]["response"]["status"], "failed");
    assert_eq!(data[n - 1]["response"]["error"]["message"], "backend gone");
    let (resp, complete) = decode_sse(&OpenAiResponsesCodec, &out);
    assert!(complete);
    assert_eq!(resp.finish_kind(), Some(FinishKind::Error));
    assert_eq!(resp.text(), "Half");
}

#[test]
fn an_error_the_backend_reports_in_its_stream_fails_the_response() {
    let mut enc = encoder();
    let mut out = Vec::new();
    enc.event(
        &StreamEvent::Error(exllm::ResponseError {
            code: Some("server_error".into()),
            message: "boom".into(),
        }),
        &mut out,
    );
    enc.finish(&mut out);
    let data = check_grammar(&out);
    assert_eq!(data.last().unwrap()["response"]["error"]["message"], "boom");
}

proptest! {
    #[test]
    fn arbitrary_backend_streams_keep_their_content((events, expect) in event_sequences()) {
        let body = encode_stream(encoder(), &events, true);
        check_grammar(&body);
        let (resp, complete) = decode_sse(&OpenAiResponsesCodec, &body);
        prop_assert!(complete);
        prop_assert_eq!(resp.text(), expect.text);
        let refusal: String = resp.content.iter().filter_map(|p| match p { Part::Refusal { text } => Some(text.as_str()), _ => None }).collect();
        prop_assert_eq!(refusal, expect.refusal);
        prop_assert_eq!(resp.reasoning_text(), expect.reasoning);
        let calls: Vec<_> = resp.tool_calls().iter().map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone())).collect();
        prop_assert_eq!(calls, expect.calls);
    }
}
