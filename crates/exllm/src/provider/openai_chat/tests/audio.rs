//! Chat with audio (`gpt-4o-audio-preview`): audio input parts, the `modalities` and `audio`
//! options, the spoken answer whole and streamed, and audio tokens in the usage.

use super::*;
use crate::types::{AudioOutput, AudioPart};

#[test]
fn audio_in_and_the_spoken_answer_asked_for() {
    let mut req = CODEC.req(vec![
        Message::new(
            Role::User,
            vec![
                Part::text("What is said here?"),
                Part::Audio(AudioPart::from_bytes(b"RIFF....WAVE", "audio/wav")),
            ],
        ),
        Message::new(
            Role::Assistant,
            vec![Part::Audio(AudioPart {
                id: Some("audio_abc".into()),
                transcript: Some("Hello.".into()),
                ..Default::default()
            })],
        ),
        Message::user("Again, slower."),
    ]);
    req.audio = Some(AudioOutput {
        voice: "verse".into(),
        format: "mp3".into(),
    });
    let body = CODEC.body_of(&req);
    assert_eq!(body["modalities"], json!(["text", "audio"]));
    assert_eq!(body["audio"], json!({"voice": "verse", "format": "mp3"}));
    assert_eq!(
        body["messages"][0]["content"][1],
        json!({"type": "input_audio", "input_audio": {"data": "UklGRi4uLi5XQVZF", "format": "wav"}})
    );
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": null, "audio": {"id": "audio_abc"}})
    );
    // Without `audio` neither option is sent.
    let plain = CODEC.body_of(&CODEC.hi());
    assert!(plain.get("modalities").is_none() && plain.get("audio").is_none());
}

#[test]
fn the_spoken_answer_decodes_with_its_transcript_and_audio_tokens() {
    let body = json!({"id": "chatcmpl-a1", "object": "chat.completion", "model": "gpt-4o-audio-preview-2024-12-17",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": null, "refusal": null,
            "audio": {"id": "audio_6772", "data": "UklGRi4uLi5XQVZF", "expires_at": 1735559999, "transcript": "Hi there."}}}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 120, "total_tokens": 160,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 25},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 100}}});
    let r = CODEC.decode(&body.to_string());
    assert_eq!(
        r.content,
        vec![Part::Audio(AudioPart {
            data: "UklGRi4uLi5XQVZF".into(),
            format: None,
            transcript: Some("Hi there.".into()),
            id: Some("audio_6772".into()),
            expires_at: Some(1735559999),
        })]
    );
    assert_eq!(r.text(), "");
    let u = r.usage.unwrap();
    assert_eq!(
        (u.details.audio_input_tokens, u.details.audio_output_tokens),
        (Some(25), Some(100))
    );
}

#[test]
fn streamed_audio_pieces_join_into_one_part() {
    // Base64 of "hello world!" cut inside a 4-character group, then a padded last piece.
    let chunks = [
        json!({"id": "c", "model": "gpt-4o-audio-preview", "choices": [{"index": 0, "delta": {"role": "assistant", "content": null,
            "audio": {"id": "audio_1", "transcript": "Hel"}}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"audio": {"data": "aGVsbG8gd2"}}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"audio": {"data": "9ybGQh", "transcript": "lo."}}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"audio": {"expires_at": 1735559999}}, "finish_reason": "stop"}]}),
        json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 30,
            "completion_tokens_details": {"audio_tokens": 24}}}),
    ];
    let frames: Vec<String> = chunks.iter().map(Value::to_string).collect();
    let r = CODEC.stream(&data_frames(&frames));
    let Part::Audio(a) = &r.content[0] else {
        panic!("not audio: {:?}", r.content)
    };
    assert_eq!(
        crate::media::decode_base64(&a.data).unwrap(),
        b"hello world!"
    );
    assert_eq!(a.transcript.as_deref(), Some("Hello."));
    assert_eq!(
        (a.id.as_deref(), a.expires_at),
        (Some("audio_1"), Some(1735559999))
    );
    assert_eq!(r.content.len(), 1);
    assert_eq!(r.usage.unwrap().details.audio_output_tokens, Some(24));
}

#[test]
fn pieces_that_are_not_base64_are_kept_as_sent() {
    let mut c = crate::Collector::new();
    for d in ["aGk=", "%%%", "!"] {
        c.push(StreamEvent::AudioDelta(AudioPart {
            data: d.into(),
            ..Default::default()
        }));
    }
    let r = c.finish();
    let Part::Audio(a) = &r.content[0] else {
        panic!()
    };
    assert_eq!(a.data, "aGk=%%%!");
}
