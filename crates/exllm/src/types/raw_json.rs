//! A provider's JSON kept as the text it sent.
//!
//! Usage objects come back on every call, and building a `serde_json::Value` tree for one (a
//! map and a string per key) costs more than decoding the rest of a typical answer. The text
//! is kept instead, exactly as sent, and parsed only when someone asks for it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// One JSON value, kept as its text; [`RawJson::value`] parses it.
///
/// ```
/// let raw = exllm::RawJson::from(serde_json::json!({"prompt_tokens": 3}));
/// assert_eq!(raw.get(), r#"{"prompt_tokens":3}"#);
/// assert_eq!(raw.value()["prompt_tokens"], 3);
/// ```
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Keeps a copy of raw JSON text borrowed from a response body.
    pub fn from_raw(raw: &RawValue) -> Self {
        RawJson(raw.to_owned())
    }

    /// The JSON text, as the provider sent it.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The JSON as a [`Value`] (parsed at each call).
    pub fn value(&self) -> Value {
        // The text was valid JSON when it was kept, so parsing cannot fail; `Null` covers
        // what cannot happen rather than panicking.
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// Reads the JSON into any type.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.0.get())
    }
}

impl From<Value> for RawJson {
    fn from(v: Value) -> Self {
        RawJson::from(&v)
    }
}

impl From<&Value> for RawJson {
    fn from(v: &Value) -> Self {
        // `Value`'s text is always valid JSON, so this is `Ok`; the fallback is `null`.
        let text = v.to_string();
        RawJson(RawValue::from_string(text).unwrap_or_else(|_| null()))
    }
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("null is JSON")
}

impl PartialEq for RawJson {
    /// Equal when the texts are, or when they are the same JSON written differently.
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get() || self.value() == other.value()
    }
}

impl PartialEq<Value> for RawJson {
    fn eq(&self, other: &Value) -> bool {
        self.value() == *other
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

/// Serialised as the JSON value itself (in any format, not only JSON).
impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(RawJson::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_text_and_round_trips_through_serde() {
        let body = r#"{"usage": {"a": 1,  "b": [true]}}"#;
        #[derive(Deserialize)]
        struct B<'a> {
            #[serde(borrow)]
            usage: &'a RawValue,
        }
        let b: B = serde_json::from_str(body).unwrap();
        let raw = RawJson::from_raw(b.usage);
        assert_eq!(raw.get(), r#"{"a": 1,  "b": [true]}"#);
        assert_eq!(raw, RawJson::from(json!({"a": 1, "b": [true]})));
        assert_eq!(raw, json!({"a": 1, "b": [true]}));
        let text = serde_json::to_string(&raw).unwrap();
        assert_eq!(text, r#"{"a":1,"b":[true]}"#);
        let back: RawJson = serde_json::from_str(&text).unwrap();
        assert_eq!(back, raw);
        let via_value: RawJson = serde_json::from_value(json!([1, 2])).unwrap();
        assert_eq!(via_value.get(), "[1,2]");
        assert_ne!(raw, via_value);
        assert_eq!(format!("{raw:?}"), raw.get());
    }
}
