use super::*;

fn outcome(model: &str, text: &str) -> Outcome {
    Outcome {
        model: model.into(),
        answer: Some(exllm::MockProvider::text_response(text)),
        ttft: vec![Duration::from_millis(5)],
        total: vec![Duration::from_millis(9)],
        ..Default::default()
    }
}

#[test]
fn median_of_odd_and_even_counts() {
    let d = |v: &[u64]| {
        v.iter()
            .map(|&m| Duration::from_millis(m))
            .collect::<Vec<_>>()
    };
    assert_eq!(median(&d(&[30, 10, 20])), Some(Duration::from_millis(20)));
    assert_eq!(
        median(&d(&[40, 10, 20, 30])),
        Some(Duration::from_millis(25))
    );
    assert_eq!(median(&[]), None);
}

#[test]
fn wrap_breaks_at_spaces_and_inside_long_words() {
    assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
    assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
    assert_eq!(wrap("one\ntwo", 10), vec!["one", "two"]);
    // Wide characters count two columns each.
    assert_eq!(wrap("日本語", 4), vec!["日本", "語"]);
}

#[test]
fn columns_side_by_side_when_wide_enough() {
    let o = vec![outcome("mock/a", "alpha answer"), outcome("mock/b", "beta")];
    let text = render(&o, Some(80));
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("mock/a"), "{text}");
    assert!(first.contains("│ mock/b"), "{text}");
    assert!(text
        .lines()
        .any(|l| l.contains("alpha answer") && l.contains("beta")));
    assert!(text.lines().all(|l| width_of(l) <= 80), "{text}");
    assert!(text.contains("first token 5 ms"), "{text}");
}

#[test]
fn one_after_another_when_narrow_or_not_a_terminal() {
    let o = vec![outcome("mock/a", "alpha"), outcome("mock/b", "beta")];
    for width in [None, Some(30)] {
        let text = render(&o, width);
        assert!(text.starts_with("== mock/a\nalpha\n"), "{text}");
        assert!(text.contains("\n== mock/b\nbeta\n"), "{text}");
    }
}

#[test]
fn errors_are_shown_under_their_model() {
    let mut bad = outcome("nope/x", "");
    bad.answer = None;
    bad.error = Some(Error::new(ErrorKind::Config, "unknown provider"));
    let text = render(&[outcome("mock/a", "fine"), bad], None);
    assert!(text.contains("error: unknown provider"), "{text}");
    let v = to_json(&[outcome("mock/a", "fine")], 1);
    assert_eq!(v["models"][0]["text"], "fine");
    assert_eq!(v["models"][0]["ttft_ms"], 5.0);
}
