//! Every program in `crates/exllm/examples` built and run as a user would run it, with no API
//! key in its environment (so the keyless mock or local path runs), and its output checked:
//! an example that no longer compiles, fails or prints something else fails here.
//!
//! The binaries are the ones `cargo test` / `cargo nextest` build beside this test binary
//! (`target/<profile>/examples`); a run that did not build them (`--test integration` alone)
//! builds the missing one first.

use std::path::PathBuf;
use std::process::Command;

/// Keys whose presence would send an example to a real provider.
const KEYS: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "EXLLM_RECORD",
    "EXLLM_REPLAY",
];

fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/integration-<hash> -> target/<profile>/examples/<name>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile directory");
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn build(name: &str) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "exllm", "--all-features", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(status.success(), "example {name} does not build");
}

/// Runs the example keyless and returns its standard output.
fn run(name: &str) -> String {
    let path = example_path(name);
    if !path.exists() {
        build(name);
    }
    // A port nothing listens on: the local example must find no Ollama server.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let mut cmd = Command::new(&path);
    for key in KEYS {
        cmd.env_remove(key);
    }
    let out = cmd
        .env("OLLAMA_HOST", format!("http://{closed}"))
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn check(name: &str, expected: &[&str]) {
    let out = run(name);
    for want in expected {
        assert!(out.contains(want), "example {name}: no `{want}` in\n{out}");
    }
}

macro_rules! examples {
    ($($name:ident => [$($want:expr),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name), &[$($want),*]);
            }
        )*
    };
}

examples! {
    chat => ["What is the capital of France?"];
    streaming => ["Streams arrive piece by piece."];
    tools => ["answer: It is sunny in Paris, 21 °C."];
    structured => ["city: Paris, France (population 2100000), 1 attempt(s)"];
    vision => ["image: image/png 1x1", "answer: I received 1 image(s) with your question."];
    embeddings => [
        "question: How does Rust keep memory safe?",
        "Rust guarantees memory safety without a garbage collector.",
        "least related:",
    ];
    sessions => ["> What is my name?\nWhat is my name?", "saved and loaded: 4 messages, 2 turns"];
    cache => [
        "round 1: The Eiffel Tower is 330 metres tall. (from the model)",
        "round 3: The Eiffel Tower is 330 metres tall. (from the cache)",
        "cache: 2 hits, 1 misses; the provider was asked 1 time(s)",
    ];
    retries => [
        "retry 1 on openai",
        "answer: Answered on the second try.",
        "stream broke (Network) after: The three primary colours are red,",
        "resumed: The three primary colours are red, yellow and blue.",
    ];
    router => ["answered by the backup (via chat#1)"];
    batch => ["succeeded", "q0: Translate 'cat' to French", "q2: Translate 'bird' to French"];
    cost => ["openai/gpt-4o-mini: $", "call 1: $0.0900", "refused:"];
    context => ["history: 122 messages", "dropped", "answer: Summarise what we discussed in one line."];
    local => ["no local ollama server; using the mock", "mock/echo: Say hello from this machine."];
    telemetry => ["#1 chat mock/watched: 1 message(s)", "answer: Observed and answered.", "failed: RateLimit"];
    guardrails => [
        "provider saw: Write to <EMAIL_1> about the invoice.",
        "caller got:   Write to ann@example.com about the invoice.",
        "blocked:",
    ];
}
