//! Detector cases the evaluation set (bench/guardrails) turned up: Maestro's 12-digit and
//! JCB's 15-digit cards, one kind per span (a phone number's groups are no SSN, an IBAN's
//! digits no card), placeholders and base64 prose that are not keys, letter-only keys.

use super::tests::INPUT;
use super::validate;
use super::*;

fn rules(rail: &dyn Guardrail, text: &str) -> Vec<(String, String)> {
    rail.scan(text, INPUT)
        .into_iter()
        .map(|f| (f.rule, text[f.span.unwrap()].to_owned()))
        .collect()
}

#[test]
fn maestro_and_jcb_numbers_are_cards_and_other_short_runs_are_not() {
    assert!(validate::card(b"676363589760")); // Maestro, 12 digits
    assert!(validate::card(b"213151798061184")); // JCB, 15 digits
    assert!(!validate::card(b"413151798061180")); // Luhn-valid 12 digits, not Maestro
    assert!(!validate::card(b"123456789015")); // 12 digits, no Maestro prefix
    let pii = Pii::default();
    assert_eq!(
        rules(&pii, "pay with 6763-1529-7173 now"),
        [("card".to_owned(), "6763-1529-7173".to_owned())]
    );
}

#[test]
fn each_span_has_one_kind() {
    let pii = Pii::default();
    assert_eq!(
        rules(&pii, "call 001 70 5927 9632 today"),
        [("phone".to_owned(), "001 70 5927 9632".to_owned())]
    );
    assert_eq!(
        rules(&pii, "IBAN GB60 RRVM 6102 0996 3700 15."),
        [("iban".to_owned(), "GB60 RRVM 6102 0996 3700 15".to_owned())]
    );
    assert_eq!(
        rules(&pii, "value=+4937161616387;"),
        [("phone".to_owned(), "+4937161616387".to_owned())]
    );
}

#[test]
fn placeholders_and_encoded_prose_are_not_keys_but_random_letters_are() {
    let s = Secrets::default();
    assert!(rules(&s, "key sk-xxxxxxxxxxxxxxxxxxxx here").is_empty());
    assert!(rules(&s, "id: SW50byBrbm93bGVkZ2UgYmVjYXVzZSBmZWFyIHRob3VnaC4=").is_empty());
    assert!(rules(&s, "getUserAccountSettingsByIdentifierNow").is_empty());
    assert_eq!(
        rules(&s, "token = 'QsQFZcfeHMdoPrzZQcDoZTarotPYglyi'")[0].0,
        "high_entropy"
    );
    assert_eq!(
        rules(&s, "\"sk_live_PemamrjkANNNo5hov53IYUer\"")[0].0,
        "stripe_key"
    );
    // Base64 of a credential (no spaces once decoded) is still one.
    assert_eq!(
        rules(&s, "Basic dXNlcjpodW50ZXIyLVN1cGVyU2VjcmV0S2V5OTk=").len(),
        1
    );
}
