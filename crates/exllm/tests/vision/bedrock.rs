//! The Bedrock rows of the vision tests (Converse wants bytes: images and documents inline,
//! no image URLs), built with `--features bedrock`.

use super::*;

fn client(server: &TestServer) -> Client {
    Client::builder()
        .env_lookup(|_| None)
        .base_url("bedrock", server.root())
        .aws_credentials("bedrock", "AKIDEXAMPLE", "secret", None)
        .region("bedrock", "us-east-1")
        .retry(fast_retry(0))
        .build()
        .unwrap()
}

const MODEL: &str = "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0";

#[tokio::test]
async fn bedrock_image_and_document_from_files() {
    let reply = json!({"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}}, "stopReason": "end_turn", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}});
    let server = TestServer::start(vec![Reply::json(200, reply.to_string())]).await;
    let parts = vec![
        png_file(),
        media::from_path(write_temp("report.pdf", PDF)).unwrap(),
    ];
    let resp = client(&server)
        .chat(ChatRequest::new(MODEL, user(parts)))
        .await
        .unwrap();
    assert_eq!(resp.text(), "ok");
    let body = server.only_request().json();
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"text": "Describe."},
            {"image": {"format": "png", "source": {"bytes": b64(&tiny_png())}}},
            {"document": {"format": "pdf", "name": "report-pdf", "source": {"bytes": b64(PDF)}}},
        ])
    );
}

#[tokio::test]
async fn bedrock_limits_are_checked_before_signing_and_sending() {
    let server = TestServer::start(vec![]).await;
    let c = client(&server);
    let image = Part::image_base64("image/png", b64(&tiny_png()));
    let mut big = tiny_png();
    big.resize(4 * 1024 * 1024, 0);
    let pdf = media::from_bytes(PDF, Some("a.pdf")).unwrap();
    let cases = [
        (vec![media::from_url(URL).unwrap()], ErrorKind::Unsupported),
        (vec![image; 21], ErrorKind::InvalidInput),
        (
            vec![media::from_bytes(&big, None).unwrap()],
            ErrorKind::TooLarge,
        ),
        (vec![pdf; 6], ErrorKind::InvalidInput),
        (
            vec![Part::File {
                source: exllm::MediaSource::Url("https://e.x/a.pdf".into()),
                media_type: Some("application/pdf".into()),
                filename: None,
            }],
            ErrorKind::Unsupported,
        ),
    ];
    for (parts, kind) in cases {
        let e = c
            .chat(ChatRequest::new(MODEL, user(parts)))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
    }
    assert_eq!(server.request_count(), 0);
}
