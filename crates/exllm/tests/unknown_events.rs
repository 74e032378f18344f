//! Stream decoders skip what they do not model: an event of a type exllm does not know,
//! carrying an arbitrary JSON payload (its `delta` an object, its `index` a string, ...),
//! inserted anywhere in a recorded stream of any wire API leaves the text, reasoning, tool
//! calls, finish reason and usage of the answer unchanged (property test over payloads and
//! positions, for every provider row of the matrix, text and tool-call streams).

use crate::fault_kit::{split_events, Format};
use crate::matrix::{self, Wire};
use crate::support::{Reply, TestServer};
use exllm::{ChatRequest, ChatResponse, Message};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// The parts of an answer the property compares.
#[derive(Debug, PartialEq)]
struct Essence {
    text: String,
    reasoning: String,
    calls: Vec<(String, String, Value)>,
    finish: Option<exllm::FinishKind>,
    usage: Option<(Option<u64>, Option<u64>)>,
}

fn essence(r: &ChatResponse) -> Essence {
    Essence {
        text: r.text(),
        reasoning: r.reasoning_text(),
        calls: r
            .tool_calls()
            .into_iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
            .collect(),
        finish: r.finish_kind(),
        usage: r.usage.as_ref().map(|u| (u.input_tokens, u.output_tokens)),
    }
}

/// Keys an untyped API (one whose events carry no `type`) gives meaning to: an unknown event
/// there is an object without them.
const MEANINGFUL: &[&str] = &[
    "choices",
    "usage",
    "error",
    "id",
    "model",
    "x_groq",
    "citations",
    "search_results",
    "candidates",
    "usageMetadata",
    "promptFeedback",
    "modelVersion",
    "responseId",
    "message",
    "done",
    "done_reason",
    "prompt_eval_count",
    "eval_count",
    "object",
    "created_at",
];

/// Keys the typed APIs' decoders read, to be given arbitrary shapes in unknown events.
const DECOY_KEYS: &[&str] = &[
    "delta",
    "index",
    "output_index",
    "content_index",
    "content_block",
    "item",
    "text",
    "response",
    "usage",
    "message",
    "id",
    "annotation",
    "logprobs",
    "code",
    "payload",
];

fn format_of(headers: &[(String, String)]) -> Format {
    let ct = crate::fault_kit::header(headers, "content-type").unwrap_or_default();
    if ct.contains("amazon.eventstream") {
        Format::AwsEventStream
    } else if ct.contains("ndjson") {
        Format::Ndjson
    } else {
        Format::Sse
    }
}

/// Whether the row's events say their own type in the JSON (`"type": ...`).
fn typed(row: &Wire) -> bool {
    matches!(row.name, "openai responses" | "anthropic" | "cohere")
}

/// An event of an unknown type in the row's framing, with `payload`'s fields.
fn unknown(row: &Wire, format: Format, payload: Map<String, Value>, n: u32) -> Vec<u8> {
    let kind = format!("exllm_unknown_{n}.delta");
    let mut obj = payload;
    if typed(row) {
        obj.insert("type".into(), kind.clone().into());
    } else {
        obj.retain(|k, _| !MEANINGFUL.contains(&k.as_str()));
    }
    let json = Value::Object(obj).to_string();
    match format {
        Format::Sse if typed(row) => format!("event: {kind}\ndata: {json}\n\n").into_bytes(),
        Format::Sse => format!("data: {json}\n\n").into_bytes(),
        Format::Ndjson => format!("{json}\n").into_bytes(),
        #[cfg(feature = "bedrock")]
        Format::AwsEventStream => {
            crate::bedrock_wire::event(&format!("exllmUnknown{n}"), Value::Object(json_obj(&json)))
        }
        #[cfg(not(feature = "bedrock"))]
        Format::AwsEventStream => unreachable!("bedrock rows need the bedrock feature"),
    }
}

#[cfg(feature = "bedrock")]
fn json_obj(json: &str) -> Map<String, Value> {
    serde_json::from_str(json).expect("an object")
}

/// The body of `reply` with `extra` inserted before its event `at` (`at` past the last event:
/// at the end of the events).
fn inserted(reply: &Reply, extra: &[u8], at: usize) -> (Vec<(String, String)>, Vec<u8>) {
    let (_, headers, body) = reply.parts().expect("a scripted stream");
    let events = split_events(format_of(&headers), &body);
    let cut = events.get(at).map_or(body.len(), |r| r.start);
    let mut out = body[..cut].to_vec();
    out.extend_from_slice(extra);
    out.extend_from_slice(&body[cut..]);
    (headers, out)
}

async fn answer(row: &Wire, headers: &[(String, String)], body: Vec<u8>) -> ChatResponse {
    let ct = crate::fault_kit::header(headers, "content-type").unwrap_or_default();
    let mut reply = Reply::stream(&ct, vec![body]);
    for (k, v) in headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
    {
        reply = reply.header(k, v);
    }
    let server = TestServer::start(vec![reply]).await;
    let req = ChatRequest::new(row.model, vec![Message::user("hi")]);
    (row.client)(&server)
        .chat_stream(req)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", row.name))
        .collect_response()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", row.name))
}

fn streams(row: &Wire) -> Vec<Reply> {
    vec![
        (row.text_stream)(&["Hel", "lo ", "wor", "ld"]),
        (row.tool_calls_stream)(&[
            ("call_1", "get_weather", r#"{"city":"Paris"}"#),
            ("call_2", "get_time", r#"{"zone":"CET"}"#),
        ]),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-z \\\\\"\u{e9}\u{1F600}]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_payload() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(
        (
            prop_oneof![
                prop::sample::select(DECOY_KEYS).prop_map(str::to_owned),
                "[a-z_]{1,10}"
            ],
            arb_json(),
        ),
        0..5,
    )
    .prop_map(|kv| kv.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn an_unknown_event_anywhere_changes_nothing(
        payload in arb_payload(),
        at in 0usize..64,
        n in 0u32..1000,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            for row in matrix::all() {
                for reply in streams(&row) {
                    let (headers, body) = inserted(&reply, b"", 0);
                    let format = format_of(&headers);
                    let count = split_events(format, &body).len();
                    let base = essence(&answer(&row, &headers, body).await);
                    let extra = unknown(&row, format, payload.clone(), n);
                    let (headers, body) = inserted(&reply, &extra, at % (count + 1));
                    let got = essence(&answer(&row, &headers, body).await);
                    assert_eq!(got, base, "{} with {} before event {}", row.name,
                        String::from_utf8_lossy(&extra), at % (count + 1));
                }
            }
        });
    }
}

/// The event that failed a whole answer before: a Responses event type exllm does not model,
/// whose `delta` is an object.
#[tokio::test]
async fn a_responses_event_with_an_object_delta_is_skipped() {
    let row = matrix::all()
        .into_iter()
        .find(|r| r.name == "openai responses")
        .unwrap();
    let reply = (row.text_stream)(&["Hel", "lo"]);
    let extra = br#"event: response.shell_call_output_content.delta
data: {"type":"response.shell_call_output_content.delta","output_index":1,"delta":{"stdout":"total 0\n"}}

"#;
    let (headers, body) = inserted(&reply, extra, 2);
    let r = answer(&row, &headers, body).await;
    assert_eq!(r.text(), "Hello");
    assert_eq!(r.finish_kind(), Some(exllm::FinishKind::Stop));
}
