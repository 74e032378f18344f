//! The admin API, at LiteLLM's paths so its users' scripts work: `/key/generate`,
//! `/key/list`, `/key/info`, `/key/regenerate`, `/key/delete`, and `/spend/logs`. Only the
//! master key may call it; a virtual key gets 403. The key itself appears in one answer
//! only, the one that made it.

use super::misc::error_response;
use super::Gateway;
use crate::budget::{authenticate, Caller, Governance};
use crate::keys::{new_id, new_key, now, KeyRecord, Limits, Period, PREFIX};
use crate::ledger::SpendQuery;
use crate::wire::openai::OpenAiChat;
use crate::wire::ApiError;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{header, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

fn fail(status: u16, kind: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        kind,
        message: message.into(),
        retry_after: None,
    }
}

fn internal(e: String) -> ApiError {
    tracing::error!("admin: {e}");
    fail(500, "api_error", e)
}

fn json_response(v: &Value) -> Response {
    let mut resp = Response::new(Body::from(serde_json::to_vec(v).unwrap_or_default()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn answer(r: Result<Value, ApiError>) -> Response {
    match r {
        Ok(v) => json_response(&v),
        Err(e) => error_response::<OpenAiChat>(&e),
    }
}

/// The governance, once the master key is checked.
fn admin(gw: &Gateway, headers: &HeaderMap) -> Result<Arc<Governance>, ApiError> {
    let gov = gw.governance().ok_or_else(|| {
        fail(
            404,
            "not_found_error",
            "virtual keys are off: set `[governance] db` in the config",
        )
    })?;
    let backends = gw.backends();
    if backends.master_key.is_none() {
        return Err(fail(
            403,
            "permission_error",
            "the admin API needs a master key in the config",
        ));
    }
    match authenticate(Some(&gov), &backends, headers)? {
        Caller::Master => Ok(gov),
        _ => Err(fail(
            403,
            "permission_error",
            "only the master key may use the admin API",
        )),
    }
}

/// `30d`, `12h`, `15m`, `90s` in seconds.
fn seconds(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(d) = t.strip_suffix('d') {
        return d.parse::<i64>().ok().map(|d| d * 86_400);
    }
    crate::config::parse_duration(t).map(|d| d.as_secs() as i64)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Generate {
    key_alias: Option<String>,
    team_id: Option<String>,
    models: Vec<String>,
    /// How long the key lives (`30d`, `12h`).
    duration: Option<String>,
    metadata: Option<Value>,
    /// LiteLLM's key guardrails (set names), kept as `metadata.guardrails`.
    guardrails: Option<Value>,
    max_budget: Option<f64>,
    budget_duration: Option<String>,
    rpm_limit: Option<u32>,
    tpm_limit: Option<u64>,
}

async fn view(k: &KeyRecord, gov: &Governance) -> Value {
    let mut v = serde_json::to_value(k).unwrap_or_default();
    match gov.spent(k).await {
        Some((spent, reserved)) => {
            v["spend"] = json!(spent);
            v["reserved"] = json!(reserved);
        }
        None => {
            // The shared state did not answer: no figure rather than this instance's share.
            v["spend"] = Value::Null;
            v["reserved"] = Value::Null;
        }
    }
    v
}

fn bad(message: impl Into<String>) -> ApiError {
    fail(400, "invalid_request_error", message)
}

/// `POST /key/generate`.
pub(crate) async fn generate(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answer(generate_inner(&gw, &headers, body).await)
}

async fn body_of<T: serde::de::DeserializeOwned + Default>(
    gw: &Gateway,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ApiError> {
    let bytes = super::read_body(body, headers, gw.limits().max_body_bytes).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("invalid request body: {e}")))
}

async fn generate_inner(gw: &Gateway, headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
    let gov = admin(gw, headers)?;
    let g: Generate = body_of(gw, headers, body).await?;
    let period = Period::parse(g.budget_duration.as_deref())
        .ok_or_else(|| bad("`budget_duration` must be 1d, 1mo or absent"))?;
    let t = now();
    let expires_at = match g.duration.as_deref() {
        None => None,
        Some(d) => Some(
            t + seconds(d).ok_or_else(|| bad(format!("`duration`: `{d}` is not a duration")))?,
        ),
    };
    if g.max_budget.is_some_and(|b| !b.is_finite() || b < 0.0) {
        return Err(bad("`max_budget` must be a number of USD, 0 or more"));
    }
    let (key, hint) = new_key().map_err(internal)?;
    let rec = KeyRecord {
        id: new_id().map_err(internal)?,
        hash: gov.hasher.hash(key.as_bytes()),
        hint,
        alias: g.key_alias,
        team: g.team_id,
        models: g.models,
        expires_at,
        metadata: crate::guard::with_key_guardrails(g.metadata, g.guardrails),
        limits: Limits {
            max_budget: g.max_budget,
            period,
            rpm: g.rpm_limit,
            tpm: g.tpm_limit,
        },
        created_at: t,
        ..KeyRecord::default()
    };
    gov.store.insert(&rec).map_err(internal)?;
    let mut v = view(&rec, &gov).await;
    v["key"] = json!(key);
    Ok(v)
}

/// The record a `key` field names: a key id or the key itself.
fn find(gov: &Governance, key: &str) -> Result<KeyRecord, ApiError> {
    let found = if key.starts_with(PREFIX) {
        gov.store.by_hash(&gov.hasher.hash(key.as_bytes()), now())
    } else {
        gov.store.get(key)
    };
    found
        .map_err(internal)?
        .ok_or_else(|| fail(404, "not_found_error", "no such key"))
}

/// `GET /key/list[?team_id=]`.
pub(crate) async fn list(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    uri: http::Uri,
) -> Response {
    let q = params(&uri);
    answer(
        async {
            let gov = admin(&gw, &headers)?;
            let keys = gov
                .store
                .list(q.get("team_id").map(String::as_str))
                .map_err(internal)?;
            let mut out = Vec::with_capacity(keys.len());
            for k in &keys {
                out.push(view(k, &gov).await);
            }
            Ok::<Value, ApiError>(json!({"keys": out, "total_count": keys.len()}))
        }
        .await,
    )
}

/// `GET /key/info?key=`.
pub(crate) async fn info(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    uri: http::Uri,
) -> Response {
    let q = params(&uri);
    answer(
        async {
            let gov = admin(&gw, &headers)?;
            let key = q.get("key").ok_or_else(|| bad("give `?key=` (a key id)"))?;
            let rec = find(&gov, key)?;
            let info = view(&rec, &gov).await;
            Ok::<Value, ApiError>(json!({"key": rec.id, "info": info}))
        }
        .await,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Regenerate {
    key: String,
    /// How long the old key keeps working (`1h`); none: revoked at once.
    grace_period: Option<String>,
}

/// `POST /key/regenerate`: a new key for the same record (budget, spend and limits stay).
pub(crate) async fn regenerate(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answer(
        async {
            let gov = admin(&gw, &headers)?;
            let r: Regenerate = body_of(&gw, &headers, body).await?;
            let rec = find(&gov, &r.key)?;
            let grace = match r.grace_period.as_deref() {
                None => None,
                Some(g) => Some(
                    now() + seconds(g).ok_or_else(|| bad("`grace_period` is not a duration"))?,
                ),
            };
            let (key, hint) = new_key().map_err(internal)?;
            let hash = gov.hasher.hash(key.as_bytes());
            if !gov
                .store
                .rotate(&rec.id, &hash, &hint, grace)
                .map_err(internal)?
            {
                return Err(fail(404, "not_found_error", "no such live key"));
            }
            gov.retired(&rec.hash, grace).await.map_err(internal)?;
            gov.forget();
            let rec = gov.store.get(&rec.id).map_err(internal)?.unwrap_or(rec);
            let mut v = view(&rec, &gov).await;
            v["key"] = json!(key);
            Ok::<Value, ApiError>(v)
        }
        .await,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Delete {
    keys: Vec<String>,
}

/// `POST /key/delete`: revokes (the record stays, for the ledger).
pub(crate) async fn delete(State(gw): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    answer(
        async {
            let gov = admin(&gw, &headers)?;
            let d: Delete = body_of(&gw, &headers, body).await?;
            let mut deleted = Vec::new();
            for k in &d.keys {
                let rec = find(&gov, k)?;
                if gov.store.revoke(&rec.id, now()).map_err(internal)? {
                    gov.revoked(&rec.id).await.map_err(internal)?;
                    deleted.push(rec.id);
                }
            }
            gov.forget();
            Ok::<Value, ApiError>(json!({"deleted_keys": deleted}))
        }
        .await,
    )
}

/// `GET /spend/logs?key=&team=&since=&by=&limit=`.
pub(crate) async fn spend(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    uri: http::Uri,
) -> Response {
    let p = params(&uri);
    answer(
        async {
            let gov = admin(&gw, &headers)?;
            let number = |k: &str| -> Result<Option<i64>, ApiError> {
                p.get(k)
                    .map(|v| {
                        v.parse()
                            .map_err(|_| bad(format!("`{k}` must be a number")))
                    })
                    .transpose()
            };
            let q = SpendQuery {
                key: p.get("key").cloned(),
                team: p.get("team").cloned(),
                since: number("since")?,
                by: p.get("by").cloned(),
                limit: number("limit")?.map(|n| n.clamp(0, i64::from(u32::MAX)) as u32),
            };
            let ledger = gov.ledger.clone();
            let report = tokio::task::spawn_blocking(move || {
                ledger.flush();
                ledger.report(&q)
            })
            .await
            .map_err(|e| internal(e.to_string()))?
            .map_err(bad)?;
            Ok::<Value, ApiError>(serde_json::to_value(report).unwrap_or_default())
        }
        .await,
    )
}

/// The query string's pairs, percent-decoded (`+` as a space).
fn params(uri: &http::Uri) -> HashMap<String, String> {
    let decode = |s: &str| {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = |c: u8| char::from(c).to_digit(16);
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}
