use super::*;
use serde_json::json;

#[test]
fn binary_noise_is_rounded_away() {
    let noisy = 0.000032500000000000004;
    assert_eq!(amount(noisy), "0.0000325");
    assert_eq!(dollars(noisy), "$0.0000325");
    assert_eq!(amount(0.1 + 0.2), "0.3");
    assert_eq!(amount(15.0), "15");
    assert_eq!(amount(0.0), "0");
    // Sub-cent prices keep every digit they have.
    assert_eq!(amount(0.0000000375), "0.0000000375");
    assert_eq!(amount(1234.5678901), "1234.56789");
    assert!(round(f64::NAN).is_nan());
}

#[test]
fn json_rounds_fractions_and_keeps_integers() {
    let mut v = json!({"total": 0.000032500000000000004, "parts": [0.1 + 0.2],
        "tokens": 12345678901u64, "name": "x"});
    round_json(&mut v);
    assert_eq!(
        v.to_string(),
        r#"{"name":"x","parts":[0.3],"tokens":12345678901,"total":0.0000325}"#
    );
}
