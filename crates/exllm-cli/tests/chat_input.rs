//! `exllm chat --schema` and `--image` as a user runs them, against the in-process mock (which
//! echoes the prompt back): JSON validated against the schema, images read by their bytes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn exllm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exllm"))
        .args(args)
        .env_remove("EXLLM_MODEL")
        .env_remove("EXLLM_CATALOG")
        .env("HOME", std::env::temp_dir().join("exllm-cli-test-home"))
        .output()
        .expect("the binary runs")
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("exllm-chat-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const SCHEMA: &str = r#"{"type": "object", "properties": {"city": {"type": "string"}},
    "required": ["city"]}"#;

#[test]
fn schema_output_is_the_validated_json() {
    let schema = temp_file("city.json", SCHEMA.as_bytes());
    let schema = schema.to_str().unwrap();
    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--schema",
        schema,
        r#"{"city": "Paris"}"#,
    ]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"city": "Paris"}));

    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--json",
        "--stream",
        "--schema",
        schema,
        r#"{"city": "Lyon"}"#,
    ]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["output"]["city"], "Lyon");
    assert_eq!(v["attempts"], 1);
    // Partial values went to stderr while streaming.
    assert!(String::from_utf8_lossy(&out.stderr).contains("Lyon"));

    // The echo never matches this schema: three attempts, then a decode error.
    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--json",
        "--schema",
        schema,
        "[1]",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "Decode");

    let bad = temp_file("bad.json", b"{not json");
    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--schema",
        bad.to_str().unwrap(),
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
}

#[test]
fn images_are_read_by_their_bytes() {
    // A PNG signature and header chunk, whatever the file is called.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x02\0\0\0\x03\x08\x02\0\0\0".to_vec();
    png.extend_from_slice(&[0; 16]);
    let img = temp_file("picture.txt", &png);
    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--image",
        img.to_str().unwrap(),
        "--image",
        "https://example.invalid/cat.jpg",
        "What is this?",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "What is this?");

    let not_image = temp_file("fake.png", b"just text");
    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--image",
        not_image.to_str().unwrap(),
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("fake.png"),
        "{out:?}"
    );
}
