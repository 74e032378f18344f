use super::*;

#[test]
fn the_model_alone_is_rewritten_every_other_byte_kept() {
    let body = br#"{ "messages":[{"role":"user","content":"hi"}],  "model" : "fast" ,"stream":true,"stream_options":{"include_usage":true},"x":1.50}"#;
    let p = peek(body).unwrap();
    assert_eq!(p.model, "fast");
    assert!(p.stream && p.include_usage);
    let out = with_model(body, &p, "gpt-4o-\"mini");
    let want = br#"{ "messages":[{"role":"user","content":"hi"}],  "model" : "gpt-4o-\"mini" ,"stream":true,"stream_options":{"include_usage":true},"x":1.50}"#;
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(want));
    // Escapes in the caller's name are read as JSON.
    let p = peek(br#"{"model":"f\u0061st"}"#).unwrap();
    assert_eq!((p.model.as_str(), p.stream), ("fast", false));
    for bad in [
        &b"[]"[..],
        b"{\"model\":1}",
        b"{\"model\":\"m\",\"stream\":\"yes\"}",
        b"nope",
    ] {
        assert!(peek(bad).is_none(), "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn usage_of_whole_bodies_per_api() {
    let chat = br#"{"id":"x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4}}}"#;
    let s = scan_body(Api::OpenAiChat, chat);
    let u = s.usage.unwrap();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.cache_read_tokens),
        (Some(12), Some(3), Some(4))
    );
    assert_eq!(s.failed, None);
    let msg = br#"{"type":"message","usage":{"input_tokens":10,"cache_read_input_tokens":5,"cache_creation_input_tokens":2,"output_tokens":7}}"#;
    let u = scan_body(Api::Anthropic, msg).usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(17), Some(7)));
    let resp = br#"{"object":"response","error":null,"usage":{"input_tokens":9,"output_tokens":2,"input_tokens_details":{"cached_tokens":1},"output_tokens_details":{"reasoning_tokens":1}}}"#;
    let s = scan_body(Api::OpenAiResponses, resp);
    assert_eq!(s.failed, None);
    let u = s.usage.unwrap();
    assert_eq!((u.input_tokens, u.reasoning_tokens), (Some(9), Some(1)));
    let failed = br#"{"choices":[],"error":{"message":"the run failed"}}"#;
    assert_eq!(
        scan_body(Api::OpenAiChat, failed).failed.as_deref(),
        Some("the run failed")
    );
    assert_eq!(scan_body(Api::OpenAiChat, b"not json"), BodyScan::default());
}

#[test]
fn chat_frames_are_forwarded_whole_and_usage_and_the_end_read() {
    let mut s = StreamScan::new(Api::OpenAiChat);
    let c1 = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n";
    let c2 = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
    let c3 = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n";
    let all = format!("{c1}{c2}{c3}");
    // Cut in the middle of frames: only whole frames come out, in order, unchanged.
    let mut out = Vec::new();
    for piece in all.as_bytes().chunks(7) {
        let got = s.push(piece);
        assert!(got.is_empty() || got.ends_with(b"\n\n"));
        out.extend(got);
    }
    out.extend(s.finish());
    assert_eq!(String::from_utf8(out).unwrap(), all);
    assert!(s.complete);
    let u = s.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(5), Some(2)));

    let mut cut = StreamScan::new(Api::OpenAiChat);
    assert_eq!(cut.push(c1.as_bytes()), c1.as_bytes());
    assert!(cut.push(b"data: {\"choi").is_empty());
    assert!(!cut.complete);
}

#[test]
fn anthropic_events_give_usage_end_and_errors() {
    let frames = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":4,\"output_tokens\":1}}}\r\n\r\n\
        event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n\
        event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":6}}\n\n\
        event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    let mut s = StreamScan::new(Api::Anthropic);
    assert_eq!(s.push(frames.as_bytes()), frames.as_bytes());
    assert!(s.complete);
    let u = s.usage.clone().unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (Some(14), Some(6)));
    let mut e = StreamScan::new(Api::Anthropic);
    e.push(b"data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}\n\n");
    assert_eq!((e.error.as_deref(), e.complete), (Some("busy"), false));
}

#[test]
fn responses_end_with_a_terminal_event_carrying_usage() {
    let frames = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}\n\n\
        event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}}\n\n";
    let mut s = StreamScan::new(Api::OpenAiResponses);
    s.push(frames.as_bytes());
    assert!(s.complete);
    assert_eq!(s.usage.unwrap().output_tokens, Some(4));
}
