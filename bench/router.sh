#!/usr/bin/env bash
# The router's overhead (issue 16): a call through a two-deployment group (in-memory state)
# against the same call through a plain client, CPU of the client process only, interleaved
# repetitions, median of the per-repetition ratios; then the Redis commands a routed call costs
# against a real redis-server. Usage: bench/router.sh [REPS] [N]  (defaults 5, 2000).
# The clients run pinned to CPU 0, the mock and redis-server to CPU 1 (`taskset`, with two
# CPUs or more; EXLLM_BENCH_PIN=0 turns it off): unpinned, the client and the mock share and
# swap cores, and the migrations' cold caches move a call's CPU time by more than the 5 % the
# router is allowed (unpinned runs of the same binaries: 1.03-1.09x; pinned: 1.03-1.05x).
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
n=${2:-2000}
cargo build --release -p exllm-bench >/dev/null 2>&1
bin=target/release/exllm-bench
client_cpu=() server_cpu=()
if [ "${EXLLM_BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  client_cpu=(taskset -c 0) server_cpu=(taskset -c 1)
fi
out=$(mktemp -d)
${server_cpu[@]+"${server_cpu[@]}"} $bin serve --idle 120 --max 3600 >"$out/addr" &
mock=$!
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
${server_cpu[@]+"${server_cpu[@]}"} redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
redis=$!
trap 'kill $mock $redis 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$out/addr" ] && break; sleep 0.1; done
addr=$(head -1 "$out/addr")
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export EXLLM_BENCH_REDIS="redis://127.0.0.1:$port/"
for r in $(seq "$reps"); do
  for mode in whole stream; do
    flag=""; calls=$n
    [ "$mode" = stream ] && { flag="--stream"; calls=$((n / 4)); }
    for c in exllm exllm-routed exllm-routed-redis; do
      ${client_cpu[@]+"${client_cpu[@]}"} $bin run --client "$c" --addr "$addr" $flag --n "$calls" | sed "s/^/$r $mode /" >>"$out/runs"
    done
  done
done
$bin router-redis --addr "$addr" --n 1000 >"$out/redis"
python3 - "$out/runs" "$out/redis" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    rep, mode, js = line.split(" ", 2)
    m = json.loads(js)
    runs.setdefault((mode, rep), {})[m["client"]] = m
print("| call | plain exllm µs CPU/call | routed (memory) | ratio | routed (Redis) | ratio |")
print("|---|---|---|---|---|---|")
for mode in ("whole", "stream"):
    reps = [v for (md, _), v in runs.items() if md == mode]
    med = lambda c: statistics.median(r[c]["cpu_us_per_call"] for r in reps)
    ratio = lambda c: statistics.median(r[c]["cpu_s"] / r["exllm"]["cpu_s"] for r in reps)
    print(f"| {mode}, sequential | {med('exllm'):.1f} | {med('exllm-routed'):.1f} | "
          f"{ratio('exllm-routed'):.3f}× | {med('exllm-routed-redis'):.1f} | {ratio('exllm-routed-redis'):.3f}× |")
print()
print("Redis, per routed call:", open(sys.argv[2]).read().strip())
PY
