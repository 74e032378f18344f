//! Nothing secret in any output: every provider of the matrix is called at TRACE level (a
//! success, a stream, and an error whose body echoes the key), and the whole log plus every
//! error's `Debug` and `Display` is searched for the dummy keys. A caller's own pattern (an
//! e-mail address) is redacted from logged bodies too. A test binary of its own: the
//! subscriber must see every call site.

use crate::matrix;
use crate::support;

use exllm::{ChatRequest, Client, Message};
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{Reply, TestServer, KEY};

const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

#[tokio::test]
async fn no_key_reaches_any_log_or_error() {
    let buf = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buf.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let echo = format!(
        r#"{{"error":{{"message":"Incorrect API key provided: {KEY}","type":"invalid_request_error"}}}}"#
    );
    let mut errors = String::new();
    for row in matrix::all() {
        let server = TestServer::start(vec![
            (row.text)("hello"),
            (row.text_stream)(&["hel", "lo"]),
            Reply::json(401, echo.clone()),
        ])
        .await;
        let c = (row.client)(&server);
        let req = ChatRequest::new(row.model, vec![Message::user("hi")]);
        assert_eq!(
            c.chat(req.clone()).await.unwrap().text(),
            "hello",
            "{}",
            row.name
        );
        support::streamed(&c, req.clone()).await.unwrap();
        let e = c.chat(req).await.unwrap_err();
        // Only a provider that was sent the key must keep it out of an echoing error (Ollama
        // has no key; Bedrock signs with AWS credentials, checked through the log).
        let sent_key = format!("{:?}", server.requests()[0]).contains(KEY);
        if sent_key {
            errors.push_str(&format!("{e:?}\n{e}\n"));
        }
    }

    // The caller's pattern: e-mail addresses never reach the debug log of bodies.
    let server = TestServer::start(vec![(matrix::openai_chat().text)("ok")]).await;
    let c = Client::builder()
        .env_lookup(|_| None)
        .base_url("openai", server.url())
        .api_key("openai", KEY)
        .redact_pattern(regex::Regex::new(r"[\w.+-]+@[\w-]+\.[\w.]+").unwrap())
        .build()
        .unwrap();
    c.chat(ChatRequest::new(
        "openai/gpt-4o-mini",
        vec![Message::user("mail ada@example.com please")],
    ))
    .await
    .unwrap();

    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let all = format!("{log}\n{errors}");
    assert!(log.contains("request"), "debug request lines are logged");
    assert!(log.contains("please"), "bodies are logged at debug level");
    assert!(
        log.contains("status=\"ok\"") || log.contains("status=ok"),
        "{log}"
    );
    for secret in [KEY, AWS_SECRET, "ada@example.com"] {
        assert!(!all.contains(secret), "`{secret}` leaked:\n{all}");
    }
    let _ = std::io::stderr().flush();
}
