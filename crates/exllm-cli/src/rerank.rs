//! `exllm rerank`: documents ordered by relevance to a query (Cohere, Voyage, Jina,
//! Together, ...), as a table or the kit's `{"results": [{"index", "score"}]}`.

use crate::output;
use crate::service::ServiceArgs;
use clap::Args;
use exllm::provider::Task;
use exllm::RerankRequest;
use serde_json::json;

#[derive(Args)]
pub struct RerankArgs {
    /// The query.
    #[arg(short, long)]
    query: String,
    /// The documents to order.
    #[arg(required = true)]
    documents: Vec<String>,
    /// Keep only the best N.
    #[arg(long)]
    top: Option<u32>,
    #[command(flatten)]
    service: ServiceArgs,
}

pub async fn run(args: RerankArgs) -> u8 {
    let json = args.service.json;
    let req = RerankRequest {
        model: args.service.model.clone(),
        query: args.query.clone(),
        documents: args.documents.clone(),
        top_n: args.top,
        ..Default::default()
    };
    let result = match args.service.client(Task::Rerank) {
        Ok(client) => client.rerank(req).await,
        Err(e) => Err(e),
    };
    let resp = match result {
        Ok(r) => r,
        Err(e) => return output::report(&e, json),
    };
    if json {
        let results: Vec<_> = resp
            .results
            .iter()
            .map(|r| json!({"index": r.index, "score": r.relevance_score}))
            .collect();
        output::emit(json!({"results": results}));
        return 0;
    }
    let rows: Vec<Vec<String>> = resp
        .results
        .iter()
        .enumerate()
        .map(|(rank, r)| {
            // The index is the server's word: one past the documents shows as unknown.
            let doc = args.documents.get(r.index).map_or("?", String::as_str);
            vec![
                (rank + 1).to_string(),
                format!("{:.4}", r.relevance_score),
                r.index.to_string(),
                doc.to_owned(),
            ]
        })
        .collect();
    output::table(&["RANK", "SCORE", "INDEX", "DOCUMENT"], &rows);
    0
}
