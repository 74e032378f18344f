"""The official `anthropic` Python SDK against the gateway (argv: base URL, master key).

The gateway serves OpenAI-style (`up-*`), Anthropic-speaking (`claude-*`) and Gemini-speaking
(`gem-echo`) loopback providers (tests/support). Every check raises on failure; the Rust test
(tests/sdk.rs) runs this script and requires exit status 0 and the final `ok` line.
"""
import sys

import anthropic

base, key = sys.argv[1], sys.argv[2]
client = anthropic.Anthropic(base_url=base, api_key=key, max_retries=0)
hi = [{"role": "user", "content": "hi"}]
weather = {"name": "weather", "description": "the weather", "input_schema": {"type": "object"}}


def total_input(u):
    return u.input_tokens + (u.cache_read_input_tokens or 0) + (u.cache_creation_input_tokens or 0)


# Whole answers from a backend of each wire API.
for model, text, usage in [
    ("up-echo", "hello world", (12, 3)),
    ("claude-think", "the answer", (27, 9)),
    ("gem-echo", "hello from gemini", (6, 4)),
]:
    m = client.messages.create(model=model, max_tokens=64, messages=hi)
    assert m.type == "message" and m.role == "assistant", m
    got = "".join(b.text for b in m.content if b.type == "text")
    assert got == text, (model, m)
    assert m.stop_reason == "end_turn", (model, m)
    assert (total_input(m.usage), m.usage.output_tokens) == usage, (model, m.usage)

# The OpenAI backend's cached tokens are the Anthropic cache read, not added on top.
m = client.messages.create(model="up-echo", max_tokens=64, messages=hi)
assert m.usage.cache_read_input_tokens == 4 and m.usage.input_tokens == 8, m.usage

# Streams: text_stream and the final message, from each backend.
for model, text in [("up-echo", "hello world"), ("claude-think", "the answer"), ("gem-echo", "hello from gemini")]:
    with client.messages.stream(model=model, max_tokens=64, messages=hi) as s:
        pieces = list(s.text_stream)
        final = s.get_final_message()
    assert "".join(pieces) == text, (model, pieces)
    assert len(pieces) >= 2, (model, pieces)
    assert [b.text for b in final.content if b.type == "text"] == [text], (model, final)
    assert final.stop_reason == "end_turn", (model, final)

# Thinking blocks keep their signature, whole and streamed.
m = client.messages.create(
    model="claude-think", max_tokens=2048, messages=hi, thinking={"type": "enabled", "budget_tokens": 1024}
)
assert [b.type for b in m.content] == ["thinking", "text"], m
assert m.content[0].thinking == "Let me think." and m.content[0].signature == "sig-abc", m
with client.messages.stream(
    model="claude-think", max_tokens=2048, messages=hi, thinking={"type": "enabled", "budget_tokens": 1024}
) as s:
    kinds = [(e.type, getattr(getattr(e, "delta", None), "type", None)) for e in s]
    final = s.get_final_message()
assert ("content_block_delta", "thinking_delta") in kinds, kinds
assert ("content_block_delta", "signature_delta") in kinds, kinds
assert kinds[0][0] == "message_start" and kinds[-1][0] == "message_stop", kinds
assert final.content[0].type == "thinking" and final.content[0].signature == "sig-abc", final
assert final.content[0].thinking == "Let me think.", final
# The thinking block goes back in the next turn as Anthropic requires.
m = client.messages.create(
    model="claude-think",
    max_tokens=2048,
    thinking={"type": "enabled", "budget_tokens": 1024},
    messages=hi + [{"role": "assistant", "content": [c.model_dump(exclude_none=True) for c in final.content]},
                   {"role": "user", "content": "and?"}],
)
assert m.stop_reason == "end_turn", m

# Tool use: whole, and streamed as input_json_delta, from an Anthropic and an OpenAI backend.
for model, calls in [
    ("claude-tools", [("toolu_1", "weather", {"city": "Paris"})]),
    ("up-tools", [("call_w", "weather", {"city": "Paris"}), ("call_t", "time", {"tz": "CET"})]),
]:
    tools = [weather, {"name": "time", "input_schema": {"type": "object"}}]
    m = client.messages.create(model=model, max_tokens=64, messages=hi, tools=tools)
    assert [(b.id, b.name, b.input) for b in m.content if b.type == "tool_use"] == calls, (model, m)
    assert m.stop_reason == "tool_use", (model, m)
    with client.messages.stream(model=model, max_tokens=64, messages=hi, tools=tools) as s:
        deltas = [e.delta.partial_json for e in s if e.type == "content_block_delta" and e.delta.type == "input_json_delta"]
        final = s.get_final_message()
    assert len([d for d in deltas if d]) >= len(calls), (model, deltas)
    assert [(b.id, b.name, b.input) for b in final.content if b.type == "tool_use"] == calls, (model, final)
    assert final.stop_reason == "tool_use", (model, final)
    # The tool result goes back.
    back = hi + [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in final.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": c[0], "content": "sunny"} for c in calls]},
    ]
    m = client.messages.create(model=model, max_tokens=64, messages=back, tools=tools)
    assert m.content, m

# count_tokens, for a configured model only.
n = client.messages.count_tokens(model="up-echo", messages=[{"role": "user", "content": "hello there " * 20}])
few = client.messages.count_tokens(model="up-echo", messages=hi)
assert n.input_tokens > few.input_tokens > 0, (n, few)
try:
    client.messages.count_tokens(model="not-configured", messages=hi)
    raise AssertionError("count_tokens: no NotFoundError")
except anthropic.NotFoundError:
    pass

# Errors arrive as the SDK's typed exceptions, in Anthropic's error shape.
try:
    client.messages.create(model="up-limited", max_tokens=64, messages=hi)
    raise AssertionError("no RateLimitError")
except anthropic.RateLimitError as e:
    assert e.response.headers["retry-after"] == "7", e.response.headers
    assert e.body["type"] == "error" and e.body["error"]["type"] == "rate_limit_error", e.body
try:
    client.messages.create(model="not-configured", max_tokens=64, messages=hi)
    raise AssertionError("no NotFoundError")
except anthropic.NotFoundError as e:
    assert e.body["error"]["type"] == "not_found_error", e.body
try:
    anthropic.Anthropic(base_url=base, api_key="wrong", max_retries=0).messages.create(
        model="up-echo", max_tokens=64, messages=hi
    )
    raise AssertionError("no AuthenticationError")
except anthropic.AuthenticationError as e:
    assert e.body["error"]["type"] == "authentication_error", e.body
try:
    client.messages.create(model="up-echo", max_tokens=64, messages=hi, thinking={"type": "enabled"})
    raise AssertionError("no BadRequestError")
except anthropic.BadRequestError as e:
    assert e.body["error"]["type"] == "invalid_request_error", e.body
try:
    client.messages.create(model="claude-overloaded", max_tokens=64, messages=hi)
    raise AssertionError("no InternalServerError")
except anthropic.InternalServerError:
    pass

# A stream that breaks after content raises instead of ending as if complete.
got = ""
try:
    with client.messages.stream(model="up-broken", max_tokens=64, messages=hi) as s:
        for t in s.text_stream:
            got += t
    raise AssertionError("a broken stream ended cleanly")
except anthropic.APIError:
    pass
assert got == "partial ", got

print("ok")
