//! Discovery and recommendation over a small hand-made catalog and the embedded one.

use super::*;
use crate::catalog::Requirements;

fn small() -> Catalog {
    let text = r#"{"provider": "p", "models": [
        {"id": "cheap", "mode": "chat", "context_window": 8000,
         "prices": {"base": {"input": 1e-7, "output": 2e-7}},
         "capabilities": {"supports_function_calling": true, "supports_vision": false}},
        {"id": "big", "mode": "chat", "context_window": 200000,
         "prices": {"base": {"input": 3e-6, "output": 1.5e-5}},
         "capabilities": {"supports_function_calling": true, "supports_vision": true,
                          "supports_response_schema": true}},
        {"id": "same-price-more-context", "mode": "chat", "context_window": 32000,
         "prices": {"base": {"input": 1e-7, "output": 2e-7}}},
        {"id": "unpriced", "mode": "chat", "context_window": 1000000,
         "capabilities": {"supports_vision": true}},
        {"id": "embed", "mode": "embedding", "prices": {"base": {"input": 2e-8}}}
    ]}"#;
    Catalog::from_files([text]).unwrap()
}

fn ids<'a>(models: impl IntoIterator<Item = &'a ModelEntry>) -> Vec<&'a str> {
    models.into_iter().map(|m| m.id.as_str()).collect()
}

#[test]
fn feature_names_and_aliases() {
    assert_eq!(feature_key("tools"), "supports_function_calling");
    assert_eq!(feature_key("JSON-Schema"), "supports_response_schema");
    assert_eq!(feature_key("structured_output"), "supports_response_schema");
    assert_eq!(feature_key("vision"), "supports_vision");
    assert_eq!(feature_key("supports_pdf_input"), "supports_pdf_input");
    assert_eq!(feature_name("supports_vision"), "vision");
}

#[test]
fn info_and_supports() {
    let c = small();
    let info = c.model_info("p/big").unwrap();
    assert_eq!(info.input_per_1m, Some(3.0));
    assert!(info.features.contains(&"vision".to_owned()));
    assert_eq!(
        c.model_info("cheap").unwrap().name,
        "p/cheap",
        "bare ids resolve"
    );
    assert_eq!(c.model_supports("p/big", "tools"), Some(true));
    assert_eq!(c.model_supports("p/cheap", "vision"), Some(false));
    assert_eq!(
        c.model_supports("p/cheap", "pdf"),
        None,
        "unstated is unknown"
    );
    assert_eq!(c.model_supports("nowhere/x", "vision"), None);
}

#[test]
fn find_models_applies_every_condition() {
    let c = small();
    let f = Filter::default().with_feature("vision");
    assert_eq!(ids(c.find_models(&f)), ["big", "unpriced"]);
    let f = Filter::default().with_mode("chat").with_max_input_cost(1.0);
    assert_eq!(ids(c.find_models(&f)), ["cheap", "same-price-more-context"]);
    let f = Filter::default().with_min_context(100_000);
    assert_eq!(ids(c.find_models(&f)), ["big", "unpriced"]);
    let f = Filter::default()
        .with_max_output_cost(0.5)
        .with_feature("tools");
    assert_eq!(ids(c.find_models(&f)), ["cheap"]);
    let f = Filter::default().with_mode("embeddings");
    assert_eq!(ids(c.find_models(&f)), ["embed"]);
    assert!(c
        .find_models(&Filter::default().with_provider("q"))
        .is_empty());
    assert_eq!(ids(c.models_by_capability("json_schema")), ["big"]);
}

#[test]
fn compare_side_by_side() {
    let c = small();
    let cmp = c.compare_models(&["p/cheap", "p/big", "p/none"]);
    assert_eq!(cmp.models.len(), 2);
    assert_eq!(cmp.missing, ["p/none"]);
    assert_eq!(cmp.cheapest, Some(0));
    assert_eq!(cmp.largest_context, Some(1));
    let vision = cmp.features.iter().find(|(f, _)| f == "vision").unwrap();
    assert_eq!(vision.1, [Some(false), Some(true)]);
    let schema = cmp
        .features
        .iter()
        .find(|(f, _)| f == "response_schema")
        .unwrap();
    assert_eq!(schema.1, [None, Some(true)]);
}

#[test]
fn recommendations_rank_by_cost_then_context() {
    let c = small();
    let recs = c.recommend_models(&Requirements::chat());
    let order: Vec<&str> = recs.iter().map(|r| r.model.id.as_str()).collect();
    assert_eq!(
        order,
        ["same-price-more-context", "cheap", "big", "unpriced"]
    );
    assert!(
        recs[0].reasons[0].contains("cheapest"),
        "{:?}",
        recs[0].reasons
    );
    let recs = c.recommend_models(
        &Requirements::chat()
            .with_feature("vision")
            .with_max_cost(10.0),
    );
    assert_eq!(recs.len(), 1);
    assert!(recs[0].reasons.iter().any(|r| r.contains("vision")));
    let recs = c.recommend_models(&Requirements::default().with_limit(1));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].model.id, "same-price-more-context");
    let recs = c.recommend_models(&Requirements::default().with_provider("p"));
    let tail: Vec<&str> = recs[3..].iter().map(|r| r.model.id.as_str()).collect();
    assert_eq!(
        tail,
        ["unpriced", "embed"],
        "unknown prices last, larger context first"
    );
}

#[test]
fn embedded_catalog_answers() {
    let c = Catalog::embedded();
    assert_eq!(c.model_supports("openai/gpt-4o", "vision"), Some(true));
    let f = Filter::default()
        .with_feature("tools")
        .with_provider("anthropic")
        .with_min_context(100_000);
    let found = c.find_models(&f);
    assert!(!found.is_empty());
    assert!(found.iter().all(|m| m.provider == "anthropic"));
    let recs = c.recommend_models(&Requirements::chat().with_feature("vision").with_limit(5));
    assert_eq!(recs.len(), 5);
    let costs: Vec<f64> = recs.iter().filter_map(|r| r.blended_per_1m).collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
}
