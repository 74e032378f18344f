//! The settings table and each codec's list of what it cannot honour agree: every listed name
//! is in the table, and a request setting just that one gets a warning naming it, from every
//! API that lists it.

use super::encode::SETTINGS;
use super::{Api, Endpoint};
use crate::types::{ChatRequest, Message, ReasoningConfig, ResponseFormat, Tool, ToolChoice};
use serde_json::json;

/// A request that sets `name` and nothing else optional.
fn setting(name: &str) -> ChatRequest {
    let mut r = ChatRequest::new("owner/model", vec![Message::user("hi")]);
    match name {
        "tools" => r.tools = vec![Tool::new("t", "a tool", json!({"type": "object"}))],
        "tool_choice" => r.tool_choice = Some(ToolChoice::Auto),
        "parallel_tool_calls" => r.parallel_tool_calls = Some(true),
        "top_k" => r.top_k = Some(5),
        "stop" => r.stop = vec!["END".into()],
        "seed" => r.seed = Some(7),
        "n" => r.n = Some(2),
        "frequency_penalty" => r.frequency_penalty = Some(0.5),
        "presence_penalty" => r.presence_penalty = Some(0.5),
        "response_format" => r.response_format = Some(ResponseFormat::JsonObject),
        "reasoning" => {
            r.reasoning = Some(ReasoningConfig {
                budget_tokens: Some(1024),
                ..Default::default()
            })
        }
        "service_tier" => r.service_tier = Some("flex".into()),
        "user" => r.user = Some("u1".into()),
        "logprobs" => r.logprobs = Some(true),
        "top_logprobs" => r.top_logprobs = Some(2),
        "prediction" => r.prediction = Some("draft".into()),
        "audio" => r.audio = Some(crate::types::AudioOutput::default()),
        other => panic!("no setter for `{other}`: add it here and to SETTINGS"),
    }
    r
}

#[test]
fn every_table_entry_detects_its_own_setting_only() {
    let plain = ChatRequest::new("owner/model", vec![Message::user("hi")]);
    for (name, set) in SETTINGS {
        assert!(set(&setting(name)), "{name} not detected");
        assert!(!set(&plain), "{name} detected on a request without it");
    }
}

#[test]
fn each_api_warns_of_every_setting_it_lists() {
    for api in Api::ALL {
        let codec = api.codec();
        for name in codec.unsupported_settings() {
            assert!(
                SETTINGS.iter().any(|(n, _)| n == name),
                "{api}: `{name}` is not in the settings table"
            );
            let ep = Endpoint::new("p", "http://127.0.0.1:9/v1");
            let enc = codec
                .encode(&setting(name), "owner/model", &ep, false)
                .unwrap_or_else(|e| panic!("{api} {name}: {e}"));
            assert!(
                enc.warnings
                    .iter()
                    .any(|w| w.setting.as_deref() == Some(*name)),
                "{api}: no warning for `{name}`: {:?}",
                enc.warnings
            );
        }
    }
}
