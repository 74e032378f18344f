//! The media codecs on wire bytes: image answers with URLs and base64, the multipart upload
//! parsed back field by field, verbose transcripts, speech and moderation.

use super::*;
use crate::error::ErrorKind;
use crate::provider::test_support::{bearer, split};
use crate::provider::Endpoint;
use crate::types::{
    AudioFormat, ImageOutput, ImageRequest, ModerationRequest, SpeechRequest, TimestampGranularity,
    TranscriptFormat, TranscriptionRequest,
};
use bytes::Bytes;
use serde_json::json;

fn ep() -> Endpoint {
    bearer("openai", "https://api.openai.com/v1", "sk-k")
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

#[test]
fn image_encode_sends_only_what_was_set() {
    let (r, body, _) = split(
        images::encode(
            &ImageRequest::new("openai/x", "a cat"),
            "gpt-image-1",
            &ep(),
        )
        .unwrap(),
    );
    assert_eq!(r.uri(), "https://api.openai.com/v1/images/generations");
    assert_eq!(r.headers()["authorization"], "Bearer sk-k");
    assert_eq!(body, json!({"model": "gpt-image-1", "prompt": "a cat"}));

    let mut req = ImageRequest::new("openai/x", "a cat");
    req.n = Some(2);
    req.size = Some("1024x1024".into());
    req.quality = Some("hd".into());
    req.style = Some("vivid".into());
    req.output = Some(ImageOutput::Base64);
    req.provider_options.insert("user".into(), json!("u"));
    let (_, body, _) = split(images::encode(&req, "dall-e-3", &ep()).unwrap());
    assert_eq!(
        body,
        json!({"model": "dall-e-3", "prompt": "a cat", "n": 2, "size": "1024x1024",
               "quality": "hd", "style": "vivid", "response_format": "b64_json", "user": "u"})
    );
}

#[test]
fn image_decode_reads_urls_base64_and_usage() {
    // A PNG's signature is enough to sniff.
    let png_bytes: Vec<u8> = [
        0x89u8, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13,
    ]
    .to_vec();
    let body = json!({
        "created": 1_700_000_000u64,
        "data": [
            {"b64_json": crate::media::base64::encode(&png_bytes), "revised_prompt": "a small cat"},
            {"url": "https://img.example/1.png"}
        ],
        "usage": {"input_tokens": 10, "output_tokens": 4160, "total_tokens": 4170,
                  "input_tokens_details": {"text_tokens": 10, "image_tokens": 0}}
    });
    let r = images::decode(body.to_string().as_bytes()).unwrap();
    assert_eq!(r.created, Some(1_700_000_000));
    assert_eq!(r.images.len(), 2);
    assert_eq!(r.images[0].data.as_deref(), Some(&png_bytes[..]));
    assert_eq!(r.images[0].media_type.as_deref(), Some("image/png"));
    assert_eq!(r.images[0].revised_prompt.as_deref(), Some("a small cat"));
    assert_eq!(r.images[0].url, None);
    assert_eq!(
        r.images[1].url.as_deref(),
        Some("https://img.example/1.png")
    );
    assert!(r.images[1].data.is_none() && r.images[1].media_type.is_none());
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(10), Some(4160)));

    // `output_format` names the type when the bytes cannot be sniffed.
    let body = json!({"data": [{"b64_json": "AAEC"}], "output_format": "jpg"});
    let r = images::decode(body.to_string().as_bytes()).unwrap();
    assert_eq!(r.images[0].data.as_deref(), Some(&[0u8, 1, 2][..]));
    assert_eq!(r.images[0].media_type.as_deref(), Some("image/jpeg"));
    assert!(r.usage.is_none());
}

#[test]
fn image_decode_rejects_malformed_answers() {
    for bad in [
        json!({}),
        json!({"data": {}}),
        json!({"data": [{"b64_json": "@@@"}]}),
    ] {
        let e = images::decode(bad.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Transcription: the multipart body, parsed back
// ---------------------------------------------------------------------------------------------

/// One part of a multipart body.
#[derive(Debug)]
struct FormPart {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

/// Parses a multipart/form-data body strictly: every delimiter on its own line, CRLFs, the
/// closing delimiter last.
fn parse_form(content_type: &str, body: &[u8]) -> Vec<FormPart> {
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("a multipart content type");
    let delim = format!("--{boundary}");
    let closing = format!("{delim}--\r\n");
    assert!(
        body.ends_with(closing.as_bytes()),
        "the body ends with the closing delimiter"
    );
    let body = &body[..body.len() - closing.len()];
    let mut parts = Vec::new();
    let mut rest = body;
    let open = format!("{delim}\r\n");
    while !rest.is_empty() {
        assert!(
            rest.starts_with(open.as_bytes()),
            "a part starts with the delimiter"
        );
        rest = &rest[open.len()..];
        let end = memchr::memmem::find(rest, format!("\r\n{delim}").as_bytes())
            .map_or(rest.len() - 2, |i| i);
        let part = &rest[..end];
        rest = &rest[end + 2..];
        let split = memchr::memmem::find(part, b"\r\n\r\n").expect("headers end");
        let head = std::str::from_utf8(&part[..split]).unwrap();
        let data = part[split + 4..].to_vec();
        let mut name = None;
        let mut filename = None;
        let mut ctype = None;
        for line in head.split("\r\n") {
            let (k, v) = line.split_once(": ").unwrap();
            match k {
                "Content-Disposition" => {
                    assert!(v.starts_with("form-data; "));
                    for param in v.split("; ").skip(1) {
                        let (pk, pv) = param.split_once('=').unwrap();
                        let pv = pv.trim_matches('"').to_owned();
                        match pk {
                            "name" => name = Some(pv),
                            "filename" => filename = Some(pv),
                            other => panic!("unexpected parameter {other}"),
                        }
                    }
                }
                "Content-Type" => ctype = Some(v.to_owned()),
                other => panic!("unexpected part header {other}"),
            }
        }
        parts.push(FormPart {
            name: name.expect("a name"),
            filename,
            content_type: ctype,
            data,
        });
    }
    parts
}

fn field<'a>(parts: &'a [FormPart], name: &str) -> Vec<&'a str> {
    parts
        .iter()
        .filter(|p| p.name == name)
        .map(|p| std::str::from_utf8(&p.data).unwrap())
        .collect()
}

#[test]
fn transcription_form_carries_every_field() {
    // Audio bytes holding CRLFs, dashes and a would-be delimiter stay intact.
    let audio = Bytes::from_static(b"RIFF\r\n--exllm-\r\n\r\nWAVEdata\x00\xff");
    let mut req = TranscriptionRequest::new("openai/whisper-1", "talk \"1\".wav", audio.clone());
    req.language = Some("de".into());
    req.prompt = Some("Wolfgang".into());
    req.response_format = Some(TranscriptFormat::VerboseJson);
    req.temperature = Some(0.5);
    req.timestamp_granularities = vec![TimestampGranularity::Word, TimestampGranularity::Segment];
    req.provider_options
        .insert("chunking_strategy".into(), json!("auto"));
    req.provider_options
        .insert("include".into(), json!(["logprobs"]));
    let enc = transcribe::encode(&req, "whisper-1", &ep()).unwrap();
    assert!(enc.warnings.is_empty());
    let r = enc.request;
    assert_eq!(r.method(), http::Method::POST);
    assert_eq!(r.uri(), "https://api.openai.com/v1/audio/transcriptions");
    assert_eq!(r.headers()["authorization"], "Bearer sk-k");
    assert_eq!(r.headers()["accept"], "application/json");
    let ctype = r.headers()["content-type"].to_str().unwrap().to_owned();
    let parts = parse_form(&ctype, r.body());

    let file = parts.iter().find(|p| p.name == "file").unwrap();
    assert_eq!(file.data, audio);
    assert_eq!(file.filename.as_deref(), Some("talk %221%22.wav"));
    assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
    assert_eq!(field(&parts, "model"), ["whisper-1"]);
    assert_eq!(field(&parts, "language"), ["de"]);
    assert_eq!(field(&parts, "prompt"), ["Wolfgang"]);
    assert_eq!(field(&parts, "response_format"), ["verbose_json"]);
    assert_eq!(field(&parts, "temperature"), ["0.5"]);
    assert_eq!(
        field(&parts, "timestamp_granularities[]"),
        ["word", "segment"]
    );
    assert_eq!(field(&parts, "chunking_strategy"), ["auto"]);
    assert_eq!(field(&parts, "include"), [r#"["logprobs"]"#]);
    assert_eq!(parts.len(), 10);
    assert!(parts
        .iter()
        .all(|p| p.name == "file" || p.content_type.is_none()));

    // Each form gets its own random boundary, absent from the content.
    let again = transcribe::encode(&req, "whisper-1", &ep())
        .unwrap()
        .request;
    assert_ne!(again.headers()["content-type"], r.headers()["content-type"]);
}

#[test]
fn transcription_form_bytes_are_exact() {
    let req = TranscriptionRequest::new("openai/whisper-1", "a.mp3", &b"ID3"[..]);
    let r = transcribe::encode_with(&req, "whisper-1", &ep(), Some("B"))
        .unwrap()
        .request;
    assert_eq!(
        r.headers()["content-type"],
        "multipart/form-data; boundary=B"
    );
    assert_eq!(
        r.body().as_ref(),
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\n\
          Content-Type: audio/mpeg\r\n\r\nID3\r\n\
          --B\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--B--\r\n"
    );
}

#[test]
fn translation_goes_to_its_path_and_warns_of_what_it_drops() {
    let mut req = TranscriptionRequest::new("openai/whisper-1", "clip", &b"\x00\x01"[..]);
    req.translate = true;
    req.language = Some("de".into());
    req.timestamp_granularities = vec![TimestampGranularity::Word];
    req.media_type = Some("audio/webm".into());
    let enc = transcribe::encode(&req, "whisper-1", &ep()).unwrap();
    let settings: Vec<_> = enc
        .warnings
        .iter()
        .filter_map(|w| w.setting.clone())
        .collect();
    assert_eq!(settings, ["language", "timestamp_granularities"]);
    let r = enc.request;
    assert_eq!(r.uri(), "https://api.openai.com/v1/audio/translations");
    let parts = parse_form(r.headers()["content-type"].to_str().unwrap(), r.body());
    assert!(field(&parts, "language").is_empty());
    let file = parts.iter().find(|p| p.name == "file").unwrap();
    assert_eq!(file.content_type.as_deref(), Some("audio/webm"));
    assert_eq!(file.filename.as_deref(), Some("clip"));

    let empty = TranscriptionRequest::new("openai/whisper-1", "a.wav", Bytes::new());
    let e = transcribe::encode(&empty, "whisper-1", &ep()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn transcription_decode_reads_verbose_segments_and_words() {
    let body = br#"{"task":"transcribe","language":"english","duration":36.71,
        "text":"Galileo was an American robotic space program.",
        "segments":[{"id":0,"seek":0,"start":0.0,"end":3.5,"text":" Galileo was","tokens":[1,2],
                     "temperature":0.0,"avg_logprob":-0.2},
                    {"id":1,"start":3.5,"end":6.25,"text":" an American program."}],
        "words":[{"word":"Galileo","start":0,"end":0.66},{"word":"was","start":0.66,"end":0.9}],
        "usage":{"type":"duration","seconds":37}}"#;
    let t = transcribe::decode(body, Some(TranscriptFormat::VerboseJson)).unwrap();
    assert_eq!(t.text, "Galileo was an American robotic space program.");
    assert_eq!(t.language.as_deref(), Some("english"));
    assert_eq!(t.duration, Some(36.71));
    assert_eq!(t.segments.len(), 2);
    assert_eq!(
        (t.segments[1].id, t.segments[1].start, t.segments[1].end),
        (Some(1), 3.5, 6.25)
    );
    assert_eq!(t.segments[0].text, " Galileo was");
    assert_eq!(t.words.len(), 2);
    assert_eq!((t.words[1].word.as_str(), t.words[1].end), ("was", 0.9));
    assert!(t.usage.is_none(), "seconds are not tokens");
    assert_eq!(t.billed_seconds, Some(37.0));
    assert_eq!(t.raw.as_bytes(), body);

    // Mistral: segments with speakers, a null language; token usage.
    let body = br#"{"model":"voxtral","text":"Hi.","language":null,
        "segments":[{"type":"transcription_segment","text":"Hi.","start":0.1,"end":0.8,"speaker_id":"speaker_1"}],
        "usage":{"type":"tokens","input_tokens":14,"output_tokens":3,"total_tokens":17}}"#;
    let t = transcribe::decode(body, None).unwrap();
    assert_eq!(t.language, None);
    assert_eq!(t.segments[0].speaker.as_deref(), Some("speaker_1"));
    assert!(t.words.is_empty());
    let u = t.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(14), Some(3)));
}

#[test]
fn transcription_text_formats_are_the_text() {
    let srt = "1\n00:00:00,000 --> 00:00:01,000\nHello\n";
    let t = transcribe::decode(srt.as_bytes(), Some(TranscriptFormat::Srt)).unwrap();
    assert_eq!((t.text.as_str(), t.raw.as_str()), (srt, srt));
    for bad in [&b"Hello"[..], br#"{"words":[]}"#, br#"["text"]"#] {
        let e = transcribe::decode(bad, Some(TranscriptFormat::Json)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }
}

// ---------------------------------------------------------------------------------------------
// Speech and moderation
// ---------------------------------------------------------------------------------------------

#[test]
fn speech_encode_and_decode() {
    let mut req = SpeechRequest::new("openai/tts-1", "Hello", "alloy");
    let (r, body, _) = split(speech::encode(&req, "tts-1", &ep()).unwrap());
    assert_eq!(r.uri(), "https://api.openai.com/v1/audio/speech");
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        body,
        json!({"model": "tts-1", "input": "Hello", "voice": "alloy"})
    );
    req.format = Some(AudioFormat::Opus);
    req.speed = Some(1.25);
    req.instructions = Some("cheerful".into());
    let (r, body, _) = split(speech::encode(&req, "gpt-4o-mini-tts", &ep()).unwrap());
    assert_eq!(r.headers()["accept"], "audio/ogg");
    assert_eq!(
        body,
        json!({"model": "gpt-4o-mini-tts", "input": "Hello", "voice": "alloy",
               "response_format": "opus", "speed": 1.25, "instructions": "cheerful"})
    );

    let audio = Bytes::from_static(b"\xff\xfb\x90\x00");
    let s = speech::decode(audio.clone(), Some("audio/mpeg")).unwrap();
    assert_eq!(s.audio, audio);
    assert_eq!(s.content_type.as_deref(), Some("audio/mpeg"));
    let e = speech::decode(
        Bytes::from_static(br#"{"error":{}}"#),
        Some("application/json"),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(speech::decode(Bytes::new(), None).is_err());
    assert_eq!(
        AudioFormat::from_path("out/speech.MP3"),
        Some(AudioFormat::Mp3)
    );
    assert_eq!(AudioFormat::from_path("a.ogg"), Some(AudioFormat::Opus));
    assert_eq!(AudioFormat::from_path("noext"), None);
}

#[test]
fn moderation_encode_input_shapes() {
    let one = ModerationRequest::new("openai/m", ["I want to kill them."]);
    let (r, body, _) = split(moderation::encode(&one, "omni-moderation-latest", &ep()).unwrap());
    assert_eq!(r.uri(), "https://api.openai.com/v1/moderations");
    assert_eq!(
        body,
        json!({"model": "omni-moderation-latest", "input": "I want to kill them."})
    );

    let two = ModerationRequest::new("openai/m", ["a", "b"]);
    let (_, body, _) = split(moderation::encode(&two, "m", &ep()).unwrap());
    assert_eq!(body["input"], json!(["a", "b"]));

    let mut img = ModerationRequest::new("openai/m", ["a"]);
    img.image_urls.push("https://x/y.png".into());
    let (_, body, _) = split(moderation::encode(&img, "m", &ep()).unwrap());
    assert_eq!(
        body["input"],
        json!([{"type": "text", "text": "a"},
               {"type": "image_url", "image_url": {"url": "https://x/y.png"}}])
    );
    let none = ModerationRequest::new("openai/m", Vec::<String>::new());
    assert_eq!(
        moderation::encode(&none, "m", &ep()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn moderation_decode_reads_categories_and_scores() {
    let body = br#"{"id":"modr-1","model":"omni-moderation-latest","results":[
        {"flagged":true,
         "categories":{"violence":true,"harassment":true,"sexual":false,"harassment/threatening":true,"illicit":null},
         "category_scores":{"violence":0.91,"harassment":0.52,"sexual":0.00001,"harassment/threatening":0.57,"illicit":0.04},
         "category_applied_input_types":{"violence":["text"]}},
        {"flagged":false,"categories":{"hate":false},"category_scores":{"hate":0.001}}]}"#;
    let r = moderation::decode(body).unwrap();
    assert_eq!(r.id.as_deref(), Some("modr-1"));
    assert!(r.flagged());
    let first = &r.results[0];
    assert_eq!(
        first.flagged_categories(),
        ["harassment", "harassment/threatening", "violence"]
    );
    let names: Vec<&str> = first.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "harassment",
            "harassment/threatening",
            "illicit",
            "sexual",
            "violence"
        ]
    );
    assert_eq!(first.categories[4].score, Some(0.91));
    assert!(!first.categories[2].flagged, "null is not flagged");
    assert!(!r.results[1].flagged && r.results[1].flagged_categories().is_empty());

    for bad in [&br#"{}"#[..], br#"{"results":[42]}"#, b"nope"] {
        assert_eq!(
            moderation::decode(bad).unwrap_err().kind(),
            ErrorKind::Decode
        );
    }
}

#[test]
fn mistral_moderation_has_no_flagged_so_its_categories_decide() {
    // Mistral's documented answer: categories and scores, no overall verdict.
    let body = br#"{"id":"4a0a1e5f","model":"mistral-moderation-latest","results":[
        {"categories":{"sexual":false,"hate_and_discrimination":false,"violence_and_threats":true,
                       "dangerous_and_criminal_content":false,"selfharm":false,"health":false,
                       "financial":false,"law":false,"pii":true},
         "category_scores":{"sexual":0.0001,"hate_and_discrimination":0.002,"violence_and_threats":0.93,
                            "dangerous_and_criminal_content":0.01,"selfharm":0.0,"health":0.0,
                            "financial":0.0,"law":0.0,"pii":0.71}},
        {"categories":{"sexual":false},"category_scores":{"sexual":0.02}}]}"#;
    let r = moderation::decode(body).unwrap();
    assert_eq!(r.model.as_deref(), Some("mistral-moderation-latest"));
    assert!(r.results[0].flagged);
    assert_eq!(
        r.results[0].flagged_categories(),
        ["pii", "violence_and_threats"]
    );
    let v = r.results[0]
        .categories
        .iter()
        .find(|c| c.name == "violence_and_threats")
        .unwrap();
    assert_eq!(v.score, Some(0.93));
    assert!(!r.results[1].flagged);
    assert!(moderation::decode(br#"{"results":[{"categories":{}}]}"#).is_ok());
}

#[test]
fn mistral_conversations_go_to_chat_moderations() {
    use crate::types::Message;
    let mistral = bearer("mistral", "https://api.mistral.ai/v1", "mk");
    let mut req = ModerationRequest::new("mistral/mistral-moderation-latest", Vec::<String>::new());
    req.conversation = vec![
        Message::system("Be kind."),
        Message::user("How do I pick a lock?"),
        Message::assistant("I cannot help with that."),
    ];
    let (r, body, _) =
        split(moderation::encode(&req, "mistral-moderation-latest", &mistral).unwrap());
    assert_eq!(r.uri(), "https://api.mistral.ai/v1/chat/moderations");
    assert_eq!(
        body,
        json!({"model": "mistral-moderation-latest", "input": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "How do I pick a lock?"},
            {"role": "assistant", "content": "I cannot help with that."}]})
    );
    let err = moderation::encode(&req, "omni-moderation-latest", &ep()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}
