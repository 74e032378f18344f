//! JSON Schemas from Rust types (`schemars`) and checking values against them (`jsonschema`).
//! Schemas are generated self-contained (sub-schemas inlined where the type is not recursive)
//! because providers differ in how much of `$ref` they follow. Here, with the types, because
//! tools (`Tool::for_type`) and the client's tool loop use them as much as structured output.

use crate::error::{Error, ErrorKind, Result};
use schemars::{generate::SchemaSettings, JsonSchema};
use serde_json::Value;

/// The JSON Schema of `T`, as providers take it: no `$schema` key, sub-schemas inlined.
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// struct City { name: String, population: u64 }
/// let s = exllm::structured::schema_of::<City>();
/// assert_eq!(s["type"], "object");
/// assert!(s.get("$schema").is_none());
/// ```
pub fn schema_of<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let mut v = generator.into_root_schema_for::<T>().to_value();
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
    }
    v
}

/// Whether a schema satisfies OpenAI's strict mode: every object lists all its properties
/// as required and forbids others. Schemas that do not are sent without `strict`.
pub fn is_strict_compatible(schema: &Value) -> bool {
    match schema {
        Value::Object(o) => {
            if o.get("type").and_then(Value::as_str) == Some("object") {
                let props = o.get("properties").and_then(Value::as_object);
                let required = o.get("required").and_then(Value::as_array);
                let all_required = props.is_none_or(|p| {
                    p.keys()
                        .all(|k| required.is_some_and(|r| r.iter().any(|x| x.as_str() == Some(k))))
                });
                if !all_required || o.get("additionalProperties") != Some(&Value::Bool(false)) {
                    return false;
                }
            }
            o.values().all(is_strict_compatible)
        }
        Value::Array(items) => items.iter().all(is_strict_compatible),
        _ => true,
    }
}

/// A compiled schema that explains why a value does not match it.
#[derive(Debug, Clone)]
pub struct Validator(jsonschema::Validator);

impl Validator {
    /// Compiles `schema`; an invalid schema is an [`ErrorKind::InvalidInput`] error.
    pub fn new(schema: &Value) -> Result<Self> {
        jsonschema::validator_for(schema)
            .map(Validator)
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("the JSON Schema is not valid: {e}"),
                )
            })
    }

    /// `Ok` when `value` matches, else every violation on its own line (`/path: message`).
    pub fn check(&self, value: &Value) -> std::result::Result<(), String> {
        let problems: Vec<String> = self
            .0
            .iter_errors(value)
            .take(20)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "/".into() } else { at };
                format!("{at}: {e}")
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        v: u8,
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
        note: Option<String>,
    }

    #[test]
    fn schemas_are_self_contained() {
        let s = schema_of::<Outer>();
        assert_eq!(
            s["properties"]["inner"]["properties"]["v"]["type"],
            "integer"
        );
        assert!(!s.to_string().contains("$ref"));
        assert!(!is_strict_compatible(&s));
        let strict = json!({"type": "object", "properties": {"a": {"type": "string"}},
            "required": ["a"], "additionalProperties": false});
        assert!(is_strict_compatible(&strict));
    }

    #[test]
    fn violations_name_their_path() {
        let v = Validator::new(&schema_of::<Outer>()).unwrap();
        assert!(v.check(&json!({"name": "x", "inner": {"v": 3}})).is_ok());
        let err = v
            .check(&json!({"name": 5, "inner": {"v": 300}}))
            .unwrap_err();
        assert!(err.contains("/name"), "{err}");
        assert!(err.contains("/inner/v"), "{err}");
        assert!(Validator::new(&json!({"type": 12})).is_err());
    }
}
