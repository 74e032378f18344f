//! The guardrails' pattern layer: MB/s of mixed chat text through the PII and secrets
//! detectors (one core), the whole text pass with masking, and the CPU a guarded stream adds
//! per chunk (the same answer streamed with and without guardrails).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use exllm::guardrails::{Guardrail, Guardrails, Pii, Scope, Secrets, Stage, Vault};
use exllm::{ChatStream, Role, StreamEvent};
use futures_util::StreamExt;
use std::hint::black_box;

const INPUT: Scope = Scope {
    stage: Stage::Input,
    role: Role::User,
};

/// About 1 MB of chat-like text: prose, code, ids, numbers, some e-mail addresses, phone
/// numbers, cards and keys.
fn corpus() -> String {
    let paragraphs = [
        "Hi team, the deploy of v2.14.3 finished at 2024-06-01T12:30:00Z; order #88213390 shipped. ",
        "Please contact maria.garcia@example.org or call +44 20 7946 0958 about invoice 4471-2209. ",
        "The build hash is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 and the trace id 3fa85f64-5717-4562-b3fc-2c963f66afa6. ",
        "fn main() { let x = vec![1, 2, 3]; println!(\"{:?}\", x.iter().map(|v| v * 2).collect::<Vec<_>>()); } ",
        "Card on file: 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, server 10.0.12.7 behind 2001:db8::8a2e:370:7334. ",
        "The quick brown fox jumps over the lazy dog while the meeting runs long and everyone waits for lunch. ",
        "Use the key AKIAIOSFODNN7EXAMPLE only in staging; rotate ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ weekly. ",
    ];
    let mut s = String::new();
    let mut i = 0;
    while s.len() < 1 << 20 {
        s.push_str(paragraphs[i % paragraphs.len()]);
        if i % 5 == 4 {
            s.push('\n');
        }
        i += 1;
    }
    s
}

fn detectors(c: &mut Criterion) {
    let text = corpus();
    let mut g = c.benchmark_group("guardrails_pattern_layer");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    let pii = Pii::default();
    g.bench_function("pii", |b| b.iter(|| black_box(pii.scan(&text, INPUT))));
    let secrets = Secrets::default();
    g.bench_function("secrets", |b| {
        b.iter(|| black_box(secrets.scan(&text, INPUT)))
    });
    let rails = Guardrails::new()
        .with(Secrets::default().with_input(exllm::guardrails::Action::Mask))
        .with(Pii::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let req = exllm::ChatRequest::new("m", vec![exllm::Message::user(text.clone())]);
    g.bench_function("mask_request", |b| {
        b.iter_batched(
            || req.clone(),
            |r| black_box(rt.block_on(rails.check_input(r)).unwrap()),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// A 4 KB answer in 20-byte chunks (about five tokens each), streamed through nothing and
/// through PII + secrets: the difference over the chunk count is the added CPU per chunk.
fn streams(c: &mut Criterion) {
    let text: String = corpus().chars().take(4096).collect();
    let chunks: Vec<String> = text
        .as_bytes()
        .chunks(20)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let events = move || {
        chunks
            .iter()
            .cloned()
            .map(StreamEvent::TextDelta)
            .collect::<Vec<_>>()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let drain = |s: ChatStream| {
        rt.block_on(s.for_each(|e| async move {
            black_box(e).ok();
        }))
    };
    let mut g = c.benchmark_group("guardrails_stream_4k_in_20b_chunks");
    g.sample_size(30);
    g.bench_function("plain", |b| {
        b.iter_batched(
            &events,
            |ev| drain(ChatStream::from_events(ev)),
            BatchSize::SmallInput,
        )
    });
    let rails = Guardrails::new()
        .with(Pii::default())
        .with(Secrets::default().with_output(exllm::guardrails::Action::Mask));
    g.bench_function("guarded", |b| {
        b.iter_batched(
            &events,
            |ev| drain(rails.check_stream(ChatStream::from_events(ev), Vault::new())),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, detectors, streams);
criterion_main!(benches);
