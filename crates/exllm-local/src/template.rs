//! The chat template: the model's own Jinja template from `tokenizer.chat_template`, rendered
//! with `minijinja` the way Hugging Face renders it (trim_blocks, lstrip_blocks, Python string
//! methods via minijinja-contrib's pycompat, `raise_exception`, `add_generation_prompt`). A
//! model without a template gets ChatML.

use crate::error::err;
use exllm::{ErrorKind, Message, Part, Result, Role};
use minijinja::{context, Environment, Error as JinjaError, ErrorKind as JinjaKind};
use serde::Serialize;

/// ChatML, for GGUF files that carry no template.
const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

#[derive(Serialize)]
struct TemplateMessage {
    role: &'static str,
    content: String,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System | Role::Developer => "system",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
        _ => "user",
    }
}

/// The text of a message for a text-only model: text parts, tool results as text. Other parts
/// (images, files) are refused rather than silently dropped.
fn message_text(m: &Message) -> Result<String> {
    let mut out = String::new();
    for p in &m.content {
        match p {
            Part::Text { text } => out.push_str(text),
            Part::ToolResult(r) => out.push_str(&r.text_content()),
            Part::Reasoning(_) | Part::CacheBreakpoint(_) => {}
            _ => {
                return Err(err(
                    ErrorKind::InvalidInput,
                    "local models take text only (images, files and tool calls are not supported)",
                ))
            }
        }
    }
    Ok(out)
}

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

impl ChatTemplate {
    /// Compiles `source` (the GGUF's template, or ChatML when `None`).
    pub fn new(source: Option<&str>, bos: Option<&str>, eos: Option<&str>) -> Result<Self> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |msg: String| -> std::result::Result<String, JinjaError> {
                Err(JinjaError::new(JinjaKind::InvalidOperation, msg))
            },
        );
        env.add_function("strftime_now", |_fmt: String| -> String { String::new() });
        env.add_template_owned("chat", source.unwrap_or(CHATML).to_owned())
            .map_err(|e| {
                err(
                    ErrorKind::Decode,
                    format!("the model's chat template does not compile: {e}"),
                )
            })?;
        Ok(ChatTemplate {
            env,
            bos: bos.unwrap_or_default().to_owned(),
            eos: eos.unwrap_or_default().to_owned(),
        })
    }

    /// Renders the conversation, ending with the assistant's turn opened.
    pub fn render(&self, messages: &[Message]) -> Result<String> {
        let msgs = messages
            .iter()
            .map(|m| {
                Ok(TemplateMessage {
                    role: role_name(m.role),
                    content: message_text(m)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let tmpl = self
            .env
            .get_template("chat")
            .map_err(|e| err(ErrorKind::Decode, format!("chat template: {e}")))?;
        tmpl.render(context! {
            messages => msgs,
            add_generation_prompt => true,
            bos_token => self.bos,
            eos_token => self.eos,
        })
        .map_err(|e| {
            err(
                ErrorKind::InvalidInput,
                format!("the chat template rejected the conversation: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_renders_with_generation_prompt() {
        let t = ChatTemplate::new(None, None, None).unwrap();
        let s = t
            .render(&[Message::system("S"), Message::user("Hi")])
            .unwrap();
        assert_eq!(s, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    }

    #[test]
    fn raise_exception_is_an_error() {
        let t =
            ChatTemplate::new(Some("{{ raise_exception('no system role') }}"), None, None).unwrap();
        let e = t.render(&[Message::user("x")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("no system role"));
    }

    #[test]
    fn python_string_methods_work() {
        let t = ChatTemplate::new(
            Some("{% for m in messages %}{{ m['content'].strip() }}{% endfor %}"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(t.render(&[Message::user("  x  ")]).unwrap(), "x");
    }
}
