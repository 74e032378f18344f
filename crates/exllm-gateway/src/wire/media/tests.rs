use super::*;
use crate::wire::multipart::Part;
use bytes::Bytes;

#[test]
fn image_requests_keep_unknown_fields_as_provider_options() {
    let req = decode_image(br#"{"model":"img","prompt":"a cat","n":2,"size":"1024x1024","response_format":"b64_json","background":"transparent","user":"u"}"#).unwrap();
    assert_eq!(
        (req.model.as_str(), req.prompt.as_str(), req.n),
        ("img", "a cat", Some(2))
    );
    assert_eq!(req.output, Some(ImageOutput::Base64));
    assert_eq!(req.provider_options.len(), 1);
    assert_eq!(req.provider_options["background"], "transparent");
    for bad in [
        &br#"{"prompt":"x"}"#[..],
        br#"{"model":"m"}"#,
        br#"{"model":"m","prompt":"x","n":-1}"#,
        b"[]",
    ] {
        assert_eq!(decode_image(bad).unwrap_err().status, 400);
    }
    let resp = ImageResponse {
        created: Some(5),
        images: vec![exllm::GeneratedImage {
            data: Some(Bytes::from_static(b"hi")),
            ..Default::default()
        }],
        ..Default::default()
    };
    let v = encode_image(&resp, &|b| format!("b64:{}", b.len()));
    assert_eq!(v, json!({"created": 5, "data": [{"b64_json": "b64:2"}]}));
}

#[test]
fn transcription_forms_and_answers() {
    let part = |name: &str, data: &'static [u8]| Part {
        name: name.into(),
        filename: (name == "file").then(|| "talk.wav".into()),
        content_type: (name == "file").then(|| "audio/wav".into()),
        data: Bytes::from_static(data),
    };
    let req = decode_transcription(
        vec![
            part("model", b"stt"),
            part("file", b"RIFF"),
            part("response_format", b"verbose_json"),
            part("timestamp_granularities[]", b"word"),
            part("temperature", b"0.5"),
        ],
        true,
    )
    .unwrap();
    assert_eq!(
        (req.model.as_str(), req.filename.as_str(), req.translate),
        ("stt", "talk.wav", true)
    );
    assert_eq!(&req.audio[..], b"RIFF");
    assert_eq!(req.response_format, Some(TranscriptFormat::VerboseJson));
    assert_eq!(
        req.timestamp_granularities,
        vec![TimestampGranularity::Word]
    );
    assert!(decode_transcription(vec![part("model", b"stt")], false).is_err());
    assert!(decode_transcription(vec![part("file", b"x")], false).is_err());
    let t = Transcription {
        text: "hello".into(),
        raw: "1\n00:00 --> 00:01\nhello\n".into(),
        ..Default::default()
    };
    assert_eq!(encode_transcription(&t, None).0, br#"{"text":"hello"}"#);
    let (srt, ct) = encode_transcription(&t, Some(TranscriptFormat::Srt));
    assert_eq!(
        (srt, ct.starts_with("text/plain")),
        (t.raw.clone().into_bytes(), true)
    );
}

#[test]
fn speech_moderation_and_rerank_requests() {
    let s = decode_speech(
        br#"{"model":"tts","input":"hi","voice":"alloy","response_format":"wav","speed":1.5}"#,
    )
    .unwrap();
    assert_eq!((s.format, s.speed), (Some(AudioFormat::Wav), Some(1.5)));
    assert!(decode_speech(
        br#"{"model":"tts","input":"hi","voice":"alloy","response_format":"ogg-x"}"#
    )
    .is_err());
    let m = decode_moderation(
        br#"{"input":["a",{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}"#,
        "mod",
    )
    .unwrap();
    assert_eq!(
        (m.model.as_str(), m.texts.len(), m.image_urls.len()),
        ("mod", 1, 1)
    );
    let r = ModerationResponse {
        results: vec![exllm::ModerationResult {
            flagged: true,
            categories: vec![exllm::ModerationCategory {
                name: "violence".into(),
                flagged: true,
                score: Some(0.9),
            }],
        }],
        ..Default::default()
    };
    let v = encode_moderation(&r, "mod");
    assert_eq!(v["results"][0]["categories"]["violence"], true);
    assert_eq!(v["results"][0]["category_scores"]["violence"], 0.9);
    let (req, docs) = decode_rerank(br#"{"model":"rr","query":"q","documents":["a",{"text":"b"}],"top_n":1,"return_documents":true}"#).unwrap();
    assert_eq!(
        (req.documents.clone(), req.top_n, docs),
        (vec!["a".to_owned(), "b".to_owned()], Some(1), true)
    );
    let resp = RerankResponse {
        results: vec![exllm::RerankResult {
            index: 1,
            relevance_score: 0.7,
        }],
        ..Default::default()
    };
    let v = encode_rerank(&resp, &req, true);
    assert_eq!(
        v["results"][0],
        json!({"index": 1, "relevance_score": 0.7, "document": {"text": "b"}})
    );
}
