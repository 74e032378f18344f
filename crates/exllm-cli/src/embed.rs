//! `exllm embed`: embeddings from any provider (the local model when none is named), printed
//! as JSON, one object per text.

use crate::output;
use clap::Args;
use exllm::{Client, EmbedRequest};

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
    let mut b = crate::local::register(Client::builder());
    if let (Some(url), Ok((provider, _))) = (&args.base_url, exllm::client::split_model(&model)) {
        b = b.base_url(provider, url.clone());
    }
    let mut req = EmbedRequest::new(model, args.texts.clone());
    req.dimensions = args.dimensions;
    let result = match b.build() {
        Ok(client) => client.embed(req).await,
        Err(e) => Err(e),
    };
    match result {
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
    let result = match crate::local::register(Client::builder()).build() {
        Ok(client) => client.embed(EmbedRequest::new(model, inputs)).await,
        Err(e) => Err(e),
    };
    let resp = match result {
        Ok(r) => r,
        Err(e) => return output::report(&e, args.json),
    };
    let Some((query, corpus)) = resp.embeddings.split_first() else {
        return output::report(
            &exllm::Error::new(exllm::ErrorKind::Decode, "no embeddings came back"),
            args.json,
        );
    };
    let best = exllm::similarity::find_similar(query, corpus, args.k);
    if args.json {
        let rows: Vec<_> = best
            .iter()
            .map(|m| serde_json::json!({"index": m.index, "score": m.score, "text": docs[m.index]}))
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else {
        for m in &best {
            println!("{:.4}  {}", m.score, docs[m.index]);
        }
    }
    0
}
