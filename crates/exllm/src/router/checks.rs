//! Pre-call checks: deployments that cannot serve this request are removed before any is
//! picked — a prompt larger than the model's window (counted with [`crate::tokens`]), tools,
//! images or a JSON schema sent to a model the catalog says lacks them. A model the catalog
//! does not know, or a flag it does not give, is tried.

use crate::catalog::ModelEntry;
use crate::types::{ChatRequest, Part, ResponseFormat};

/// Why a deployment was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unfit {
    /// The prompt (estimated tokens) does not fit the window.
    Window { prompt: u64, window: u64 },
    /// The model lacks a feature the request uses.
    Feature(&'static str),
}

impl Unfit {
    pub(crate) fn describe(&self, model: &str) -> String {
        match self {
            Unfit::Window { prompt, window } => format!(
                "{model}: a prompt of ~{prompt} tokens does not fit its {window}-token window"
            ),
            Unfit::Feature(f) => format!("{model}: the catalog says it does not support {f}"),
        }
    }
}

/// What a request uses, computed once per call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Needs {
    pub(crate) tools: bool,
    pub(crate) vision: bool,
    pub(crate) schema: bool,
}

impl Needs {
    pub(crate) fn of(req: &ChatRequest) -> Needs {
        let vision = req.messages.iter().any(|m| {
            m.content.iter().any(|p| match p {
                Part::Image { .. } => true,
                Part::ToolResult(r) => r.content.iter().any(|p| matches!(p, Part::Image { .. })),
                _ => false,
            })
        });
        Needs {
            tools: !req.tools.is_empty(),
            vision,
            schema: matches!(req.response_format, Some(ResponseFormat::JsonSchema { .. })),
        }
    }
}

/// Whether the model can serve a request that uses `needs` with a prompt of `prompt` tokens.
pub(crate) fn check(entry: Option<&ModelEntry>, needs: Needs, prompt: u64) -> Result<(), Unfit> {
    let Some(m) = entry else {
        return Ok(());
    };
    if let Some(window) = m.context_window {
        if prompt > window {
            return Err(Unfit::Window { prompt, window });
        }
    }
    for (used, flag, what) in [
        (needs.tools, "function_calling", "tools"),
        (needs.vision, "vision", "images"),
        (needs.schema, "response_schema", "JSON-schema output"),
    ] {
        if used && m.supports(flag) == Some(false) {
            return Err(Unfit::Feature(what));
        }
    }
    Ok(())
}
