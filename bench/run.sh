#!/usr/bin/env bash
# End-to-end client benchmarks (issue 9): exllm (layers on and off) against a raw reqwest +
# serde_json floor, async-openai and genai — optionally the Python `openai` and `litellm` SDKs —
# over a loopback mock, plus exllm's criterion micro-benchmarks. Writes the section between the
# exllm-bench markers of bench/RESULTS.md (the local-model figures above it stay).
#
#   bench/run.sh            full run, ~12-15 min on 2 cores
#   bench/run.sh --quick    ~1-2 min, fewer calls and repetitions (no micro-benchmarks)
#   bench/run.sh --python   also the Python SDKs (installed into target/exllm-bench/venv)
#   bench/run.sh --no-micro skip the criterion micro-benchmarks
#   bench/run.sh --no-build use target/release/exllm-bench as it is (e.g. while the library is
#                           mid-edit and does not build)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0 python=0 micro=1 build=1
for a in "$@"; do
  case "$a" in
    --quick) quick=1 micro=0 ;;
    --python) python=1 ;;
    --no-micro) micro=0 ;;
    --micro) micro=1 ;;
    --no-build) build=0 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
out=target/exllm-bench
mkdir -p "$out"
start=$(date +%s)

if [ "$build" = 1 ]; then
  cargo build --release -p exllm-bench
else
  echo "note: not building; using target/release/exllm-bench from $(date -r target/release/exllm-bench '+%H:%M')" >&2
fi
suite_args=(--out "$out")
[ "$quick" = 1 ] && suite_args+=(--quick)

if [ "$python" = 1 ]; then
  if [ ! -x "$out/venv/bin/python" ]; then
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install --quiet --upgrade openai litellm
  fi
  suite_args+=(--python "$out/venv/bin/python")
else
  echo "note: Python SDKs skipped (pass --python to install openai + litellm into a venv and run them)" >&2
fi

target/release/exllm-bench suite "${suite_args[@]}"

instr_md=""
if [ "$quick" = 0 ]; then
  if command -v valgrind >/dev/null 2>&1; then
    instr_md=$(bench/instructions.sh)
  else
    echo "note: valgrind missing; instruction counts skipped (apt-get install valgrind)" >&2
  fi
fi

micro_md=""
if [ "$micro" = 1 ]; then
  # criterion's --quick: a few samples each, enough for orders of magnitude.
  for b in $(awk '/^\[\[bench\]\]/ {getline; gsub(/name = |"/, ""); print}' crates/exllm/Cargo.toml); do
    cargo bench -p exllm --bench "$b" -- --quick --noplot 2>/dev/null | tee "$out/criterion-$b.txt" >&2 || true
  done
  micro_md=$(python3 - "$out" <<'PY'
import re, sys, glob, os
rows = []
for f in sorted(glob.glob(os.path.join(sys.argv[1], "criterion-*.txt"))):
    name = None
    skip = False
    for line in open(f):
        # criterion's "change:" block (against the last run) repeats time and thrpt lines.
        if "change:" in line:
            skip = True
            continue
        if skip and re.match(r"^\s+(time|thrpt):", line):
            continue
        skip = False
        m = re.match(r"^(\S.*?)\s+time:\s+\[\S+ \S+ (\S+) (\S+)", line)
        if m:
            name = m.group(1).strip(); rows.append([name, m.group(2) + " " + m.group(3), ""]); continue
        if re.match(r"^\S", line) and "time:" not in line and not line.startswith(("Benchmarking", "Found", "Warning", "Gnuplot", "  ")):
            name = line.strip()
        m = re.match(r"^\s+time:\s+\[\S+ \S+ (\S+) (\S+)", line)
        if m and name:
            rows.append([name, m.group(1) + " " + m.group(2), ""]); continue
        m = re.match(r"^\s+thrpt:\s+\[\S+ \S+ (\S+) (\S+)", line)
        if m and rows:
            rows[-1][2] = m.group(1) + " " + m.group(2)
print("| benchmark | median time | throughput |\n|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} |")
PY
)
fi

elapsed=$(( $(date +%s) - start ))
lock_version() { awk -v n="$1" '$0 == "name = \"" n "\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock; }
# The reqwest exllm and the raw floor are built on (the peers may bring an older one of their own).
exllm_reqwest() { cargo tree -q -p exllm -e normal --depth 1 -i reqwest 2>/dev/null | awk 'NR==1 {print $2; exit}' | tr -d v; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
section=$(cat <<MD
<!-- exllm-bench:begin -->
## Remote clients: exllm against raw reqwest and peers (\`bench/run.sh\`)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`bench/run.sh $*\` (took ${elapsed} s).
Machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),
$(uname -sr), $(rustc --version). Crates: exllm $(lock_version exllm), reqwest $(exllm_reqwest) (exllm and the raw floor),
hyper $(lock_version hyper), async-openai $(lock_version async-openai), genai $(lock_version genai).
$( [ "$python" = 1 ] && "$out/venv/bin/python" -c 'import importlib.metadata as m, sys; print("Python SDKs: openai %s, litellm %s (Python %s)." % (m.version("openai"), m.version("litellm"), sys.version.split()[0]))' )
The machine is shared with other builds, so absolute figures move between runs; the ratios are
taken within one run with the clients interleaved.

How it is measured: \`exllm-bench suite\` starts the mock (hyper 1.x, HTTP/1.1 keep-alive,
current-thread runtime, cached bodies written in 16 KiB pieces) as one child process and runs
every client in a fresh child process of its own on a current-thread tokio runtime, so CPU time
(\`getrusage(RUSAGE_SELF)\`, user + sys, timed part only, after a warm-up) and peak RSS (\`VmHWM\`)
belong to the client alone. "raw" is the floor: reqwest + serde_json with typed, borrowing structs
and a minimal SSE splitter. "exllm" is the default client (retry, circuit breaker and recovery on);
"exllm-off" turns those layers off. Streams carry \`stream_options.include_usage\`; clients count
text, they do not keep it. Whole calls return a ~1 KB chat completion; stream chunks are ~260 bytes.

$(cat "$out/summary.md")
$( [ -n "$instr_md" ] && printf '### Instructions per call and per chunk (`bench/instructions.sh`, callgrind)\n\nCPU time on this shared VM moves by 10-30 %% between runs; instruction counts do not. Each\nfigure is a long run minus a short run of the same client, so start-up cancels out.\n\n%s\n' "$instr_md" )
$( [ -n "$micro_md" ] && printf '### Micro-benchmarks (criterion `--quick`, `crates/exllm/benches/`)\n\n%s\n' "$micro_md" )

Reproduce: \`bench/run.sh\` (full, ~15 min), \`bench/run.sh --quick\` (~2 min), add \`--python\` for
the Python SDKs. Raw per-run JSON lines: \`target/exllm-bench/runs.jsonl\`. One run by hand:
\`target/release/exllm-bench serve\` prints an address; \`target/release/exllm-bench run --client exllm
--addr ADDR --stream --n 100 --model bench-200\` prints one JSON line.
<!-- exllm-bench:end -->
MD
)
python3 - bench/RESULTS.md "$section" <<'PY'
import sys, re
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pat = re.compile(r"<!-- exllm-bench:begin -->.*?<!-- exllm-bench:end -->", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "bench/RESULTS.md updated (${elapsed} s)" >&2
