#!/usr/bin/env bash
# The gateway benchmark (issues 17 and 18): `exllm serve` against LiteLLM's proxy and Portkey's
# gateway, all in front of the same loopback mock (`exllm-bench serve`), measured by
# `exllm-bench gateway` (CPU and memory of each gateway's process tree from /proc, latency
# against calling the mock directly, throughput, CPU per streamed chunk, a soak), plus exllm
# with governance on (a virtual key with a rate limit and a budget) and exllm with its router
# state in a real redis-server (commands per request counted). Writes the section between the
# exllm-gateway markers of bench/RESULTS.md.
#
#   bench/gateway.sh                  full run (3 repetitions, 600 s soaks; about an hour)
#   bench/gateway.sh --quick          a few minutes: one repetition, 20 s soaks
#   bench/gateway.sh --soak SECONDS   soak length (default 600, 20 with --quick; 0: none)
#   bench/gateway.sh --reps R         repetitions of the interleaved phases
#   bench/gateway.sh --no-peers       exllm only (no LiteLLM, no Portkey)
#   bench/gateway.sh --no-build       use target/release/{exllm,exllm-bench} as they are
#   bench/gateway.sh --soak-targets exllm,litellm   which gateways soak
#                                     (default exllm,exllm-gov,litellm,portkey)
#
# The peers install on first use into target/gateway-bench: LiteLLM's proxy with pip into a
# virtual environment (`litellm[proxy]`), Portkey's gateway with npm (`@portkey-ai/gateway`).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0 build=1 peers=1 soak="" reps="" soak_targets="exllm,exllm-gov,litellm,portkey"
all_args="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --no-peers) peers=0 ;;
    --soak) soak="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --soak-targets) soak_targets="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
out=target/gateway-bench
run=$out/run
rm -rf "$run"
mkdir -p "$run"
start=$(date +%s)

if [ "$build" = 1 ]; then
  cargo build --release -p exllm-cli -p exllm-bench
fi
bin=target/release

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_http URL SECONDS: until the URL answers at all.
wait_http() {
  for _ in $(seq $(($2 * 10))); do
    curl -s -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.1
  done
  echo "no answer from $1 after $2 s" >&2
  return 1
}

# Peers: installed once, reused.
litellm_ok=0 portkey_ok=0 litellm_version="" portkey_version=""
if [ "$peers" = 1 ]; then
  if [ ! -x "$out/venv/bin/litellm" ]; then
    echo "installing litellm[proxy] into $out/venv" >&2
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install --quiet 'litellm[proxy]' >"$out/pip.log" 2>&1 || echo "pip install 'litellm[proxy]' failed: see $out/pip.log" >&2
  fi
  [ -x "$out/venv/bin/litellm" ] && litellm_ok=1 &&
    litellm_version=$("$out/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')
  pk="$out/portkey/node_modules/@portkey-ai/gateway"
  if [ ! -f "$pk/build/start-server.js" ]; then
    echo "installing @portkey-ai/gateway into $out/portkey" >&2
    mkdir -p "$out/portkey"
    (cd "$out/portkey" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent @portkey-ai/gateway) >"$out/npm.log" 2>&1 ||
      echo "npm install @portkey-ai/gateway failed: see $out/npm.log" >&2
  fi
  [ -f "$pk/build/start-server.js" ] && portkey_ok=1 &&
    portkey_version=$(node -p "require('./$pk/package.json').version")
fi

# The mock; it outlives the longest run by far.
$bin/exllm-bench serve --idle 3600 --max 86400 >"$run/mock.addr" &
mock_pid=$!
pids+=("$mock_pid")
for _ in $(seq 50); do [ -s "$run/mock.addr" ] && break; sleep 0.1; done
mock=$(head -1 "$run/mock.addr")
echo "mock at $mock" >&2

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$run/redis.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis_url="redis://127.0.0.1:$redis_port/"

models_toml() {
  for k in 200 1000; do
    cat <<TOML
[[models]]
name = "bench-$k"
model = "openai/bench-$k"
api_base = "http://$mock/v1"
api_key = "sk-bench"
TOML
  done
}
# exllm and LiteLLM check a master key (LiteLLM's proxy refuses to start without one;
# Portkey's open-source gateway has none and takes the provider's key per request).
master="sk-bench-master-7f3a9c2e41d86b05"
{ echo "master_key = \"$master\""; models_toml; } >"$run/exllm.toml"
{
  echo "master_key = \"$master\""
  echo '[governance]'
  echo "db = \"$PWD/$run/gov.db\""
  echo 'unpriced_input_per_1m = 1.0'
  echo 'unpriced_output_per_1m = 2.0'
  models_toml
} >"$run/exllm-gov.toml"
{
  echo "master_key = \"$master\""
  echo '[state]'
  echo "redis_url = \"$redis_url\""
  for k in 200 1000; do
    for d in 0 1; do
      cat <<TOML
[[deployments]]
group = "bench-$k"
model = "openai/bench-$k"
api_base = "http://$mock/v1"
api_key = "sk-bench"
rpm = 100000000
tpm = 100000000000
TOML
    done
  done
} >"$run/exllm-redis.toml"
cat >"$run/litellm.yaml" <<YAML
model_list:
  - model_name: bench-200
    litellm_params: {model: openai/bench-200, api_base: "http://$mock/v1", api_key: sk-bench}
  - model_name: bench-1000
    litellm_params: {model: openai/bench-1000, api_base: "http://$mock/v1", api_key: sk-bench}
general_settings:
  master_key: $master
YAML

declare -A port pid
start_exllm() { # name config
  port[$1]=$(free_port)
  $bin/exllm serve --config "$2" --port "${port[$1]}" >"$run/$1.log" 2>&1 &
  pid[$1]=$!
  pids+=("$!")
  wait_http "http://127.0.0.1:${port[$1]}/health/live" 30
}
start_exllm exllm "$run/exllm.toml"
start_exllm exllm-gov "$run/exllm-gov.toml"
start_exllm exllm-redis "$run/exllm-redis.toml"
vkey=$(curl -s -X POST "http://127.0.0.1:${port[exllm-gov]}/key/generate" \
  -H "Authorization: Bearer $master" -H 'content-type: application/json' \
  -d '{"key_alias":"bench","max_budget":1000000,"budget_duration":"1mo","rpm_limit":100000000,"tpm_limit":100000000000}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

if [ "$litellm_ok" = 1 ]; then
  port[litellm]=$(free_port)
  # No network at start (the cost map is the packaged one), no telemetry, errors only.
  LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False LITELLM_LOG=ERROR \
    "$out/venv/bin/litellm" --config "$run/litellm.yaml" --host 127.0.0.1 --port "${port[litellm]}" \
    --num_workers 1 >"$run/litellm.log" 2>&1 &
  pid[litellm]=$!
  pids+=("$!")
  wait_http "http://127.0.0.1:${port[litellm]}/health/liveliness" 180 || litellm_ok=0
fi
if [ "$portkey_ok" = 1 ]; then
  port[portkey]=$(free_port)
  node "$pk/build/start-server.js" --port="${port[portkey]}" --headless >"$run/portkey.log" 2>&1 &
  pid[portkey]=$!
  pids+=("$!")
  wait_http "http://127.0.0.1:${port[portkey]}/" 60 || portkey_ok=0
fi

python3 - "$run/targets.json" "$mock" "$master" "$vkey" "$soak_targets" "$litellm_ok" "$portkey_ok" \
  "exllm=${pid[exllm]}:${port[exllm]}" "exllm-gov=${pid[exllm-gov]}:${port[exllm-gov]}" \
  "exllm-redis=${pid[exllm-redis]}:${port[exllm-redis]}" \
  "litellm=${pid[litellm]:-0}:${port[litellm]:-0}" "portkey=${pid[portkey]:-0}:${port[portkey]:-0}" <<'PY'
import json, sys
path, mock, master, vkey, soak, litellm_ok, portkey_ok, *procs = sys.argv[1:]
soak = set(soak.split(","))
procs = dict((n, v.split(":")) for n, v in (p.split("=", 1) for p in procs))
headers = {
    "exllm": [["authorization", f"Bearer {master}"]],
    "exllm-gov": [["authorization", f"Bearer {vkey}"]],
    "exllm-redis": [["authorization", f"Bearer {master}"]],
    "litellm": [["authorization", f"Bearer {master}"]],
    "portkey": [["x-portkey-provider", "openai"], ["x-portkey-custom-host", f"http://{mock}/v1"],
                ["authorization", "Bearer sk-bench"]],
}
targets = []
for name in ["exllm", "exllm-gov", "exllm-redis", "litellm", "portkey"]:
    if (name == "litellm" and litellm_ok != "1") or (name == "portkey" and portkey_ok != "1"):
        continue
    pid, port = procs[name]
    targets.append({"name": name, "pid": int(pid), "addr": f"127.0.0.1:{port}",
                    "headers": headers.get(name, []), "soak": name in soak,
                    "redis": name == "exllm-redis"})
json.dump(targets, open(path, "w"), indent=1)
PY

gw_args=(--targets "$run/targets.json" --mock "$mock" --mock-pid "$mock_pid" --redis "$redis_url" --out "$out")
[ "$quick" = 1 ] && gw_args+=(--quick)
[ -n "$soak" ] && gw_args+=(--soak "$soak")
[ -n "$reps" ] && gw_args+=(--reps "$reps")
$bin/exllm-bench gateway "${gw_args[@]}"

elapsed=$(( $(date +%s) - start ))
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
missing=""
[ "$peers" = 1 ] && [ "$litellm_ok" = 0 ] && missing+=" LiteLLM's proxy did not install or start (see $out/pip.log, $run/litellm.log)."
[ "$peers" = 1 ] && [ "$portkey_ok" = 0 ] && missing+=" Portkey's gateway did not install or start (see $out/npm.log, $run/portkey.log)."
section=$(cat <<MD
<!-- exllm-gateway:begin -->
## Gateway: \`exllm serve\` against LiteLLM's proxy and Portkey (\`bench/gateway.sh\`)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`bench/gateway.sh $all_args\` (took ${elapsed} s).
Machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr).
exllm $($bin/exllm --version 2>/dev/null | awk '{print $2}') (release build, 2 runtime workers)$( [ -n "$litellm_version" ] && echo ", LiteLLM proxy $litellm_version (1 uvicorn worker, Python $("$out/venv/bin/python" -c 'import sys; print(sys.version.split()[0])'))")$( [ -n "$portkey_version" ] && echo ", Portkey gateway $portkey_version (Node $(node --version))").${missing}

How it is measured: every gateway runs as its own process in front of the same mock
(\`exllm-bench serve\`: hyper, one thread, cached bodies); the load generator
(\`exllm-bench gateway\`, hyper client, keep-alive connections, one thread) sends the same
OpenAI chat request (a ~1 KB answer; streams with \`stream_options.include_usage\`) to each
in turn, and to the mock directly for the latency baseline. exllm and LiteLLM check a master
key (Portkey's open-source gateway has none; it is sent the provider key and
\`x-portkey-provider\`/\`x-portkey-custom-host\`). "exllm" serves direct
\`[[models]]\` entries; "exllm-gov" the same with \`[governance]\` on, called with a virtual key
that has a rate limit (RPM and TPM) and a monthly budget (the models priced by
\`unpriced_*_per_1m\`, so every request reserves and settles); "exllm-redis" serves router
groups of two deployments each with RPM/TPM limits and \`[state] redis_url\` (a local
redis-server). The stream phase is 1,000 content chunks per stream; CPU per chunk divides by
the mock's 1,003 chunks per stream. The soak alternates whole requests at c=64 with streams
at c=16 and compares resident memory at the end with a tenth of the way in.
The machine is shared with other builds, so absolute figures move between runs.

$(cat "$out/gateway-summary.md")

Reproduce: \`bench/gateway.sh\` (full), \`bench/gateway.sh --quick\`. Raw per-phase JSON lines:
\`target/gateway-bench/gateway-runs.jsonl\`; configs and logs of the last run: \`target/gateway-bench/run/\`.
<!-- exllm-gateway:end -->
MD
)
python3 - bench/RESULTS.md "$section" <<'PY'
import sys, re
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pat = re.compile(r"<!-- exllm-gateway:begin -->.*?<!-- exllm-gateway:end -->", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "bench/RESULTS.md updated (${elapsed} s)" >&2
