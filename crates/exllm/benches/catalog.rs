//! The catalog on the hot path: every priced call looks a model up by name and prices its
//! usage, so both must stay far below a microsecond; `find_models` scans the whole embedded
//! catalog and is what `exllm models --feature ...` pays once.

use criterion::{criterion_group, criterion_main, Criterion};
use exllm::catalog::{Catalog, CostOptions, Filter};
use exllm::Usage;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    let model = catalog
        .model("anthropic/claude-sonnet-4-5")
        .expect("in the catalog");
    let usage = Usage {
        input_tokens: Some(12_000),
        output_tokens: Some(900),
        cache_read_tokens: Some(8_000),
        reasoning_tokens: Some(300),
        ..Default::default()
    };
    let mut g = c.benchmark_group("catalog");
    g.bench_function("model(\"provider/id\")", |b| {
        b.iter(|| catalog.model(black_box("openai/gpt-4o-mini")))
    });
    g.bench_function("get(provider, id)", |b| {
        b.iter(|| catalog.get(black_box("openai"), black_box("gpt-4o-mini")))
    });
    g.bench_function("model miss", |b| {
        b.iter(|| catalog.model(black_box("nowhere/nothing")))
    });
    g.bench_function("cost per call", |b| {
        b.iter(|| black_box(model).cost(black_box(&usage), CostOptions::default()))
    });
    g.bench_function("lookup + cost", |b| {
        b.iter(|| {
            catalog
                .get(black_box("anthropic"), black_box("claude-sonnet-4-5"))
                .map(|m| m.cost(&usage, CostOptions::default()).total)
        })
    });
    let filter = Filter::default()
        .with_feature("vision")
        .with_feature("tools")
        .with_mode("chat")
        .with_min_context(100_000)
        .with_max_input_cost(1.0);
    g.bench_function(format!("find_models over {} models", catalog.len()), |b| {
        b.iter(|| catalog.find_models(black_box(&filter)).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
