//! The decoder dispatch shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and the
//! stable corpus replay test (`crates/exllm/tests/fuzz_corpus.rs`); both take this file in with
//! `#[path]`, so what the fuzzer explores and what CI replays is the same code. It uses only
//! exllm's public API.
//!
//! Every input is a selector byte (which decoder, `byte % table length`), for the split
//! targets two more bytes (a big-endian split point, `% (body length + 1)`), and the body.
//! A target must never panic: each decoder returns `Ok` or a typed `Err`. The only
//! assertion is the framing oracle: a framer gives the same frames and outcome whether the
//! body arrives whole or in two pieces.

#![allow(dead_code)]

use exllm::provider::Codec;
use exllm::wire::{Frame, Framer, Framing};
use exllm::{Api, Collector, StreamEvent};

/// A fuzz target: a decoder family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Each API's whole-body chat response decoder.
    Response,
    /// Each API's stream decoder, fed through the API's own framer, body cut in two.
    Stream,
    /// The framers alone (SSE, NDJSON, AWS event stream), body cut in two.
    Framing,
    /// Each API's model-list, model-page, embeddings and rerank decoders.
    Aux,
    /// HTTP error responses (any provider's error body, rate-limit and retry headers) into
    /// a typed error.
    Error,
}

impl Target {
    /// Every target, in `scripts/fuzz` order.
    pub const ALL: [Target; 5] = [
        Target::Response,
        Target::Stream,
        Target::Framing,
        Target::Aux,
        Target::Error,
    ];

    /// The cargo-fuzz binary and corpus directory name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Response => "response",
            Target::Stream => "stream",
            Target::Framing => "framing",
            Target::Aux => "aux",
            Target::Error => "error",
        }
    }

    /// The target a corpus directory is named after.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Runs one input through the target's decoders.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::Response => response(data),
            Target::Stream => stream(data),
            Target::Framing => framing(data),
            Target::Aux => aux(data),
            Target::Error => error(data),
        }
    }

    /// The table entry an input selects, for naming and checking corpus files.
    pub fn selected(self, data: &[u8]) -> Option<String> {
        let &sel = data.first()?;
        Some(match self {
            Target::Response | Target::Stream => api_of(sel).as_str().to_owned(),
            Target::Framing => framing_of(sel).0.to_owned(),
            Target::Aux => {
                let (api, op) = aux_of(sel);
                format!("{}-{}", api.as_str(), op.name())
            }
            Target::Error => status_of(sel).to_string(),
        })
    }
}

/// The framings, by selector.
pub const FRAMINGS: [(&str, Framing); 3] = [
    ("sse", Framing::Sse),
    ("ndjson", Framing::Ndjson),
    ("aws", Framing::AwsEventStream),
];

/// The non-chat body decoders every codec has (most answer "unsupported" for some).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuxOp {
    /// `Codec::decode_models`.
    Models,
    /// `Codec::next_models_page`.
    NextPage,
    /// `Codec::decode_embed`.
    Embed,
    /// `Codec::decode_rerank`.
    Rerank,
}

impl AuxOp {
    /// Every operation, by selector.
    pub const ALL: [AuxOp; 4] = [AuxOp::Models, AuxOp::NextPage, AuxOp::Embed, AuxOp::Rerank];

    /// Its name in corpus file names.
    pub fn name(self) -> &'static str {
        match self {
            AuxOp::Models => "models",
            AuxOp::NextPage => "next_page",
            AuxOp::Embed => "embed",
            AuxOp::Rerank => "rerank",
        }
    }
}

/// The API a selector byte names.
pub fn api_of(sel: u8) -> Api {
    Api::ALL[usize::from(sel) % Api::ALL.len()]
}

/// The framing a selector byte names.
pub fn framing_of(sel: u8) -> (&'static str, Framing) {
    FRAMINGS[usize::from(sel) % FRAMINGS.len()]
}

/// The API and operation a selector byte names.
pub fn aux_of(sel: u8) -> (Api, AuxOp) {
    let i = usize::from(sel) % (Api::ALL.len() * AuxOp::ALL.len());
    (
        Api::ALL[i / AuxOp::ALL.len()],
        AuxOp::ALL[i % AuxOp::ALL.len()],
    )
}

/// The selector byte of an entry, for writing seeds.
pub fn selector(target: Target, entry: &str) -> Option<u8> {
    (0..=u8::MAX).find(|&b| target.selected(&[b]).as_deref() == Some(entry))
}

/// `[selector][split hi][split lo] body` → (selector, split point within body, body).
fn split_input(data: &[u8]) -> Option<(u8, usize, &[u8])> {
    let (&sel, rest) = data.split_first()?;
    let (split, body) = match rest {
        [hi, lo, body @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), body),
        _ => (0, &[][..]),
    };
    Some((sel, split % (body.len() + 1), body))
}

fn response(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    if let Ok(resp) = api_of(sel).codec().decode(body) {
        use_response(&resp);
    }
}

fn stream(data: &[u8]) {
    let Some((sel, split, body)) = split_input(data) else {
        return;
    };
    let codec = api_of(sel).codec();
    let mut framer = codec.framing().framer();
    let mut decoder = codec.stream_decoder();
    let mut events = Vec::new();
    let mut sink = |f: Frame<'_>| decoder.decode(f, &mut events);
    let fed = framer
        .feed(&body[..split], &mut sink)
        .and_then(|()| framer.feed(&body[split..], &mut sink))
        .and_then(|()| framer.finish(&mut sink));
    if fed.is_ok() {
        // As the transport does: the decoder hears of the end only when the body ended well.
        let _ = decoder.finish(&mut events);
    }
    collect(events);
}

/// What a framer produced: the frames and how it ended.
pub type Framed = (Vec<(String, Vec<u8>)>, Result<(), exllm::ErrorKind>);

/// Frames `chunks` with a fresh framer; stops at the first error, as the transport does.
pub fn frame_chunks(framing: Framing, chunks: &[&[u8]]) -> Framed {
    let mut framer: Box<dyn Framer> = framing.framer();
    let mut frames = Vec::new();
    let mut sink = |f: Frame<'_>| {
        frames.push((f.event.to_owned(), f.data.to_vec()));
        Ok(())
    };
    let mut outcome = Ok(());
    for chunk in chunks {
        outcome = framer.feed(chunk, &mut sink);
        if outcome.is_err() {
            break;
        }
    }
    if outcome.is_ok() {
        outcome = framer.finish(&mut sink);
    }
    (frames, outcome.map_err(|e| e.kind()))
}

fn framing(data: &[u8]) {
    let Some((sel, split, body)) = split_input(data) else {
        return;
    };
    let framing = framing_of(sel).1;
    let whole = frame_chunks(framing, &[body]);
    let cut = frame_chunks(framing, &[&body[..split], &body[split..]]);
    assert_eq!(
        whole, cut,
        "framing {framing:?} differs when cut at {split}"
    );
}

fn aux(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let (api, op) = aux_of(sel);
    let codec: &dyn Codec = api.codec();
    match op {
        AuxOp::Models => drop(codec.decode_models(body)),
        AuxOp::NextPage => drop(codec.next_models_page(body)),
        AuxOp::Embed => drop(codec.decode_embed(body)),
        AuxOp::Rerank => drop(codec.decode_rerank(body)),
    }
}

/// The statuses of the error target, by selector: what providers answer with.
pub const STATUSES: [u16; 16] = [
    400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529, 599,
];

pub fn status_of(sel: u8) -> u16 {
    STATUSES[usize::from(sel) % STATUSES.len()]
}

/// `[selector][header length] headers body`: headers are `name: value` lines; lines that
/// are not valid HTTP are dropped by the library, as a server's would be by the client.
fn error(data: &[u8]) {
    let [sel, len, rest @ ..] = data else {
        return;
    };
    let status = status_of(*sel);
    let (head, body) = rest.split_at(usize::from(*len).min(rest.len()));
    let head = String::from_utf8_lossy(head);
    let headers: Vec<(&str, &str)> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect();
    let e = exllm::provider::error_from_response("fuzz", status, &headers, body);
    assert_eq!(e.status(), Some(status), "the status is kept: {e:?}");
    assert!(!e.to_string().is_empty());
    let _ = (
        e.is_retryable(),
        e.retry_after(),
        e.code(),
        format!("{e:?}"),
    );
}

/// Folds events the way a stream consumer does, then uses the answer.
fn collect(events: Vec<StreamEvent>) {
    let mut c = Collector::new();
    for e in events {
        c.push(e);
        let _ = c.has_content();
    }
    let resp = c.finish();
    use_response(&resp);
}

/// Touches what callers read from a decoded answer, so lazily built pieces are exercised.
fn use_response(resp: &exllm::ChatResponse) {
    let _ = resp.text();
    let _ = resp.reasoning_text();
    for call in resp.tool_calls() {
        let _ = call.arguments_text();
    }
    let _ = serde_json::to_vec(resp);
}
