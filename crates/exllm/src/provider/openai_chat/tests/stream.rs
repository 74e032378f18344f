//! Stream decoding, and streamed answers equal to whole ones.

use super::*;

#[test]
fn stream_text_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/text.sse")));
    let whole = CODEC.decode(include_str!("../fixtures/text.json"));
    assert_eq!(streamed, whole);
    // Usage came from the final chunk whose choices are empty.
    assert_eq!(
        streamed.usage.as_ref().unwrap().cache_read_tokens,
        Some(1024)
    );
    assert_eq!(streamed.text(), "The capital of France is Paris.");
}

#[test]
fn stream_emits_start_once_and_text_deltas_in_order() {
    let (events, end) = CODEC.stream_events(&sse(include_str!("../fixtures/text.sse")));
    end.unwrap();
    let starts = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Start { .. }))
        .count();
    assert_eq!(starts, 1);
    assert_eq!(
        events[0],
        StreamEvent::Start {
            id: Some("chatcmpl-exllm-text-1".into()),
            model: Some("gpt-4o-mini-2024-07-18".into()),
        }
    );
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["The capital", " of France", " is Paris."]);
}

#[test]
fn stream_tool_call_fragments_equal_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/tool_calls.sse")));
    let whole = CODEC.decode(include_str!("../fixtures/tool_calls.json"));
    assert_eq!(streamed, whole);
    assert_eq!(
        streamed.tool_calls()[0].arguments,
        json!({"city": "Paris", "unit": "celsius"})
    );
    assert_eq!(streamed.tool_calls()[1].arguments, json!({}));
}

#[test]
fn stream_deepseek_reasoning_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/deepseek_reasoning.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/deepseek_reasoning.json"))
    );
    assert_eq!(streamed.content.len(), 2);
}

#[test]
fn stream_groq_usage_from_x_groq_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/groq_reasoning.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/groq_reasoning.json"))
    );
    assert_eq!(streamed.usage.unwrap().input_tokens, Some(15));
}

#[test]
fn stream_mistral_thinking_equals_decode() {
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/mistral_thinking.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/mistral_thinking.json"))
    );
}

#[test]
fn stream_perplexity_running_usage_and_citations_equal_decode() {
    // Perplexity repeats citations and a running usage total on every chunk and sends no
    // [DONE]; the finish reason ends the stream.
    let streamed = CODEC.stream(&sse(include_str!("../fixtures/perplexity.sse")));
    assert_eq!(
        streamed,
        CODEC.decode(include_str!("../fixtures/perplexity.json"))
    );
    assert_eq!(streamed.usage.unwrap().output_tokens, Some(12));
}

#[test]
fn stream_refusal_equals_decode() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"finish_reason":null}]}"#,
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":null}]}"#,
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"delta":{"refusal":" help."},"finish_reason":null}]}"#,
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        "[DONE]",
    ]));
    let whole = CODEC.decode(
        r#"{"id":"r1","model":"gpt-4o","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"refusal":"I can't help."}}]}"#,
    );
    assert_eq!(streamed, whole);
    assert_eq!(
        streamed.content,
        vec![Part::Refusal {
            text: "I can't help.".into()
        }]
    );
}

#[test]
fn stream_logprobs_concatenate_and_equal_decode() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"l1","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.1}]},"finish_reason":null}]}"#,
        r#"{"id":"l1","choices":[{"index":0,"delta":{"content":"!"},"logprobs":{"content":[{"token":"!","logprob":-0.2}]},"finish_reason":null}]}"#,
        r#"{"id":"l1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#,
        "[DONE]",
    ]));
    let whole = CODEC.decode(
        r#"{"id":"l1","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi!"},
            "logprobs":{"content":[{"token":"Hi","logprob":-0.1},{"token":"!","logprob":-0.2}]}}]}"#,
    );
    assert_eq!(streamed, whole);
    assert_eq!(streamed.provider_meta["logprobs"][1]["token"], "!");
}

#[test]
fn stream_parallel_tool_calls_in_one_chunk() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"p","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[
            {"index":0,"id":"call_1","type":"function","function":{"name":"a","arguments":"{\"x\":1}"}},
            {"index":1,"id":"call_2","type":"function","function":{"name":"b","arguments":"{\"y\":"}}
        ]},"finish_reason":null}]}"#,
        r#"{"id":"p","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}}]},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ]));
    let calls = streamed.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].id.as_str(), &calls[0].arguments),
        ("call_1", &json!({"x": 1}))
    );
    assert_eq!(
        (calls[1].name.as_str(), &calls[1].arguments),
        ("b", &json!({"y": 2}))
    );
    assert_eq!(
        finish_of(&streamed),
        (FinishKind::ToolCalls, Some("tool_calls"))
    );
}

#[test]
fn stream_tool_call_without_id_gets_one_made_up() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#,
    ]));
    assert_eq!(streamed.tool_calls()[0].id, "call_0");
    assert_eq!(streamed.tool_calls()[0].name, "f");
}

#[test]
fn stream_without_usage_leaves_usage_unknown() {
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"n","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}"#,
        r#"{"id":"n","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
        "[DONE]",
    ]));
    assert!(streamed.usage.is_none());
    assert_eq!(finish_of(&streamed), (FinishKind::Length, Some("length")));
}

#[test]
fn stream_keeps_other_choices_apart_and_skips_keepalives_and_unknown_parts() {
    let streamed = CODEC.stream(&data_frames(&[
        "",
        "   ",
        r#"{"id":"k","choices":[{"index":1,"delta":{"content":"second choice"},"finish_reason":null}]}"#,
        r#"{"id":"k","choices":[{"index":0,"delta":{"content":[{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"first"}]},"finish_reason":null}]}"#,
        r#"{"id":"k","object":"chat.completion.chunk","unknown_field":{"a":1},"choices":[{"index":0,"delta":{"content":" choice"},"finish_reason":null}]}"#,
        r#"{"id":"k","choices":[{"index":1,"delta":{},"finish_reason":"length"}]}"#,
        r#"{"id":"k","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        "[DONE]",
    ]));
    assert_eq!(streamed.content, vec![Part::text("first choice")]);
    assert_eq!(finish_of(&streamed), (FinishKind::Stop, Some("stop")));
    assert_eq!(
        streamed.alternatives,
        [Alternative {
            index: 1,
            content: vec![Part::text("second choice")],
            finish: Some(FinishReason::new(FinishKind::Length, "length")),
        }]
    );
}

#[test]
fn stream_several_choices_and_service_tier_equal_decode() {
    // n = 3: the choices' deltas interleave; choice 2 calls a tool.
    let chunk = |choices: Value| json!({"id": "c1", "model": "gpt-4o-mini", "service_tier": "default", "choices": choices});
    let text = |i: u32, t: &str| json!({"index": i, "delta": {"content": t}});
    let end = |i: u32, r: &str| json!({"index": i, "delta": {}, "finish_reason": r});
    let frames = data_frames(&[
        chunk(json!([text(0, "Red"), text(1, "Blue")])),
        chunk(
            json!([{"index": 2, "delta": {"tool_calls": [{"index": 0, "id": "call_9",
            "type": "function", "function": {"name": "pick", "arguments": "{\"c\":"}}]}}]),
        ),
        chunk(
            json!([text(1, " sky"), {"index": 2, "delta": {"tool_calls": [{"index": 0,
            "function": {"arguments": "1}"}}]}}]),
        ),
        chunk(json!([
            end(2, "tool_calls"),
            end(1, "length"),
            end(0, "stop")
        ])),
        json!({"id": "c1", "model": "gpt-4o-mini", "service_tier": "default", "choices": [],
               "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}}),
    ]);
    let streamed = CODEC.stream(&frames);
    let whole = CODEC.decode(
        &json!({"id": "c1", "model": "gpt-4o-mini", "service_tier": "default",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "Red"}, "finish_reason": "stop"},
                {"index": 1, "message": {"role": "assistant", "content": "Blue sky"}, "finish_reason": "length"},
                {"index": 2, "message": {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_9", "type": "function", "function": {"name": "pick", "arguments": "{\"c\":1}"}}]},
                 "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}})
        .to_string(),
    );
    assert_eq!(streamed, whole);
    assert_eq!(whole.text(), "Red");
    assert_eq!(whole.service_tier.as_deref(), Some("default"));
    let alts = &whole.alternatives;
    assert_eq!(alts.len(), 2);
    assert_eq!((alts[0].index, alts[0].text()), (1, "Blue sky".to_owned()));
    assert_eq!(
        alts[0].finish,
        Some(FinishReason::new(FinishKind::Length, "length"))
    );
    assert_eq!(alts[1].index, 2);
    assert_eq!(
        alts[1].content,
        [Part::ToolCall(ToolCall {
            id: "call_9".into(),
            name: "pick".into(),
            arguments: json!({"c": 1}),
            provider_meta: None,
        })]
    );
    assert_eq!(alts[1].finish.as_ref().unwrap().kind, FinishKind::ToolCalls);
}

#[test]
fn stream_done_alone_ends_cleanly() {
    let (events, end) = CODEC.stream_events(&data_frames(&["[DONE]"]));
    end.unwrap();
    assert!(events.is_empty());
}

#[test]
fn stream_finish_reason_without_done_ends_cleanly() {
    let (_, end) = CODEC.stream_events(&data_frames(&[
        r#"{"id":"f","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"#,
    ]));
    end.unwrap();
}

#[test]
fn stream_without_terminal_event_is_truncated() {
    let (events, end) = CODEC.stream_events(&data_frames(&[
        r#"{"id":"t","model":"m","choices":[{"index":0,"delta":{"content":"Once upon"},"finish_reason":null}]}"#,
        r#"{"id":"t","model":"m","choices":[{"index":0,"delta":{"content":" a time"},"finish_reason":null}]}"#,
    ]));
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
    // What arrived before the cut is still reported.
    assert_eq!(collect(events).text(), "Once upon a time");
}

#[test]
fn stream_empty_body_is_truncated() {
    let (_, end) = CODEC.stream_events::<(String, String)>(&[]);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::Truncated);
}

#[test]
fn stream_malformed_json_is_a_decode_error() {
    for bad in [
        "{\"id\":\"x\",\"choices\":[",
        "not json",
        "{\"choices\":\"nope\"}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":-1}]}}]}",
        "data: {}",
    ] {
        let (_, end) = CODEC.stream_events(&data_frames(&[
            r#"{"id":"ok","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}"#,
            bad,
        ]));
        let err = end.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{bad}");
    }
}

#[test]
fn stream_openrouter_error_chunk_ends_with_error() {
    // OpenRouter reports mid-stream failures as a chunk with a top-level `error` and a choice
    // whose finish_reason is "error".
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"gen-1","model":"openai/gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Partial"},"finish_reason":null}]}"#,
        r#"{"id":"gen-1","object":"chat.completion.chunk","created":1760000600,"model":"openai/gpt-4o","provider":"OpenAI","error":{"code":"server_error","message":"Provider disconnected unexpectedly"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}"#,
        "[DONE]",
    ]));
    assert_eq!(streamed.text(), "Partial");
    assert_eq!(streamed.finish_kind(), Some(FinishKind::Error));
    let e = streamed.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert_eq!(e.message, "Provider disconnected unexpectedly");
}

#[test]
fn stream_plain_error_object_ends_with_error() {
    let (events, end) = CODEC.stream_events(&data_frames(&[
        r#"{"id":"e","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
        r#"{"error":{"message":"The model is overloaded.","type":"server_error","param":null,"code":null}}"#,
    ]));
    // The error is the terminal event: no Truncated error on top of it.
    end.unwrap();
    let r = collect(events);
    assert_eq!(r.text(), "Hel");
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("server_error")));
    assert_eq!(r.error.unwrap().message, "The model is overloaded.");
}

#[test]
fn stream_vllm_in_band_error_ends_with_error() {
    // vLLM / SGLang report some request errors inside a 200 stream, then send [DONE].
    let r = CODEC.stream(&data_frames(&[
        r#"{"error":{"object":"error","message":"The model is not multimodal.","type":"BadRequestError","param":null,"code":400}}"#,
        "[DONE]",
    ]));
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("BadRequestError")));
    assert_eq!(r.error.unwrap().message, "The model is not multimodal.");
    assert!(r.content.is_empty());
}

#[test]
fn stream_azure_prompt_filter_chunk_does_not_blank_id_and_model() {
    // Azure OpenAI opens the stream with a content-filter chunk whose id and model are empty.
    let streamed = CODEC.stream(&data_frames(&[
        r#"{"id":"","object":"","created":0,"model":"","system_fingerprint":null,"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}],"choices":[]}"#,
        r#"{"id":"chatcmpl-az1","object":"chat.completion.chunk","created":1760000700,"model":"gpt-4o-2024-11-20","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null,"content_filter_results":{}}]}"#,
        r#"{"id":"chatcmpl-az1","object":"chat.completion.chunk","created":1760000700,"model":"gpt-4o-2024-11-20","choices":[{"index":0,"delta":{},"finish_reason":"stop","content_filter_results":{}}]}"#,
        "[DONE]",
    ]));
    let whole = CODEC.decode(
        r#"{"id":"chatcmpl-az1","object":"chat.completion","model":"gpt-4o-2024-11-20","prompt_filter_results":[],
            "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"},"content_filter_results":{}}]}"#,
    );
    assert_eq!(streamed, whole);
    assert_eq!(streamed.id.as_deref(), Some("chatcmpl-az1"));
    assert_eq!(streamed.model.as_deref(), Some("gpt-4o-2024-11-20"));
}

#[test]
fn only_choice_zero_is_read_wherever_it_is() {
    let (events, end) = CODEC.stream_events(&data_frames(&[
        r#"{"id":"c","choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"}},{"index":2,"delta":{"content":"x"}}]}"#,
        r#"{"id":"c","choices":null}"#,
        r#"{"id":"c","choices":[]}"#,
        r#"{"id":"c","choices":[{"index":1,"delta":{"content":"!"},"finish_reason":"stop"}]}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
    ]));
    end.unwrap();
    assert_eq!(collect(events).text(), "mine");
    // A whole answer takes its first choice.
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"message":{"content":"first"}},{"index":1,"message":{"content":"second"}}]}"#,
    );
    assert_eq!(r.text(), "first");
}

#[test]
fn stream_url_citation_annotations_equal_decode() {
    // OpenRouter sends each annotation in its own delta, after the text.
    let chunks = [
        json!({"id":"gen-1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"See [a] and [b]."}}]}),
        json!({"id":"gen-1","model":"m","choices":[{"index":0,"delta":{"content":"","annotations":[
            {"type":"url_citation","url_citation":{"url":"https://a.example/","title":"A","start_index":4,"end_index":7,"content":"..."}},
            {"type":"url_citation","url_citation":{"url":"https://b.example/","title":"","start_index":12,"end_index":15}}]}}]}),
        json!({"id":"gen-1","model":"m","choices":[{"index":0,"delta":{"annotations":[
            {"type":"file","file":{"hash":"h","name":"doc.pdf"}},
            {"type":"url_citation","url_citation":{"url":"https://a.example/","title":"A again"}}]}}]}),
        json!({"id":"gen-1","model":"m","choices":[{"index":0,"delta":{"annotations":[
            {"type":"url_citation","url_citation":{"url":"https://c.example/"}}]},"finish_reason":"stop"}]}),
    ];
    let mut frames = data_frames(&chunks);
    frames.extend(data_frames(&["[DONE]"]));
    let streamed = CODEC.stream(&frames);
    assert_eq!(streamed, CODEC.decode(super::decode::ANNOTATED));
    assert_eq!(streamed.citations.len(), 3);
}
