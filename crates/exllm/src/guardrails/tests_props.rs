//! Property tests of the guardrails: masking then restoring gives any text back, a stream
//! split anywhere gives the whole text's result, no blocked value shows in an error; and the
//! matches metric.

use super::scan::scan_whole;
use super::tests::{streamed, INPUT, OUTPUT};
use super::*;
use proptest::prelude::*;
use std::sync::Arc;

/// Words, PII and secrets joined by spaces or punctuation.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z]{1,8}",
        "[a-z]{1,6}@[a-z]{1,6}\\.(com|org|io)",
        Just("+44 20 7946 0958".to_owned()),
        Just("4111-1111-1111-1111".to_owned()),
        Just("GB82 WEST 1234 5698 7654 32".to_owned()),
        Just("123-45-6789".to_owned()),
        Just("10.0.0.1".to_owned()),
        Just("fe80::1ff:fe23:4567:890a".to_owned()),
        "[0-9]{1,12}",
        "[A-Za-z0-9]{10,40}",
        Just("é漢".to_owned()),
    ];
    prop::collection::vec(
        (
            piece,
            prop_oneof![Just(" "), Just(", "), Just("\n"), Just("")],
        ),
        0..14,
    )
    .prop_map(|v| v.into_iter().map(|(p, s)| p + s).collect())
}

fn all_rails(output: Action) -> Vec<Arc<dyn Guardrail>> {
    vec![
        Arc::new(
            Secrets::default()
                .with_input(Action::Mask)
                .with_output(output),
        ),
        Arc::new(Pii::default().with_output(output)),
    ]
}

proptest! {
    #[test]
    fn masking_then_restoring_gives_the_text_back(t in text()) {
        let r = all_rails(Action::Allow);
        let mut vault = Vault::new();
        let masked = scan_whole(&t, INPUT, &r, &mut vault).unwrap();
        let back = scan_whole(&masked, OUTPUT, &r, &mut vault).unwrap();
        prop_assert_eq!(back, t);
    }

    #[test]
    fn a_stream_split_anywhere_gives_the_whole_result(t in text(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6), window in 32usize..80) {
        let r = all_rails(Action::Mask);
        let mut vault = Vault::new();
        scan_whole("a@b.com z@y.io", INPUT, &r, &mut vault).unwrap();
        let t = format!("{t} <EMAIL_1> {t} <EMAIL_2>");
        let whole = scan_whole(&t, OUTPUT, &r, &mut vault.clone()).unwrap();
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(t.len() + 1)).filter(|&c| t.is_char_boundary(c)).collect();
        cuts.sort_unstable();
        let split = streamed(&t, &cuts, &r, &mut vault.clone(), window).unwrap();
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn blocked_values_never_show_in_errors(t in text()) {
        let r: Vec<Arc<dyn Guardrail>> = vec![Arc::new(Pii::default().with_input(Action::Block)), Arc::new(Secrets::default())];
        let found: Vec<String> = PiiKind::ALL.iter().flat_map(|k| k.find(&t).into_iter().map(|s| t[s].to_owned())).collect();
        if let Err(e) = scan_whole(&t, INPUT, &r, &mut Vault::new()) {
            let shown = format!("{e} {e:?}");
            for v in found {
                prop_assert!(!shown.contains(&v), "{} in {}", v, shown);
            }
        }
    }
}

#[test]
fn warn_and_mask_count_in_the_matches_metric() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    let rec = DebuggingRecorder::new();
    let snap = rec.snapshotter();
    let r: Vec<Arc<dyn Guardrail>> = vec![
        Arc::new(Pii::default().with_input(Action::Warn)),
        Arc::new(Secrets::default().with_input(Action::Mask)),
    ];
    let out = metrics::with_local_recorder(&rec, || {
        scan_whole(
            "a@b.io and AKIAIOSFODNN7EXAMPLE",
            INPUT,
            &r,
            &mut Vault::new(),
        )
        .unwrap()
    });
    assert_eq!(out, "a@b.io and <AWS_ACCESS_KEY_1>");
    let mut seen: Vec<(String, u64)> = snap
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, v)| match v {
            DebugValue::Counter(n) => {
                let k = key.key();
                let label = |name: &str| {
                    k.labels()
                        .find(|l| l.key() == name)
                        .map(|l| l.value().to_owned())
                        .unwrap_or_default()
                };
                Some((
                    format!("{}:{}:{}", k.name(), label("rule"), label("action")),
                    n,
                ))
            }
            _ => None,
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("exllm.guardrail.matches:aws_access_key:mask".to_owned(), 1),
            ("exllm.guardrail.matches:email:warn".to_owned(), 1),
        ]
    );
}
