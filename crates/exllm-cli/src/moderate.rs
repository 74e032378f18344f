//! `exllm moderate`: whether texts break the provider's content policy, as a table of
//! categories or the kit's `{"flagged", "categories"}` of the first verdict.

use crate::output;
use crate::service::ServiceArgs;
use clap::Args;
use exllm::provider::Task;
use exllm::{Message, ModerationRequest};
use serde_json::json;

#[derive(Args)]
pub struct ModerateArgs {
    /// The texts to classify.
    #[arg(required = true)]
    texts: Vec<String>,
    /// An image URL to classify too (models that take images). Repeatable.
    #[arg(long, value_name = "URL")]
    image: Vec<String>,
    /// The texts are the turns of one conversation, user first, then assistant, and so on,
    /// classified as a whole (Mistral's chat moderation).
    #[arg(long)]
    chat: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

pub async fn run(args: ModerateArgs) -> u8 {
    let json = args.service.json;
    let mut req = ModerationRequest::new(args.service.model.clone(), args.texts.clone());
    req.image_urls = args.image.clone();
    if args.chat {
        req.conversation = args
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| match i % 2 {
                0 => Message::user(t.clone()),
                _ => Message::assistant(t.clone()),
            })
            .collect();
        req.texts.clear();
    }
    let result = match args.service.client(Task::Moderate) {
        Ok(client) => client.moderate(req).await,
        Err(e) => Err(e),
    };
    let resp = match result {
        Ok(r) => r,
        Err(e) => return output::report(&e, json),
    };
    if json {
        let first = resp.results.first();
        output::emit(json!({
            "flagged": first.is_some_and(|r| r.flagged),
            "categories": first.map(|r| r.flagged_categories()).unwrap_or_default(),
        }));
        return 0;
    }
    for (i, r) in resp.results.iter().enumerate() {
        let label = if resp.results.len() > 1 {
            format!("result {}: ", i + 1)
        } else {
            String::new()
        };
        let verdict = if r.flagged { "flagged" } else { "not flagged" };
        output::emit(format!("{label}{verdict}"));
        let rows: Vec<Vec<String>> = r
            .categories
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    if c.flagged { "yes" } else { "-" }.into(),
                    c.score.map_or("-".into(), |s| format!("{s:.4}")),
                ]
            })
            .collect();
        output::table(&["CATEGORY", "FLAGGED", "SCORE"], &rows);
    }
    0
}
