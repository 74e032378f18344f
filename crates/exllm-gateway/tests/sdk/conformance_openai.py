"""One chat case of the conformance kit (../shared/conformance) through `exllm serve` and the
official `openai` SDK: the kit's replay server is the backend, the gateway serves it under
one model name, and the SDK's answer is printed as the kit's output object.

    python conformance_openai.py EXLLM_BINARY chat --model P/M --base-url URL \
        [--api API] [--stream] --json PROMPT

so the kit runs it as
    check.py --cmd 'target/sdk-venv/bin/python crates/exllm-gateway/tests/sdk/conformance_openai.py target/debug/exllm chat' ...
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile

import openai

FINISH = {"stop", "length", "tool_calls", "content_filter"}


def arguments(text):
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return {} if value is None else value


def citations_of(obj, into):
    extra = getattr(obj, "model_extra", None) or {}
    for a in getattr(obj, "annotations", None) or extra.get("annotations") or []:
        a = a if isinstance(a, dict) else a.model_dump()
        c = a.get("url_citation") or {}
        if c.get("url") and all(x["url"] != c["url"] for x in into):
            into.append({"url": c["url"], "title": c.get("title")})


def reasoning_of(obj):
    extra = getattr(obj, "model_extra", None) or {}
    return extra.get("reasoning_content") or ""


def parse():
    """The kit's command line (see the module doc)."""
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("kind")
    p.add_argument("--model", required=True)
    p.add_argument("--base-url", required=True)
    p.add_argument("--api")
    p.add_argument("--stream", action="store_true")
    p.add_argument("--json", dest="prompt", required=True)
    return p.parse_args()


def serve(a, ask):
    """Starts `exllm serve` in front of the replay server as model `case`, then `ask(a, port)`."""
    if a.kind != "chat":
        print(json.dumps({"error": {"status": 0, "message": "only chat cases"}}))
        return 2

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    config.write("[[models]]\nname = \"case\"\n")
    config.write("model = %s\napi_base = %s\n" % (json.dumps(a.model), json.dumps(a.base_url)))
    if a.api:
        config.write("api = %s\n" % json.dumps(a.api))
    config.close()
    server = subprocess.Popen(
        [a.binary, "serve", "--config", config.name, "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stderr.readline()
        if "listening" not in line:
            print(json.dumps({"error": {"status": 0, "message": "exllm serve: " + line}}))
            return 2
        return ask(a, port)
    finally:
        server.terminate()
        server.wait(10)
        os.unlink(config.name)


def main():
    return serve(parse(), ask)


def ask(a, port):
    client = openai.OpenAI(base_url="http://127.0.0.1:%d/v1" % port, api_key="unused", max_retries=3)
    messages = [{"role": "user", "content": a.prompt}]
    out = {"text": "", "reasoning": "", "tool_calls": [], "finish_reason": "stop", "usage": None,
           "citations": []}
    try:
        if not a.stream:
            r = client.chat.completions.create(model="case", messages=messages)
            m = r.choices[0].message
            out["text"] = m.content or ""
            out["reasoning"] = reasoning_of(m)
            citations_of(m, out["citations"])
            out["tool_calls"] = [
                {"id": c.id, "name": c.function.name, "arguments": arguments(c.function.arguments)}
                for c in m.tool_calls or []
            ]
            finish = r.choices[0].finish_reason
            usage = r.usage
        else:
            calls = {}
            finish, usage = None, None
            stream = client.chat.completions.create(
                model="case", messages=messages, stream=True, stream_options={"include_usage": True}
            )
            try:
                for chunk in stream:
                    usage = chunk.usage or usage
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    finish = choice.finish_reason or finish
                    out["text"] += choice.delta.content or ""
                    out["reasoning"] += reasoning_of(choice.delta)
                    citations_of(choice.delta, out["citations"])
                    for tc in choice.delta.tool_calls or []:
                        slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                        slot["id"] = tc.id or slot["id"]
                        if tc.function:
                            slot["name"] = tc.function.name or slot["name"]
                            slot["arguments"] += tc.function.arguments or ""
            except openai.APIError as e:
                if isinstance(e, openai.APIStatusError):
                    raise
                finish = "error"
            out["tool_calls"] = [
                {"id": c["id"], "name": c["name"], "arguments": arguments(c["arguments"])}
                for _, c in sorted(calls.items())
            ]
        out["finish_reason"] = finish if finish in FINISH or finish == "error" else "other"
        if usage is not None:
            out["usage"] = {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens}
    except openai.APIStatusError as e:
        body = e.body if isinstance(e.body, dict) else {}
        message = (body.get("error") or body).get("message") if isinstance(body, dict) else None
        print(json.dumps({"error": {"status": e.status_code, "message": message or str(e)}}))
        return 1
    print(json.dumps(out))
    return 1 if out["finish_reason"] == "error" else 0


if __name__ == "__main__":
    sys.exit(main())
