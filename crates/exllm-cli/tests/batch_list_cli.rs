//! `exllm batch list --provider P`: the provider's listing followed page by page up to
//! `--limit`, against a scripted server on 127.0.0.1.

use crate::batch_cli::{dir, exllm, json, serve};

fn job(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","object":"batch","status":"completed","created_at":1711471533,"request_counts":{{"total":2,"completed":2,"failed":0}}}}"#
    )
}

#[test]
fn batch_list_follows_the_pages_up_to_its_limit() {
    let d = dir("list-pages");
    let (url, seen) = serve(vec![
        format!(
            r#"{{"object":"list","data":[{},{}],"last_id":"b2","has_more":true}}"#,
            job("b1"),
            job("b2")
        ),
        format!(
            r#"{{"object":"list","data":[{}],"last_id":"b3","has_more":true}}"#,
            job("b3")
        ),
    ]);
    let v = json(&exllm(
        &d,
        &[
            "batch",
            "list",
            "-p",
            "openai",
            "--base-url",
            &url,
            "--limit",
            "3",
            "--json",
        ],
    ));
    let ids: Vec<&str> = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b1", "b2", "b3"]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0].0.starts_with("get /v1/batches?limit=3 "),
        "{}",
        seen[0].0
    );
    assert!(
        seen[1].0.starts_with("get /v1/batches?limit=1&after=b2 "),
        "{}",
        seen[1].0
    );
}
