//! The README's gateway examples, taken from README.md by their `<!-- gateway-example:NAME -->`
//! markers so the text and the test cannot drift: both config files read, and the `curl` and
//! Python SDK examples run against a gateway made from the README's TOML, its models pointed at
//! the loopback provider.

use crate::support::{provider, start};
use exllm_gateway::GatewayConfig;
use std::path::PathBuf;
use std::time::Duration;

/// The fenced block after `<!-- gateway-example:NAME -->` in README.md.
fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md reads");
    let marker = format!("<!-- gateway-example:{name} -->\n");
    let at = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README.md has no {marker}"));
    let rest = &readme[at + marker.len()..];
    let rest = rest
        .strip_prefix("```")
        .unwrap_or_else(|| panic!("{name}: a fenced block follows the marker"));
    let body = &rest[rest.find('\n').expect("a fence line") + 1..];
    body[..body.find("\n```").expect("the fence closes") + 1].to_owned()
}

#[test]
fn the_readme_configs_read() {
    let toml = GatewayConfig::from_toml(&example("toml"), "gateway.toml").expect("the TOML reads");
    let yaml =
        GatewayConfig::from_litellm_yaml(&example("yaml"), "config.yaml").expect("the YAML reads");
    assert_eq!(toml.model_names(), ["gpt-4o-mini", "claude"]);
    assert_eq!(yaml.model_names(), toml.model_names());
    assert_eq!(toml.master_key, yaml.master_key);
    assert!(toml.warnings.is_empty() && yaml.warnings.is_empty());
    let gov = GatewayConfig::from_toml(&example("governance"), "gateway.toml")
        .expect("the governance TOML reads");
    let g = &gov.governance;
    assert!(g.postgres_url.is_some() && g.journal.is_some());
    assert_eq!(g.teams["research"].rpm, Some(600));
    assert_eq!(g.models["gpt-4o-mini"].tpm, Some(2_000_000));
    let shared = g.shared.as_ref().expect("[governance.shared]");
    assert_eq!(shared.timeout, Duration::from_millis(250));
    assert!(!shared.fail_open);
    assert!(gov.warnings.is_empty(), "{:?}", gov.warnings);
}

/// Runs `program -c code` (or `sh -c`) with the README's address replaced by the gateway's.
async fn run(program: &std::path::Path, code: &str, base: &str) -> String {
    let code = code.replace("http://localhost:4000", base);
    let out = tokio::process::Command::new(program)
        .arg("-c")
        .arg(&code)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("the example finished in time")
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{code}\nstatus {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn the_readme_examples_run_against_the_gateway() {
    let up = provider().await;
    // The README's TOML as it is, each model sent to the loopback provider with its key.
    let mut toml = String::new();
    for line in example("toml").lines() {
        toml += &line.replace("os.environ/OPENAI_API_KEY", "os.environ/UP_KEY");
        toml += "\n";
        if line.starts_with("model = ") {
            toml += &format!("api_base = \"http://{}/v1\"\n", up.addr);
        }
    }
    let toml = toml.replace("os.environ/ANTHROPIC_API_KEY", "os.environ/UP_KEY");
    let (gw, _) = start(GatewayConfig::from_toml(&toml, "gateway.toml").expect("config")).await;
    let base = gw.url("");

    let sh = PathBuf::from("/bin/sh");
    let chat = run(&sh, &example("curl-chat"), &base).await;
    let chat: serde_json::Value = serde_json::from_str(&chat).expect("a JSON answer");
    assert_eq!(chat["choices"][0]["message"]["content"], "hello world");
    let messages = run(&sh, &example("curl-messages"), &base).await;
    let messages: serde_json::Value = serde_json::from_str(&messages).expect("a JSON answer");
    assert_eq!(messages["type"], "message");
    assert_eq!(messages["content"][0]["text"], "hello world");

    let python = crate::sdk::sdk_python();
    for name in ["python-openai", "python-anthropic"] {
        let out = run(&python, &example(name), &base).await;
        assert_eq!(out, "hello world\nhello world\n", "{name}");
    }
}
