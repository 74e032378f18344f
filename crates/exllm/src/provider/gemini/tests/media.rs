//! Media in answers: images the model drew (`inlineData`), files it refers to (`fileData`)
//! and speech, decoded into image, file and audio parts, streamed or not, with the image
//! tokens of the usage.

use super::*;
use crate::types::{AudioPart, MediaSource};

const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAEnNCcKAAAAAElFTkSuQmCC";

fn image_answer() -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "Here is a cat:"},
            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}, "thoughtSignature": "SIG-img"},
            {"fileData": {"mimeType": "application/pdf", "fileUri": "https://example.invalid/files/doc-1"}}]},
        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 1300, "totalTokenCount": 1309,
            "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 10}, {"modality": "IMAGE", "tokenCount": 1290}]},
        "modelVersion": "gemini-2.5-flash-image", "responseId": "img-1"})
}

#[test]
fn inline_images_and_file_references_become_parts() {
    let r = CODEC.decode(&image_answer().to_string());
    assert_eq!(
        r.content,
        vec![
            Part::text("Here is a cat:"),
            Part::Image {
                source: MediaSource::Base64(PNG_B64.into()),
                media_type: Some("image/png".into()),
                detail: None,
            },
            signature_only("SIG-img"),
            Part::File {
                source: MediaSource::Url("https://example.invalid/files/doc-1".into()),
                media_type: Some("application/pdf".into()),
                filename: None,
            },
        ]
    );
    assert_eq!(r.text(), "Here is a cat:");
    let u = r.usage.as_ref().unwrap();
    assert_eq!(u.output_tokens, Some(1300));
    assert_eq!(u.details.image_output_tokens, Some(1290));
}

#[test]
fn a_streamed_image_equals_the_whole_answer() {
    let whole = image_answer();
    let mut first = whole.clone();
    first["candidates"][0]["content"]["parts"] = json!([{"text": "Here is a cat:"}]);
    first["candidates"][0]
        .as_object_mut()
        .unwrap()
        .remove("finishReason");
    first.as_object_mut().unwrap().remove("usageMetadata");
    let mut second = whole.clone();
    let parts = whole["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    second["candidates"][0]["content"]["parts"] = json!(parts[1..]);
    let streamed = CODEC.stream(&[first.to_string(), second.to_string()]);
    assert_eq!(streamed, CODEC.decode(&whole.to_string()));
}

#[test]
fn speech_is_an_audio_part_and_thought_images_stay_items() {
    let r = CODEC.decode(
        &json!({"candidates": [{"content": {"role": "model", "parts": [
                {"inlineData": {"mimeType": "image/png", "data": PNG_B64}, "thought": true},
                {"inlineData": {"mimeType": "audio/L16;codec=pcm;rate=24000", "data": "AAABAAIA"}}]},
            "finishReason": "STOP"}]})
        .to_string(),
    );
    assert!(matches!(&r.content[0], Part::ProviderItem(i) if i.item_type == "inlineData"));
    assert_eq!(
        r.content[1],
        Part::Audio(AudioPart {
            data: "AAABAAIA".into(),
            format: Some("audio/L16;codec=pcm;rate=24000".into()),
            ..Default::default()
        })
    );
    // A part whose inlineData is not an object is an item, as any unknown part.
    let odd = CODEC.decode(
        &json!({"candidates": [{"content": {"parts": [{"inlineData": "?"}]}, "finishReason": "STOP"}]})
            .to_string(),
    );
    assert!(matches!(&odd.content[0], Part::ProviderItem(_)));
}

#[test]
fn audio_parts_go_inline_with_their_media_type() {
    let req = CODEC.req(vec![Message::new(
        crate::types::Role::User,
        vec![
            Part::text("Transcribe."),
            Part::Audio(AudioPart::from_bytes(b"ID3", "mp3")),
        ],
    )]);
    let body = CODEC.body_of(&req);
    assert_eq!(
        body["contents"][0]["parts"][1],
        json!({"inlineData": {"mimeType": "audio/mpeg", "data": "SUQz"}})
    );
}

#[test]
fn an_answer_with_media_replays_as_events_and_collects_back() {
    let mut r = CODEC.decode(&image_answer().to_string());
    r.content.push(Part::Audio(AudioPart {
        data: "AAEC".into(),
        transcript: Some("hi".into()),
        ..Default::default()
    }));
    let events = crate::types::response_to_events(&r);
    assert_eq!(crate::Collector::collect(events), r);
}
