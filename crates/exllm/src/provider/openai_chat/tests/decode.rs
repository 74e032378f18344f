//! Decoding whole responses: text, reasoning, tool calls, finish reasons, usage, metadata.

use super::*;

fn usage_of(v: Value) -> Usage {
    usage(RawJson::from(v))
}

#[test]
fn usage_of_odd_shapes_is_unknown_not_an_error() {
    // Counts that are not whole numbers, and details that are null or not objects.
    let u = usage_of(json!({
        "prompt_tokens": 12.5, "completion_tokens": "7", "total_tokens": -1,
        "prompt_tokens_details": null, "completion_tokens_details": {"reasoning_tokens": [1]}
    }));
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.reasoning_tokens),
        (None, None, None)
    );
    let u = usage_of(json!({"prompt_tokens": 3, "prompt_tokens_details": 5}));
    assert_eq!(
        u.input_tokens, None,
        "an object of another shape keeps only its text"
    );
    assert_eq!(u.raw.unwrap().value()["prompt_tokens_details"], 5);
    let r = CODEC.decode(
        r#"{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":{"n":1},"completion_tokens":2}}"#,
    );
    let u = r.usage.expect("usage");
    assert_eq!((u.input_tokens, u.output_tokens), (None, Some(2)));
}

#[test]
fn decode_text_answer() {
    let r = CODEC.decode(include_str!("../fixtures/text.json"));
    assert_eq!(r.id.as_deref(), Some("chatcmpl-exllm-text-1"));
    assert_eq!(r.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(
        r.content,
        vec![Part::text("The capital of France is Paris.")]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("stop")));
    let u = r.usage.as_ref().expect("usage");
    assert_eq!(u.input_tokens, Some(1117));
    assert_eq!(u.output_tokens, Some(8));
    assert_eq!(u.cache_read_tokens, Some(1024));
    assert_eq!(u.cache_write_tokens, None);
    assert_eq!(u.reasoning_tokens, Some(0));
    assert_eq!(u.raw.as_ref().unwrap().value()["total_tokens"], 1125);
    assert_eq!(r.provider_meta["system_fingerprint"], "fp_exllm_01");
    assert!(r.error.is_none());
    assert!(r.warnings.is_empty());
}

#[test]
fn decode_deepseek_reasoning_content() {
    let r = CODEC.decode(include_str!("../fixtures/deepseek_reasoning.json"));
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: "Compare the tenths: 8 > 1, so 9.8 is larger.".into(),
                ..Default::default()
            }),
            Part::text("9.8 is larger than 9.11."),
        ]
    );
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(20));
    // DeepSeek counts reasoning inside completion_tokens: nothing is added.
    assert_eq!(u.output_tokens, Some(150));
    assert_eq!(u.reasoning_tokens, Some(120));
    // No prompt_tokens_details: the cache hit count comes from prompt_cache_hit_tokens.
    assert_eq!(u.cache_read_tokens, Some(16));
}

#[test]
fn decode_groq_reasoning_field() {
    let r = CODEC.decode(include_str!("../fixtures/groq_reasoning.json"));
    assert_eq!(r.reasoning_text(), "Two plus two is four.");
    assert_eq!(r.text(), "4");
    assert!(matches!(r.content[0], Part::Reasoning(_)));
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(15), Some(12)));
    assert_eq!(u.reasoning_tokens, None);
    assert_eq!(u.cache_read_tokens, None);
}

#[test]
fn decode_mistral_thinking_content_list() {
    let r = CODEC.decode(include_str!("../fixtures/mistral_thinking.json"));
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: "The user asks for 2+2. That is 4.".into(),
                ..Default::default()
            }),
            Part::text("2 + 2 = 4."),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("stop")));
}

#[test]
fn decode_mistral_thinking_as_plain_string_and_unknown_parts() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":[
            {"type":"thinking","thinking":"short thought"},
            {"type":"reference","reference_ids":[1]},
            {"type":"text","text":"Answer"}
        ]}}]}"#,
    );
    assert_eq!(r.reasoning_text(), "short thought");
    assert_eq!(r.text(), "Answer");
    assert_eq!(r.content.len(), 2);
}

#[test]
fn decode_tool_calls() {
    let r = CODEC.decode(include_str!("../fixtures/tool_calls.json"));
    assert_eq!(
        r.content,
        vec![
            call(
                "call_exllm_weather",
                "get_weather",
                json!({"city": "Paris", "unit": "celsius"})
            ),
            call("call_exllm_time", "get_time", json!({})),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("tool_calls")));
    assert_eq!(r.text(), "");
}

#[test]
fn decode_tool_call_argument_shapes() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"","tool_calls":[
            {"id":"a","type":"function","function":{"name":"obj","arguments":{"k":[1,2]}}},
            {"id":"b","type":"function","function":{"name":"nul","arguments":null}},
            {"id":"c","type":"function","function":{"name":"bad","arguments":"{\"k\":"}},
            {"id":"","type":"function","function":{"name":"noid","arguments":"null"}}
        ]}}]}"#,
    );
    let calls = r.tool_calls();
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[0].arguments, json!({"k": [1, 2]}));
    assert_eq!(calls[1].arguments, json!({}));
    assert_eq!(calls[2].arguments, json!("{\"k\":"));
    assert_eq!(calls[3].arguments, json!({}));
    // A missing id is made up, the others are kept.
    assert_eq!(calls[0].id, "a");
    assert_eq!(calls[3].id, "call_3");
    // An empty content string adds no text part.
    assert_eq!(r.content.len(), 4);
}

#[test]
fn decode_stop_with_tool_calls_becomes_tool_calls_and_keeps_raw() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"tool_calls":[
            {"id":"x","type":"function","function":{"name":"f","arguments":"{}"}}
        ]}}]}"#,
    );
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("stop")));
}

#[test]
fn decode_refusal() {
    let r = CODEC.decode(
        r#"{"id":"chatcmpl-r","model":"gpt-4o","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"refusal":"I'm sorry, I can't help with that."}}]}"#,
    );
    assert_eq!(
        r.content,
        vec![Part::Refusal {
            text: "I'm sorry, I can't help with that.".into()
        }]
    );
    assert_eq!(r.text(), "");
}

#[test]
fn decode_finish_reasons() {
    let cases = [
        ("stop", FinishKind::Stop),
        ("length", FinishKind::Length),
        ("tool_calls", FinishKind::ToolCalls),
        ("function_call", FinishKind::ToolCalls),
        ("content_filter", FinishKind::ContentFilter),
        ("error", FinishKind::Error),
        ("eos", FinishKind::Stop),
        ("insufficient_system_resource", FinishKind::Other),
    ];
    for (raw, kind) in cases {
        let body = json!({"choices": [{"index": 0, "finish_reason": raw, "message": {"role": "assistant", "content": "x"}}]});
        let r = CODEC.decode(&body.to_string());
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{raw}");
    }
}

#[test]
fn decode_without_finish_reason_or_usage_leaves_them_unknown() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":null,"message":{"role":"assistant","content":"x"}}],"usage":null}"#,
    );
    assert!(r.finish.is_none());
    assert!(r.usage.is_none());
    let r = CODEC.decode(r#"{"choices":[]}"#);
    assert!(r.content.is_empty());
    assert!(r.finish.is_none());
}

#[test]
fn usage_reasoning_inside_completion_is_not_added() {
    // OpenAI: reasoning tokens are part of completion_tokens (total = prompt + completion).
    let u = usage_of(json!({
        "prompt_tokens": 10, "completion_tokens": 120, "total_tokens": 130,
        "completion_tokens_details": {"reasoning_tokens": 64}
    }));
    assert_eq!(u.input_tokens, Some(10));
    assert_eq!(u.output_tokens, Some(120));
    assert_eq!(u.reasoning_tokens, Some(64));
}

#[test]
fn usage_xai_reasoning_outside_completion_is_added() {
    // xAI: total = prompt + completion + reasoning, so reasoning was not in completion.
    let u = usage_of(json!({
        "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 35,
        "prompt_tokens_details": {"text_tokens": 10, "cached_tokens": 3, "image_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 20, "audio_tokens": 0}
    }));
    assert_eq!(u.input_tokens, Some(10));
    assert_eq!(u.output_tokens, Some(25));
    assert_eq!(u.reasoning_tokens, Some(20));
    assert_eq!(u.cache_read_tokens, Some(3));
    assert_eq!(u.total_tokens(), Some(35));
}

#[test]
fn usage_missing_counts_stay_unknown() {
    let u = usage_of(json!({"prompt_tokens": 7}));
    assert_eq!(u.input_tokens, Some(7));
    assert_eq!(u.output_tokens, None);
    assert_eq!(u.reasoning_tokens, None);
    assert_eq!(u.cache_read_tokens, None);
    assert_eq!(u.total_tokens(), None);
    // A total that does not match is not used to invent reasoning.
    let u = usage_of(json!({
        "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 99,
        "completion_tokens_details": {"reasoning_tokens": 20}
    }));
    assert_eq!(u.output_tokens, Some(5));
}

#[test]
fn decode_xai_usage_through_the_body() {
    let r = CODEC.decode(
        r#"{"id":"x1","model":"grok-3-mini","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"4","reasoning_content":"2+2"}}],
            "usage":{"prompt_tokens":12,"completion_tokens":1,"total_tokens":113,"completion_tokens_details":{"reasoning_tokens":100}}}"#,
    );
    let u = r.usage.as_ref().unwrap();
    assert_eq!(u.output_tokens, Some(101));
    assert_eq!(r.reasoning_text(), "2+2");
}

#[test]
fn decode_perplexity_citations_and_search_results() {
    let r = CODEC.decode(include_str!("../fixtures/perplexity.json"));
    assert_eq!(r.text(), "Rust is a systems language [1][2].");
    assert_eq!(
        r.provider_meta["citations"],
        json!(["https://example.org/rust", "https://example.org/llm"])
    );
    assert_eq!(r.provider_meta["search_results"][0]["title"], "Rust");
    // The canonical list: search results (with titles) first, the bare urls add nothing new.
    assert_eq!(
        r.citations,
        [
            Citation::new("https://example.org/rust", Some("Rust".into())),
            Citation::new("https://example.org/llm", Some("LLM".into())),
        ]
    );
    assert_eq!(
        r.provider_meta["search_results"].as_array().unwrap().len(),
        2
    );
    assert!(!r.provider_meta.contains_key("images"));
    assert_eq!(
        r.usage.unwrap().raw.unwrap().value()["search_context_size"],
        "low"
    );
}

#[test]
fn decode_logprobs_kept_as_metadata() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"},
            "logprobs":{"content":[{"token":"Hi","logprob":-0.01,"bytes":[72,105],"top_logprobs":[]}],"refusal":null}}]}"#,
    );
    assert_eq!(r.provider_meta["logprobs"][0]["token"], "Hi");
    assert_eq!(r.provider_meta["logprobs"].as_array().unwrap().len(), 1);
}

#[test]
fn decode_error_inside_a_200_body() {
    let r = CODEC.decode(
        r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#,
    );
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("server_error")));
    let e = r.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert_eq!(
        e.message,
        "The server had an error while processing your request."
    );
}

#[test]
fn decode_malformed_body_is_a_decode_error() {
    for body in [
        "",
        "not json",
        "{\"choices\": [",
        "{\"choices\": \"nope\"}",
        "[1, 2]",
        "{\"choices\":[{\"message\":{\"content\":42}}]}",
    ] {
        let err = OpenAiChatCodec.decode(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
    }
}

/// A message citing three sources in four `url_citation` annotations (one url twice, one with
/// no title), plus an annotation of another kind.
pub(super) const ANNOTATED: &str = r#"{"id":"gen-1","model":"m","choices":[{"index":0,"finish_reason":"stop",
    "message":{"role":"assistant","content":"See [a] and [b].","annotations":[
        {"type":"url_citation","url_citation":{"url":"https://a.example/","title":"A","start_index":4,"end_index":7,"content":"..."}},
        {"type":"url_citation","url_citation":{"url":"https://b.example/","title":"","start_index":12,"end_index":15}},
        {"type":"file","file":{"hash":"h","name":"doc.pdf"}},
        {"type":"url_citation","url_citation":{"url":"https://a.example/","title":"A again"}},
        {"type":"url_citation","url_citation":{"url":"https://c.example/"}}]}}]}"#;

#[test]
fn decode_url_citation_annotations_as_citations() {
    let r = CODEC.decode(ANNOTATED);
    assert_eq!(r.text(), "See [a] and [b].");
    assert_eq!(
        r.citations,
        [
            Citation::new("https://a.example/", Some("A".into())),
            Citation::new("https://b.example/", Some(String::new())),
            Citation::new("https://c.example/", None),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("stop")));
}

#[test]
fn decode_one_choice_has_no_alternatives_and_a_null_tier_is_none() {
    let r = CODEC.decode(
        r#"{"id":"c","service_tier":null,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"x"}}]}"#,
    );
    assert!(r.alternatives.is_empty());
    assert_eq!(r.service_tier, None);
    let r = CODEC.decode(
        r#"{"id":"c","service_tier":"flex","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"x"}},
            {"finish_reason":"stop","message":{"role":"assistant","content":"y"}}]}"#,
    );
    assert_eq!(r.service_tier.as_deref(), Some("flex"));
    // A choice without an index takes its position.
    assert_eq!(r.alternatives[0].index, 1);
    assert_eq!(r.alternatives[0].text(), "y");
}

#[test]
fn decode_audio_and_prediction_token_details() {
    let r = CODEC.decode(
        r#"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"x"}}],
            "usage":{"prompt_tokens":120,"completion_tokens":80,"total_tokens":200,
              "prompt_tokens_details":{"cached_tokens":64,"audio_tokens":30},
              "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":12,
                "accepted_prediction_tokens":40,"rejected_prediction_tokens":9}}}"#,
    );
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(120), Some(80)));
    assert_eq!(u.cache_read_tokens, Some(64));
    assert_eq!(
        u.details,
        UsageDetails {
            audio_input_tokens: Some(30),
            audio_output_tokens: Some(12),
            accepted_prediction_tokens: Some(40),
            rejected_prediction_tokens: Some(9),
            image_output_tokens: None,
        }
    );
    // Providers without details leave them unknown.
    let r = CODEC.decode(
        r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#,
    );
    assert!(r.usage.unwrap().details.is_empty());
}
