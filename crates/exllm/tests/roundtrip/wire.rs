//! A canonical answer (text, tool calls, usage, finish) written as each API's response JSON
//! decodes to the same answer.

use super::*;

/// What every wire format can carry: visible text, the caller's tool calls, token counts.
#[derive(Debug, Clone)]
struct Answer {
    text: String,
    calls: Vec<(String, String, Map<String, Value>)>,
    input: u64,
    output: u64,
}

fn answer() -> impl Strategy<Value = Answer> {
    (
        text(),
        vec(("call_[a-zA-Z0-9]{1,10}", ident(), json_object()), 0..3),
        0u64..100_000,
        0u64..100_000,
    )
        .prop_map(|(text, calls, input, output)| Answer {
            text,
            calls,
            input,
            output,
        })
}

impl Answer {
    fn args_text(args: &Map<String, Value>) -> String {
        Value::Object(args.clone()).to_string()
    }

    fn wire(&self, api: Api) -> Value {
        let has_calls = !self.calls.is_empty();
        match api {
            Api::OpenAiChat | Api::Watsonx | Api::SageMakerChat => {
                let calls: Vec<Value> = self
                    .calls
                    .iter()
                    .map(|(id, name, args)| {
                        json!({"id": id, "type": "function",
                               "function": {"name": name, "arguments": Self::args_text(args)}})
                    })
                    .collect();
                let mut message = json!({"role": "assistant", "content": self.text});
                if has_calls {
                    message["tool_calls"] = calls.into();
                }
                json!({
                    "id": "chatcmpl-rt", "object": "chat.completion", "model": "m",
                    "choices": [{"index": 0, "message": message,
                                 "finish_reason": if has_calls { "tool_calls" } else { "stop" }}],
                    "usage": {"prompt_tokens": self.input, "completion_tokens": self.output,
                              "total_tokens": self.input + self.output}
                })
            }
            Api::OpenAiResponses => {
                let mut output = vec![json!({
                    "type": "message", "id": "msg_rt", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": self.text, "annotations": []}]
                })];
                output.extend(self.calls.iter().enumerate().map(|(i, (id, name, args))| {
                    json!({"type": "function_call", "id": format!("fc_{i}"), "call_id": id,
                           "name": name, "arguments": Self::args_text(args),
                           "status": "completed"})
                }));
                json!({
                    "id": "resp_rt", "object": "response", "status": "completed", "model": "m",
                    "output": output,
                    "usage": {"input_tokens": self.input, "output_tokens": self.output,
                              "total_tokens": self.input + self.output}
                })
            }
            Api::Anthropic => {
                let mut content = vec![json!({"type": "text", "text": self.text})];
                content.extend(self.calls.iter().map(|(id, name, args)| {
                    json!({"type": "tool_use", "id": id, "name": name, "input": args})
                }));
                json!({
                    "id": "msg_rt", "type": "message", "role": "assistant", "model": "m",
                    "content": content,
                    "stop_reason": if has_calls { "tool_use" } else { "end_turn" },
                    "stop_sequence": null,
                    "usage": {"input_tokens": self.input, "output_tokens": self.output}
                })
            }
            Api::Gemini => {
                let mut parts = vec![json!({"text": self.text})];
                parts.extend(
                    self.calls.iter().map(
                        |(_, name, args)| json!({"functionCall": {"name": name, "args": args}}),
                    ),
                );
                json!({
                    "candidates": [{"content": {"role": "model", "parts": parts},
                                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": self.input,
                                      "candidatesTokenCount": self.output,
                                      "totalTokenCount": self.input + self.output},
                    "modelVersion": "m", "responseId": "rt"
                })
            }
            Api::Cohere => {
                let mut message = json!({
                    "role": "assistant",
                    "content": [{"type": "text", "text": self.text}]
                });
                if has_calls {
                    let calls: Vec<Value> = self
                        .calls
                        .iter()
                        .map(|(id, name, args)| {
                            json!({"id": id, "type": "function",
                                   "function": {"name": name,
                                                "arguments": Self::args_text(args)}})
                        })
                        .collect();
                    message["tool_calls"] = calls.into();
                }
                json!({
                    "id": "co-rt", "message": message,
                    "finish_reason": if has_calls { "TOOL_CALL" } else { "COMPLETE" },
                    "usage": {"tokens": {"input_tokens": self.input,
                                         "output_tokens": self.output}}
                })
            }
            Api::Ollama => {
                let mut message = json!({"role": "assistant", "content": self.text});
                if has_calls {
                    let calls: Vec<Value> = self
                        .calls
                        .iter()
                        .map(|(_, name, args)| json!({"function": {"name": name, "arguments": args}}))
                        .collect();
                    message["tool_calls"] = calls.into();
                }
                json!({
                    "model": "m", "created_at": "2025-01-01T00:00:00Z", "message": message,
                    "done": true, "done_reason": "stop",
                    "prompt_eval_count": self.input, "eval_count": self.output
                })
            }
            Api::Bedrock => {
                let mut content = vec![json!({"text": self.text})];
                content.extend(self.calls.iter().map(|(id, name, args)| {
                    json!({"toolUse": {"toolUseId": id, "name": name, "input": args}})
                }));
                json!({
                    "output": {"message": {"role": "assistant", "content": content}},
                    "stopReason": if has_calls { "tool_use" } else { "end_turn" },
                    "usage": {"inputTokens": self.input, "outputTokens": self.output,
                              "totalTokens": self.input + self.output}
                })
            }
            // Replicate predictions carry text only: answers with tool calls skip it.
            Api::Replicate => json!({
                "id": "rt", "model": "m", "status": "succeeded", "output": [self.text],
                "error": null,
                "metrics": {"input_token_count": self.input, "output_token_count": self.output}
            }),
            other => panic!("no answer shape for {other}"),
        }
    }

    /// Whether the API carries the caller's call ids (Gemini and Ollama send none).
    fn keeps_ids(api: Api) -> bool {
        !matches!(api, Api::Gemini | Api::Ollama)
    }

    fn check(&self, api: Api, resp: &ChatResponse) -> Result<(), TestCaseError> {
        prop_assert_eq!(resp.text(), self.text.clone(), "{} text", api);
        let calls = resp.tool_calls();
        prop_assert_eq!(calls.len(), self.calls.len(), "{} tool calls", api);
        for (got, (id, name, args)) in calls.iter().zip(&self.calls) {
            prop_assert_eq!(&got.name, name, "{} tool name", api);
            prop_assert_eq!(&got.arguments, &Value::Object(args.clone()), "{} args", api);
            if Self::keeps_ids(api) {
                prop_assert_eq!(&got.id, id, "{} call id", api);
            } else {
                prop_assert!(!got.id.is_empty(), "{} made-up call id", api);
            }
        }
        let usage = resp.usage.as_ref();
        prop_assert_eq!(
            usage.and_then(|u| u.input_tokens),
            Some(self.input),
            "{} in",
            api
        );
        prop_assert_eq!(
            usage.and_then(|u| u.output_tokens),
            Some(self.output),
            "{} out",
            api
        );
        let want = if self.calls.is_empty() {
            FinishKind::Stop
        } else {
            FinishKind::ToolCalls
        };
        prop_assert_eq!(resp.finish_kind(), Some(want), "{} finish", api);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn an_answer_in_each_wire_format_decodes_to_itself(answer in answer()) {
        for api in Api::ALL {
            if api == Api::Replicate && !answer.calls.is_empty() {
                continue;
            }
            // TGI / LMI answers carry neither tool calls nor prompt token counts.
            if api == Api::SageMaker {
                continue;
            }
            let body = serde_json::to_vec(&answer.wire(api)).unwrap();
            let resp = api.codec().decode(&body);
            prop_assert!(resp.is_ok(), "{} does not decode: {:?}", api, resp.err());
            answer.check(api, &resp.unwrap())?;
        }
    }
}
