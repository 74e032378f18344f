//! Bad model files give clear, typed errors and never a panic: a corrupt file, a truncated
//! download, a wrong sha256, an unsupported architecture, a missing file.

use crate::common;

use candle_core::quantized::gguf_file;
use exllm::{ChatRequest, Client, ErrorKind, Message};
use exllm_local::{verify_sha256, LocalConfig, LocalProvider, Source};
use std::path::PathBuf;
use std::sync::Arc;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("exllm-local-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn provider() -> LocalProvider {
    LocalProvider::new(
        LocalConfig::default()
            .with_threads(1)
            .with_sources(vec![Source::Cache])
            .with_paths(true),
    )
}

fn load_err(path: &std::path::Path) -> exllm::Error {
    match provider().load_chat(path.to_str().unwrap()) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e,
    }
}

#[test]
fn missing_file_is_a_config_error() {
    let e = load_err(&tmp("no-such-model.gguf"));
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(e.code(), Some("not_found"));
    assert!(e.message().contains("not found"), "{e}");
}

#[test]
fn corrupt_file_is_a_decode_error() {
    let p = tmp("corrupt.gguf");
    std::fs::write(&p, b"this is not a GGUF file at all, just text").unwrap();
    let e = load_err(&p);
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(e.message().contains("not a valid GGUF"), "{e}");
    // Right magic, garbage after it.
    let mut bytes = b"GGUF\x03\x00\x00\x00".to_vec();
    bytes.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(&p, bytes).unwrap();
    assert_eq!(load_err(&p).kind(), ErrorKind::Decode);
}

#[test]
fn unknown_architecture_is_invalid_input() {
    let p = tmp("mamba.gguf");
    let arch = gguf_file::Value::String("mamba".into());
    let mut f = std::fs::File::create(&p).unwrap();
    gguf_file::write(&mut f, &[("general.architecture", &arch)], &[]).unwrap();
    drop(f);
    let e = load_err(&p);
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.code(), Some("unsupported_architecture"));
    assert!(
        e.message().contains("mamba") && e.message().contains("llama"),
        "{e}"
    );
}

#[test]
fn wrong_sha256_is_a_decode_error() {
    let p = tmp("weights.bin");
    std::fs::write(&p, b"some weights").unwrap();
    let e = verify_sha256(&p, &"0".repeat(64)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(e.code(), Some("sha256_mismatch"));
    assert!(e.message().contains("sha256 mismatch"), "{e}");
    // The right hash passes.
    let right = exllm_local::sha256_file(&p).unwrap();
    verify_sha256(&p, &right).unwrap();
}

#[test]
fn truncated_file_is_a_decode_error() {
    let Some(real) = common::chat_model_path() else {
        return;
    };
    let p = tmp("truncated.gguf");
    let bytes = std::fs::read(&real).unwrap();
    for cut in [bytes.len() / 2, 4096] {
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let e = load_err(&p);
        assert_eq!(e.kind(), ErrorKind::Decode, "cut at {cut}: {e}");
    }
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    assert_eq!(load_err(&p).code(), Some("truncated"));
}

#[tokio::test]
async fn errors_reach_the_client_call() {
    let client = Client::builder()
        .provider("local", Arc::new(provider()))
        .build()
        .unwrap();
    let req = ChatRequest::new(
        format!("local/{}", tmp("absent.gguf").display()),
        vec![Message::user("hi")],
    );
    let e = client.chat(req.clone()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(client.chat_stream(req).await.is_err());
    let e = client
        .chat(ChatRequest::new(
            "local/no-such-model",
            vec![Message::user("hi")],
        ))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

/// A model name is user input: through the client, a Hub name that climbs out of the cache is
/// refused before anything is fetched or written, and a file path is refused unless the
/// provider allows paths.
#[tokio::test]
async fn caller_model_names_never_leave_the_cache() {
    let strict = LocalProvider::new(
        LocalConfig::default()
            .with_threads(1)
            .with_sources(vec![Source::Cache]),
    );
    let client = Client::builder()
        .env_lookup(|_| None)
        .provider("local", Arc::new(strict))
        .build()
        .unwrap();
    for name in [
        "local/hf:../../../tmp/evil.gguf",
        "local/hf:owner/repo/../../../../evil.gguf",
        "local//etc/passwd.gguf",
    ] {
        let req = ChatRequest::new(name, vec![Message::user("hi")]);
        let e = client.chat(req).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}: {e}");
    }
    let req = ChatRequest::new("local//etc/passwd", vec![Message::user("hi")]);
    assert_eq!(
        client.chat(req).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

/// At most `max_loaded` models stay loaded; the least recently used goes first.
#[test]
fn loaded_models_are_bounded() {
    let p = LocalProvider::new(
        LocalConfig::default()
            .with_threads(1)
            .with_sources(vec![Source::Cache])
            .with_paths(true)
            .with_max_loaded(1),
    );
    let a = crate::tiny_models::write_model_in("llama", "default", "gpt2", "lru-a");
    let b = crate::tiny_models::write_model_in("llama", "default", "gpt2", "lru-b");
    assert_ne!(a, b);
    p.load_chat(a.to_str().unwrap()).unwrap();
    p.load_chat(b.to_str().unwrap()).unwrap();
    assert_eq!(p.loaded(), vec![b.to_str().unwrap().to_owned()]);
}
