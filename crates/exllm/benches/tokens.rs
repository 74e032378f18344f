//! Token counting throughput (ours against raw tiktoken-rs on the same text, which should be
//! the same speed: `count_text` adds only a model-name lookup) and fitting a 1,000-message
//! history into a context window.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use exllm::context::{fit_to_context, FitOptions};
use exllm::tokens::count_text;
use exllm::Message;
use std::hint::black_box;

/// ~200 kB of English, code, JSON and non-Latin text.
fn sample() -> String {
    let pieces = [
        "The quick brown fox jumps over the lazy dog, then naps in the afternoon sun. ",
        "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * 2).collect();\n}\n",
        "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n",
        "你好，世界！今天天气很好。Привет, мир! 😀 1234567890 ",
    ];
    pieces.iter().cycle().take(2_000).copied().collect()
}

fn counting(c: &mut Criterion) {
    let text = sample();
    let mut g = c.benchmark_group("count");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    g.bench_function("exllm count_text openai/gpt-4o", |b| {
        b.iter(|| count_text(black_box("openai/gpt-4o"), black_box(&text)))
    });
    #[cfg(feature = "tiktoken")]
    {
        let bpe = exllm::tokens::bpe(exllm::tokens::Encoding::O200kBase).expect("table");
        g.bench_function("tiktoken-rs encode_ordinary o200k", |b| {
            b.iter(|| bpe.encode_ordinary(black_box(&text)).len())
        });
    }
    g.bench_function("exllm estimate anthropic", |b| {
        b.iter(|| count_text(black_box("anthropic/claude-sonnet-4-5"), black_box(&text)))
    });
    g.finish();
}

fn fitting(c: &mut Criterion) {
    let mut history = vec![Message::system("You are a helpful assistant.")];
    for i in 0..500 {
        history.push(Message::user(
            format!("Question {i}: how does step {i} work? ").repeat(5),
        ));
        history.push(Message::assistant(
            format!("Step {i} works like this. ").repeat(20),
        ));
    }
    let opts = FitOptions::default().with_context_window(32_000);
    let mut g = c.benchmark_group("fit");
    g.sample_size(10);
    g.bench_function("fit_to_context 1000 messages gpt-4o", |b| {
        b.iter(|| fit_to_context(black_box(&history), "openai/gpt-4o", &opts).map(|f| f.kept.len()))
    });
    g.finish();
}

criterion_group!(benches, counting, fitting);
criterion_main!(benches);
