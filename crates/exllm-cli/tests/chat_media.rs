//! `exllm chat` with media: audio in and a spoken answer saved (`--audio-in`, `--voice`,
//! `--audio-out`), streamed audio joined into one file, and a Gemini image saved with
//! `--image-out`, their digests in `--json`.

use crate::support::{exllm, serve, temp_dir, Reply};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn audio_in_a_voice_and_the_spoken_answer_written() {
    let dir = temp_dir("chat-audio");
    let input = dir.join("question.wav");
    std::fs::write(&input, b"RIFF$\0\0\0WAVEfake").unwrap();
    let out_path = dir.join("answer.mp3");
    let seen = Arc::new(Mutex::new(Value::Null));
    let log = seen.clone();
    let url = serve(1, move |body| {
        *log.lock().unwrap() = body.clone();
        Reply::json(
            &json!({"id": "c1", "model": "gpt-4o-audio-preview", "choices": [{"index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": null,
                    "audio": {"id": "audio_1", "data": "SUQzAAEC", "expires_at": 1735559999, "transcript": "It says hello."}}}],
                "usage": {"prompt_tokens": 50, "completion_tokens": 40,
                    "prompt_tokens_details": {"audio_tokens": 30}, "completion_tokens_details": {"audio_tokens": 32}}})
            .to_string(),
        )
    });
    let out = exllm(&dir)
        .args(["chat", "-m", "openai/gpt-4o-audio-preview-2024-12-17"])
        .args(["--base-url", &format!("{url}/v1"), "--json"])
        .args(["--audio-in", input.to_str().unwrap(), "--voice", "verse"])
        .args([
            "--audio-format",
            "mp3",
            "--audio-out",
            out_path.to_str().unwrap(),
        ])
        .arg("What is said?")
        .env("OPENAI_API_KEY", "sk-test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let written = std::fs::read(&out_path).unwrap();
    assert_eq!(written, b"ID3\0\x01\x02");
    assert_eq!(v["audio"]["transcript"], "It says hello.");
    assert_eq!(v["audio"]["id"], "audio_1");
    assert_eq!(v["audio"]["bytes"], 6);
    assert_eq!(v["audio"]["sha256"], sha256(&written));
    assert_eq!(v["usage"]["input_tokens"], 50);
    assert!(v["cost"].is_object(), "audio tokens are priced: {v}");
    let sent = seen.lock().unwrap().clone();
    assert_eq!(sent["modalities"], json!(["text", "audio"]));
    assert_eq!(sent["audio"], json!({"voice": "verse", "format": "mp3"}));
    let part = &sent["messages"][0]["content"][1];
    assert_eq!(part["type"], "input_audio");
    assert_eq!(part["input_audio"]["format"], "wav");
}

#[test]
fn streamed_audio_is_joined_and_wrapped_as_wav() {
    let dir = temp_dir("chat-audio-stream");
    let out_path = dir.join("answer.wav");
    let events: Vec<String> = [
        json!({"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "audio": {"id": "a1", "transcript": "Hi"}}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"audio": {"data": "AAEC"}}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"audio": {"data": "AwQF", "transcript": "!"}}, "finish_reason": "stop"}]}),
    ]
    .iter()
    .map(Value::to_string)
    .chain(["[DONE]".to_string()])
    .collect();
    let url = serve(1, move |_| Reply::sse(&events, Duration::ZERO));
    let out = exllm(&dir)
        .args(["chat", "-m", "openai/gpt-4o-audio-preview", "--stream"])
        .args(["--base-url", &format!("{url}/v1")])
        .args(["--audio-out", out_path.to_str().unwrap(), "hello"])
        .env("OPENAI_API_KEY", "sk-test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hi!\n");
    let wav = std::fs::read(&out_path).unwrap();
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(&wav[44..], [0, 1, 2, 3, 4, 5]);
}

#[test]
fn a_gemini_image_answer_is_saved_and_described() {
    let dir = temp_dir("chat-image");
    let png = b"\x89PNG\r\n\x1a\nfake";
    let b64 = "iVBORw0KGgpmYWtl";
    let url = serve(1, move |_| {
        Reply::json(
            &json!({"candidates": [{"content": {"role": "model", "parts": [
                    {"text": "A cat."}, {"inlineData": {"mimeType": "image/png", "data": b64}}]},
                "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1293,
                    "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}]}})
            .to_string(),
        )
    });
    let out_path = dir.join("cat.png");
    let out = exllm(&dir)
        .args(["chat", "-m", "gemini/gemini-2.5-flash-image"])
        .args(["--base-url", &format!("{url}/v1beta"), "--json"])
        .args(["--image-out", out_path.to_str().unwrap(), "draw a cat"])
        .env("GEMINI_API_KEY", "g-test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["text"], "A cat.");
    assert_eq!(std::fs::read(&out_path).unwrap(), png);
    assert_eq!(
        v["images"][0],
        json!({"media_type": "image/png", "url": null, "bytes": png.len(), "sha256": sha256(png),
               "path": out_path.display().to_string()})
    );
    assert!(v["cost"]["total"].as_f64().unwrap() > 0.03, "{v}");
}
