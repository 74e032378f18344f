//! Helpers every decoder shares: lenient token counts, metadata that streams repeat in every
//! chunk (kept raw, parsed only when it changes), and the check that a stream reached its end.

use crate::error::{Error, ErrorKind, Result};
use serde_json::value::RawValue;
use serde_json::Value;

/// Parses one typed stream event. The typed parse is the fast path; an event it refuses —
/// an event type exllm does not model whose `delta` is an object, a field exllm does not use
/// in an unexpected shape — is read again as a JSON object and rebuilt by `lenient`, which
/// reads each field only if it has the expected shape (else it is absent). The decoder then
/// dispatches on the type as usual, so unknown types are skipped and known ones keep what
/// they use. Bytes that are not a JSON object are an error, and so is an event `lenient`
/// refuses (`None`: a field its type cannot do without is unreadable).
pub(crate) fn event<'a, T: serde::Deserialize<'a>>(
    data: &'a [u8],
    what: &str,
    lenient: impl FnOnce(&Value) -> Option<T>,
) -> Result<T> {
    match serde_json::from_slice::<T>(data) {
        Ok(ev) => Ok(ev),
        Err(typed) => match serde_json::from_slice::<Value>(data) {
            Ok(v) if v.is_object() => match lenient(&v) {
                Some(ev) => {
                    tracing::debug!(what, "stream event read leniently: {typed}");
                    Ok(ev)
                }
                None => Err(crate::provider::common::decode_error(what, data, typed)),
            },
            _ => Err(crate::provider::common::decode_error(what, data, typed)),
        },
    }
}

/// The string at `key`, if it is one.
pub(crate) fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The index at `key`, if it is a whole number that fits.
pub(crate) fn index_field(v: &Value, key: &str) -> Option<u32> {
    v.get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}

/// A raw JSON value as a [`Value`] (it was valid JSON when it was read).
pub(crate) fn parse_raw(raw: &RawValue) -> Option<Value> {
    serde_json::from_str(raw.get()).ok()
}

/// The latest value of a field a stream may repeat in every chunk (citations, safety
/// ratings, ...): the raw text last seen, and its parse, redone only when a chunk changes it.
#[derive(Debug, Default)]
pub(crate) struct Latest(Option<(String, Value)>);

impl Latest {
    /// Takes a chunk's value; absent or `null` leaves the last one. Returns the new value
    /// when it changed (for a decoder that reads something out of each new value).
    pub(crate) fn see(&mut self, raw: Option<&RawValue>) -> Option<&Value> {
        let raw = raw.filter(|r| r.get() != "null")?;
        if self.0.as_ref().is_some_and(|(seen, _)| seen == raw.get()) {
            return None;
        }
        let v = parse_raw(raw)?;
        self.0 = Some((raw.get().to_owned(), v));
        self.0.as_ref().map(|(_, v)| v)
    }

    /// The value, taken (for the end of a stream).
    pub(crate) fn take(&mut self) -> Option<Value> {
        self.0.take().map(|(_, v)| v)
    }
}

/// `Ok` when a stream reached its end (a finish reason, a done marker, ...), else a
/// [`ErrorKind::Truncated`] error saying what never came.
pub(crate) fn ended(complete: bool, missing: &'static str) -> Result<()> {
    if complete {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Truncated, missing))
    }
}

/// A token count read leniently: a whole number is `Some`, anything else (a float, a string,
/// `null`, an object) is unknown rather than an error, so an odd usage field never fails the
/// decoding of an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Count(pub Option<u64>);

impl<'de> serde::Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a token count")
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Count, E> {
                Ok(Count(Some(v)))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Count, E> {
                Ok(Count(u64::try_from(v).ok()))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_unit<E>(self) -> std::result::Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_none<E>(self) -> std::result::Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_some<D2: serde::Deserializer<'de>>(
                self,
                d: D2,
            ) -> std::result::Result<Count, D2::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Count, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Count(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Count, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Count(None))
            }
        }
        d.deserialize_any(V)
    }
}
