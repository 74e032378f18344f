//! Refusing a request the model cannot take, before it is sent: tools to a model without
//! function calling, images to one without vision, PDFs to one without document input. Only
//! an explicit `false` in the catalog refuses; a model the catalog knows nothing of is tried.

use crate::catalog::ModelEntry;
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ChatRequest, Part};

/// Checks `req` against what the catalog says `model` supports.
pub(crate) fn check(model: &ModelEntry, req: &ChatRequest) -> Result<()> {
    let parts = || {
        req.messages.iter().flat_map(|m| {
            m.content.iter().flat_map(|p| match p {
                Part::ToolResult(r) => r.content.iter().collect::<Vec<_>>(),
                p => vec![p],
            })
        })
    };
    let uses = [
        (!req.tools.is_empty(), "function_calling", "tools"),
        (
            parts().any(|p| matches!(p, Part::Image { .. })),
            "vision",
            "images",
        ),
        (
            parts().any(
                |p| matches!(p, Part::File { media_type: Some(t), .. } if t == "application/pdf"),
            ),
            "pdf_input",
            "PDF documents",
        ),
    ];
    for (used, feature, what) in uses {
        if used && model.supports(feature) == Some(false) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "{} does not support {what} (the catalog says `supports_{feature}: false`); \
                     nothing was sent",
                    model.name()
                ),
            )
            .with_provider(model.provider.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, Tool};
    use std::collections::BTreeMap;

    fn model(flags: &[(&str, bool)]) -> ModelEntry {
        ModelEntry {
            provider: "p".into(),
            id: "m".into(),
            capabilities: flags
                .iter()
                .map(|(k, v)| (format!("supports_{k}"), *v))
                .collect::<BTreeMap<_, _>>(),
            ..Default::default()
        }
    }

    #[test]
    fn explicit_false_refuses_and_unknown_passes() {
        let with_tool = ChatRequest::new("p/m", vec![Message::user("hi")]).with_tool(Tool::new(
            "t",
            "d",
            serde_json::json!({"type": "object"}),
        ));
        let e = check(&model(&[("function_calling", false)]), &with_tool).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("tools"), "{}", e.message());
        assert!(check(&model(&[]), &with_tool).is_ok());
        assert!(check(&model(&[("function_calling", true)]), &with_tool).is_ok());

        let image = ChatRequest::new(
            "p/m",
            vec![Message::new(
                crate::types::Role::User,
                vec![Part::image_url("https://example.invalid/a.png")],
            )],
        );
        assert!(check(&model(&[("vision", false)]), &image).is_err());
        assert!(check(&model(&[("function_calling", false)]), &image).is_ok());
    }
}
