"""The official `openai` Python SDK against the gateway (argv: base URL, master key).

Every check raises on failure; the Rust test (tests/sdk.rs) runs this script and requires
exit status 0 and the final `ok` line.
"""
import sys

import openai

base, key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0)
hi = [{"role": "user", "content": "hi"}]

# A whole answer, usage counting cached input.
r = client.chat.completions.create(model="up-echo", messages=hi)
assert r.choices[0].message.content == "hello world", r
assert r.choices[0].finish_reason == "stop", r
assert r.usage.prompt_tokens == 12 and r.usage.completion_tokens == 3, r.usage
assert r.usage.prompt_tokens_details.cached_tokens == 4, r.usage

# A stream with usage.
chunks = list(
    client.chat.completions.create(
        model="up-echo", messages=hi, stream=True, stream_options={"include_usage": True}
    )
)
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
assert text == "hello world", text
assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 15, chunks[-1]
finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
assert finishes == ["stop"], finishes

# Parallel tool calls, streamed and assembled as the SDK's users do.
calls = {}
finish = None
for c in client.chat.completions.create(
    model="up-tools",
    messages=hi,
    stream=True,
    tools=[
        {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "time", "parameters": {"type": "object"}}},
    ],
    parallel_tool_calls=True,
):
    if not c.choices:
        continue
    finish = c.choices[0].finish_reason or finish
    for tc in c.choices[0].delta.tool_calls or []:
        slot = calls.setdefault(tc.index, {"id": None, "name": None, "arguments": ""})
        if tc.id:
            slot["id"] = tc.id
        if tc.function and tc.function.name:
            slot["name"] = tc.function.name
        if tc.function and tc.function.arguments:
            slot["arguments"] += tc.function.arguments
assert calls == {
    0: {"id": "call_w", "name": "weather", "arguments": '{"city":"Paris"}'},
    1: {"id": "call_t", "name": "time", "arguments": '{"tz":"CET"}'},
}, calls
assert finish == "tool_calls", finish

# Structured output is accepted and passed on.
r = client.chat.completions.create(
    model="up-echo",
    messages=hi,
    response_format={
        "type": "json_schema",
        "json_schema": {"name": "a", "schema": {"type": "object"}, "strict": True},
    },
)
assert r.choices[0].message.content == "hello world"

# Errors arrive as the SDK's typed exceptions.
try:
    client.chat.completions.create(model="up-limited", messages=hi)
    raise AssertionError("no RateLimitError")
except openai.RateLimitError as e:
    assert e.response.headers["retry-after"] == "7", e.response.headers
try:
    client.chat.completions.create(model="not-configured", messages=hi)
    raise AssertionError("no NotFoundError")
except openai.NotFoundError:
    pass
try:
    openai.OpenAI(base_url=base + "/v1", api_key="wrong", max_retries=0).models.list()
    raise AssertionError("no AuthenticationError")
except openai.AuthenticationError:
    pass
try:
    client.chat.completions.create(model="up-echo", messages=hi, modalities=["audio"])
    raise AssertionError("no BadRequestError")
except openai.BadRequestError:
    pass

# A stream that breaks after content raises instead of ending as if complete.
got = ""
try:
    for c in client.chat.completions.create(model="up-broken", messages=hi, stream=True):
        if c.choices:
            got += c.choices[0].delta.content or ""
    raise AssertionError("a broken stream ended cleanly")
except openai.APIError:
    pass
assert got == "partial ", got

# Embeddings (the SDK asks for base64 and decodes it) and the model list.
e = client.embeddings.create(model="up-echo", input=["a", "b"])
assert [d.embedding for d in e.data] == [[1.0, 0.0], [1.0, 1.0]], e
ids = [m.id for m in client.models.list()]
assert "up-echo" in ids and "up-tools" in ids, ids

# The Responses API, whole and streamed.
r = client.responses.create(model="up-echo", input="hi")
assert r.status == "completed" and r.output_text == "hello world", r
assert r.usage.input_tokens == 12 and r.usage.output_tokens == 3, r.usage
assert r.usage.input_tokens_details.cached_tokens == 4, r.usage
events = list(client.responses.create(model="up-echo", input="hi", stream=True))
deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
assert "".join(deltas) == "hello world" and len(deltas) >= 2, deltas
assert events[0].type == "response.created" and events[-1].type == "response.completed", events
assert events[-1].response.output_text == "hello world", events[-1]
assert events[-1].response.usage.output_tokens == 3, events[-1]
# Function calls through Responses.
tools = [{"type": "function", "name": "weather", "parameters": {"type": "object"}},
         {"type": "function", "name": "time", "parameters": {"type": "object"}}]
r = client.responses.create(model="up-tools", input="hi", tools=tools)
calls = [(o.call_id, o.name, o.arguments) for o in r.output if o.type == "function_call"]
assert calls == [("call_w", "weather", '{"city":"Paris"}'), ("call_t", "time", '{"tz":"CET"}')], r
with client.responses.stream(model="up-tools", input="hi", tools=tools) as s:
    args = "".join(e.delta for e in s if e.type == "response.function_call_arguments.delta")
    final = s.get_final_response()
assert args == '{"city":"Paris"}{"tz":"CET"}', args
assert [o.name for o in final.output if o.type == "function_call"] == ["weather", "time"], final
try:
    client.responses.create(model="up-limited", input="hi")
    raise AssertionError("responses: no RateLimitError")
except openai.RateLimitError:
    pass

print("ok")
