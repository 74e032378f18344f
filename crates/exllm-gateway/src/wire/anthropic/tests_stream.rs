//! The Anthropic event stream: recorded Anthropic and Responses streams re-encoded by us and
//! decoded by the library's Anthropic stream decoder, the event grammar checked on every
//! output, and the block switching, whole calls and errors of synthetic streams.

use super::test_support::{
    cases, decode_sse, encode_stream, event_sequences, sse_frames, Case, Summary,
};
use super::*;
use crate::wire::Inbound;
use exllm::provider::{AnthropicCodec, Codec, OpenAiResponsesCodec};
use exllm::{Collector, FinishKind, Part, ProviderItem, StreamEvent, ToolCall};
use proptest::prelude::*;

fn encoder() -> Box<dyn StreamEncoder> {
    let mut inbound = Inbound::default();
    inbound.request.model = "claude-alias".into();
    AnthropicMessages::stream_encoder(&inbound)
}

/// Checks the grammar of one of our streams and returns its frames' data: `message_start`
/// first; blocks opened with increasing indexes, one at a time, each closed; deltas on the
/// open block; then `message_delta` and `message_stop` last, or an `error` event last and no
/// `message_stop`.
fn check_grammar(body: &[u8]) -> Vec<Value> {
    let frames = sse_frames(body);
    let data: Vec<Value> = frames
        .iter()
        .map(|(_, d)| serde_json::from_slice(d).unwrap())
        .collect();
    let names: Vec<&str> = frames.iter().map(|(e, _)| e.as_str()).collect();
    for (name, d) in names.iter().zip(&data) {
        assert_eq!(d["type"], *name, "the event name is the data's type");
    }
    let last = *names.last().expect("a stream has events");
    if last == "error" {
        assert!(
            !names.contains(&"message_stop"),
            "a broken stream never stops cleanly"
        );
        assert_eq!(names.iter().filter(|n| **n == "error").count(), 1);
    } else {
        assert_eq!(names.first(), Some(&"message_start"));
        assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    }
    let mut open: Option<u64> = None;
    let mut next = 0u64;
    for (name, d) in names.iter().zip(&data) {
        match *name {
            "content_block_start" => {
                assert_eq!(open, None, "one block at a time");
                assert_eq!(d["index"], next);
                open = Some(next);
                next += 1;
            }
            "content_block_delta" => {
                assert_eq!(d["index"].as_u64(), open, "a delta on the open block")
            }
            "content_block_stop" => {
                assert_eq!(d["index"].as_u64(), open);
                open = None;
            }
            "message_delta" | "message_stop" => assert_eq!(open, None, "blocks close first"),
            _ => {}
        }
    }
    data
}

/// Re-encodes a recorded stream (or a whole answer replayed as events) and checks what the
/// library decodes from it against what it decoded from the recording.
fn check_case(case: &Case, codec: &dyn Codec) {
    let (events, complete) = case.library_events(codec);
    let want = Collector::collect(events.clone());
    let body = encode_stream(encoder(), &events, complete);
    check_grammar(&body);
    let (got, got_complete) = decode_sse(&AnthropicCodec, &body);
    assert!(
        got_complete,
        "{}: the library reads our stream to its end",
        case.name
    );
    let mut want_summary = Summary::of(&want);
    let mut got_summary = Summary::of(&got);
    let broken = !complete || want.error.is_some();
    if broken {
        assert_eq!(got.finish_kind(), Some(FinishKind::Error), "{}", case.name);
        assert!(got.error.is_some(), "{}", case.name);
        want_summary.finish = Some(FinishKind::Error);
        // A broken stream's usage stays what message_start said.
        want_summary.usage = None;
        got_summary.usage = None;
    } else if want_summary.finish == Some(FinishKind::Other)
        && want.finish.as_ref().and_then(|f| f.raw.as_deref()) != Some("pause_turn")
    {
        want_summary.finish = Some(if want_summary.calls.is_empty() {
            FinishKind::Stop
        } else {
            FinishKind::ToolCalls
        });
    }
    if want.usage.is_none() {
        got_summary.usage = None;
    }
    if want.finish.is_none() && !broken {
        got_summary.finish = None;
        want_summary.finish = None;
    }
    assert_eq!(got_summary, want_summary, "{}", case.name);
}

#[test]
fn recorded_anthropic_streams_survive_our_encoding() {
    let all = cases("anthropic");
    all.iter().for_each(|c| check_case(c, &AnthropicCodec));
    assert!(all.iter().filter(|c| c.stream).count() > 10);
}

#[test]
fn recorded_responses_streams_come_out_as_anthropic_events() {
    let all = cases("openai-responses");
    all.iter()
        .for_each(|c| check_case(c, &OpenAiResponsesCodec));
    assert!(all.iter().filter(|c| c.stream).count() > 10);
}

fn run(events: Vec<StreamEvent>) -> (Vec<Value>, ChatResponse) {
    let body = encode_stream(encoder(), &events, true);
    let data = check_grammar(&body);
    let (resp, complete) = decode_sse(&AnthropicCodec, &body);
    assert!(complete);
    (data, resp)
}

#[test]
fn switching_between_text_reasoning_and_calls_opens_new_blocks() {
    let events = vec![
        StreamEvent::Start {
            id: Some("msg_9".into()),
            model: Some("backend".into()),
        },
        StreamEvent::usage(Usage {
            input_tokens: Some(50),
            cache_read_tokens: Some(20),
            ..Default::default()
        }),
        StreamEvent::ReasoningDelta("Hmm".into()),
        StreamEvent::ReasoningDelta(", yes.".into()),
        StreamEvent::ReasoningDone {
            signature: Some("c2ln".into()),
            encrypted: None,
            id: None,
        },
        StreamEvent::TextDelta("Sure".into()),
        StreamEvent::ReasoningDelta("More?".into()),
        StreamEvent::TextDelta("!".into()),
        StreamEvent::ToolCallStart {
            index: 0,
            id: "call_a".into(),
            name: String::new(),
        },
        StreamEvent::ToolCallStart {
            index: 0,
            id: String::new(),
            name: "look".into(),
        },
        StreamEvent::ToolCallDelta {
            index: 0,
            arguments: "{\"q\":".into(),
        },
        StreamEvent::ToolCallDelta {
            index: 0,
            arguments: "1}".into(),
        },
        StreamEvent::ToolCallEnd { index: 0 },
        StreamEvent::ToolCall(ToolCall {
            id: "call_b".into(),
            name: "other".into(),
            arguments: json!({"x": [1]}),
            provider_meta: None,
        }),
        StreamEvent::usage(Usage {
            output_tokens: Some(9),
            ..Default::default()
        }),
        StreamEvent::Finish(FinishReason::new(FinishKind::ToolCalls, "tool_calls")),
    ];
    let (data, resp) = run(events);
    assert_eq!(data[0]["message"]["id"], "msg_9");
    assert_eq!(data[0]["message"]["model"], "claude-alias");
    assert_eq!(
        data[0]["message"]["usage"]["input_tokens"], 30,
        "known input is in message_start"
    );
    let starts: Vec<&str> = data
        .iter()
        .filter(|d| d["type"] == "content_block_start")
        .map(|d| d["content_block"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        ["thinking", "text", "thinking", "text", "tool_use", "tool_use"]
    );
    let tool = data
        .iter()
        .find(|d| d["content_block"]["type"] == "tool_use")
        .unwrap();
    assert_eq!(
        tool["content_block"],
        json!({"type": "tool_use", "id": "call_a", "name": "look", "input": {}})
    );
    let last_delta = &data[data.len() - 2];
    assert_eq!(last_delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(last_delta["usage"]["output_tokens"], 9);

    assert_eq!(resp.text(), "Sure!");
    assert_eq!(resp.reasoning_text(), "Hmm, yes.More?");
    let calls = resp.tool_calls();
    assert_eq!(
        (
            calls[0].id.as_str(),
            calls[0].name.as_str(),
            &calls[0].arguments
        ),
        ("call_a", "look", &json!({"q": 1}))
    );
    assert_eq!(
        (calls[1].id.as_str(), &calls[1].arguments),
        ("call_b", &json!({"x": [1]}))
    );
    let sig: Vec<_> = resp
        .content
        .iter()
        .filter_map(|p| match p {
            Part::Reasoning(r) => Some(r.signature.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(sig, [Some("c2ln".to_owned()), None]);
    let u = resp.usage.unwrap();
    assert_eq!(
        (u.input_tokens, u.cache_read_tokens, u.output_tokens),
        (Some(50), Some(20), Some(9))
    );
}

#[test]
fn usage_known_only_at_the_end_is_restated_in_message_delta() {
    let (data, resp) = run(vec![
        StreamEvent::TextDelta("Hi".into()),
        StreamEvent::usage(Usage {
            input_tokens: Some(12),
            output_tokens: Some(3),
            cache_write_tokens: Some(2),
            ..Default::default()
        }),
        StreamEvent::Finish(FinishReason::new(FinishKind::Length, "length")),
    ]);
    let delta = &data[data.len() - 2];
    assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
    assert_eq!(
        delta["usage"],
        json!({"input_tokens": 10, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 0, "output_tokens": 3})
    );
    let u = resp.usage.clone().unwrap();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.cache_write_tokens),
        (Some(12), Some(3), Some(2))
    );
    assert_eq!(resp.finish_kind(), Some(FinishKind::Length));
}

#[test]
fn redacted_thinking_and_anthropic_server_blocks_pass_whole() {
    let raw = json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}});
    let (data, resp) = run(vec![
        StreamEvent::ReasoningDone {
            signature: None,
            encrypted: Some("b3BhcXVl".into()),
            id: None,
        },
        // Another API's opaque reasoning is not Anthropic's to send back.
        StreamEvent::ReasoningDone {
            signature: None,
            encrypted: Some("enc".into()),
            id: Some("rs_1".into()),
        },
        StreamEvent::ProviderItem(ProviderItem {
            api: "anthropic".into(),
            item_type: "server_tool_use".into(),
            raw: raw.clone(),
        }),
        StreamEvent::ProviderItem(ProviderItem {
            api: "openai-responses".into(),
            item_type: "web_search_call".into(),
            raw: json!({"type": "web_search_call"}),
        }),
        StreamEvent::TextDelta("Done.".into()),
        StreamEvent::Finish(FinishReason::new(FinishKind::Stop, "stop")),
    ]);
    assert_eq!(
        data[1]["content_block"],
        json!({"type": "redacted_thinking", "data": "b3BhcXVl"})
    );
    assert_eq!(data[3]["content_block"], raw);
    assert_eq!(resp.content.len(), 3);
    assert!(
        matches!(&resp.content[0], Part::Reasoning(r) if r.encrypted.as_deref() == Some("b3BhcXVl"))
    );
    assert!(matches!(&resp.content[1], Part::ProviderItem(i) if i.item_type == "server_tool_use"));
    assert_eq!(resp.text(), "Done.");
}

#[test]
fn a_broken_stream_ends_with_an_error_event() {
    let mut enc = encoder();
    let mut out = Vec::new();
    enc.event(&StreamEvent::TextDelta("Half an ans".into()), &mut out);
    let error = ApiError {
        status: 529,
        kind: "overloaded_error",
        message: "Overloaded".into(),
        retry_after: None,
    };
    enc.error(&error, &mut out);
    // Nothing after the error, not even a finish.
    enc.event(&StreamEvent::TextDelta("wer".into()), &mut out);
    enc.finish(&mut out);
    let data = check_grammar(&out);
    assert_eq!(
        data.last().unwrap(),
        &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );
    let (resp, _) = decode_sse(&AnthropicCodec, &out);
    assert_eq!(resp.text(), "Half an ans");
    assert_eq!(resp.finish_kind(), Some(FinishKind::Error));
}

#[test]
fn an_error_the_backend_reports_in_its_stream_is_not_a_clean_end() {
    let mut enc = encoder();
    let mut out = Vec::new();
    enc.event(&StreamEvent::TextDelta("a".into()), &mut out);
    enc.event(
        &StreamEvent::Error(exllm::ResponseError {
            code: Some("server_error".into()),
            message: "boom".into(),
        }),
        &mut out,
    );
    enc.finish(&mut out);
    let data = check_grammar(&out);
    assert_eq!(data.last().unwrap()["error"]["message"], "boom");
}

#[test]
fn an_empty_answer_is_still_a_whole_message() {
    let (data, resp) = run(vec![StreamEvent::Finish(FinishReason::new(
        FinishKind::Stop,
        "stop",
    ))]);
    assert_eq!(data.len(), 3);
    assert_eq!(resp.text(), "");
    assert_eq!(resp.finish_kind(), Some(FinishKind::Stop));
}

#[test]
fn interleaved_parallel_calls_keep_every_fragment() {
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
        StreamEvent::ToolCallEnd { index: 0 },
        StreamEvent::ToolCallEnd { index: 1 },
    ];
    let body = encode_stream(encoder(), &events, true);
    let (resp, _) = decode_sse(&AnthropicCodec, &body);
    let args: Vec<_> = resp
        .tool_calls()
        .iter()
        .map(|c| c.arguments.clone())
        .collect();
    assert_eq!(args, [json!({"x": 1}), json!({"y": 2})]);
}

proptest! {
    #[test]
    fn arbitrary_backend_streams_keep_their_content((events, expect) in event_sequences()) {
        let body = encode_stream(encoder(), &events, true);
        check_grammar(&body);
        let (resp, complete) = decode_sse(&AnthropicCodec, &body);
        prop_assert!(complete);
        prop_assert_eq!(resp.text(), expect.visible);
        prop_assert_eq!(resp.reasoning_text(), expect.reasoning);
        let calls: Vec<_> = resp.tool_calls().iter().map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone())).collect();
        prop_assert_eq!(calls, expect.calls);
    }
}

#[test]
fn pings_between_frames_change_nothing() {
    let events = vec![
        StreamEvent::TextDelta("a".into()),
        StreamEvent::Finish(FinishReason::new(FinishKind::Stop, "stop")),
    ];
    let plain = encode_stream(encoder(), &events, true);
    let text = String::from_utf8(plain.clone()).unwrap();
    let mut pinged = Vec::new();
    for frame in text.split_terminator("\n\n") {
        pinged.extend_from_slice(PING_EVENT);
        pinged.extend_from_slice(frame.as_bytes());
        pinged.extend_from_slice(b"\n\n");
    }
    let (a, _) = decode_sse(&AnthropicCodec, &plain);
    let (b, complete) = decode_sse(&AnthropicCodec, &pinged);
    assert!(complete);
    assert_eq!(Summary::of(&a), Summary::of(&b));
    assert_eq!(
        sse_frames(&pinged)
            .iter()
            .filter(|(e, _)| e == "ping")
            .count(),
        6
    );
}
