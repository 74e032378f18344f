//! `find_similar` top-10 over a corpus of 100,000 vectors of 1,536 dimensions (the size of
//! OpenAI `text-embedding-3-small` output), the shape of a small in-memory semantic index.

use criterion::{criterion_group, criterion_main, Criterion};
use exllm::similarity::find_similar;
use std::hint::black_box;

const N: usize = 100_000;
const DIM: usize = 1536;

/// Deterministic pseudo-random values in [-0.5, 0.5).
fn values(seed: &mut u64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut seed = 42;
    let corpus: Vec<Vec<f32>> = (0..N).map(|_| values(&mut seed, DIM)).collect();
    let query = values(&mut seed, DIM);
    let mut g = c.benchmark_group("similarity");
    g.sample_size(10);
    g.bench_function("find_similar top-10 of 100k x 1536", |b| {
        b.iter(|| find_similar(black_box(&query), black_box(&corpus), 10))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
