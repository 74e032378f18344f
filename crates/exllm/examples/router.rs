//! The router: one group name stands for several deployments, and a failing deployment's
//! call moves to another. `cargo run -p exllm --example router`; no key needed: mock models
//! play the deployments, the `primary` one always failing with a 503. With `OPENAI_API_KEY`
//! set, the backup is a real one (`openai/gpt-4o-mini`).

use exllm::client::{MockAnswer, MockRule, MockRules};
use exllm::router::{Deployment, Route, Router};
use exllm::{ChatRequest, Client, ErrorKind, Message};
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> exllm::Result<()> {
    let mock = MockRules::new()
        .rule(
            MockRule::answer(MockAnswer::Error {
                kind: ErrorKind::Server,
                message: "primary is down".into(),
                status: Some(503),
            })
            .model("primary"),
        )
        .otherwise(MockAnswer::Text("answered by the backup".into()));
    let backup = match std::env::var_os("OPENAI_API_KEY") {
        Some(_) => "openai/gpt-4o-mini",
        None => "mock/backup",
    };
    let router = Router::builder()
        .client_template(Client::builder().provider("mock", Arc::new(mock)))
        .deployment(Deployment::new("chat", "mock/primary"))
        .deployment(Deployment::new("chat", backup))
        .build()?;
    for _ in 0..3 {
        let resp = router
            .chat(ChatRequest::new("chat", vec![Message::user("Hi")]))
            .await?;
        let by = Route::of(&resp).and_then(|r| r.answered_by().map(str::to_owned));
        println!("{} (via {})", resp.text(), by.unwrap_or_default());
    }
    Ok(())
}
