//! Semantic chunking: a long document cut where its topic changes rather than every N
//! characters. The text is split into sentences, each sentence embedded, and a chunk ends
//! where two neighbouring sentences are least alike (below a threshold, by default the
//! similarity at the 20th percentile of the document's own neighbour similarities, so the cut
//! adapts to how uniform the text is) or where the next sentence would take the chunk over its
//! token limit. Embedding is the caller's (any provider, a local model), given as a callback.
//! The chunks, in order, are the whole text: nothing is dropped or rewritten.

use crate::similarity::cosine_similarity;
use crate::tokens::count_text;
use crate::{Error, ErrorKind, Result};
use std::future::Future;
use std::ops::Range;

/// How to chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkOptions {
    /// Most tokens in a chunk (a single longer sentence is a chunk of its own).
    pub max_tokens: u64,
    /// Cut where neighbouring sentences are this similar or less; when `None`, the
    /// similarity at `percentile` of the document's neighbour similarities.
    pub threshold: Option<f32>,
    /// Which similarity (0.0 lowest – 1.0 highest) is the threshold when none is given.
    pub percentile: f32,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        ChunkOptions {
            max_tokens: 512,
            threshold: None,
            percentile: 0.2,
        }
    }
}

/// A piece of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Byte range in the document.
    pub range: Range<usize>,
    /// The text.
    pub text: String,
    /// Its tokens (the sum over its sentences).
    pub tokens: u64,
}

/// The sentences of `text` as byte ranges that cover it all, in order: a sentence ends after
/// `.`, `!`, `?` or a blank line, with the whitespace after it.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end_mark = matches!(c, '.' | '!' | '?')
            || (c == '\n' && chars.peek().is_some_and(|&(_, n)| n == '\n'));
        if !end_mark || !chars.peek().is_some_and(|&(_, n)| n.is_whitespace()) {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, n)) = chars.peek() {
            if !n.is_whitespace() {
                break;
            }
            end = j + n.len_utf8();
            chars.next();
        }
        out.push(start..end);
        start = end;
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Where chunks start (sentence indices, the first always 0) given each sentence's vector and
/// token cost.
pub fn boundaries(vectors: &[Vec<f32>], costs: &[u64], opts: &ChunkOptions) -> Vec<usize> {
    let n = vectors.len().min(costs.len());
    if n == 0 {
        return Vec::new();
    }
    let sims: Vec<f32> = (1..n)
        .map(|i| cosine_similarity(&vectors[i - 1], &vectors[i]))
        .map(|s| if s.is_nan() { 0.0 } else { s })
        .collect();
    let threshold = opts.threshold.unwrap_or_else(|| {
        let mut sorted = sims.clone();
        sorted.sort_by(f32::total_cmp);
        let p = opts.percentile.clamp(0.0, 1.0);
        let at = ((sorted.len().saturating_sub(1)) as f32 * p).floor() as usize;
        sorted.get(at).copied().unwrap_or(f32::NEG_INFINITY)
    });
    // A document whose neighbours are all equally alike has no topic change to cut at.
    let varied = sims.iter().any(|&s| s > threshold);
    let mut starts = vec![0];
    let mut size = costs[0];
    for i in 1..n {
        let topic_change = varied && sims[i - 1] <= threshold;
        let too_big = size.saturating_add(costs[i]) > opts.max_tokens;
        if topic_change || too_big {
            starts.push(i);
            size = 0;
        }
        size = size.saturating_add(costs[i]);
    }
    starts
}

/// Cuts `text` into chunks at embedding-similarity boundaries. `embed` gets the sentences and
/// returns one vector each; tokens are counted for `model`.
///
/// ```
/// use exllm::context::{semantic_chunks, ChunkOptions};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let text = "Cats purr. Cats nap. Rust compiles. Rust is safe.";
/// // A toy embedding: the topic word of each sentence.
/// let embed = |sents: Vec<String>| async move {
///     Ok(sents.iter().map(|s| if s.contains("Cats") { vec![1.0, 0.0] } else { vec![0.0, 1.0] }).collect())
/// };
/// let chunks = semantic_chunks(text, "openai/gpt-4o", &ChunkOptions::default(), embed).await?;
/// assert_eq!(chunks.len(), 2);
/// assert_eq!(chunks[0].text, "Cats purr. Cats nap. ");
/// # Ok::<(), exllm::Error>(()) }).unwrap();
/// ```
pub async fn semantic_chunks<F, Fut>(
    text: &str,
    model: &str,
    opts: &ChunkOptions,
    embed: F,
) -> Result<Vec<Chunk>>
where
    F: FnOnce(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<Vec<f32>>>>,
{
    let sents = sentences(text);
    if sents.is_empty() {
        return Ok(Vec::new());
    }
    let vectors = embed(sents.iter().map(|r| text[r.clone()].to_owned()).collect()).await?;
    if vectors.len() != sents.len() {
        return Err(Error::new(
            ErrorKind::Decode,
            format!(
                "the embedder returned {} vectors for {} sentences",
                vectors.len(),
                sents.len()
            ),
        ));
    }
    let costs: Vec<u64> = sents
        .iter()
        .map(|r| count_text(model, &text[r.clone()]).tokens)
        .collect();
    let starts = boundaries(&vectors, &costs, opts);
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(sents.len());
        let range = sents[s].start..sents[e - 1].end;
        out.push(Chunk {
            text: text[range.clone()].to_owned(),
            range,
            tokens: costs[s..e].iter().sum(),
        });
    }
    Ok(out)
}
