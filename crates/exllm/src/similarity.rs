//! Vector similarity for embeddings: cosine similarity, and the `k` nearest of a corpus found
//! with a bounded heap (O(n log k)), never by sorting the whole corpus.
//!
//! The inner loop is memory-bound once it vectorises, so the dot product and the norm are
//! summed in one pass over several independent lanes (a plain running sum is one long
//! dependency chain the compiler may not reorder), and the query's norm is computed once.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Independent partial sums per pass: enough to keep the loop at the memory-read floor on
/// x86-64 with baseline SSE2 (fewer lanes leave it compute-bound, more gain nothing).
const LANES: usize = 32;

/// `a · b` and `b · b` in one pass over equal-length slices.
fn dot_and_norm(a: &[f32], b: &[f32]) -> (f32, f32) {
    let mut dot = [0.0f32; LANES];
    let mut nb = [0.0f32; LANES];
    let (ac, bc) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for i in 0..LANES {
            dot[i] += x[i] * y[i];
            nb[i] += y[i] * y[i];
        }
    }
    let (mut d, mut n) = (dot.iter().sum::<f32>(), nb.iter().sum::<f32>());
    for (x, y) in ar.iter().zip(br) {
        d += x * y;
        n += y * y;
    }
    (d, n)
}

/// Cosine from a dot product and two squared norms; 0 when either norm is 0.
fn cosine(dot: f32, na: f32, nb: f32) -> f32 {
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// Cosine similarity of two vectors; 0 when either is all zeros or their lengths differ.
///
/// ```
/// let s = exllm::similarity::cosine_similarity(&[1.0, 0.0], &[1.0, 1.0]);
/// assert!((s - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
/// ```
pub fn cosine_similarity(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (dot, nb) = dot_and_norm(a, b);
    cosine(dot, dot_and_norm(a, a).1, nb)
}

/// A corpus entry and its similarity to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Index into the corpus.
    pub index: usize,
    /// Cosine similarity to the query.
    pub score: f32,
}

/// Orders by score (NaN lowest), then by index, reversed so the heap's top is the worst kept.
struct Worst(Match);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        let key = |m: &Match| {
            if m.score.is_nan() {
                f32::NEG_INFINITY
            } else {
                m.score
            }
        };
        key(&other.0)
            .total_cmp(&key(&self.0))
            .then(self.0.index.cmp(&other.0.index))
    }
}

/// The `k` corpus vectors most similar to `query`, best first (ties: lower index first).
///
/// ```
/// use exllm::similarity::find_similar;
/// let corpus = vec![vec![0.0, 1.0], vec![1.0, 0.1], vec![-1.0, 0.0]];
/// let best = find_similar(&[1.0, 0.0], &corpus, 2);
/// assert_eq!(best.iter().map(|m| m.index).collect::<Vec<_>>(), [1, 0]);
/// ```
pub fn find_similar<V: AsRef<[f32]>>(query: &[f32], corpus: &[V], k: usize) -> Vec<Match> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Worst> = BinaryHeap::with_capacity(k + 1);
    // The same arithmetic as `cosine_similarity`, with the query's norm computed once.
    let na = dot_and_norm(query, query).1;
    for (index, v) in corpus.iter().enumerate() {
        let v = v.as_ref();
        let score = if v.len() == query.len() {
            let (dot, nb) = dot_and_norm(query, v);
            cosine(dot, na, nb)
        } else {
            0.0
        };
        let m = Match { index, score };
        if heap.len() < k {
            heap.push(Worst(m));
        } else if heap.peek().is_some_and(|w| Worst(m) < *w) {
            heap.pop();
            heap.push(Worst(m));
        }
    }
    let mut out: Vec<Match> = heap.into_iter().map(|w| w.0).collect();
    out.sort_by_key(|m| Worst(*m));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_edge_cases() {
        assert_eq!(cosine_similarity(&[1.0, 2.0], &[2.0, 4.0]).min(1.0), 1.0);
        assert!((cosine_similarity(&[1.0, 0.0], &[-1.0, 0.0]) + 1.0).abs() < 1e-6);
        assert_eq!(cosine_similarity(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine_similarity(&[1.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn top_k_equals_a_full_sort() {
        // A deterministic pseudo-random corpus.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let corpus: Vec<Vec<f32>> = (0..500)
            .map(|_| (0..16).map(|_| next()).collect())
            .collect();
        let query: Vec<f32> = (0..16).map(|_| next()).collect();
        for k in [1, 5, 10, 499, 500, 600] {
            let got = find_similar(&query, &corpus, k);
            let mut all: Vec<Match> = corpus
                .iter()
                .enumerate()
                .map(|(index, v)| Match {
                    index,
                    score: cosine_similarity(&query, v),
                })
                .collect();
            all.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
            all.truncate(k);
            assert_eq!(got, all, "k = {k}");
        }
        assert!(find_similar(&query, &corpus, 0).is_empty());
    }

    #[test]
    fn nan_scores_rank_last() {
        let corpus = vec![vec![f32::NAN, 1.0], vec![1.0, 0.0], vec![0.0, 1.0]];
        let got = find_similar(&[1.0, 0.0], &corpus, 3);
        assert_eq!(got.iter().map(|m| m.index).collect::<Vec<_>>(), [1, 2, 0]);
    }
}
