//! What the CLI prints: the one-object JSON form scripts and the conformance kit read, error
//! reports, the aligned tables listings share, and the provider tables of `exllm models`.

use exllm::catalog::providers::{all_provider_capabilities, ProviderCapabilities, Support};
use exllm::provider::registry::{ProviderSpec, PROVIDERS};
use exllm::{ChatResponse, Error, ErrorKind};
use serde_json::{json, Value};

/// The `--json` object: text, reasoning, tool calls, finish reason, usage and the cited sources
/// (`[]` when none), always present; the service tier and the other choices (`n` > 1) when
/// there are.
pub fn response_json(resp: &ChatResponse) -> Value {
    let calls: Vec<Value> = resp
        .tool_calls()
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name, "arguments": c.arguments}))
        .collect();
    let usage = resp.usage.as_ref().map(|u| {
        let mut v = json!({
            "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens,
            "cache_read_tokens": u.cache_read_tokens,
            "cache_write_tokens": u.cache_write_tokens,
            "reasoning_tokens": u.reasoning_tokens,
        });
        if !u.details.is_empty() {
            v["details"] = serde_json::to_value(u.details).unwrap_or(Value::Null);
        }
        v
    });
    let citations: Vec<Value> = resp
        .citations
        .iter()
        .map(|c| json!({"url": c.url, "title": c.title}))
        .collect();
    let mut v = json!({
        "text": resp.text(),
        "reasoning": resp.reasoning_text(),
        "tool_calls": calls,
        "finish_reason": resp.finish.as_ref().map(|f| f.kind.as_str()),
        "usage": usage,
        "citations": citations,
        "id": resp.id,
        "model": resp.model,
    });
    if let Some(raw) = resp.finish.as_ref().and_then(|f| f.raw.as_deref()) {
        v["finish_reason_raw"] = raw.into();
    }
    if let Some(t) = &resp.service_tier {
        v["service_tier"] = t.as_str().into();
    }
    if let Some(r) = &resp.route {
        v["route"] = r.to_value();
    }
    if !resp.alternatives.is_empty() {
        v["alternatives"] = resp
            .alternatives
            .iter()
            .map(|a| {
                let calls: Vec<Value> = a
                    .content
                    .iter()
                    .filter_map(|p| match p {
                        exllm::Part::ToolCall(c) => {
                            Some(json!({"id": c.id, "name": c.name, "arguments": c.arguments}))
                        }
                        _ => None,
                    })
                    .collect();
                json!({
                    "index": a.index,
                    "text": a.text(),
                    "tool_calls": calls,
                    "finish_reason": a.finish.as_ref().map(|f| f.kind.as_str()),
                })
            })
            .collect();
    }
    if let Some(e) = &resp.error {
        v["error"] = json!({"code": e.code, "message": e.message});
    }
    if !resp.warnings.is_empty() {
        v["warnings"] = resp
            .warnings
            .iter()
            .map(|w| Value::from(w.message.as_str()))
            .collect();
    }
    v
}

/// The error object printed with `--json`.
pub fn error_json(e: &Error) -> Value {
    json!({"error": {
        "status": e.status(),
        "message": e.message(),
        "kind": format!("{:?}", e.kind()),
        "code": e.code(),
        "provider": e.provider(),
        "request_id": e.request_id(),
    }})
}

/// The error an answer ended with, when the provider reported one inside a successful
/// response (an `error` event in a 200 stream, a failed Responses call): such an answer is
/// printed like any other but the command fails.
pub fn answer_error(resp: &ChatResponse) -> Option<String> {
    if let Some(e) = &resp.error {
        return Some(match &e.code {
            Some(code) => format!("{} ({code})", e.message),
            None => e.message.clone(),
        });
    }
    let finish = resp.finish.as_ref()?;
    (finish.kind == exllm::FinishKind::Error).then(|| match &finish.raw {
        Some(raw) => format!("the answer ended in an error ({raw})"),
        None => "the answer ended in an error".to_owned(),
    })
}

/// Exit code for an error.
pub fn exit_code(e: &Error) -> u8 {
    match e.kind() {
        ErrorKind::Config | ErrorKind::InvalidInput => crate::EXIT_CONFIG,
        _ => crate::EXIT_FAILURE,
    }
}

/// Reports an error: JSON on stdout with `--json`, always one line on stderr.
pub fn report(e: &Error, json: bool) -> u8 {
    if json {
        println!("{}", error_json(e));
    }
    eprintln!("exllm: {e}");
    exit_code(e)
}

/// Whether stderr gets ANSI colour: only on a terminal, and never with `NO_COLOR` set to
/// anything but the empty string (no-color.org).
pub fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints one line on stdout. A closed pipe (`exllm models | head`) ends the output quietly
/// instead of panicking as `println!` would.
pub fn emit(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Prints rows as aligned columns under a header; the last column is not padded, and a row
/// may have fewer cells than the header.
pub fn table(head: &[&str], rows: &[Vec<String>]) {
    use std::io::Write;
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        let mut cells = cells.peekable();
        let mut i = 0;
        while let Some(c) = cells.next() {
            out.push_str(c);
            if cells.peek().is_some() {
                let pad = widths.get(i).copied().unwrap_or(0) + 2;
                out.extend(std::iter::repeat_n(
                    ' ',
                    pad.saturating_sub(c.chars().count()),
                ));
            }
            i += 1;
        }
        out.truncate(out.trim_end().len());
        out
    };
    let mut stdout = std::io::stdout().lock();
    let all = std::iter::once(line(&mut head.iter().copied()))
        .chain(rows.iter().map(|r| line(&mut r.iter().map(String::as_str))));
    for text in all {
        if writeln!(stdout, "{text}").is_err() {
            return;
        }
    }
}

/// A price in USD per million tokens for a table cell (`-` when unknown), every digit kept.
pub fn price(usd_per_1m: Option<f64>) -> String {
    usd_per_1m.map_or_else(|| "-".into(), crate::money::amount)
}

/// `exllm models --providers`: what each registry provider offers.
pub fn print_providers(json: bool) {
    let all = all_provider_capabilities();
    let with = |p: &ProviderCapabilities, s: Support| {
        let kinds = p.endpoints.iter().filter(|(_, x)| *x == s);
        kinds.map(|(k, _)| k.as_str()).collect::<Vec<_>>()
    };
    if json {
        let v: Vec<Value> = all
            .iter()
            .map(|p| {
                json!({
                    "provider": p.name,
                    "apis": p.apis.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                    "endpoints": with(p, Support::Exllm),
                    "provider_only_endpoints": with(p, Support::Provider),
                    "auth": p.auth.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                    "streaming": p.streaming,
                    "stream_format": p.stream_format,
                    "live_models": p.live_models,
                    "catalog_models": p.catalog_models,
                    "priced_models": p.priced_models,
                    "cost_data": p.has_cost_data(),
                    "rate_limit_headers": p.rate_limit_headers,
                    "unsupported_settings": p.unsupported_settings,
                })
            })
            .collect();
        emit(Value::Array(v));
        return;
    }
    let head = [
        "PROVIDER",
        "EXLLM CALLS",
        "ALSO OFFERS",
        "LIVE",
        "PRICED",
        "RATE LIMITS",
        "AUTH",
    ];
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|p| {
            let limits = p.rate_limit_headers.first().map_or("-".into(), |h| {
                format!("{h} (+{})", p.rate_limit_headers.len() - 1)
            });
            let auth: Vec<String> = p.auth.iter().map(|a| a.to_string()).collect();
            vec![
                p.name.into(),
                with(p, Support::Exllm).join(","),
                with(p, Support::Provider).join(","),
                if p.live_models { "yes" } else { "no" }.into(),
                format!("{}/{}", p.priced_models, p.catalog_models),
                limits,
                auth.join("; "),
            ]
        })
        .collect();
    table(&head, &rows);
}

/// `exllm models`: the providers, their key variables and default models.
pub fn print_provider_keys(json: bool) {
    let key_set = |p: &ProviderSpec| {
        p.key_env
            .iter()
            .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
    };
    if json {
        let v: Vec<_> = PROVIDERS
            .iter()
            .map(|p| json!({"provider": p.name, "api": p.api.as_str(), "default_model": p.default_model, "key_env": p.key_env, "configured": key_set(p) || !p.key_required}))
            .collect();
        emit(Value::Array(v));
        return;
    }
    let mut rows: Vec<Vec<String>> = PROVIDERS
        .iter()
        .map(|p| {
            let key = match (p.key_env.first(), key_set(p)) {
                (Some(k), true) => format!("{k} (set)"),
                (Some(k), false) if p.key_required => format!("{k} (missing)"),
                _ => "not needed".to_owned(),
            };
            vec![
                p.name.into(),
                p.api.as_str().into(),
                key,
                p.default_model.into(),
            ]
        })
        .collect();
    let row = |a: &str, b: &str, c: &str, d: String| vec![a.into(), b.into(), c.into(), d];
    rows.push(row(
        "mock",
        "in-process",
        "not needed",
        "any model name (echo)".into(),
    ));
    if let Some(m) = crate::local::DEFAULT_MODEL {
        rows.push(row(
            "local",
            "in-process",
            "not needed",
            format!("{m} (no key: the fallback)"),
        ));
    }
    table(&["PROVIDER", "API", "KEY", "DEFAULT MODEL"], &rows);
}
