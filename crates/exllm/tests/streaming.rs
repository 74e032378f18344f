//! Streamed bodies as real servers and proxies send them: one byte per read, `\r\n` line ends
//! (also split between reads), keep-alive comments, `data:` without a space, a leading BOM,
//! and several streams at once. Every variant must collect into the same answer as the
//! whole response.

use crate::support;

use exllm::{Api, ChatRequest, ChatResponse, Client};
use support::fixtures::{anthropic, chat, responses, TEXT};
use support::{client_for, fast_retry, hello_messages, Reply, TestServer, KEY};

/// One wire API: its provider, request, whole body and streamed body.
struct Case {
    provider: &'static str,
    api: Api,
    model: &'static str,
    whole: String,
    stream: String,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            provider: "openai",
            api: Api::OpenAiChat,
            model: "openai/gpt-4o-mini",
            whole: chat::tool("m"),
            stream: chat::tool_stream("m"),
        },
        Case {
            provider: "openai",
            api: Api::OpenAiResponses,
            model: "openai/gpt-4.1-mini",
            whole: responses::tool("m"),
            stream: responses::tool_stream("m"),
        },
        Case {
            provider: "anthropic",
            api: Api::Anthropic,
            model: "anthropic/claude-sonnet-4-5",
            whole: anthropic::tool("m"),
            stream: anthropic::tool_stream("m"),
        },
    ]
}

fn client(case: &Case, server: &TestServer) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url(case.provider, server.url())
        .api_key(case.provider, KEY)
        .api(case.provider, case.api)
        .retry(fast_retry(0))
        .build()
        .unwrap()
}

/// Sends the whole body and then `stream` (rewritten by the test) and checks both collect
/// to the same answer.
async fn same_answer(case: &Case, stream: Reply) -> ChatResponse {
    let server = TestServer::start(vec![Reply::json(200, case.whole.clone()), stream]).await;
    let c = client(case, &server);
    let req = ChatRequest::new(case.model, hello_messages()).with_tool(support::weather_tool());
    let whole = c.chat(req.clone()).await.unwrap();
    let streamed = support::streamed(&c, req)
        .await
        .unwrap_or_else(|e| panic!("{}: {e:?}", case.api));
    assert_eq!(streamed, whole, "{}", case.api);
    assert_eq!(whole.tool_calls().len(), 1);
    whole
}

#[tokio::test]
async fn one_byte_per_read() {
    for case in cases() {
        same_answer(&case, Reply::sse_split(&case.stream, 1)).await;
    }
}

#[tokio::test]
async fn crlf_line_ends_split_between_reads() {
    for case in cases() {
        let crlf = case.stream.replace('\n', "\r\n");
        // Odd piece sizes put some `\r` and `\n` of one line end in different reads.
        for n in [1, 3, 17] {
            same_answer(&case, Reply::sse_split(&crlf, n)).await;
        }
    }
}

#[tokio::test]
async fn comments_and_keep_alives_are_ignored() {
    for case in cases() {
        let with_comments = format!(
            ": PROCESSING\n\n{}",
            case.stream
                .replace("\n\n", "\n\n: keep-alive\n\n")
                .replace("data: ", "id: 7\nretry: 1000\ndata: ")
        );
        same_answer(&case, Reply::sse_split(&with_comments, 23)).await;
    }
}

#[tokio::test]
async fn data_without_a_space() {
    for case in cases() {
        let body = case.stream.replace("data: ", "data:");
        for n in [1, 2, 64] {
            same_answer(&case, Reply::sse_split(&body, n)).await;
        }
    }
}

#[tokio::test]
async fn a_leading_bom_in_one_read() {
    for case in cases() {
        let body = format!("\u{feff}{}", case.stream);
        same_answer(&case, Reply::sse_split(&body, 64)).await;
    }
}

#[tokio::test]

async fn a_leading_bom_split_between_reads() {
    for case in cases() {
        let body = format!("\u{feff}{}", case.stream);
        for n in [1, 2] {
            same_answer(&case, Reply::sse_split(&body, n)).await;
        }
    }
}

#[tokio::test]
async fn many_streams_at_once() {
    let m = "gpt-4o-mini";
    let replies = (0..8)
        .map(|_| Reply::sse_split(&chat::text_stream(m), 9))
        .collect();
    let server = TestServer::start(replies).await;
    let c = client_for("openai", &server, 0);
    let calls = (0..8).map(|_| {
        let c = c.clone();
        async move {
            c.chat_stream(ChatRequest::new("openai/gpt-4o-mini", hello_messages()))
                .await?
                .collect_response()
                .await
        }
    });
    for r in futures_util::future::join_all(calls).await {
        assert_eq!(r.unwrap().text(), TEXT);
    }
    assert_eq!(server.request_count(), 8);
}

#[tokio::test]
async fn a_stream_request_refused_with_a_status_is_a_typed_error() {
    let body = r#"{"error":{"message":"'messages' must contain at least one message.","type":"invalid_request_error","param":"messages","code":null}}"#;
    let server = TestServer::start(vec![Reply::json(400, body)]).await;
    let err = client_for("openai", &server, 2)
        .chat_stream(ChatRequest::new("openai/gpt-4o-mini", hello_messages()))
        .await
        .err()
        .expect("refused");
    assert_eq!(err.kind(), exllm::ErrorKind::BadRequest);
    assert_eq!(
        err.message(),
        "'messages' must contain at least one message."
    );
    assert_eq!(server.request_count(), 1);
    support::assert_no_key(&err);
}
