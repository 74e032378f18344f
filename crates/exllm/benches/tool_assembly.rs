//! Assembling one tool call from 10,000 streamed argument deltas: through the stream
//! [`Collector`] alone, and from raw OpenAI Chat Completions chunks through its stream decoder
//! and the collector. Both must stay linear in the number of deltas.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use exllm::wire::Frame;
use exllm::{Api, Collector, FinishKind, FinishReason, StreamEvent};
use std::hint::black_box;

const DELTAS: usize = 10_000;

/// Argument fragments that join into one JSON object: `{"items":[0,1,...]}`.
fn fragments() -> Vec<String> {
    let mut out = vec!["{\"items\":[".to_owned()];
    for i in 0..DELTAS - 2 {
        out.push(if i == 0 {
            format!("{i}")
        } else {
            format!(",{i}")
        });
    }
    out.push("]}".to_owned());
    out
}

fn events(frags: &[String]) -> Vec<StreamEvent> {
    let mut ev = vec![StreamEvent::ToolCallStart {
        index: 0,
        id: "call_1".into(),
        name: "collect".into(),
    }];
    ev.extend(frags.iter().map(|f| StreamEvent::ToolCallDelta {
        index: 0,
        arguments: f.clone(),
    }));
    ev.push(StreamEvent::Finish(FinishReason::new(
        FinishKind::ToolCalls,
        "tool_calls",
    )));
    ev
}

/// One Chat Completions chunk per fragment, as the SSE `data:` payloads.
fn chunks(frags: &[String]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(frags.len() + 1);
    for (i, f) in frags.iter().enumerate() {
        let call = if i == 0 {
            serde_json::json!({"index": 0, "id": "call_1", "type": "function", "function": {"name": "collect", "arguments": f}})
        } else {
            serde_json::json!({"index": 0, "function": {"arguments": f}})
        };
        let chunk = serde_json::json!({"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]});
        out.push(chunk.to_string().into_bytes());
    }
    out.push(br#"{"id":"c","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#.to_vec());
    out
}

fn bench(c: &mut Criterion) {
    let frags = fragments();
    let events = events(&frags);
    let chunks = chunks(&frags);
    let mut g = c.benchmark_group("tool_assembly");
    g.bench_function("collector: 10k argument deltas", |b| {
        b.iter_batched(
            || events.clone(),
            |events| {
                let resp = Collector::collect(events);
                assert_eq!(resp.tool_calls().len(), 1);
                black_box(resp)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("openai chat decoder + collector: 10k chunks", |b| {
        b.iter(|| {
            let mut dec = Api::OpenAiChat.codec().stream_decoder();
            let mut col = Collector::new();
            let mut out = Vec::new();
            for data in &chunks {
                dec.decode(Frame { event: "", data }, &mut out)
                    .expect("decodes");
                for e in out.drain(..) {
                    col.push(e);
                }
            }
            dec.finish(&mut out).expect("finishes");
            out.drain(..).for_each(|e| col.push(e));
            black_box(col.finish())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
