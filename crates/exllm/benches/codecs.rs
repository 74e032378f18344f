//! The codecs on the hot path, per wire API (OpenAI Chat, Responses, Anthropic, Gemini, Cohere,
//! Ollama): encoding a two-message request, decoding a whole response, and decoding a stream
//! (reported per event); SSE and NDJSON framing throughput in bytes; and the [`Collector`]
//! folding a 200-delta stream into a response. These are the per-call and per-chunk costs the
//! end-to-end benchmark (`bench/`) adds on top of HTTP.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use exllm::provider::{Codec, Endpoint};
use exllm::wire::{Frame, Framer, NdjsonFramer, SseFramer};
use exllm::{Api, ChatRequest, Collector, Message, StreamEvent};
use std::hint::black_box;

/// Text chunks per stream.
const EVENTS: usize = 200;

const ANSWER: &str = "The capital of France is Paris. It has been the country's political and cultural centre since the tenth century, and today it is home to about two million people in the city proper.";

const WORDS: [&str; 8] = [
    " The", " capital", " of", " France", " is", " Paris", " since", " then.",
];

fn word(i: usize) -> &'static str {
    WORDS[i % WORDS.len()]
}

/// A whole response body and the stream frames (`event`, `data`) of one API.
struct Sample {
    api: Api,
    whole: String,
    frames: Vec<(&'static str, String)>,
}

fn samples() -> Vec<Sample> {
    let answer = serde_json::to_string(ANSWER).unwrap();
    let mut out = Vec::new();

    let head = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_1","choices":"#;
    let mut frames = vec![(
        "",
        format!(
            r#"{head}[{{"index":0,"delta":{{"role":"assistant","content":""}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#
        ),
    )];
    frames.extend((0..EVENTS).map(|i| ("", format!(r#"{head}[{{"index":0,"delta":{{"content":"{}"}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#, word(i)))));
    frames.push(("", format!(r#"{head}[{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"stop"}}],"usage":null}}"#)));
    frames.push(("", format!(r#"{head}[],"usage":{{"prompt_tokens":19,"completion_tokens":200,"total_tokens":219,"prompt_tokens_details":{{"cached_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0}}}}}}"#)));
    frames.push(("", "[DONE]".to_owned()));
    out.push(Sample {
        api: Api::OpenAiChat,
        whole: format!(r#"{{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{{"index":0,"message":{{"role":"assistant","content":{answer},"refusal":null,"annotations":[]}},"logprobs":null,"finish_reason":"stop"}}],"usage":{{"prompt_tokens":19,"completion_tokens":74,"total_tokens":93,"prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0}}}},"service_tier":"default","system_fingerprint":"fp_1"}}"#),
        frames,
    });

    let resp = |status: &str, text: &str| {
        format!(
            r#"{{"id":"resp_1","object":"response","created_at":1741569952,"status":"{status}","model":"gpt-4.1-mini-2025-04-14","output":[{{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{{"type":"output_text","text":{text},"annotations":[]}}]}}],"usage":{{"input_tokens":19,"input_tokens_details":{{"cached_tokens":0}},"output_tokens":74,"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":93}}}}"#
        )
    };
    let mut frames = vec![
        ("response.created", r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","created_at":1741569952,"status":"in_progress","model":"gpt-4.1-mini-2025-04-14","output":[]}}"#.to_owned()),
        ("response.output_item.added", r#"{"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"type":"message","id":"msg_1","status":"in_progress","role":"assistant","content":[]}}"#.to_owned()),
        ("response.content_part.added", r#"{"type":"response.content_part.added","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}"#.to_owned()),
    ];
    frames.extend((0..EVENTS).map(|i| ("response.output_text.delta", format!(r#"{{"type":"response.output_text.delta","sequence_number":{},"item_id":"msg_1","output_index":0,"content_index":0,"delta":"{}"}}"#, i + 3, word(i)))));
    frames.push(("response.output_item.done", format!(r#"{{"type":"response.output_item.done","output_index":0,"item":{{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{{"type":"output_text","text":{answer},"annotations":[]}}]}}}}"#)));
    frames.push((
        "response.completed",
        format!(
            r#"{{"type":"response.completed","response":{}}}"#,
            resp("completed", &answer)
        ),
    ));
    out.push(Sample {
        api: Api::OpenAiResponses,
        whole: resp("completed", &answer),
        frames,
    });

    let mut frames = vec![
        ("message_start", r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":19,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#.to_owned()),
        ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#.to_owned()),
    ];
    frames.extend((0..EVENTS).map(|i| ("content_block_delta", format!(r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{}"}}}}"#, word(i)))));
    frames.push((
        "content_block_stop",
        r#"{"type":"content_block_stop","index":0}"#.to_owned(),
    ));
    frames.push(("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":200}}"#.to_owned()));
    frames.push(("message_stop", r#"{"type":"message_stop"}"#.to_owned()));
    out.push(Sample {
        api: Api::Anthropic,
        whole: format!(r#"{{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":{answer}}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":19,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":74}}}}"#),
        frames,
    });

    let frames = (0..EVENTS)
        .map(|i| {
            let finish = if i + 1 == EVENTS { r#","finishReason":"STOP""# } else { "" };
            ("", format!(r#"{{"candidates":[{{"content":{{"parts":[{{"text":"{}"}}],"role":"model"}}{finish}}}],"usageMetadata":{{"promptTokenCount":19,"candidatesTokenCount":{i},"totalTokenCount":{}}},"modelVersion":"gemini-2.0-flash","responseId":"r1"}}"#, word(i), i + 19))
        })
        .collect();
    out.push(Sample {
        api: Api::Gemini,
        whole: format!(r#"{{"candidates":[{{"content":{{"parts":[{{"text":{answer}}}],"role":"model"}},"finishReason":"STOP","avgLogprobs":-0.18}}],"usageMetadata":{{"promptTokenCount":19,"candidatesTokenCount":74,"totalTokenCount":93}},"modelVersion":"gemini-2.0-flash","responseId":"r1"}}"#),
        frames,
    });

    let mut frames = vec![
        ("message-start", r#"{"id":"c1","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}"#.to_owned()),
        ("content-start", r#"{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}"#.to_owned()),
    ];
    frames.extend((0..EVENTS).map(|i| ("content-delta", format!(r#"{{"type":"content-delta","index":0,"delta":{{"message":{{"content":{{"text":"{}"}}}}}}}}"#, word(i)))));
    frames.push((
        "content-end",
        r#"{"type":"content-end","index":0}"#.to_owned(),
    ));
    frames.push(("message-end", r#"{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":19,"output_tokens":200},"tokens":{"input_tokens":19,"output_tokens":200}}}}"#.to_owned()));
    out.push(Sample {
        api: Api::Cohere,
        whole: format!(r#"{{"id":"c1","finish_reason":"COMPLETE","message":{{"role":"assistant","content":[{{"type":"text","text":{answer}}}]}},"usage":{{"billed_units":{{"input_tokens":19,"output_tokens":74}},"tokens":{{"input_tokens":19,"output_tokens":74}}}}}}"#),
        frames,
    });

    let mut frames: Vec<(&str, String)> = (0..EVENTS)
        .map(|i| ("", format!(r#"{{"model":"llama3.2","created_at":"2025-01-01T00:00:00.000000Z","message":{{"role":"assistant","content":"{}"}},"done":false}}"#, word(i))))
        .collect();
    frames.push(("", r#"{"model":"llama3.2","created_at":"2025-01-01T00:00:01.000000Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":1000000,"load_duration":1000,"prompt_eval_count":19,"prompt_eval_duration":1000,"eval_count":200,"eval_duration":1000}"#.to_owned()));
    out.push(Sample {
        api: Api::Ollama,
        whole: format!(r#"{{"model":"llama3.2","created_at":"2025-01-01T00:00:00.000000Z","message":{{"role":"assistant","content":{answer}}},"done":true,"done_reason":"stop","total_duration":1000000,"prompt_eval_count":19,"eval_count":74}}"#),
        frames,
    });
    out
}

fn decode_stream(codec: &dyn Codec, frames: &[(&str, String)]) -> Vec<StreamEvent> {
    let mut dec = codec.stream_decoder();
    let mut out = Vec::with_capacity(frames.len() + 8);
    for (event, data) in frames {
        dec.decode(
            Frame {
                event,
                data: data.as_bytes(),
            },
            &mut out,
        )
        .expect("decodes");
    }
    dec.finish(&mut out).expect("finishes");
    out
}

fn codecs(c: &mut Criterion) {
    let req = ChatRequest::new(
        "p/m",
        vec![
            Message::system("You are a concise assistant. Answer in one short paragraph."),
            Message::user("What is the capital of France, and what is it known for?"),
        ],
    )
    .with_max_tokens(256)
    .with_temperature(0.7);
    let ep = Endpoint::new("bench", "http://127.0.0.1:1/v1");
    for s in samples() {
        let codec = s.api.codec();
        let name = s.api.as_str();
        // Correctness first: the samples must decode to text, or the timings mean nothing.
        assert!(
            !codec
                .decode(s.whole.as_bytes())
                .expect("whole decodes")
                .text()
                .is_empty(),
            "{name}"
        );
        let texts = decode_stream(codec, &s.frames)
            .iter()
            .filter(|e| matches!(e, StreamEvent::TextDelta(_)))
            .count();
        assert_eq!(texts, EVENTS, "{name} stream text deltas");

        let mut g = c.benchmark_group(format!("codec/{name}"));
        g.bench_function("encode", |b| {
            b.iter(|| {
                codec
                    .encode(black_box(&req), "gpt-4o-mini", &ep, true)
                    .unwrap()
            })
        });
        g.throughput(Throughput::Bytes(s.whole.len() as u64));
        g.bench_function("decode", |b| {
            b.iter(|| codec.decode(black_box(s.whole.as_bytes())).unwrap())
        });
        g.throughput(Throughput::Elements(s.frames.len() as u64));
        g.bench_function("stream_decode_per_event", |b| {
            b.iter(|| decode_stream(codec, black_box(&s.frames)))
        });
        g.finish();
    }
}

/// A body cut into 16 KiB reads.
fn reads(body: &[u8]) -> Vec<&[u8]> {
    body.chunks(16 * 1024).collect()
}

fn framing(c: &mut Criterion) {
    let s = samples();
    let mut sse = Vec::new();
    while sse.len() < 1 << 20 {
        for (_, data) in &s[0].frames {
            sse.extend_from_slice(b"data: ");
            sse.extend_from_slice(data.as_bytes());
            sse.extend_from_slice(b"\n\n");
        }
    }
    let mut ndjson = Vec::new();
    while ndjson.len() < 1 << 20 {
        for (_, data) in &s[5].frames {
            ndjson.extend_from_slice(data.as_bytes());
            ndjson.push(b'\n');
        }
    }
    let mut g = c.benchmark_group("framing");
    for (name, body) in [("sse", &sse), ("ndjson", &ndjson)] {
        let parts = reads(body);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut framer: Box<dyn Framer> = if name == "sse" {
                    Box::new(SseFramer::default())
                } else {
                    Box::new(NdjsonFramer::default())
                };
                let mut n = 0usize;
                let mut sink = |f: Frame<'_>| {
                    n += f.data.len();
                    Ok(())
                };
                for p in &parts {
                    framer.feed(p, &mut sink).unwrap();
                }
                framer.finish(&mut sink).unwrap();
                n
            })
        });
    }
    g.finish();
}

fn collector(c: &mut Criterion) {
    let s = samples();
    let events = decode_stream(Api::OpenAiChat.codec(), &s[0].frames);
    let mut g = c.benchmark_group("collector");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("openai_stream_200", |b| {
        b.iter_batched(|| events.clone(), Collector::collect, BatchSize::SmallInput)
    });
    g.finish();
}

criterion_group!(benches, codecs, framing, collector);
criterion_main!(benches);
