#!/usr/bin/env bash
# Instructions per call and per chunk, by client, under `valgrind --tool=callgrind`: unlike CPU
# time, an instruction count does not move with the other jobs of a shared 2-core machine, so
# its ratios are the stable ones. Each figure is the difference between a long and a short run
# of the same client (start-up, the catalog load and the warm-up cancel out). Prints a
# markdown table on stdout; needs valgrind (`apt-get install valgrind`) and a built
# target/release/exllm-bench. Takes ~4 minutes.
#
#   bench/instructions.sh [clients...]    default: raw exllm exllm-off exllm-traced exllm-watched async-openai genai
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/exllm-bench
clients=("$@")
[ ${#clients[@]} = 0 ] && clients=(raw exllm exllm-off exllm-traced exllm-watched async-openai genai)
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" serve --idle 120 --max 1800 >"$work/addr" &
server=$!
for _ in $(seq 50); do [ -s "$work/addr" ] && break; sleep 0.1; done
addr=$(grep -o '127\.0\.0\.1:[0-9]*' "$work/addr" | head -1)

count() { # client, extra args... -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" run --client "$@" --addr "$addr" 2>&1 |
    awk '/Collected :/ {print $NF}'
}
# whole: 500 and 1500 calls (per call: the difference / 1000);
# stream: 20 and 60 streams of 200 chunks (per chunk: the difference / 8000).
echo "| client | instructions per whole call | × raw | instructions per stream chunk | × raw |"
echo "|---|---|---|---|---|"
raw_call="" raw_chunk=""
for c in "${clients[@]}"; do
  a=$(count "$c" --n 500 --model bench); b=$(count "$c" --n 1500 --model bench)
  s=$(count "$c" --stream --n 20 --model bench-200); t=$(count "$c" --stream --n 60 --model bench-200)
  python3 - "$c" "$a" "$b" "$s" "$t" "$raw_call" "$raw_chunk" >>"$work/rows" <<'PY'
import sys
c, a, b, s, t, rc, rk = sys.argv[1:]
call = (int(b) - int(a)) / 1000
chunk = (int(t) - int(s)) / 8000
ratio = lambda v, r: f"{v / float(r):.2f}×" if r else "1.00×"
print(f"{c}\t{call:.0f}\t{chunk:.0f}\t| {c} | {call / 1000:.1f} k | {ratio(call, rc)} | {chunk / 1000:.2f} k | {ratio(chunk, rk)} |")
PY
  line=$(tail -1 "$work/rows")
  if [ "$c" = raw ]; then
    raw_call=$(cut -f2 <<<"$line"); raw_chunk=$(cut -f3 <<<"$line")
  fi
  cut -f4 <<<"$line"
done
