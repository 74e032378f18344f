//! `Client::transcribe` and `Client::speak` end to end against a local server: the multipart
//! upload as the server receives it, verbose answers, translations, the audio bytes of speech,
//! error statuses, and 429s retried.

use crate::support::{assert_no_key, client_for, split_every, Ending, Reply, TestServer, KEY};
use exllm::{
    AudioFormat, ErrorKind, SpeechRequest, TimestampGranularity, TranscriptFormat,
    TranscriptionRequest,
};
use futures_util::StreamExt;
use serde_json::json;

const WAV: &[u8] = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\r\n--x\r\n";

/// The value of the multipart field `name` in a recorded body, and the headers of its part.
fn form_field(content_type: &str, body: &[u8], name: &str) -> Option<(String, Vec<u8>)> {
    let boundary = content_type.split("boundary=").nth(1)?;
    let delim = format!("\r\n--{boundary}");
    // Prefixing a CRLF makes every delimiter, the first one included, look the same.
    let mut all = b"\r\n".to_vec();
    all.extend_from_slice(body);
    let mut rest = &all[..];
    while let Some(start) = find(rest, delim.as_bytes()) {
        rest = &rest[start + delim.len()..];
        if rest.starts_with(b"--") {
            return None;
        }
        let end = find(rest, delim.as_bytes())?;
        let part = &rest[2..end];
        let split = find(part, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        if head.contains(&format!("name=\"{name}\"")) {
            return Some((head, part[split + 4..].to_vec()));
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test]
async fn a_verbose_transcription_uploads_the_file_and_reads_words() {
    let body = json!({
        "task": "transcribe", "language": "english", "duration": 36.709999084472656,
        "text": "Galileo was an American robotic space program.",
        "words": [{"word": "Galileo", "start": 0, "end": 0.66}, {"word": "was", "start": 0.66, "end": 0.9}],
        "segments": [{"id": 0, "start": 0.0, "end": 2.5, "text": "Galileo was an American robotic space program."}]
    });
    let server = TestServer::start(vec![Reply::json(200, body.to_string())]).await;
    let mut req = TranscriptionRequest::new("groq/whisper-large-v3", "talk.wav", WAV);
    req.response_format = Some(TranscriptFormat::VerboseJson);
    req.timestamp_granularities = vec![TimestampGranularity::Word];
    req.language = Some("en".into());
    let t = client_for("groq", &server, 0)
        .transcribe(req)
        .await
        .unwrap();

    let r = server.only_request();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/audio/transcriptions")
    );
    let bearer = format!("Bearer {KEY}");
    assert_eq!(r.header("authorization"), Some(bearer.as_str()));
    let ctype = r.header("content-type").unwrap().to_owned();
    assert!(
        ctype.starts_with("multipart/form-data; boundary="),
        "{ctype}"
    );
    let (head, file) = form_field(&ctype, &r.body, "file").expect("a file field");
    assert_eq!(file, WAV, "the audio arrives byte for byte");
    assert!(
        head.contains("filename=\"talk.wav\"") && head.contains("audio/wav"),
        "{head}"
    );
    let text = |name| String::from_utf8(form_field(&ctype, &r.body, name).unwrap().1).unwrap();
    assert_eq!(text("model"), "whisper-large-v3");
    assert_eq!(text("response_format"), "verbose_json");
    assert_eq!(text("timestamp_granularities[]"), "word");
    assert_eq!(text("language"), "en");

    assert_eq!(t.text, "Galileo was an American robotic space program.");
    assert_eq!(t.language.as_deref(), Some("english"));
    assert!((t.duration.unwrap() - 36.71).abs() < 1e-3);
    assert_eq!((t.segments.len(), t.words.len()), (1, 2));
    assert!(t.warnings.is_empty());
}

#[tokio::test]
async fn a_translation_is_retried_after_a_429() {
    let server = TestServer::start(vec![
        Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "0"),
        Reply::json(200, r#"{"text":"Hello, my name is Wolfgang."}"#),
    ])
    .await;
    let mut req = TranscriptionRequest::new("openai/whisper-1", "de.wav", WAV);
    req.translate = true;
    req.language = Some("de".into());
    let t = client_for("openai", &server, 2)
        .transcribe(req)
        .await
        .unwrap();
    assert_eq!(t.text, "Hello, my name is Wolfgang.");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(r.path, "/v1/audio/translations");
        let ctype = r.header("content-type").unwrap();
        assert_eq!(
            form_field(ctype, &r.body, "file").unwrap().1,
            WAV,
            "resent whole"
        );
        assert!(form_field(ctype, &r.body, "language").is_none());
    }
    let settings: Vec<_> = t
        .warnings
        .iter()
        .filter_map(|w| w.setting.as_deref())
        .collect();
    assert_eq!(settings, ["language"]);
}

#[tokio::test]
async fn whisper_is_priced_by_the_seconds_billed() {
    let body = r#"{"text":"Hi.","usage":{"type":"duration","seconds":37}}"#;
    let server = TestServer::start(vec![Reply::json(200, body)]).await;
    let client = client_for("openai", &server, 0);
    let t = client
        .transcribe(TranscriptionRequest::new("openai/whisper-1", "a.wav", WAV))
        .await
        .unwrap();
    assert_eq!(t.billed_seconds, Some(37.0));
    let per_second = client
        .catalog()
        .model("openai/whisper-1")
        .unwrap()
        .prices
        .base
        .input_per_second;
    let want = per_second.unwrap() * 37.0;
    assert!(
        (t.cost_usd.unwrap() - want).abs() < 1e-12,
        "{:?}",
        t.cost_usd
    );
}

#[tokio::test]
async fn subtitles_come_back_as_text_and_errors_are_typed() {
    let srt = "1\n00:00:00,000 --> 00:00:01,500\nHello\n";
    let server = TestServer::start(vec![
        Reply::body(200, "text/plain", srt),
        Reply::json(
            401,
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#,
        ),
    ])
    .await;
    let client = client_for("openai", &server, 0);
    let mut req = TranscriptionRequest::new("openai/whisper-1", "a.mp3", WAV);
    req.response_format = Some(TranscriptFormat::Srt);
    let t = client.transcribe(req.clone()).await.unwrap();
    assert_eq!(t.text, srt);
    let err = client.transcribe(req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(401));
    assert!(err.message().contains("Incorrect API key"), "{err}");
    assert_no_key(&err);
}

#[tokio::test]
async fn speech_returns_the_bytes_served() {
    let audio: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let server = TestServer::start(vec![
        Reply::json(503, r#"{"error":{"message":"overloaded"}}"#).header("retry-after", "0"),
        Reply::body(200, "audio/mpeg", audio.clone()),
    ])
    .await;
    let mut req = SpeechRequest::new("openai/tts-1", "Hello from exllm.", "nova");
    req.format = Some(AudioFormat::Mp3);
    req.speed = Some(1.5);
    let client = client_for("openai", &server, 2);
    let s = client.speak(req).await.unwrap();
    assert_eq!(s.audio, audio);
    // tts-1 is priced per input character.
    let per_char = client
        .catalog()
        .model("openai/tts-1")
        .unwrap()
        .prices
        .base
        .input_per_character;
    let want = per_char.unwrap() * "Hello from exllm.".len() as f64;
    assert!(
        (s.cost_usd.unwrap() - want).abs() < 1e-12,
        "{:?}",
        s.cost_usd
    );
    assert_eq!(s.content_type.as_deref(), Some("audio/mpeg"));
    let r = server.requests().pop().unwrap();
    assert_eq!(r.path, "/v1/audio/speech");
    assert_eq!(
        r.json(),
        json!({"model": "tts-1", "input": "Hello from exllm.", "voice": "nova",
               "response_format": "mp3", "speed": 1.5})
    );
    assert_eq!(server.request_count(), 2, "the 503 was retried");
}

#[tokio::test]
async fn speech_errors_are_typed_and_json_is_no_audio() {
    let server = TestServer::start(vec![
        Reply::json(400, r#"{"error":{"message":"Invalid voice 'bob'"}}"#),
        Reply::json(200, r#"{"error":{"message":"quota"}}"#),
    ])
    .await;
    let client = client_for("openai", &server, 0);
    let err = client
        .speak(SpeechRequest::new("openai/tts-1", "Hi", "bob"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.status()),
        (ErrorKind::BadRequest, Some(400))
    );
    assert!(err.message().contains("Invalid voice"), "{err}");
    let err = client
        .speak(SpeechRequest::new("openai/tts-1", "Hi", "alloy"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.provider(), Some("openai"));
}

#[tokio::test]
async fn streamed_speech_hands_over_each_chunk_after_a_retried_429() {
    let audio: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let server = TestServer::start(vec![
        Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "0"),
        Reply::stream("audio/mpeg", split_every(&audio, 100)),
    ])
    .await;
    let mut stream = client_for("openai", &server, 2)
        .speak_stream(SpeechRequest::new("openai/tts-1", "Hello", "alloy"))
        .await
        .unwrap();
    assert_eq!(stream.content_type.as_deref(), Some("audio/mpeg"));
    assert!(stream.cost_usd.is_some(), "tts-1 is priced per character");
    let mut got = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        got.extend_from_slice(&chunk.unwrap());
        chunks += 1;
    }
    assert_eq!(got, audio);
    assert!(chunks > 1, "the audio arrived in pieces, not as one buffer");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn streamed_speech_reports_a_cut_and_refuses_json() {
    let server = TestServer::start(vec![
        Reply::stream("audio/mpeg", vec![b"ID3".to_vec()]).ending(Ending::Close),
        Reply::json(200, r#"{"error":{"message":"no audio for you"}}"#),
    ])
    .await;
    let client = client_for("openai", &server, 0);
    let mut stream = client
        .speak_stream(SpeechRequest::new("openai/tts-1", "Hi", "alloy"))
        .await
        .unwrap();
    let mut outcome = Ok(());
    while let Some(chunk) = stream.next().await {
        if let Err(e) = chunk {
            outcome = Err(e);
        }
    }
    let err = outcome.expect_err("a body cut short is an error");
    assert_no_key(&err);
    let err = client
        .speak_stream(SpeechRequest::new("openai/tts-1", "Hi", "alloy"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("no audio for you"), "{err}");
}
