"""llama.cpp (PyPI llama-cpp-python, which builds it from source) on the same GGUF and prompt
as exllm's `local_bench`: load time, prompt and generation tokens/s at a thread count, greedy,
best of three runs; one JSON line. `bench/local.sh` runs it beside exllm.

usage: llamacpp_bench.py MODEL.gguf THREADS TOKENS
"""
import json
import sys
import time

from llama_cpp import Llama

PROMPT = (
    "Here are some notes about the history of the city of Paris. Paris was founded as a "
    "small settlement on an island in the Seine. It grew into a Roman town, then the capital of the "
    "Franks, then of the kingdom of France. In the nineteenth century its streets were rebuilt with "
    "wide boulevards, parks and sewers. Today it is known for its museums, its cafes and its food. "
    "Write a long, detailed story about a young baker who moves to Paris to open a shop."
)

path, threads, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
llm = Llama(model_path=path, n_ctx=2048, n_threads=threads, n_threads_batch=threads,
            n_batch=512, verbose=False, seed=1)
load_s = time.perf_counter() - t0
# SmolLM2's ChatML, as exllm renders it from the GGUF's template.
text = f"<|im_start|>user\n{PROMPT}<|im_end|>\n<|im_start|>assistant\n"
prompt = llm.tokenize(text.encode(), add_bos=False, special=True)
best = None
for _ in range(3):
    llm.reset()
    t1 = time.perf_counter()
    llm.eval(prompt)
    t2 = time.perf_counter()
    for _ in range(n):
        tok = llm.sample(temp=0.0)
        llm.eval([tok])
    t3 = time.perf_counter()
    run = (len(prompt) / (t2 - t1), n / (t3 - t2))
    best = run if best is None or run[1] > best[1] else best
print(json.dumps({
    "engine": "llama.cpp", "threads": threads, "load_ms": round(load_s * 1e3, 1),
    "prompt_tokens": len(prompt), "prompt_tokens_per_second": round(best[0], 1),
    "completion_tokens": n, "generation_tokens_per_second": round(best[1], 1),
}))
