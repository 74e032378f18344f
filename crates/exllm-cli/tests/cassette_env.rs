//! `EXLLM_RECORD` and `EXLLM_REPLAY`: a streamed `exllm chat` against a loopback server is
//! recorded, then replayed with the server gone, printing the same answer; the key stays out
//! of the cassette, and a prompt that was never recorded fails with a clear message.

use crate::support::{chat_chunk, chat_stop, exllm, serve, temp_dir, Reply};
use std::time::Duration;

#[test]
fn a_recorded_chat_replays_without_the_server() {
    let home = temp_dir("cassette-env");
    let cassette = home.join("run.jsonl");
    // One connection: the server is gone once it has answered.
    let url = format!(
        "{}/v1",
        serve(1, |_| {
            let events = [chat_chunk("Recorded"), chat_chunk(" answer"), chat_stop()];
            Reply::sse(&events, Duration::from_millis(5))
        })
    );
    let chat = |env: (&str, &std::path::Path), prompt: &str| {
        exllm(&home)
            .env("OPENAI_API_KEY", "sk-cassette-secret")
            .env(env.0, env.1)
            .args([
                "chat",
                "--stream",
                "-m",
                "openai/gpt-4o-mini",
                "--base-url",
                &url,
                prompt,
            ])
            .output()
            .unwrap()
    };
    let first = chat(("EXLLM_RECORD", &cassette), "Hello");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&first.stdout), "Recorded answer\n");
    let text = std::fs::read_to_string(&cassette).unwrap();
    assert!(!text.contains("sk-cassette-secret"), "{text}");
    assert!(
        text.contains("data: "),
        "the stream is kept with its framing: {text}"
    );

    let again = chat(("EXLLM_REPLAY", &cassette), "Hello");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(again.stdout, first.stdout);

    let miss = chat(("EXLLM_REPLAY", &cassette), "Something else");
    assert!(!miss.status.success());
    let err = String::from_utf8_lossy(&miss.stderr);
    assert!(err.contains("no exchange in the cassette"), "{err}");
}
