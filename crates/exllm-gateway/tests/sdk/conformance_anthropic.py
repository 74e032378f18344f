"""One chat case of the conformance kit (../shared/conformance) through `exllm serve` and the
official `anthropic` SDK (`/v1/messages`): the kit's replay server is the backend, the gateway
serves it under one model name, and the SDK's answer is printed as the kit's output object.

    python conformance_anthropic.py EXLLM_BINARY chat --model P/M --base-url URL \
        [--api API] [--stream] --json PROMPT

Anthropic's stop reasons map back to the kit's finish values, usage input counts cache reads
and writes (as the kit's README says for Anthropic), and only `tool_use` blocks are the
caller's tool calls (`server_tool_use` and other server-run blocks are not).
"""
import json
import sys

import anthropic

from conformance_openai import arguments, parse, serve

FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def citations_of(block, into):
    for c in getattr(block, "citations", None) or []:
        url = getattr(c, "url", None)
        if url and all(x["url"] != url for x in into):
            into.append({"url": url, "title": getattr(c, "title", None)})


def usage_of(u):
    if u is None:
        return None
    cached = (getattr(u, "cache_read_input_tokens", None) or 0) + (
        getattr(u, "cache_creation_input_tokens", None) or 0
    )
    return {"input_tokens": (u.input_tokens or 0) + cached, "output_tokens": u.output_tokens or 0}


def ask(a, port):
    client = anthropic.Anthropic(base_url="http://127.0.0.1:%d" % port, api_key="unused", max_retries=3)
    messages = [{"role": "user", "content": a.prompt}]
    out = {"text": "", "reasoning": "", "tool_calls": [], "finish_reason": "stop", "usage": None,
           "citations": []}
    try:
        if not a.stream:
            m = client.messages.create(model="case", max_tokens=4096, messages=messages)
            for b in m.content:
                if b.type == "text":
                    out["text"] += b.text
                    citations_of(b, out["citations"])
                elif b.type == "thinking":
                    out["reasoning"] += b.thinking
                elif b.type == "tool_use":
                    out["tool_calls"].append({"id": b.id, "name": b.name, "arguments": b.input or {}})
            stop = m.stop_reason
            out["usage"] = usage_of(m.usage)
        else:
            stop = None
            blocks = {}
            usage = {}
            try:
                for e in client.messages.create(model="case", max_tokens=4096, messages=messages, stream=True):
                    if e.type == "message_start":
                        usage = e.message.usage.model_dump(exclude_none=True)
                    elif e.type == "message_delta":
                        stop = e.delta.stop_reason or stop
                        usage.update(e.usage.model_dump(exclude_none=True))
                    elif e.type == "content_block_start":
                        b = e.content_block
                        slot = {"type": b.type, "json": ""}
                        if b.type == "tool_use":
                            slot.update(id=b.id, name=b.name, input=b.input)
                        if b.type == "text":
                            out["text"] += b.text
                            citations_of(b, out["citations"])
                        if b.type == "thinking":
                            out["reasoning"] += b.thinking
                        blocks[e.index] = slot
                    elif e.type == "content_block_delta":
                        slot = blocks.get(e.index, {"type": None})
                        d = e.delta
                        if d.type == "text_delta":
                            out["text"] += d.text
                        elif d.type == "thinking_delta":
                            out["reasoning"] += d.thinking
                        elif d.type == "input_json_delta" and slot["type"] == "tool_use":
                            slot["json"] += d.partial_json
                        elif d.type == "citations_delta":
                            citations_of(type("B", (), {"citations": [d.citation]}), out["citations"])
            except anthropic.APIError as e:
                # An `error` event inside a stream arrives on a 200 response: the answer so far
                # stands and ends in error; an HTTP error status is the case's error.
                if isinstance(e, anthropic.APIStatusError) and e.status_code != 200:
                    raise
                stop = "error"
            for _, b in sorted(blocks.items()):
                if b["type"] == "tool_use":
                    args = arguments(b["json"]) if b["json"].strip() else (b["input"] or {})
                    out["tool_calls"].append({"id": b["id"], "name": b["name"], "arguments": args})
            if usage:
                out["usage"] = usage_of(anthropic.types.Usage.model_construct(**{
                    k: usage.get(k) for k in
                    ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
                }))
        out["finish_reason"] = "error" if stop == "error" else FINISH.get(stop, "other")
    except anthropic.APIStatusError as e:
        body = e.body if isinstance(e.body, dict) else {}
        message = (body.get("error") or body).get("message") if isinstance(body, dict) else None
        print(json.dumps({"error": {"status": e.status_code, "message": message or str(e)}}))
        return 1
    print(json.dumps(out))
    return 1 if out["finish_reason"] == "error" else 0


if __name__ == "__main__":
    sys.exit(serve(parse(), ask))
