//! The official `openai` Python SDK (installed into a virtual environment by
//! `scripts/setup`) against the gateway in front of the loopback provider: chat, streams with
//! usage, streamed parallel tool calls, structured output, typed errors, a broken stream,
//! embeddings, the model list and `responses.create` (tests/sdk/openai_sdk.py says what it
//! checks); and the official `anthropic` SDK against OpenAI-, Anthropic- and Gemini-speaking
//! backends (tests/sdk/anthropic_sdk.py).

use crate::support::{config_toml, config_toml_all, gateway, provider};
use std::path::PathBuf;
use std::time::Duration;

/// The virtual environment's Python: `EXLLM_SDK_VENV`, else `target/sdk-venv` of the
/// workspace, where `scripts/setup` puts it.
pub(crate) fn sdk_python() -> PathBuf {
    let venv = std::env::var_os("EXLLM_SDK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/sdk-venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup, which installs the openai SDK there",
        python.display()
    );
    python
}

/// Runs `tests/sdk/<script>` against a gateway for `toml`; it must exit 0 and print `ok` last.
async fn run_sdk_script(script: &str, toml: &str) {
    let python = sdk_python();
    let (gw, _) = gateway(toml).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(script);
    let run = tokio::process::Command::new(python)
        .arg(script)
        .arg(gw.url(""))
        .arg("sk-master")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the SDK script finished in time")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
}

#[tokio::test]
async fn the_openai_python_sdk_works_against_the_gateway() {
    let up = provider().await;
    run_sdk_script("openai_sdk.py", &config_toml(&up, "")).await;
}

#[tokio::test]
async fn the_anthropic_python_sdk_works_against_the_gateway() {
    let up = provider().await;
    run_sdk_script("anthropic_sdk.py", &config_toml_all(&up, "")).await;
}
