//! `exllm embed`: embeddings from any provider (the local model when none is named), printed
//! as JSON, one object per text (with `--json`, the kit's `{"embeddings", "usage"}`); and
//! `exllm similar`, which ranks a file's lines by embedding similarity to a query.

use crate::output;
use clap::Args;
use exllm::provider::Task;
use exllm::{EmbedRequest, EmbedResponse, Error, ErrorKind};
use serde_json::json;

#[derive(Args)]
pub struct EmbedArgs {
    /// Texts to embed.
    #[arg(required = true)]
    texts: Vec<String>,
    /// provider/model (default: the local embedding model).
    #[arg(short, long)]
    model: Option<String>,
    /// Shorten vectors to this many dimensions, where the model can.
    #[arg(long)]
    dimensions: Option<u32>,
    /// The provider's base URL.
    #[arg(long)]
    base_url: Option<String>,
    /// Wire API: openai-embed, gemini-embed, cohere-embed or ollama-embed (default: the
    /// provider's own).
    #[arg(long)]
    api: Option<String>,
    /// Print one JSON object: `{"embeddings": [[...], ...], "usage": {"input_tokens"} | null}`.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: EmbedArgs) -> u8 {
    let Some(model) = args
        .model
        .clone()
        .or_else(crate::local::default_embedding_model)
    else {
        let e = exllm::Error::new(
            exllm::ErrorKind::Config,
            "pass --model provider/model (this build has no local models)",
        );
        return output::report(&e, true);
    };
    let client = crate::service::client_for(
        &model,
        args.base_url.as_deref(),
        args.api.as_deref(),
        Task::Embed,
    );
    let mut req = EmbedRequest::new(model, args.texts.clone());
    req.dimensions = args.dimensions;
    let result = match client {
        Ok(client) => client.embed(req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(resp) if args.json => {
            let usage = resp
                .usage
                .as_ref()
                .map(|u| json!({"input_tokens": u.input_tokens}));
            output::emit(json!({"embeddings": resp.embeddings, "usage": usage}));
            for w in &resp.warnings {
                eprintln!("exllm: warning: {}", w.message);
            }
            0
        }
        Ok(resp) => {
            let rows: Vec<_> = args
                .texts
                .iter()
                .zip(resp.embeddings)
                .map(|(t, v)| serde_json::json!({"text": t, "embedding": v}))
                .collect();
            println!("{}", serde_json::Value::Array(rows));
            for w in &resp.warnings {
                eprintln!("exllm: warning: {}", w.message);
            }
            0
        }
        Err(e) => output::report(&e, true),
    }
}

#[derive(Args)]
pub struct SimilarArgs {
    /// A file with one document per line.
    file: std::path::PathBuf,
    /// The query.
    #[arg(short, long)]
    query: String,
    /// provider/model (default: the local embedding model).
    #[arg(short, long)]
    model: Option<String>,
    /// How many documents to show.
    #[arg(short, long, default_value_t = 5)]
    k: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// The provider's base URL.
    #[arg(long)]
    base_url: Option<String>,
    /// Wire API (as for `exllm embed`).
    #[arg(long)]
    api: Option<String>,
}

/// One vector per input, or an error saying how many came back: the vectors are matched to
/// the inputs by position, so a short or long answer cannot be used.
fn checked(resp: EmbedResponse, inputs: usize) -> Result<Vec<Vec<f32>>, Error> {
    if resp.embeddings.len() != inputs {
        return Err(Error::new(
            ErrorKind::Decode,
            format!(
                "asked for {inputs} embeddings (the query and each line), got {}",
                resp.embeddings.len()
            ),
        ));
    }
    Ok(resp.embeddings)
}

/// `exllm similar`: the lines of a file most similar to a query, by embedding cosine.
pub async fn similar(args: SimilarArgs) -> u8 {
    let Some(model) = args
        .model
        .clone()
        .or_else(crate::local::default_embedding_model)
    else {
        let e = exllm::Error::new(
            exllm::ErrorKind::Config,
            "pass --model provider/model (this build has no local models)",
        );
        return output::report(&e, args.json);
    };
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            let e = exllm::Error::new(
                exllm::ErrorKind::InvalidInput,
                format!("cannot read {}: {e}", args.file.display()),
            );
            return output::report(&e, args.json);
        }
    };
    let docs: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut inputs = vec![args.query.clone()];
    inputs.extend(docs.iter().map(|d| (*d).to_owned()));
    let count = inputs.len();
    let client = crate::service::client_for(
        &model,
        args.base_url.as_deref(),
        args.api.as_deref(),
        Task::Embed,
    );
    let result = match client {
        Ok(client) => client.embed(EmbedRequest::new(model, inputs)).await,
        Err(e) => Err(e),
    };
    let vectors = match result.and_then(|r| checked(r, count)) {
        Ok(v) => v,
        Err(e) => return output::report(&e, args.json),
    };
    let Some((query, corpus)) = vectors.split_first() else {
        return output::report(
            &Error::new(ErrorKind::Decode, "no embeddings came back"),
            args.json,
        );
    };
    let best = exllm::similarity::find_similar(query, corpus, args.k);
    // `checked` matched the corpus to the lines one for one; `get` keeps it that way should
    // that ever change.
    let hits = best
        .iter()
        .filter_map(|m| docs.get(m.index).map(|d| (m, *d)));
    if args.json {
        let rows: Vec<_> = hits
            .map(|(m, d)| json!({"index": m.index, "score": m.score, "text": d}))
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else {
        for (m, d) in hits {
            println!("{:.4}  {d}", m.score);
        }
    }
    0
}
