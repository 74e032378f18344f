//! Local sentence embeddings (all-MiniLM-L6-v2): unit vectors of 384 dimensions, cat/kitten
//! closer than cat/revenue, and equal within 1e-4 to the vectors sentence-transformers gives
//! (made once from the same PyPI package; data/minilm_reference.json).

use crate::common;

use exllm_local::cosine;

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn embeddings_match_sentence_transformers() {
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::data("minilm_reference.json")).unwrap(),
    )
    .unwrap();
    let texts: Vec<String> = reference["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    let got = match common::provider().embed(common::EMBED, texts).await {
        Ok(v) => v,
        Err(e) => {
            common::skip_or_fail(&format!("cannot obtain {} weights: {e}", common::EMBED));
            return;
        }
    };
    assert_eq!(got.len(), 3);
    for (row, want) in got.iter().zip(reference["vectors"].as_array().unwrap()) {
        assert_eq!(row.len(), 384);
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
        for (a, b) in row.iter().zip(want.as_array().unwrap()) {
            let b = b.as_f64().unwrap() as f32;
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }
    let (cat, kitten, revenue) = (&got[0], &got[1], &got[2]);
    assert!(cosine(cat, kitten) > cosine(cat, revenue) + 0.3);
}
