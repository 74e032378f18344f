#!/usr/bin/env python3
"""One measured run of a Python SDK (`openai` or `litellm`) against the exllm-bench mock.

Same interface and JSON line as `exllm-bench run`, so the suite interleaves it with the Rust
clients: CPU time of this process over the timed part only (getrusage user + sys), latency
percentiles, calls/s and peak RSS (VmHWM). Text is counted, not kept.
"""
import argparse
import asyncio
import json
import math
import os
import resource
import time

SYSTEM = "You are a concise assistant. Answer in one short paragraph."
USER = "What is the capital of France, and what is it known for?"


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def make_call(sdk, addr, model, stream):
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
    if sdk == "openai":
        import openai

        client = openai.AsyncOpenAI(base_url=f"http://{addr}/v1", api_key="sk-bench", max_retries=0)

        async def call():
            if not stream:
                r = await client.chat.completions.create(model=model, messages=messages, max_tokens=256, temperature=0.7)
                return len(r.choices[0].message.content or ""), 1
            s = await client.chat.completions.create(
                model=model, messages=messages, max_tokens=256, temperature=0.7,
                stream=True, stream_options={"include_usage": True})
            n = b = 0
            async for chunk in s:
                for ch in chunk.choices:
                    if ch.delta.content:
                        n += 1
                        b += len(ch.delta.content)
            return b, n
        return call
    if sdk == "litellm":
        import litellm

        litellm.telemetry = False

        async def call():
            kw = dict(model=f"openai/{model}", messages=messages, max_tokens=256, temperature=0.7,
                      api_base=f"http://{addr}/v1", api_key="sk-bench")
            if not stream:
                r = await litellm.acompletion(**kw)
                return len(r.choices[0].message.content or ""), 1
            s = await litellm.acompletion(stream=True, stream_options={"include_usage": True}, **kw)
            n = b = 0
            async for chunk in s:
                for ch in chunk.choices:
                    if ch.delta.content:
                        n += 1
                        b += len(ch.delta.content)
            return b, n
        return call
    raise SystemExit(f"unknown sdk {sdk}")


async def batch(call, n, conc, lat):
    sem = asyncio.Semaphore(conc)
    totals = [0, 0]

    async def one():
        async with sem:
            t = time.perf_counter()
            b, c = await call()
            lat.append(time.perf_counter() - t)
            totals[0] += b
            totals[1] += c

    await asyncio.gather(*(one() for _ in range(n)))
    return totals


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--client", required=True)
    p.add_argument("--addr", required=True)
    p.add_argument("--format", default="openai")
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--model", default="bench-200")
    p.add_argument("--stream", action="store_true")
    a = p.parse_args()
    if a.format != "openai":
        raise SystemExit("python runner: OpenAI format only")
    call = make_call(a.client, a.addr, a.model, a.stream)
    lat = []
    await batch(call, max(min(a.n // 10, 50), min(a.concurrency, a.n)), a.concurrency, lat)
    lat.clear()
    c0, t0 = cpu(), time.perf_counter()
    b, chunks = await batch(call, a.n, a.concurrency, lat)
    wall, cpu_s = time.perf_counter() - t0, cpu() - c0
    lat.sort()
    pct = lambda q: lat[max(1, min(len(lat), math.ceil(len(lat) * q))) - 1] * 1e6
    print(json.dumps({
        "client": "py-" + a.client, "stream": a.stream, "n": a.n, "concurrency": a.concurrency,
        "model": a.model, "cpu_s": cpu_s, "wall_s": wall, "chunks": chunks, "bytes": b,
        "cpu_us_per_call": cpu_s * 1e6 / a.n, "cpu_ns_per_chunk": cpu_s * 1e9 / max(chunks, 1),
        "p50_us": pct(0.5), "p99_us": pct(0.99), "calls_per_s": a.n / wall, "peak_rss_kb": peak_rss_kb(),
    }))


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    asyncio.run(main())
