//! Decoding whole answers.

use super::*;

#[test]
fn decode_thinking_and_signed_text() {
    let r = CODEC.decode(fixture_pair!("thinking_text", "sse").1);
    assert_eq!(r.id.as_deref(), Some("exllm-gem-think-1"));
    assert_eq!(r.model.as_deref(), Some("gemini-2.5-flash"));
    let thought =
        "**Recalling the physics**\nAt one atmosphere, pure water boils at 100 degrees Celsius.";
    assert_eq!(
        r.content,
        vec![
            Part::Reasoning(Reasoning {
                text: thought.into(),
                ..Default::default()
            }),
            Part::text("Water boils at 100 °C (212 °F) at sea level."),
            signature_only("CiQBVKhc7gexllmSigTextA1b2c3d4e5f6"),
        ]
    );
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("STOP")));
    let u = r.usage.as_ref().unwrap();
    assert_eq!(u.input_tokens, Some(12));
    assert_eq!(u.output_tokens, Some(75), "candidates 15 + thoughts 60");
    assert_eq!(u.reasoning_tokens, Some(60));
    assert_eq!((u.cache_read_tokens, u.cache_write_tokens), (None, None));
    assert_eq!(u.raw.as_ref().unwrap().value()["totalTokenCount"], 87);
    assert!(r.provider_meta.is_empty() && r.error.is_none());
}

#[test]
fn decode_function_calls_get_unique_ids_and_keep_signatures() {
    let r = CODEC.decode(fixture_pair!("function_calls", "sse").1);
    let calls = r.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].id.as_str(), calls[1].id.as_str()),
        ("call_0", "call_1")
    );
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(
        calls[0].arguments,
        json!({"city": "Paris", "unit": "celsius"})
    );
    let meta = Some(json!({ "thoughtSignature": CALL_SIG }));
    assert_eq!(calls[0].provider_meta, meta);
    assert_eq!(calls[1].arguments, json!({"timezone": "Europe/Paris"}));
    assert_eq!(calls[1].provider_meta, None);
    assert_eq!(finish_of(&r), (FinishKind::ToolCalls, Some("STOP")));
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(140), "prompt 120 + tool-use prompt 20");
    assert_eq!(u.output_tokens, Some(75), "candidates 31 + thoughts 44");
    assert_eq!(u.cache_read_tokens, Some(64));
    assert_eq!(u.reasoning_tokens, Some(44));
}

#[test]
fn decode_keeps_provider_call_ids_and_defaults_missing_args() {
    let r = CODEC.decode(&edge("calls_with_and_without_ids").to_string());
    let calls = r.tool_calls();
    let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["fc-7", "call_1", "call_2"]);
    assert_eq!(calls[0].arguments, json!({"x": 1}));
    assert_eq!(
        (&calls[1].arguments, &calls[2].arguments),
        (&json!({}), &json!({}))
    );
}

#[test]
fn decode_code_execution_items_and_grounding_metadata() {
    let r = CODEC.decode(fixture_pair!("code_grounding", "sse").1);
    let item = |i: usize| match &r.content[i] {
        Part::ProviderItem(p) => p.clone(),
        other => panic!("expected a provider item, got {other:?}"),
    };
    assert_eq!(r.content.len(), 4);
    assert_eq!(
        r.content[0],
        Part::text("I'll add the numbers from 1 to 100.")
    );
    let code =
        json!({"executableCode": {"language": "PYTHON", "code": "print(sum(range(1, 101)))\n"}});
    assert_eq!(
        (item(1).api.as_str(), item(1).item_type.as_str()),
        ("gemini", "executableCode")
    );
    assert_eq!(item(1).raw, code);
    assert_eq!(item(2).item_type, "codeExecutionResult");
    assert_eq!(item(2).raw["codeExecutionResult"]["output"], "5050\n");
    assert_eq!(r.content[3], Part::text("The sum is 5050, as Gauss found."));
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("STOP")));
    let g = &r.provider_meta["groundingMetadata"];
    assert_eq!(g["webSearchQueries"], json!(["gauss sum 1 to 100"]));
    assert_eq!(g["groundingChunks"][0]["web"]["title"], "example.org");
    assert_eq!(
        r.provider_meta["safetyRatings"][0]["probability"],
        "NEGLIGIBLE"
    );
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(31), Some(58)));
    assert_eq!(u.reasoning_tokens, None);
}

#[test]
fn decode_finish_reasons() {
    let cases = [
        ("STOP", FinishKind::Stop),
        ("MAX_TOKENS", FinishKind::Length),
        ("SAFETY", FinishKind::ContentFilter),
        ("RECITATION", FinishKind::ContentFilter),
        ("PROHIBITED_CONTENT", FinishKind::ContentFilter),
        ("SPII", FinishKind::ContentFilter),
        ("MALFORMED_FUNCTION_CALL", FinishKind::Other),
        ("SOMETHING_NEW", FinishKind::Other),
    ];
    for (raw, kind) in cases {
        let content = json!({"role": "model", "parts": [{"text": "x"}]});
        let body = json!({"candidates": [{"content": content, "finishReason": raw, "index": 0}]});
        let r = CODEC.decode(&body.to_string());
        assert_eq!(finish_of(&r), (kind, Some(raw)), "{raw}");
    }
}

#[test]
fn decode_blocked_prompt_is_a_content_filter() {
    let r = CODEC.decode(&edge("blocked_prompt").to_string());
    assert!(r.content.is_empty());
    assert_eq!(finish_of(&r), (FinishKind::ContentFilter, Some("SAFETY")));
    assert_eq!(r.provider_meta["promptFeedback"]["blockReason"], "SAFETY");
    let u = r.usage.unwrap();
    assert_eq!(u.input_tokens, Some(9));
    assert_eq!(u.output_tokens, None, "no candidate counts were sent");
}

#[test]
fn decode_ignores_other_candidates_and_reports_missing_usage_as_unknown() {
    let r = CODEC.decode(&edge("two_candidates").to_string());
    assert_eq!(r.text(), "first");
    assert_eq!(finish_of(&r), (FinishKind::Stop, Some("STOP")));
    assert!(r.usage.is_none());
    assert!(r.id.is_none() && r.model.is_none());
}

#[test]
fn decode_error_object_and_malformed_bodies() {
    let r = CODEC.decode(&edge("error_body").to_string());
    assert_eq!(finish_of(&r), (FinishKind::Error, Some("UNAVAILABLE")));
    let e = r.error.unwrap();
    assert_eq!(e.message, "The model is overloaded.");
    assert_eq!(e.code.as_deref(), Some("UNAVAILABLE"));

    for bad in ["", "{", "[1, 2]", r#"{"candidates": {}}"#] {
        let err = GeminiCodec.decode(bad.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{bad:?}");
    }
}
