//! `exllm chat --guard` and `--guardrails FILE` as a user runs them, against the in-process
//! mock (which echoes the prompt back): the echo comes back with the originals restored, a
//! blocked prompt fails with the rule named and the value nowhere in the output.

use std::process::{Command, Output};

fn exllm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exllm"))
        .args(args)
        .env_remove("EXLLM_MODEL")
        .env_remove("EXLLM_ROUTER_CONFIG")
        .env("HOME", std::env::temp_dir().join("exllm-cli-test-home"))
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("exllm-cli-test-home"),
        )
        .output()
        .expect("the binary runs")
}

/// `exllm chat -m mock/echo --guard GUARD PROMPT`, whole and streamed: the echo comes back
/// as the prompt was (what was masked is restored).
fn echoes_back(guard: &str, prompt: &str) {
    for stream in [false, true] {
        let mut args = vec!["chat", "-m", "mock/echo", "--guard", guard];
        if stream {
            args.push("--stream");
        }
        args.push(prompt);
        let out = exllm(&args);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), prompt);
    }
}

/// Its stdout then its stderr.
fn everything(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A guardrails file holding `toml`, in a folder of this test's own (`name`).
fn guardrails_file(name: &str, toml: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("exllm-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("g.toml");
    std::fs::write(&file, toml).unwrap();
    file
}

#[test]
fn masked_values_come_back_whole_and_streamed() {
    echoes_back(
        "pii,secrets,injection",
        "mail ann@example.com or call +44 20 7946 0958",
    );
}

#[test]
fn a_blocked_prompt_names_the_rule_not_the_value() {
    let key = "AKIAIOSFODNN7EXAMPLE";
    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--guard",
        "secrets",
        &format!("my key {key}"),
    ]);
    assert!(!out.status.success());
    let all = everything(&out);
    assert!(all.contains("aws_access_key"), "{all}");
    assert!(!all.contains(key), "{all}");

    let file = guardrails_file(
        "guardrails",
        "[guardrails]\npii = { kinds = [\"email\"], input = \"block\" }\n",
    );
    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--json",
        "--guardrails",
        file.to_str().unwrap(),
        "to ann@example.com",
    ]);
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "Guardrail");
    assert_eq!(v["error"]["code"], "email");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("ann@example.com"));

    let out = exllm(&["chat", "-m", "mock/echo", "--guard", "nope", "x"]);
    assert!(!out.status.success());
    std::fs::remove_dir_all(file.parent().unwrap()).ok();
}

#[cfg(feature = "ner")]
#[test]
fn names_and_addresses_are_masked_and_restored() {
    // The flag's wiring: the echo of the masked prompt comes back restored (what the provider
    // got is checked by exllm-local's tests, with the same model).
    let prompt =
        "My name is Alex Rivera and I live at 742 Evergreen Terrace, Springfield, IL 62704.";
    echoes_back("names,pii", prompt);
    // Blocking instead of masking shows the model ran: the rule named, the name nowhere.
    let file = guardrails_file("ner", "[guardrails]\nner = { input = \"block\" }\n");
    let out = exllm(&[
        "chat",
        "-m",
        "mock/echo",
        "--guardrails",
        file.to_str().unwrap(),
        prompt,
    ]);
    assert!(!out.status.success());
    let all = everything(&out);
    assert!(all.contains("person_name"), "{all}");
    assert!(!all.contains("Rivera"), "{all}");
    std::fs::remove_dir_all(file.parent().unwrap()).ok();
    let out = exllm(&["chat", "-m", "mock/echo", "--guard", "nmaes", "hi"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pii, names, secrets"));
}
