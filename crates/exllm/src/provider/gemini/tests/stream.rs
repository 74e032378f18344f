//! Decoding streams, and shapes the recorded answers take.

use super::*;

#[test]
fn stream_equals_decode_for_every_fixture() {
    for (sse_text, json_text) in [
        fixture_pair!("thinking_text", "sse"),
        fixture_pair!("function_calls", "sse"),
        fixture_pair!("code_grounding", "sse"),
    ] {
        assert_eq!(CODEC.stream(&sse_data(sse_text)), CODEC.decode(json_text));
    }
}

#[test]
fn stream_emits_start_once_then_deltas_in_order_and_usage_once() {
    let (events, end) = CODEC.stream_events(&sse_data(fixture_pair!("thinking_text", "sse").0));
    end.unwrap();
    let count = |f: fn(&StreamEvent) -> bool| events.iter().filter(|e| f(e)).count();
    assert_eq!(count(|e| matches!(e, StreamEvent::Start { .. })), 1);
    assert_eq!(count(|e| matches!(e, StreamEvent::Usage(_))), 1);
    assert_eq!(
        events[..5],
        [
            StreamEvent::Start {
                id: Some("exllm-gem-think-1".into()),
                model: Some("gemini-2.5-flash".into()),
            },
            StreamEvent::ReasoningDelta("**Recalling the physics**\nAt one atmosphere, ".into()),
            StreamEvent::ReasoningDelta("pure water boils at 100 degrees Celsius.".into()),
            StreamEvent::TextDelta("Water boils at 100 °C".into()),
            StreamEvent::TextDelta(" (212 °F) at sea level.".into()),
        ]
    );
}

#[test]
fn stream_signature_in_a_trailing_empty_part_equals_a_signed_text_part() {
    let streamed = CODEC.stream(&edge_chunks("signed_text_chunks"));
    assert_eq!(
        streamed,
        CODEC.decode(&edge("signed_text_whole").to_string())
    );
    assert_eq!(
        streamed.content,
        vec![Part::text("Hello"), signature_only("s1")]
    );
}

#[test]
fn stream_in_band_error_ends_with_error() {
    let (events, end) = CODEC.stream_events(&edge_chunks("error_chunks"));
    end.expect("an error chunk ends the stream");
    let r = collect(events);
    assert_eq!(r.text(), "Partial");
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("INTERNAL")));
    assert_eq!(r.error.unwrap().message, "An internal error has occurred.");
}

#[test]
fn stream_without_finish_reason_is_truncated() {
    let mut frames = sse_data(fixture_pair!("thinking_text", "sse").0);
    frames.pop();
    let (events, end) = CODEC.stream_events(&frames);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    // What did arrive is still reported.
    let usage = events.iter().find_map(|e| match e {
        StreamEvent::Usage(u) => Some(u),
        _ => None,
    });
    assert_eq!(usage.unwrap().reasoning_tokens, Some(60));

    let (_, end) = CODEC.stream_events::<String>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    let (_, end) = CODEC.stream_events(&["  ".into(), String::new()]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    let ok = json!({"candidates": [{"content": {"parts": [{"text": "ok"}]}, "index": 0}]});
    for bad in ["{\"candidates\": [", "[DONE]", "{\"candidates\": 5}"] {
        let (events, end) = CODEC.stream_events(&[ok.to_string(), bad.to_owned()]);
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Decode, "{bad}");
        assert_eq!(events, [StreamEvent::TextDelta("ok".into())]);
    }
}

#[test]
fn decode_odd_parts_keep_their_fields() {
    // A signature alone, a text that is not a string, a function call that is not an
    // object, and a part whose first field (alphabetically) is `thought`.
    let r = CODEC.decode(
        r#"{"candidates":[{"content":{"role":"model","parts":[
            {"thoughtSignature":"c2ln"},
            {"text":5},
            {"functionCall":"nope"},
            {"videoMetadata":{"fps":1},"thought":false},
            {"text":"ok","unknownField":1}
        ]},"finishReason":"STOP","safetyRatings":[{"category":"X"}]}],
        "usageMetadata":{"promptTokenCount":2.5,"candidatesTokenCount":3}}"#,
    );
    let items: Vec<_> = r
        .content
        .iter()
        .filter_map(|p| match p {
            Part::ProviderItem(i) => Some((i.item_type.as_str(), i.raw.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        items,
        vec![
            ("", json!({"thoughtSignature": "c2ln"})),
            ("text", json!({"text": 5})),
            ("functionCall", json!({"functionCall": "nope"})),
            (
                "thought",
                json!({"videoMetadata": {"fps": 1}, "thought": false})
            ),
        ]
    );
    assert_eq!(r.text(), "ok");
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (None, Some(3)));
    assert_eq!(r.provider_meta["safetyRatings"], json!([{"category": "X"}]));
}

#[test]
fn several_candidates_become_alternatives_whole_and_streamed() {
    let cand = |i: u32, text: &str, finish: Option<&str>| {
        let mut c = json!({"index": i, "content": {"role": "model", "parts": [{"text": text}]}});
        if let Some(f) = finish {
            c["finishReason"] = f.into();
        }
        c
    };
    let whole = CODEC.decode(
        &json!({"candidates": [
            {"content": {"role": "model", "parts": [{"text": "Red."}]}, "finishReason": "STOP"},
            cand(1, "Blue sky.", Some("MAX_TOKENS")),
            {"index": 2, "content": {"role": "model", "parts": [{"functionCall": {"name": "pick", "args": {"c": 1}}}]},
             "finishReason": "STOP"}],
            "modelVersion": "gemini-2.5-flash"})
        .to_string(),
    );
    assert_eq!(whole.text(), "Red.");
    let alts = &whole.alternatives;
    assert_eq!(alts.len(), 2);
    assert_eq!((alts[0].index, alts[0].text()), (1, "Blue sky.".to_owned()));
    assert_eq!(alts[0].finish.as_ref().unwrap().kind, FinishKind::Length);
    assert_eq!(alts[1].index, 2);
    // A tool call and STOP is a tool-calls finish, in an alternative as in the response.
    assert_eq!(alts[1].finish.as_ref().unwrap().kind, FinishKind::ToolCalls);
    assert!(
        matches!(&alts[1].content[..], [Part::ToolCall(c)] if c.name == "pick" && !c.id.is_empty())
    );

    let chunk = |cands: Value| json!({"candidates": cands, "modelVersion": "gemini-2.5-flash"});
    let streamed = CODEC.stream(&data_frames(&[
        chunk(json!([cand(1, "Blue ", None), cand(0, "Red.", None)])),
        chunk(json!([cand(1, "sky.", Some("MAX_TOKENS")), {"index": 2, "content": {"role": "model",
            "parts": [{"functionCall": {"name": "pick", "args": {"c": 1}}}]}, "finishReason": "STOP"}])),
        chunk(json!([{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}])),
    ]));
    assert_eq!(streamed.text(), "Red.");
    assert_eq!(streamed.alternatives.len(), 2);
    assert_eq!(streamed.alternatives[0], alts[0]);
    assert_eq!(streamed.alternatives[1].finish, alts[1].finish);
}

#[test]
fn usage_reads_audio_modality_counts() {
    let r = CODEC.decode(
        &json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 12, "totalTokenCount": 52,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}, {"modality": "AUDIO", "tokenCount": 30}],
                "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 12}]}})
        .to_string(),
    );
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(40), Some(12)));
    assert_eq!(u.details.audio_input_tokens, Some(30));
    assert_eq!(u.details.audio_output_tokens, Some(12));
    // Details of an odd shape are unknown; the counts still read.
    let r = CODEC.decode(
        &json!({"candidates": [], "usageMetadata": {"promptTokenCount": 4, "promptTokensDetails": "?"}})
            .to_string(),
    );
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(4));
    assert!(u.details.is_empty());
}
