//! `exllm tokens`: the input tokens of a prompt for a model — the provider's own count where
//! it has a counting endpoint (Anthropic, Gemini, Vertex), else the library's local count;
//! `--local` counts locally without sending anything.

use crate::output;
use clap::Args;
use exllm::{ChatRequest, Client, Message};
use serde_json::json;

#[derive(Args)]
pub struct TokensArgs {
    /// The text to count (a user message).
    #[arg(required = true)]
    text: String,
    /// provider/model, e.g. anthropic/claude-sonnet-4-5.
    #[arg(short, long)]
    model: String,
    /// A system prompt counted with the text.
    #[arg(short, long)]
    system: Option<String>,
    /// Count with the library's local tokenizer or estimate, sending nothing.
    #[arg(long)]
    local: bool,
    /// The provider's base URL, replacing its default (include the version path, e.g. /v1).
    #[arg(long)]
    base_url: Option<String>,
    /// Print exactly one JSON object (`{"tokens": N}`).
    #[arg(long)]
    json: bool,
}

pub async fn run(args: TokensArgs) -> u8 {
    let mut messages = Vec::new();
    if let Some(s) = &args.system {
        messages.push(Message::system(s.clone()));
    }
    messages.push(Message::user(args.text.clone()));
    let req = ChatRequest::new(args.model.clone(), messages);
    let counted = if args.local {
        let bare = exllm::client::split_model(&args.model)
            .map(|(_, m)| m)
            .unwrap_or(&args.model);
        Ok(exllm::tokens::count_messages(bare, &req.messages, &[]).tokens)
    } else {
        match client(&args) {
            Ok(c) => c.count_tokens(&req).await,
            Err(e) => Err(e),
        }
    };
    match counted {
        Ok(n) if args.json => output::emit(json!({ "tokens": n })),
        Ok(n) => output::emit(n.to_string()),
        Err(e) => return output::report(&e, args.json),
    }
    0
}

fn client(args: &TokensArgs) -> exllm::Result<Client> {
    let (provider, _) = exllm::client::split_model(&args.model)?;
    let mut b = crate::local::register(Client::builder());
    if let Some(url) = &args.base_url {
        b = b.base_url(provider, url.clone());
    }
    b.build()
}
