//! The tokenizer built from the GGUF vocabulary gives the same ids as an independent tokenizer
//! (transformers' GGUF loader, run once; ids committed in data/smollm2_tokenizer_ids.json) for a
//! hard string: chat tags, digits, accents, emoji, CJK, tabs, newlines, runs of spaces.

use crate::common;

use exllm_local::ChatTokenizer;

#[test]
fn ids_equal_the_reference() {
    let Some(path) = common::chat_model_path() else {
        return;
    };
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::data("smollm2_tokenizer_ids.json")).unwrap(),
    )
    .unwrap();
    let text = reference["text"].as_str().unwrap();
    let want: Vec<u32> = reference["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let tk = ChatTokenizer::from_gguf_file(&path).unwrap();
    let got = tk.encode(text).unwrap();
    assert_eq!(got, want);
    // Decoding round-trips once the special tokens are kept.
    assert_eq!(tk.inner.decode(&got, false).unwrap(), text);
}
