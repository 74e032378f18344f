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
