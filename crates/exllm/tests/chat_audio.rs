//! Chat with audio through the client against a local server: the spoken answer of an
//! OpenAI audio model, whole and streamed, equal either way, priced with the catalog's audio
//! token prices.

use crate::support::{client_for, Reply, TestServer};
use exllm::{AudioOutput, AudioPart, ChatRequest, Message, Part, Role};
use futures_util::StreamExt;
use serde_json::json;

const MODEL: &str = "openai/gpt-4o-audio-preview-2024-12-17";

fn request() -> ChatRequest {
    let mut req = ChatRequest::new(
        MODEL,
        vec![Message::new(
            Role::User,
            vec![Part::Audio(AudioPart::from_bytes(b"RIFFWAVE", "wav"))],
        )],
    );
    req.audio = Some(AudioOutput {
        voice: "alloy".into(),
        format: "pcm16".into(),
    });
    req
}

fn usage() -> serde_json::Value {
    json!({"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
        "prompt_tokens_details": {"audio_tokens": 80}, "completion_tokens_details": {"audio_tokens": 40}})
}

#[tokio::test]
async fn a_spoken_answer_whole_and_streamed_is_the_same_and_priced() {
    let whole = json!({"id": "c", "model": "gpt-4o-audio-preview-2024-12-17", "choices": [{"index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": null,
            "audio": {"id": "audio_9", "data": "AAECAwQF", "expires_at": 1735559999, "transcript": "Hello!"}}}],
        "usage": usage()});
    let chunks = [
        json!({"id": "c", "model": "gpt-4o-audio-preview-2024-12-17", "choices": [{"index": 0, "delta": {"role": "assistant", "audio": {"id": "audio_9", "transcript": "Hel"}}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"audio": {"data": "AAEC"}}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"audio": {"data": "AwQF", "transcript": "lo!"}}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"audio": {"expires_at": 1735559999}}, "finish_reason": "stop"}]}),
        json!({"id": "c", "choices": [], "usage": usage()}),
    ];
    let sse: String = chunks
        .iter()
        .map(|c| format!("data: {c}\n\n"))
        .chain(["data: [DONE]\n\n".to_string()])
        .collect();
    let server = TestServer::start(vec![
        Reply::json(200, whole.to_string()),
        Reply::sse_split(&sse, 7),
    ])
    .await;
    let client = client_for("openai", &server, 0);
    let a = client.chat(request()).await.unwrap();
    let mut s = client.chat_stream(request()).await.unwrap();
    let mut c = exllm::Collector::new();
    while let Some(e) = s.next().await {
        c.push(e.unwrap());
    }
    let mut b = c.finish();
    b.cost = b.usage.as_ref().and_then(|u| s.cost_of(u));
    assert_eq!(a.content, b.content);
    let Part::Audio(audio) = &a.content[0] else {
        panic!("{:?}", a.content)
    };
    assert_eq!(
        (audio.transcript.as_deref(), audio.id.as_deref()),
        (Some("Hello!"), Some("audio_9"))
    );
    // 20 text + 80 audio tokens in at $2.50/M and $40/M; 10 text + 40 audio out at $10/M
    // and $80/M.
    let want = 20.0 * 2.5e-6 + 80.0 * 4e-5 + 10.0 * 1e-5 + 40.0 * 8e-5;
    for cost in [a.cost.as_ref().unwrap(), b.cost.as_ref().unwrap()] {
        assert!((cost.total - want).abs() < 1e-12, "{cost:?}");
    }
    let sent = server.requests()[1].json();
    assert_eq!(sent["modalities"], json!(["text", "audio"]));
    assert_eq!(sent["audio"]["format"], "pcm16");
    assert_eq!(sent["messages"][0]["content"][0]["type"], "input_audio");
}
