#!/usr/bin/env python3
"""Writes the seed corpus of exllm's fuzz targets into fuzz/corpus/<target>/.

The samples are small, hand-written wire bodies shaped like what each provider sends, plus
truncated and malformed variants. Each file is named `<entry>--<what>`, where `<entry>` is the
decoder its selector byte picks in fuzz/dispatch.rs; the replay test
(crates/exllm/tests/fuzz_corpus.rs) checks the names against the tables there, so a change of
table order shows up as a failing test rather than as silently retargeted seeds.

    python3 fuzz/seeds.py        # rewrites the seed files (inputs the fuzzer saved stay)
"""

import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# The tables of fuzz/dispatch.rs, in order: `exllm::Api::ALL`, FRAMINGS and AuxOp::ALL.
APIS = ["openai-chat", "openai-responses", "anthropic", "gemini", "cohere", "ollama", "bedrock"]
FRAMINGS = ["sse", "ndjson", "aws"]
AUX_OPS = ["models", "next_page", "embed", "rerank"]
STATUSES = [400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529, 599]


def j(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def sse(events):
    """An SSE body from (event name or None, payload) pairs."""
    out = []
    for name, data in events:
        if name:
            out.append(f"event: {name}\n")
        payload = data if isinstance(data, str) else j(data)
        out.append(f"data: {payload}\n\n")
    return "".join(out).encode()


def ndjson(values):
    return "".join(j(v) + "\n" for v in values).encode()


def aws_message(headers, payload):
    """One AWS event-stream message with string headers (type 7)."""
    hb = b""
    for name, value in headers:
        n, v = name.encode(), value.encode()
        hb += struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v
    total = 12 + len(hb) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hb))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    msg = prelude + hb + payload
    return msg + struct.pack(">I", zlib.crc32(msg) & 0xFFFFFFFF)


def aws_events(events):
    out = b""
    for name, payload in events:
        if name.startswith("exception:"):
            headers = [(":message-type", "exception"), (":exception-type", name[10:]),
                       (":content-type", "application/json")]
        else:
            headers = [(":message-type", "event"), (":event-type", name),
                       (":content-type", "application/json")]
        out += aws_message(headers, j(payload).encode())
    return out


# --------------------------------------------------------------------------------------------
# Whole-body chat responses
# --------------------------------------------------------------------------------------------

RESPONSES = {
    "openai-chat": {
        "text": {"id": "chatcmpl-fz1", "object": "chat.completion", "model": "gpt-4o-mini",
                 "choices": [{"index": 0, "message": {"role": "assistant",
                                                      "content": "Grüße aus Zürich 🌤"},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19,
                           "prompt_tokens_details": {"cached_tokens": 4},
                           "completion_tokens_details": {"reasoning_tokens": 0}}},
        "tools": {"id": "chatcmpl-fz2", "model": "gpt-4o",
                  "choices": [{"index": 0, "message": {
                      "role": "assistant", "content": None,
                      "tool_calls": [
                          {"id": "call_a", "type": "function",
                           "function": {"name": "lookup", "arguments": "{\"q\":\"東京\"}"}},
                          {"id": "call_b", "type": "function",
                           "function": {"name": "clock", "arguments": "{\"tz\":"}}]},
                      "finish_reason": "tool_calls"}],
                  "usage": {"prompt_tokens": 50, "completion_tokens": 20}},
        "reasoning": {"id": "r", "model": "deepseek-reasoner",
                      "choices": [{"message": {"role": "assistant", "reasoning_content": "hmm",
                                               "content": "42", "refusal": None},
                                   "finish_reason": "length", "logprobs": None}],
                      "citations": ["https://example.invalid/a"]},
        "refusal": {"choices": [{"message": {"role": "assistant", "refusal": "I can't."},
                                 "finish_reason": "content_filter"}]},
        "empty-choices": {"choices": [], "usage": None},
    },
    "openai-responses": {
        "text": {"id": "resp_fz1", "object": "response", "status": "completed",
                 "model": "gpt-4.1",
                 "output": [
                     {"type": "reasoning", "id": "rs_1", "encrypted_content": "enc==",
                      "summary": [{"type": "summary_text", "text": "Thinking."}]},
                     {"type": "message", "id": "msg_1", "role": "assistant",
                      "content": [{"type": "output_text", "text": "Ça va ✓",
                                   "annotations": []}]}],
                 "usage": {"input_tokens": 30, "output_tokens": 9,
                           "input_tokens_details": {"cached_tokens": 0},
                           "output_tokens_details": {"reasoning_tokens": 5}}},
        "tools": {"id": "resp_fz2", "status": "completed", "model": "gpt-4.1",
                  "output": [
                      {"type": "web_search_call", "id": "ws_1", "status": "completed"},
                      {"type": "function_call", "id": "fc_1", "call_id": "call_1",
                       "name": "lookup", "arguments": "{\"q\":1}"}],
                  "usage": {"input_tokens": 3, "output_tokens": 4}},
        "failed": {"id": "resp_fz3", "status": "failed", "output": [],
                   "error": {"code": "server_error", "message": "boom"}},
        "incomplete": {"id": "resp_fz4", "status": "incomplete",
                       "incomplete_details": {"reason": "max_output_tokens"},
                       "output": [{"type": "message", "content": [
                           {"type": "refusal", "refusal": "no"}]}]},
    },
    "anthropic": {
        "text": {"id": "msg_fz1", "type": "message", "role": "assistant",
                 "model": "claude-haiku-4-5",
                 "content": [
                     {"type": "thinking", "thinking": "Let me see…", "signature": "sig=="},
                     {"type": "redacted_thinking", "data": "opaque"},
                     {"type": "text", "text": "Héllo"}],
                 "stop_reason": "end_turn", "stop_sequence": None,
                 "usage": {"input_tokens": 10, "cache_creation_input_tokens": 2,
                           "cache_read_input_tokens": 3, "output_tokens": 5}},
        "tools": {"id": "msg_fz2", "type": "message", "role": "assistant", "model": "claude",
                  "content": [
                      {"type": "text", "text": "Checking."},
                      {"type": "tool_use", "id": "toolu_1", "name": "weather",
                       "input": {"city": "Kraków"}},
                      {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                       "input": {"query": "x"}},
                      {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
                       "content": []}],
                  "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 2}},
        "max-tokens": {"type": "message", "content": [], "stop_reason": "max_tokens"},
    },
    "gemini": {
        "text": {"candidates": [{"content": {"role": "model", "parts": [
                    {"text": "Pensando", "thought": True},
                    {"text": "Olá, mundo"}]},
                    "finishReason": "STOP", "index": 0}],
                 "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 4,
                                   "thoughtsTokenCount": 2, "cachedContentTokenCount": 1,
                                   "totalTokenCount": 14},
                 "modelVersion": "gemini-2.5-flash", "responseId": "gem-fz1"},
        "tools": {"candidates": [{"content": {"role": "model", "parts": [
                     {"functionCall": {"name": "lookup", "args": {"q": "x"}},
                      "thoughtSignature": "c2ln"},
                     {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
                     {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1"}}]},
                     "finishReason": "STOP",
                     "groundingMetadata": {"webSearchQueries": ["x"]}}],
                  "usageMetadata": {"promptTokenCount": 3}},
        "blocked": {"promptFeedback": {"blockReason": "SAFETY"}},
        "safety": {"candidates": [{"finishReason": "SAFETY", "safetyRatings": []}]},
    },
    "cohere": {
        "text": {"id": "co-fz1", "finish_reason": "COMPLETE",
                 "message": {"role": "assistant",
                             "content": [{"type": "text", "text": "Bonjour à tous"}],
                             "citations": [{"start": 0, "end": 7, "text": "Bonjour",
                                            "sources": []}]},
                 "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 3},
                           "tokens": {"input_tokens": 70, "output_tokens": 3}}},
        "tools": {"id": "co-fz2", "finish_reason": "TOOL_CALL",
                  "message": {"role": "assistant", "tool_plan": "I will look it up.",
                              "tool_calls": [{"id": "tc_1", "type": "function", "function": {
                                  "name": "lookup", "arguments": "{\"q\":\"ß\"}"}}]}},
        "max-tokens": {"finish_reason": "MAX_TOKENS", "message": {"content": []}},
    },
    "ollama": {
        "text": {"model": "llama3.2", "created_at": "2025-01-01T00:00:00Z",
                 "message": {"role": "assistant", "content": "Hallo Welt",
                             "thinking": "kurz"},
                 "done": True, "done_reason": "stop", "prompt_eval_count": 11,
                 "eval_count": 4, "total_duration": 12345},
        "tools": {"model": "qwen3", "message": {"role": "assistant", "content": "",
                                                "tool_calls": [{"function": {
                                                    "name": "lookup",
                                                    "arguments": {"q": "x"}}}]},
                  "done": True, "done_reason": "stop"},
        "error": {"error": "model 'nope' not found"},
    },
    "bedrock": {
        "text": {"output": {"message": {"role": "assistant", "content": [
                    {"reasoningContent": {"reasoningText": {"text": "hm",
                                                            "signature": "s"}}},
                    {"reasoningContent": {"redactedContent": "cmVk"}},
                    {"text": "Hej världen"}]}},
                 "stopReason": "end_turn",
                 "usage": {"inputTokens": 9, "outputTokens": 3, "totalTokens": 12,
                           "cacheReadInputTokens": 1},
                 "metrics": {"latencyMs": 100}},
        "tools": {"output": {"message": {"role": "assistant", "content": [
                     {"toolUse": {"toolUseId": "tu_1", "name": "lookup",
                                  "input": {"q": "x"}}},
                     {"toolUse": {"toolUseId": "tu_2", "name": "clock", "input": "{\"a\""}},
                     {"citationsContent": {"citations": []}}]}},
                  "stopReason": "tool_use", "usage": {"inputTokens": 1}},
        "guardrail": {"output": {"message": {"content": []}},
                      "stopReason": "guardrail_intervened"},
    },
}

# Token counts at the top of u64: sums of counts must not overflow.
MAX = 18446744073709551615
RESPONSES["openai-chat"]["usage-max"] = {"choices": [], "usage": {
    "prompt_tokens": MAX, "completion_tokens": MAX, "total_tokens": 1,
    "completion_tokens_details": {"reasoning_tokens": MAX}}}
RESPONSES["anthropic"]["usage-max"] = {"content": [], "usage": {
    "input_tokens": MAX, "cache_creation_input_tokens": MAX, "cache_read_input_tokens": MAX,
    "output_tokens": MAX}}
RESPONSES["gemini"]["usage-max"] = {"candidates": [], "usageMetadata": {
    "promptTokenCount": MAX, "toolUsePromptTokenCount": MAX, "candidatesTokenCount": MAX,
    "thoughtsTokenCount": MAX}}
RESPONSES["cohere"]["usage-max"] = {"message": {"content": []}, "usage": {
    "tokens": {"input_tokens": 1e300, "output_tokens": -5}}}
RESPONSES["openai-responses"]["usage-max"] = {"output": [], "usage": {
    "input_tokens": MAX, "output_tokens": MAX,
    "output_tokens_details": {"reasoning_tokens": MAX}}}
RESPONSES["ollama"]["usage-max"] = {"message": {"content": ""}, "done": True,
                                    "prompt_eval_count": MAX, "eval_count": MAX}
RESPONSES["bedrock"]["usage-max"] = {"output": {"message": {"content": []}}, "usage": {
    "inputTokens": MAX, "cacheReadInputTokens": MAX, "cacheWriteInputTokens": MAX,
    "outputTokens": MAX}}

MALFORMED_JSON = {
    "empty": b"",
    "null": b"null",
    "array": b"[1,2,3]",
    "string": b"\"just a string\"",
    "not-json": b"<html>502 Bad Gateway</html>",
    "deep": b"[" * 200 + b"]" * 200,
    "bad-utf8": b"{\"id\":\"\xff\xfe\",\"content\":\"\xc3\"}",
    "big-number": b"{\"usage\":{\"input_tokens\":1e400,\"output_tokens\":-1}}",
}

# --------------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------------

def openai_chat_stream():
    def chunk(delta, finish=None, **extra):
        return {"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    text = sse([
        (None, chunk({"role": "assistant", "content": ""})),
        (None, chunk({"content": "Grüß"})),
        (None, chunk({"content": "e 🌍"})),
        (None, chunk({}, "stop")),
        (None, {"id": "chatcmpl-s", "choices": [],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3}}),
        (None, "[DONE]"),
    ])
    tools = sse([
        (None, chunk({"role": "assistant", "reasoning_content": "think"})),
        (None, chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                      "function": {"name": "lookup", "arguments": ""}}]})),
        (None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"q\":\"東"}}]})),
        (None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": "京\"}"}}]})),
        (None, chunk({"tool_calls": [{"index": 1, "id": "call_2",
                                      "function": {"name": "clock", "arguments": "{}"}}]})),
        (None, chunk({}, "tool_calls")),
        (None, "[DONE]"),
    ])
    error = sse([(None, chunk({"content": "par"})),
                 (None, {"error": {"message": "overloaded", "type": "server_error"}})])
    return {"text": text, "tools": tools, "error": error}


def openai_responses_stream():
    resp = {"id": "resp_s", "object": "response", "status": "in_progress", "model": "gpt-4.1",
            "output": []}
    done = dict(resp, status="completed", usage={"input_tokens": 4, "output_tokens": 6})

    def ev(kind, **fields):
        return (kind, {"type": kind, **fields})
    text = sse([
        ev("response.created", response=resp),
        ev("response.output_item.added", output_index=0,
           item={"type": "reasoning", "id": "rs_1", "summary": []}),
        ev("response.reasoning_summary_text.delta", item_id="rs_1", output_index=0,
           summary_index=0, delta="Hmm"),
        ev("response.output_item.done", output_index=0,
           item={"type": "reasoning", "id": "rs_1", "encrypted_content": "e=="}),
        ev("response.output_item.added", output_index=1,
           item={"type": "message", "id": "msg_1", "role": "assistant", "content": []}),
        ev("response.output_text.delta", item_id="msg_1", output_index=1, content_index=0,
           delta="Ça "),
        ev("response.output_text.delta", item_id="msg_1", output_index=1, content_index=0,
           delta="va ✓"),
        ev("response.output_item.done", output_index=1,
           item={"type": "message", "id": "msg_1", "content": []}),
        ev("response.completed", response=done),
    ])
    tools = sse([
        ev("response.created", response=resp),
        ev("response.output_item.added", output_index=0,
           item={"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "lookup",
                 "arguments": ""}),
        ev("response.function_call_arguments.delta", item_id="fc_1", output_index=0,
           delta="{\"q\":"),
        ev("response.function_call_arguments.delta", item_id="fc_1", output_index=0,
           delta="1}"),
        ev("response.function_call_arguments.done", item_id="fc_1", output_index=0,
           arguments="{\"q\":1}"),
        ev("response.output_item.done", output_index=0,
           item={"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "lookup",
                 "arguments": "{\"q\":1}"}),
        ev("response.completed", response=done),
    ])
    failed = sse([ev("response.created", response=resp),
                  ev("response.failed", response=dict(resp, status="failed", error={
                      "code": "server_error", "message": "boom"})),
                  ev("error", code="rate_limit", message="slow down")])
    return {"text": text, "tools": tools, "failed": failed}


def anthropic_stream():
    def ev(kind, **fields):
        return (kind, {"type": kind, **fields})
    start = ev("message_start", message={
        "id": "msg_s", "type": "message", "role": "assistant", "model": "claude", "content": [],
        "usage": {"input_tokens": 10, "cache_read_input_tokens": 2, "output_tokens": 1}})
    text = sse([
        start,
        ev("content_block_start", index=0, content_block={"type": "thinking", "thinking": ""}),
        ev("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "hm…"}),
        ev("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "s"}),
        ev("content_block_stop", index=0),
        ev("content_block_start", index=1, content_block={"type": "text", "text": ""}),
        ev("ping"),
        ev("content_block_delta", index=1, delta={"type": "text_delta", "text": "Hé"}),
        ev("content_block_delta", index=1, delta={"type": "text_delta", "text": "llo 👋"}),
        ev("content_block_stop", index=1),
        ev("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": 7}),
        ev("message_stop"),
    ])
    tools = sse([
        start,
        ev("content_block_start", index=0,
           content_block={"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}),
        ev("content_block_delta", index=0,
           delta={"type": "input_json_delta", "partial_json": "{\"city\": \"Kra"}),
        ev("content_block_delta", index=0,
           delta={"type": "input_json_delta", "partial_json": "ków\"}"}),
        ev("content_block_stop", index=0),
        ev("content_block_start", index=1,
           content_block={"type": "server_tool_use", "id": "srv_1", "name": "web_search",
                          "input": {}}),
        ev("content_block_delta", index=1,
           delta={"type": "input_json_delta", "partial_json": "{\"query\":\"x\"}"}),
        ev("content_block_stop", index=1),
        ev("content_block_start", index=2,
           content_block={"type": "web_search_tool_result", "tool_use_id": "srv_1",
                          "content": []}),
        ev("content_block_stop", index=2),
        ev("message_delta", delta={"stop_reason": "tool_use"}, usage={"output_tokens": 9}),
        ev("message_stop"),
    ])
    error = sse([start, ev("error", error={"type": "overloaded_error", "message": "busy"})])
    # Blocks out of order and never closed, and a delta for a block that never started.
    odd = sse([
        start,
        ev("content_block_delta", index=5, delta={"type": "text_delta", "text": "orphan"}),
        ev("content_block_start", index=0, content_block={"type": "tool_use", "id": "",
                                                           "name": "", "input": {}}),
        ev("content_block_delta", index=0, delta={"type": "input_json_delta",
                                                  "partial_json": "{\"unterminated"}),
        ev("message_delta", delta={"stop_reason": "pause_turn"}),
    ])
    return {"text": text, "tools": tools, "error": error, "odd": odd}


def gemini_stream():
    def chunk(parts, finish=None, usage=None):
        cand = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        out = {"candidates": [cand], "modelVersion": "gemini-2.5-flash", "responseId": "g-s"}
        if usage:
            out["usageMetadata"] = usage
        return out
    text = sse([
        (None, chunk([{"text": "Penso", "thought": True}])),
        (None, chunk([{"text": "Olá, "}])),
        (None, chunk([{"text": "mundo ☀"}], "STOP",
                     {"promptTokenCount": 4, "candidatesTokenCount": 3,
                      "thoughtsTokenCount": 1})),
    ])
    tools = sse([
        (None, chunk([{"functionCall": {"name": "lookup", "args": {"q": "x"}},
                       "thoughtSignature": "c2ln"}])),
        (None, chunk([{"functionCall": {"name": "clock", "args": {}}}], "STOP",
                     {"promptTokenCount": 4})),
    ])
    blocked = sse([(None, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})])
    crlf = text.replace(b"\n", b"\r\n")
    return {"text": text, "tools": tools, "blocked": blocked, "crlf": crlf}


def cohere_stream():
    def ev(kind, **fields):
        return (kind, {"type": kind, **fields})
    text = sse([
        ev("message-start", id="co-s", delta={"message": {"role": "assistant"}}),
        ev("content-start", index=0, delta={"message": {"content": {"type": "text",
                                                                    "text": ""}}}),
        ev("content-delta", index=0, delta={"message": {"content": {"text": "Bonjour "}}}),
        ev("content-delta", index=0, delta={"message": {"content": {"text": "à tous"}}}),
        ev("citation-start", index=0, delta={"message": {"citations": {
            "start": 0, "end": 7, "text": "Bonjour", "sources": []}}}),
        ev("content-end", index=0),
        ev("message-end", delta={"finish_reason": "COMPLETE", "usage": {
            "billed_units": {"input_tokens": 3, "output_tokens": 2},
            "tokens": {"input_tokens": 60, "output_tokens": 2}}}),
    ])
    tools = sse([
        ev("message-start", id="co-t", delta={"message": {"role": "assistant"}}),
        ev("tool-plan-delta", delta={"message": {"tool_plan": "Looking up"}}),
        ev("tool-call-start", index=0, delta={"message": {"tool_calls": {
            "id": "tc_1", "type": "function", "function": {"name": "lookup",
                                                           "arguments": ""}}}}),
        ev("tool-call-delta", index=0, delta={"message": {"tool_calls": {
            "function": {"arguments": "{\"q\":\"ß\"}"}}}}),
        ev("tool-call-end", index=0),
        ev("message-end", delta={"finish_reason": "TOOL_CALL"}),
    ])
    return {"text": text, "tools": tools}


def ollama_stream():
    def line(content="", done=False, **extra):
        return {"model": "llama3.2", "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": content, **extra.pop("msg", {})},
                "done": done, **extra}
    text = ndjson([
        line(msg={"thinking": "hmm"}),
        line("Hallo "),
        line("Welt 🌍"),
        line(done=True, done_reason="stop", prompt_eval_count=8, eval_count=3),
    ])
    tools = ndjson([
        line(msg={"tool_calls": [{"function": {"name": "lookup", "arguments": {"q": "x"}}}]}),
        line(done=True, done_reason="stop"),
    ])
    error = ndjson([line("par"), {"error": "out of memory"}])
    crlf = text.replace(b"\n", b"\r\n\n")
    return {"text": text, "tools": tools, "error": error, "crlf": crlf}


def bedrock_stream():
    text = aws_events([
        ("messageStart", {"role": "assistant"}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {
            "text": "hm"}}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {
            "signature": "sig"}}}),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "Hej "}}),
        ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "världen"}}),
        ("contentBlockStop", {"contentBlockIndex": 1}),
        ("messageStop", {"stopReason": "end_turn"}),
        ("metadata", {"usage": {"inputTokens": 5, "outputTokens": 2, "totalTokens": 7},
                      "metrics": {"latencyMs": 10}}),
    ])
    tools = aws_events([
        ("messageStart", {"role": "assistant"}),
        ("contentBlockStart", {"contentBlockIndex": 0, "start": {"toolUse": {
            "toolUseId": "tu_1", "name": "lookup"}}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {
            "input": "{\"q\":"}}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": "1}"}}}),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "tool_use"}),
    ])
    throttled = aws_events([
        ("messageStart", {"role": "assistant"}),
        ("exception:throttlingException", {"message": "Too many requests"}),
    ])
    wrapped = aws_events([
        ("messageStart", {"messageStart": {"role": "assistant"}}),
        ("contentBlockDelta", {"contentBlockDelta": {"contentBlockIndex": 0,
                                                     "delta": {"text": "ok"}}}),
        ("messageStop", {"messageStop": {"stopReason": "max_tokens"}}),
    ])
    return {"text": text, "tools": tools, "throttled": throttled, "wrapped": wrapped}


STREAMS = {
    "openai-chat": openai_chat_stream,
    "openai-responses": openai_responses_stream,
    "anthropic": anthropic_stream,
    "gemini": gemini_stream,
    "cohere": cohere_stream,
    "ollama": ollama_stream,
    "bedrock": bedrock_stream,
}

# --------------------------------------------------------------------------------------------
# Model lists, embeddings, rerank
# --------------------------------------------------------------------------------------------

OPENAI_MODELS = {"object": "list", "data": [
    {"id": "gpt-4o", "object": "model", "owned_by": "openai"},
    {"id": "text-embedding-3-small", "object": "model", "owned_by": "system"}]}
AUX = {
    ("openai-chat", "models"): {"list": OPENAI_MODELS, "bad-entry": {"data": [{"id": 5}, {}]}},
    ("openai-chat", "embed"): {
        "two": {"object": "list", "model": "text-embedding-3-small",
                "data": [{"index": 1, "embedding": [0.5, -1]},
                         {"index": 0, "embedding": [0.25, 1e-3]}],
                "usage": {"prompt_tokens": 4, "total_tokens": 4}},
        "huge-index": {"data": [{"index": 18446744073709551615, "embedding": [1]}]},
        "not-numbers": {"data": [{"embedding": ["a"]}]}},
    ("openai-responses", "embed"): {"two": {"data": [{"embedding": [1, 2]}]}},
    ("anthropic", "models"): {"page": {"data": [
        {"type": "model", "id": "claude-haiku-4-5", "display_name": "Claude Haiku 4.5",
         "created_at": "2025-10-01T00:00:00Z"}], "has_more": True,
        "first_id": "claude-haiku-4-5", "last_id": "claude-haiku-4-5"}},
    ("anthropic", "next_page"): {"more": {"data": [], "has_more": True, "last_id": "m-1"},
                                 "last": {"data": [], "has_more": False, "last_id": None}},
    ("gemini", "models"): {"list": {"models": [
        {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash",
         "supportedGenerationMethods": ["generateContent"]},
        {"name": "gemini-embedding-001"}], "nextPageToken": "tok"}},
    ("gemini", "next_page"): {"token": {"models": [], "nextPageToken": "abc=="},
                              "empty": {"models": [], "nextPageToken": ""}},
    ("gemini", "embed"): {"two": {"embeddings": [{"values": [0.1, 0.2]},
                                                 {"values": [0.3, 0.4]}]},
                          "missing": {"embeddings": [{}]}},
    ("cohere", "models"): {"list": {"models": [{"name": "command-a-03-2025",
                                                 "endpoints": ["chat"]}],
                                     "next_page_token": "x"}},
    ("cohere", "embed"): {"float": {"id": "e1", "embeddings": {"float": [[0.1, 0.2]]},
                                    "texts": ["hi"],
                                    "meta": {"billed_units": {"input_tokens": 1.0}}},
                          "v1-list": {"embeddings": [[1, 2], [3, 4]]},
                          "int8": {"embeddings": {"int8": [[1, 2]]}}},
    ("cohere", "rerank"): {"results": {"id": "rr", "results": [
        {"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}],
        "meta": {"billed_units": {"search_units": 1}}},
        "nan-ish": {"results": [{"index": -1, "relevance_score": "high"}]}},
    ("ollama", "models"): {"tags": {"models": [
        {"name": "llama3.2:latest", "model": "llama3.2:latest", "size": 2019393189,
         "details": {"family": "llama", "parameter_size": "3.2B"}}]}},
    ("ollama", "embed"): {"two": {"model": "nomic-embed-text", "embeddings": [[0.1], [0.2]],
                                  "prompt_eval_count": 3}},
    ("bedrock", "models"): {"summaries": {"modelSummaries": [
        {"modelId": "amazon.titan-embed-text-v2:0", "modelName": "Titan Text Embeddings V2",
         "providerName": "Amazon"}]}},
    ("bedrock", "embed"): {"titan": {"embedding": [0.1, -0.2], "inputTextTokenCount": 3},
                           "cohere": {"embeddings": [[0.1, 0.2]], "id": "x",
                                      "response_type": "embeddings_floats"},
                           "cohere-by-type": {"embeddings": {"float": [[1.0]]}}},
}

# --------------------------------------------------------------------------------------------
# Framing alone
# --------------------------------------------------------------------------------------------

FRAMING = {
    "sse": {
        "events": b"event: a\ndata: one\ndata: two\n\n: comment\n\nid: 7\nretry: 10\ndata:x\n\n",
        "bom-crlf": b"\xef\xbb\xbfevent: \xc3\xa9\r\ndata: caf\xc3\xa9\r\n\r\ndata: \xe2\x9c\x93\r",
        "cr-only": b"data: a\rdata: b\r\rdata: c\r\r",
        "no-final-blank": b"data: unterminated",
        "field-only": b"data\nevent\n\n:\n\ndata:\n\n",
        "binary": bytes(range(256)),
    },
    "ndjson": {
        "lines": b"{\"a\":1}\r\n\n  \n{\"b\":\"\xc3\xa9\"}\n{\"c\":3}",
        "blank": b"\n\r\n \t\n",
        "binary": bytes(range(256)),
    },
    "aws": {
        "events": aws_events([("contentBlockDelta", {"delta": {"text": "Hi"}}),
                              ("exception:validationException", {"message": "bad"})]),
        "error-message": aws_message([(":message-type", "error"), (":error-code", "Boom")], b""),
        "no-headers": aws_message([], b"{}"),
        "bad-crc": bytearray(aws_events([("messageStop", {})])),
        "short": b"\x00\x00\x00\x10\x00\x00",
        "huge-length": b"\xff\xff\xff\xff\x00\x00\x00\x00" + b"\x00" * 16,
    },
}
FRAMING["aws"]["bad-crc"][-1] ^= 0xFF
FRAMING["aws"]["bad-crc"] = bytes(FRAMING["aws"]["bad-crc"])

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write(target, entry, what, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{entry}--{what}"), "wb") as f:
        f.write(data)


def split_prefix(body, cut):
    return struct.pack(">H", min(cut, 0xFFFF))


def utf8_cut(body):
    """A split point inside the first multi-byte UTF-8 sequence, or the middle."""
    for i, b in enumerate(body):
        if b >= 0xC0:
            return i + 1
    return len(body) // 2


# HTTP error responses: (status, name, headers, body), shaped like each provider's errors.
ERRORS = [
    (429, "openai-rate-limit", {"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s",
                                "x-request-id": "req_1"},
     {"error": {"message": "Rate limit reached for gpt-4o", "type": "requests",
                "param": None, "code": "rate_limit_exceeded"}}),
    (429, "openai-quota", {}, {"error": {"message": "You exceeded your current quota",
                                         "type": "insufficient_quota", "code": "insufficient_quota"}}),
    (401, "openai-key", {}, {"error": {"message": "Incorrect API key provided: sk-***",
                                       "type": "invalid_request_error", "code": "invalid_api_key"}}),
    (400, "openai-context", {}, {"error": {"message": "This model's maximum context length is 128000 tokens",
                                           "code": "context_length_exceeded", "param": "messages"}}),
    (529, "anthropic-overloaded", {"request-id": "req_2", "retry-after": "3"},
     {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    (429, "anthropic-rate-limit", {"anthropic-ratelimit-requests-reset": "2026-11-25T20:00:03Z",
                                   "retry-after": "Wed, 25 Nov 2026 20:00:03 GMT"},
     {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests exceeded"}}),
    (429, "gemini-exhausted", {},
     {"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]}}),
    (403, "gemini-denied", {}, [{"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED"}}]),
    (429, "bedrock-throttled", {"x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/",
                                "x-amzn-requestid": "abc"}, {"message": "Too many requests"}),
    (400, "bedrock-validation", {"x-amzn-errortype": "ValidationException"},
     {"Message": "The provided model identifier is invalid."}),
    (422, "cohere-invalid", {}, {"message": "invalid request: message must not be empty"}),
    (404, "ollama-not-found", {}, {"error": "model 'llama9' not found, try pulling it first"}),
    (413, "too-large", {}, {"error": {"message": "Request too large", "type": "invalid_request_error"}}),
    (503, "retry-after-negative", {"retry-after": "-5"}, {"error": "busy"}),
    (503, "retry-after-huge", {"retry-after": "99999999999999999999"}, {"error": {"message": None}}),
    (500, "nested-odd", {}, {"error": {"message": {"deep": [1, 2]}, "code": 12}}),
]

RAW_ERRORS = [
    (502, "html-gateway", {"content-type": "text/html"}, b"<html><body>502 Bad Gateway</body></html>"),
    (500, "empty", {}, b""),
    (504, "truncated-json", {}, b'{"error": {"message": "upstream tim'),
    (408, "not-utf8", {}, b'{"error": "\xff\xfe"}\xff'),
    (400, "bad-headers", {"bad name": "v", "x-ok": "line\x7fbreak"}, b'{"error": {"message": "x"}}'),
]


def error_input(status, headers, body):
    head = "".join(f"{n}: {v}\n" for n, v in headers.items()).encode("utf-8", "surrogateescape")[:255]
    return bytes([STATUSES.index(status), len(head)]) + head + body


def clean():
    for target in ["response", "stream", "framing", "aux", "error"]:
        d = os.path.join(ROOT, target)
        if os.path.isdir(d):
            for name in os.listdir(d):
                if "--" in name:
                    os.remove(os.path.join(d, name))


def main():
    clean()
    for api, samples in RESPONSES.items():
        sel = bytes([APIS.index(api)])
        for what, body in samples.items():
            raw = j(body).encode()
            write("response", api, what, sel + raw)
            if what in ("text", "tools"):
                write("response", api, what + "-truncated", sel + raw[: len(raw) * 2 // 3])
        for what, raw in MALFORMED_JSON.items():
            if api in ("openai-chat", "anthropic", "gemini", "bedrock") or what == "empty":
                write("response", api, what, sel + raw)

    for api, make in STREAMS.items():
        sel = bytes([APIS.index(api)])
        for what, body in make().items():
            write("stream", api, what + "-utf8cut", sel + split_prefix(body, utf8_cut(body)) + body)
            if what == "text":
                mid = len(body) // 2
                write("stream", api, "text-midcut", sel + split_prefix(body, mid) + body)
                write("stream", api, "text-truncated",
                      sel + split_prefix(body, 0) + body[: len(body) * 3 // 5])
        write("stream", api, "garbage", sel + b"\x00\x05" + b"data: {\"x\n\n\xff\xfe\r\n\x00")

    for i, (api, op) in enumerate((a, o) for a in APIS for o in AUX_OPS):
        sel = bytes([i])
        for what, body in AUX.get((api, op), {}).items():
            write("aux", f"{api}-{op}", what, sel + j(body).encode())
        write("aux", f"{api}-{op}", "not-json", sel + b"{\"data\": [")

    for status, what, headers, body in ERRORS:
        write("error", str(status), what, error_input(status, headers, j(body).encode()))
    for status, what, headers, body in RAW_ERRORS:
        write("error", str(status), what, error_input(status, headers, body))

    for name, samples in FRAMING.items():
        sel = bytes([FRAMINGS.index(name)])
        for what, body in samples.items():
            for cut_name, cut in [("whole", len(body)), ("utf8cut", utf8_cut(body)),
                                  ("cut1", 1)]:
                write("framing", name, f"{what}-{cut_name}", sel + split_prefix(body, cut) + body)


if __name__ == "__main__":
    main()
