//! `exllm models` lists every provider with the variable its key is read from: the hosted
//! providers with their own conventions among them, and at least 40 in all.

use crate::support::{exllm, temp_dir};

#[test]
fn models_lists_the_hosted_providers_and_their_key_variables() {
    let out = exllm(&temp_dir("providers-list"))
        .arg("models")
        .env_remove("DATABRICKS_TOKEN")
        .env_remove("WATSONX_APIKEY")
        .env_remove("AZURE_AI_API_KEY")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(rows.len() >= 40, "{} providers:\n{text}", rows.len());
    for (name, api, key) in [
        ("azure-ai", "openai-chat", "AZURE_AI_API_KEY"),
        ("databricks", "openai-chat", "DATABRICKS_TOKEN"),
        ("watsonx", "watsonx", "WATSONX_APIKEY"),
        ("sagemaker", "sagemaker", "not needed"),
        ("sagemaker-chat", "sagemaker-chat", "not needed"),
    ] {
        let row = rows
            .iter()
            .find(|r| r.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} row:\n{text}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[1], api, "{row}");
        assert!(row.contains(key), "{row}");
    }
}
