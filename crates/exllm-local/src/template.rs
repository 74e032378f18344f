//! The chat template: the model's own Jinja template from `tokenizer.chat_template`, rendered
//! with `minijinja` the way Hugging Face renders it (trim_blocks, lstrip_blocks, Python string
//! methods via minijinja-contrib's pycompat, `raise_exception`, `add_generation_prompt`). A
//! model without a template gets ChatML. Tools, calls and results go in as [`crate::tools`]
//! says.

use crate::error::err;
use exllm::{ErrorKind, Message, Part, Result, Role, Tool};
use minijinja::{context, Environment, Error as JinjaError, ErrorKind as JinjaKind};
use serde::Serialize;

/// ChatML, for GGUF files that carry no template.
const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

#[derive(Serialize)]
struct TemplateMessage {
    role: &'static str,
    content: String,
    /// An assistant turn's calls, as Hugging Face templates read them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<serde_json::Value>,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System | Role::Developer => "system",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
        _ => "user",
    }
}

/// A message for a text-only model: text parts, tool results as text, an assistant's calls.
/// Other parts (images, files) are refused rather than silently dropped.
fn message(m: &Message) -> Result<TemplateMessage> {
    let mut content = String::new();
    let mut tool_calls = Vec::new();
    for p in &m.content {
        match p {
            Part::Text { text } => content.push_str(text),
            Part::ToolResult(r) => {
                if !content.is_empty() {
                    content.push('\n');
                }
                content.push_str(&r.text_content());
            }
            Part::ToolCall(c) => tool_calls.push(serde_json::json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            })),
            Part::Reasoning(_) | Part::CacheBreakpoint(_) => {}
            _ => {
                return Err(err(
                    ErrorKind::InvalidInput,
                    "local models take text only (images and files are not supported)",
                ))
            }
        }
    }
    Ok(TemplateMessage {
        role: role_name(m.role),
        content,
        tool_calls,
    })
}

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
    /// Whether the template renders `tools` itself.
    reads_tools: bool,
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
            reads_tools: source.is_some_and(|s| s.contains("tools")),
        })
    }

    /// Renders the conversation, ending with the assistant's turn opened.
    pub fn render(&self, messages: &[Message]) -> Result<String> {
        self.render_with_tools(messages, &[])
    }

    /// [`ChatTemplate::render`] offering `tools` (in the template's own way when it has one,
    /// else in a system message).
    pub fn render_with_tools(&self, messages: &[Message], tools: &[Tool]) -> Result<String> {
        let mut msgs = messages.iter().map(message).collect::<Result<Vec<_>>>()?;
        if !self.reads_tools {
            // The template would drop an assistant's calls: they go in its text, in the form
            // the model was asked to answer in.
            for m in msgs.iter_mut().filter(|m| !m.tool_calls.is_empty()) {
                let calls: Vec<serde_json::Value> = std::mem::take(&mut m.tool_calls)
                    .into_iter()
                    .map(|c| c["function"].clone())
                    .collect();
                if !m.content.is_empty() {
                    m.content.push('\n');
                }
                m.content.push_str(&format!(
                    "<tool_call>{}</tool_call>",
                    serde_json::Value::Array(calls)
                ));
            }
        }
        if !tools.is_empty() && !self.reads_tools {
            let offer = crate::tools::system_prompt(tools);
            match msgs.first_mut().filter(|m| m.role == "system") {
                Some(m) => m.content = format!("{}\n\n{offer}", m.content),
                None => msgs.insert(
                    0,
                    TemplateMessage {
                        role: "system",
                        content: offer,
                        tool_calls: Vec::new(),
                    },
                ),
            }
        }
        let tools =
            (!tools.is_empty() && self.reads_tools).then(|| crate::tools::template_tools(tools));
        let tmpl = self
            .env
            .get_template("chat")
            .map_err(|e| err(ErrorKind::Decode, format!("chat template: {e}")))?;
        tmpl.render(context! {
            messages => msgs,
            tools => tools,
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

    #[test]
    fn tools_calls_and_results_reach_a_template_that_reads_them() {
        // A small template in the Hugging Face style (Qwen's and Llama's read the same names).
        let src = "{% if tools %}TOOLS:{% for t in tools %}{{ t.function.name }}({{ t.function.parameters | tojson }});{% endfor %}\n{% endif %}{% for m in messages %}{{ m.role }}:{{ m.content }}{% for c in m.tool_calls %}<call {{ c.function.name }} {{ c.function.arguments | tojson }}>{% endfor %}\n{% endfor %}";
        let t = ChatTemplate::new(Some(src), None, None).unwrap();
        let tools = vec![Tool::new(
            "f",
            "does f",
            serde_json::json!({"type": "object"}),
        )];
        let call = exllm::ToolCall {
            id: "call_0".into(),
            name: "f".into(),
            arguments: serde_json::json!({"x": 1}),
            provider_meta: None,
        };
        let msgs = vec![
            Message::user("go"),
            Message::new(Role::Assistant, vec![Part::ToolCall(call)]),
            Message::tool_result(exllm::ToolResult::text("call_0", "42")),
        ];
        let s = t.render_with_tools(&msgs, &tools).unwrap();
        assert_eq!(
            s,
            // (trim_blocks drops the new line after each block tag)
            "TOOLS:f({\"type\":\"object\"});user:goassistant:<call f {\"x\":1}>tool:42"
        );
        // Without tools the template sees none.
        assert!(!t.render(&msgs[..1]).unwrap().contains("TOOLS"));
        // A template that does not read tools gets them in its system message.
        let chatml = ChatTemplate::new(None, None, None).unwrap();
        let s = chatml
            .render_with_tools(&[Message::system("S"), Message::user("go")], &tools)
            .unwrap();
        assert!(
            s.starts_with("<|im_start|>system\nS\n\nYou can call functions"),
            "{s}"
        );
        assert!(s.contains("\"name\":\"f\""), "{s}");
        // ... and a past call in the assistant's text, results one per line.
        let msgs = vec![
            Message::user("go"),
            Message::new(
                Role::Assistant,
                vec![Part::ToolCall(exllm::ToolCall {
                    id: "c".into(),
                    name: "f".into(),
                    arguments: serde_json::json!({"x": 1}),
                    provider_meta: None,
                })],
            ),
            Message::new(
                Role::Tool,
                vec![
                    Part::ToolResult(exllm::ToolResult::text("c", "1")),
                    Part::ToolResult(exllm::ToolResult::text("c", "2")),
                ],
            ),
        ];
        let s = chatml.render_with_tools(&msgs, &tools).unwrap();
        assert!(
            s.contains("<|im_start|>assistant\n<tool_call>[{\"arguments\":{\"x\":1},\"name\":\"f\"}]</tool_call><|im_end|>"),
            "{s}"
        );
        assert!(s.contains("<|im_start|>tool\n1\n2<|im_end|>"), "{s}");
    }
}
