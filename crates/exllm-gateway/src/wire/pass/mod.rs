//! What pass-through needs from answer bytes it does not re-encode: the usage (for metrics,
//! budgets and the ledger), whether a stream reached its end (so a cut that looks clean is
//! still an error), and where SSE frames end (a stream is forwarded frame by frame, so an
//! error event appended after a break never lands inside a half-sent frame).
//!
//! Pure functions over bytes, per wire API. Only what is needed is read: a frame is parsed
//! as JSON only when it can carry usage, an error or the end.

#[cfg(test)]
mod tests;

use exllm::{Api, Usage};
use serde::Deserialize;

/// The usage object of any of the three APIs (their fields do not clash).
#[derive(Deserialize, Default)]
struct RawUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    prompt_tokens_details: Option<Details>,
    input_tokens_details: Option<Details>,
    completion_tokens_details: Option<Details>,
    output_tokens_details: Option<Details>,
}

#[derive(Deserialize, Default)]
struct Details {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

/// The parts of a body or event that matter here.
#[derive(Deserialize, Default)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<String>,
    usage: Option<RawUsage>,
    /// Anthropic's `message_start` carries the message, usage inside.
    message: Option<Box<Envelope>>,
    /// Responses' terminal events carry the response, usage inside.
    response: Option<Box<Envelope>>,
    error: Option<serde_json::Value>,
    choices: Option<Vec<Choice>>,
}

#[derive(Deserialize)]
struct Choice {
    finish_reason: Option<String>,
}

/// `raw` in exllm's terms for `api` (input counts cached and cache-write tokens).
fn usage_of(api: Api, raw: RawUsage) -> Usage {
    match api {
        Api::Anthropic => {
            let read = raw.cache_read_input_tokens;
            let write = raw.cache_creation_input_tokens;
            Usage {
                input_tokens: Usage::sum_known(&[raw.input_tokens, write, read]),
                output_tokens: raw.output_tokens,
                cache_read_tokens: read,
                cache_write_tokens: write,
                ..Usage::default()
            }
        }
        Api::OpenAiResponses => Usage {
            input_tokens: raw.input_tokens,
            output_tokens: raw.output_tokens,
            cache_read_tokens: raw.input_tokens_details.and_then(|d| d.cached_tokens),
            reasoning_tokens: raw.output_tokens_details.and_then(|d| d.reasoning_tokens),
            ..Usage::default()
        },
        _ => Usage {
            input_tokens: raw.prompt_tokens,
            output_tokens: raw.completion_tokens,
            cache_read_tokens: raw.prompt_tokens_details.and_then(|d| d.cached_tokens),
            reasoning_tokens: raw
                .completion_tokens_details
                .and_then(|d| d.reasoning_tokens),
            ..Usage::default()
        },
    }
}

/// What a whole (non-streamed) answer body says.
#[derive(Debug, Default, PartialEq)]
pub struct BodyScan {
    /// Its usage, when it has one.
    pub usage: Option<Usage>,
    /// The message of an error object inside a 200 (a failed run), when there is one.
    pub failed: Option<String>,
}

/// Reads the usage (and an error inside a 200) out of a whole answer body of `api`.
pub fn scan_body(api: Api, body: &[u8]) -> BodyScan {
    let Ok(env) = serde_json::from_slice::<Envelope>(body) else {
        return BodyScan::default();
    };
    let failed = env.error.as_ref().filter(|e| !e.is_null()).map(|e| {
        match e.get("message").and_then(|m| m.as_str()) {
            Some(m) => m.to_owned(),
            None => e.to_string(),
        }
    });
    BodyScan {
        usage: env.usage.map(|u| usage_of(api, u)),
        failed,
    }
}

/// Follows one streamed answer of `api` frame by frame.
#[derive(Debug)]
pub struct StreamScan {
    api: Api,
    buf: Vec<u8>,
    /// The usage so far (later reports update earlier ones).
    pub usage: Option<Usage>,
    /// Whether the stream's own end arrived (`[DONE]` or a finish reason, `message_stop`,
    /// a terminal Responses event).
    pub complete: bool,
    /// An error event the provider sent inside the stream.
    pub error: Option<String>,
}

impl StreamScan {
    /// A scan of a stream of `api`.
    pub fn new(api: Api) -> Self {
        StreamScan {
            api,
            buf: Vec::new(),
            usage: None,
            complete: false,
            error: None,
        }
    }

    /// Takes `chunk` and returns the complete frames it finished (bytes as received), each
    /// read on the way; an unfinished frame waits for the next chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(len) = frame_len(&buf[start..]) {
            self.frame(&buf[start..start + len]);
            start += len;
        }
        self.buf = buf.split_off(start);
        buf
    }

    /// The bytes left when the stream ended: a last frame without its blank line (read and
    /// returned), or nothing.
    pub fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.buf);
        if rest.iter().all(u8::is_ascii_whitespace) {
            return Vec::new();
        }
        self.frame(&rest);
        rest
    }

    /// Reads one frame: its `event:` name and `data:` lines.
    fn frame(&mut self, frame: &[u8]) {
        let mut event: &[u8] = b"";
        let mut data: Vec<u8> = Vec::new();
        for line in frame.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(v) = line.strip_prefix(b"event:") {
                event = v.trim_ascii();
            } else if let Some(v) = line.strip_prefix(b"data:") {
                if !data.is_empty() {
                    data.push(b'\n');
                }
                data.extend_from_slice(v.strip_prefix(b" ").unwrap_or(v));
            }
        }
        if data.is_empty() {
            return;
        }
        match self.api {
            Api::OpenAiChat => self.chat_frame(&data),
            _ => self.event_frame(event, &data),
        }
    }

    fn chat_frame(&mut self, data: &[u8]) {
        if data.trim_ascii() == b"[DONE]" {
            self.complete = true;
            return;
        }
        // Content chunks (nearly all) are not parsed: only a chunk that can carry usage, a
        // finish reason or an error is.
        let wanted: [&[u8]; 5] = [
            b"\"usage\":{",
            b"\"usage\": {",
            b"\"finish_reason\":\"",
            b"\"finish_reason\": \"",
            b"\"error\"",
        ];
        if !wanted.iter().any(|w| contains(data, w)) {
            return;
        }
        let Ok(env) = serde_json::from_slice::<Envelope>(data) else {
            return;
        };
        if let Some(e) = env.error.filter(|e| !e.is_null()) {
            self.error = Some(message_of(&e));
        }
        if let Some(u) = env.usage {
            self.add(u);
        }
        let finished = env
            .choices
            .iter()
            .flatten()
            .any(|c| c.finish_reason.is_some());
        self.complete |= finished;
    }

    fn event_frame(&mut self, event: &[u8], data: &[u8]) {
        // The event name is in the `event:` line, or else in the data's `type`.
        let parsed = serde_json::from_slice::<Envelope>(data).ok();
        let kind = match (event, &parsed) {
            (b"", Some(e)) => e.kind.as_deref().unwrap_or("").as_bytes().to_vec(),
            (e, _) => e.to_vec(),
        };
        let Some(env) = parsed else { return };
        match kind.as_slice() {
            b"error" => {
                self.error = Some(
                    env.error
                        .as_ref()
                        .map_or_else(|| String::from_utf8_lossy(data).into_owned(), message_of),
                );
            }
            b"message_start" => {
                if let Some(u) = env.message.and_then(|m| m.usage) {
                    self.add(u);
                }
            }
            b"message_delta" => {
                if let Some(u) = env.usage {
                    self.add(u);
                }
            }
            b"message_stop" => self.complete = true,
            b"response.completed" | b"response.incomplete" | b"response.failed" => {
                if let Some(u) = env.response.and_then(|r| r.usage) {
                    self.add(u);
                }
                self.complete = true;
            }
            _ => {}
        }
    }

    fn add(&mut self, raw: RawUsage) {
        let u = usage_of(self.api, raw);
        match &mut self.usage {
            Some(old) => old.merge(u),
            None => self.usage = Some(u),
        }
    }
}

fn message_of(e: &serde_json::Value) -> String {
    e.get("message")
        .and_then(|m| m.as_str())
        .map_or_else(|| e.to_string(), str::to_owned)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The length of the first frame of `b` (through its blank line), if it is complete.
fn frame_len(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            match b.get(i + 1) {
                Some(b'\n') => return Some(i + 2),
                Some(b'\r') if b.get(i + 2) == Some(&b'\n') => return Some(i + 3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// What pass-through reads of a caller's request: the model name, whether it streams, and
/// whether an OpenAI chat stream asked for its usage chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peek {
    /// The `model` the caller sent.
    pub model: String,
    /// `stream: true`.
    pub stream: bool,
    /// `stream_options.include_usage: true`.
    pub include_usage: bool,
    /// Where the `model` value (with its quotes) sits in the body.
    span: (usize, usize),
}

#[derive(Deserialize)]
struct PeekBody<'a> {
    #[serde(borrow)]
    model: &'a serde_json::value::RawValue,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

/// Reads a request body's model and stream flags; `None` when the body is not an object
/// with a string `model` and boolean flags (the decoding path then answers with the
/// format's own error).
pub fn peek(body: &[u8]) -> Option<Peek> {
    let p: PeekBody<'_> = serde_json::from_slice(body).ok()?;
    let raw = p.model.get();
    let model: String = serde_json::from_str(raw).ok()?;
    let start = (raw.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
    let end = start + raw.len();
    if body.get(start..end) != Some(raw.as_bytes()) {
        return None;
    }
    Some(Peek {
        model,
        stream: p.stream.unwrap_or(false),
        include_usage: p.stream_options.and_then(|o| o.include_usage) == Some(true),
        span: (start, end),
    })
}

/// `body` with only its `model` value replaced by `model`; every other byte as sent.
pub fn with_model(body: &[u8], peek: &Peek, model: &str) -> Vec<u8> {
    let (start, end) = peek.span;
    let mut out = Vec::with_capacity(body.len() + model.len());
    out.extend_from_slice(&body[..start]);
    // A string always serializes.
    let _ = serde_json::to_writer(&mut out, model);
    out.extend_from_slice(&body[end..]);
    out
}
