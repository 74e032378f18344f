//! User catalog files: JSON and YAML, every accepted shape, odd values and error messages.

use super::*;

fn small() -> Catalog {
    let text = r#"{"provider": "openai", "models": [
        {"id": "gpt-x", "aliases": ["gpt-x-latest"], "mode": "chat",
         "prices": {"base": {"input": 1e-6, "output": 2e-6}}}
    ]}"#;
    Catalog::from_files([text]).unwrap()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("exllm-user-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn user_json_overrides_and_extends() {
    let mut c = small();
    c.apply_json(
        r#"{"provider": "openai", "models": [
            {"id": "gpt-x", "prices": {"base": {"input": 5e-7}}},
            {"id": "my-model", "context_window": 8192}
        ]}"#,
    )
    .unwrap();
    let m = c.model("openai/gpt-x").unwrap();
    assert_eq!(m.prices.base.input, Some(5e-7));
    assert_eq!(
        m.prices.base.output,
        Some(2e-6),
        "fields not given are kept"
    );
    let alias = c.model("openai/gpt-x-latest").unwrap();
    assert_eq!(alias.prices.base.input, Some(5e-7));
    let mine = c.model("openai/my-model").unwrap();
    assert_eq!(mine.context_window, Some(8192));
    assert!(c.apply_json(r#"[{"id": "no-provider"}]"#).is_err());
    assert!(c.apply_json("not json").is_err());
}

#[test]
fn user_litellm_format_is_accepted() {
    let mut c = small();
    c.apply_json(r#"{"groq/new": {"litellm_provider": "groq", "input_cost_per_token": 1e-7}}"#)
        .unwrap();
    assert_eq!(c.model("groq/new").unwrap().prices.base.input, Some(1e-7));
    c.apply_yaml("groq/newer:\n  litellm_provider: groq\n  output_cost_per_token: '2e-7'\n")
        .unwrap();
    assert_eq!(
        c.model("groq/newer").unwrap().prices.base.output,
        Some(2e-7)
    );
}

#[test]
fn yaml_overrides_an_embedded_price_and_adds_a_model() {
    let mut c = Catalog::embedded().clone();
    let before = c.model("openai/gpt-4o").unwrap().clone();
    let yaml = r#"
provider: openai
models:
  - id: gpt-4o
    prices:
      base:
        input_per_1m: 1.25
  - id: my-finetune
    aliases: ft
    mode: chat
    context_window: '32000'
    capabilities: {tools: true, vision: 'no'}
    prices: {base: {input: 2e-6, output: "4e-6"}}
"#;
    c.apply_yaml(yaml).unwrap();
    let m = c.model("openai/gpt-4o").unwrap();
    assert!((m.prices.base.input.unwrap() - 1.25e-6).abs() < 1e-15);
    assert_eq!(m.prices.base.output, before.prices.base.output);
    assert_eq!(m.context_window, before.context_window);
    let ft = c.model("openai/ft").unwrap();
    assert_eq!(ft.id, "my-finetune");
    assert_eq!(ft.context_window, Some(32_000));
    assert_eq!(ft.prices.base.output, Some(4e-6));
    assert_eq!(ft.supports("function_calling"), Some(true));
    assert_eq!(ft.supports("vision"), Some(false));
    assert_eq!(c.len(), Catalog::embedded().len() + 1);
}

#[test]
fn yaml_list_and_single_model_shapes() {
    let mut c = Catalog::default();
    c.apply_yaml("- {provider: ollama, id: 7b, mode: chat}\n- {provider: ollama, id: qwen3}\n")
        .unwrap();
    assert!(
        c.model("ollama/7b").is_some(),
        "a numeric-looking id stays a name"
    );
    c.apply_yaml("provider: vllm\nid: mine\nmax_output_tokens: 4096.0\n")
        .unwrap();
    assert_eq!(c.model("vllm/mine").unwrap().max_output_tokens, Some(4096));
    c.apply_yaml("- {provider: vllm, id: odd, aliases: [2, null, {a: b}]}")
        .unwrap();
    assert_eq!(c.model("vllm/2").unwrap().id, "odd");
    assert!(c.model("vllm/").is_none(), "empty aliases are dropped");
    c.apply_yaml("").unwrap();
    c.apply_yaml("provider: x\nmodels:\n").unwrap();
}

#[test]
fn bad_yaml_is_a_config_error_with_a_line() {
    let mut c = small();
    let e = c
        .apply_yaml("provider: openai\nmodels:\n  - id: a\n   bad: [\n")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("line"), "{e}");

    let text = "provider: openai\nmodels:\n  - id: ok\n  - id: odd\n    context_window: lots\n";
    let e = c.apply_yaml(text).unwrap_err();
    assert!(e.message().contains("line 4"), "{e}");
    assert!(e.message().contains("context_window"), "{e}");

    for odd in [
        "42",
        "provider: p\nmodels: 3",
        "[1, 2]",
        "- {id: x}",
        "provider: p\nmodels: [{id: x, prices: {base: {input: cheap}}}]",
        "provider: p\nmodels: [{id: x, prices: 5}]",
        "provider: p\nmodels: [{id: x, capabilities: {vision: 3}}]",
        "provider: p\nmodels: [{id: x, mode: [1]}]",
        "provider: p\nmodels: [{prices: {}}]",
        "!!binary aGVsbG8=",
        "a: &a [*a]",
    ] {
        let e = c.apply_yaml(odd).err();
        assert!(e.is_some_and(|e| e.kind() == ErrorKind::Config), "{odd}");
    }
}

#[test]
fn files_and_directories_are_applied_with_the_file_named() {
    let dir = temp_dir("dir");
    std::fs::write(
        dir.join("a.json"),
        r#"{"provider": "ollama", "models": [{"id": "llama-local", "mode": "chat"}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("b.yml"),
        "provider: ollama\nmodels:\n- id: from-yaml\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("c.yaml"),
        "- {provider: ollama, id: llama-local, mode: embedding}",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let mut c = Catalog::default();
    c.apply_path(&dir).unwrap();
    let m = c.model("ollama/llama-local").unwrap();
    assert_eq!(m.mode.as_deref(), Some("embedding"), "later files win");
    assert!(c.model("ollama/from-yaml").is_some());

    std::fs::write(dir.join("d.yml"), "models: [oops").unwrap();
    let e = c.apply_path(&dir).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(
        e.message().contains("d.yml") && e.message().contains("line"),
        "{e}"
    );
    let e = c.apply_path(&dir.join("missing.yml")).unwrap_err();
    assert!(e.message().contains("missing.yml"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
