//! `exllm catalog sync` writes where the library reads: with `EXLLM_CATALOG` or
//! `XDG_CONFIG_HOME` set, a synced model is then found by `catalog show` and `cost`.

use crate::support::{exllm, temp_dir};
use std::path::Path;

const LITELLM: &str = r#"{"sample_spec": {"litellm_provider": "x"},
    "rocket-1": {"litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 2e-6,
                 "output_cost_per_token": 4e-6, "max_input_tokens": 32000}}"#;

/// Syncs the sample with `vars` set and no `--out`, then checks that a run with the same
/// variables knows the model; the directory the files went to.
fn sync_then_read(home: &Path, vars: &[(&str, &Path)]) {
    let input = home.join("litellm.json");
    std::fs::write(&input, LITELLM).unwrap();
    let run = |args: &[&str]| {
        let mut c = exllm(home);
        for (k, v) in vars {
            c.env(k, v);
        }
        c.args(args).output().unwrap()
    };
    let out = run(&["catalog", "sync", "--from", input.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&["catalog", "show", "acme/rocket-1", "--json"]);
    assert!(
        out.status.success(),
        "the synced model is not read back: {out:?}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["id"], "rocket-1");
    let out = run(&["cost", "-m", "acme/rocket-1", "--input", "1000", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 0.002, "{out:?}");
}

#[test]
fn sync_follows_exllm_catalog() {
    let home = temp_dir("catalog-env");
    let dir = home.join("my-catalog");
    sync_then_read(&home, &[("EXLLM_CATALOG", &dir)]);
    assert!(dir.join("acme.json").is_file());
    assert!(!home.join(".config").exists(), "wrote under HOME instead");
}

#[test]
fn sync_follows_xdg_config_home() {
    let home = temp_dir("catalog-xdg");
    let config = home.join("xdg-config");
    sync_then_read(&home, &[("XDG_CONFIG_HOME", &config)]);
    assert!(config.join("exllm/models/acme.json").is_file());
    assert!(!home.join(".config").exists(), "wrote under HOME instead");
}

#[test]
fn sync_refuses_a_catalog_file_as_its_directory() {
    let home = temp_dir("catalog-file");
    let file = home.join("mine.json");
    std::fs::write(&file, r#"{"provider": "acme", "models": []}"#).unwrap();
    let input = home.join("litellm.json");
    std::fs::write(&input, LITELLM).unwrap();
    let out = exllm(&home)
        .env("EXLLM_CATALOG", &file)
        .args(["catalog", "sync", "--from", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--out"),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        r#"{"provider": "acme", "models": []}"#
    );
}
