#!/usr/bin/env bash
# The whole performance suite in one command, sized to finish in under 20 minutes on a 2-core
# machine. Writes a dated section at the top of perf/RESULTS.md's results (older ones stay below).
#
#   perf/run.sh                 # everything; fails at once, saying what is missing, if a peer is not installed
#   ALLOW_MISSING=1 perf/run.sh # run what can run; the section says which peers were missing
#
# Steps (each under its own time limit; a step that fails or times out is reported as such):
#   1. load driver (Redoubt.Perf load): syslog TCP vs rsyslog on the same bytes, loggen, UDP loss per
#      offered rate, RELP, forward, NDJSON, send -> queryable latency; against the real appliance
#      process with all shared Sigma rules loaded
#   2. detection cost per event vs rule count (BenchmarkDotNet, 100 / 1000 / all rules)
#   2b. micro: BenchmarkDotNet on the hot paths, per frame / line / query with allocations and the thread's CPU
#      time: framing (syslog octet-counted and LF, RELP, forward decode, NDJSON), the syslog header parser and
#      frame-to-event per corpus, each payload decoder on its own real lines, graph traversal (--small graph)
#   3. graph engine vs SQLite recursive CTE, --small (100k nodes / 1M edges); the full size
#      (1M nodes / 10M edges, step graph-full: GRAPH_FULL=1 or STEPS=...,graph-full) takes 4-10 min more
#      here, most of it SQLite's load, so it is not in the default 20-minute run
#   4. graph store recovery, 1M edges; replay of 200k events into an empty graph
#   5. bounded fuzz of the syslog framer, header parser and payload decoders (perf/Fuzz, mutated real lines)
#   6. soak: the real appliance under constant moderate NDJSON load with a dashboard polling; RSS, handles,
#      latency at start vs end, every acknowledged event looked for in the store
#   7. scale, 1M events: store written fast, event log open after kill -9, the appliance started on it, API
#      latency (events search, dashboard, alerts) vs the same lookups in SQLite, memory per event and per graph
#      edge, kill -9 -> healthy again
#   8. scale, 10M events (only with SCALE_10M=1 or STEPS=...,scale-10m): the same at 10M. Not in the default
#      run: writing the store and replaying it into the graph alone take longer than the 20-minute budget here.
#
#   STEPS=fuzz,soak perf/run.sh   # only the named steps (load, detection, micro, graph, recovery-graph,
#                                 # recovery-replay, fuzz, soak, scale-1m, graph-full, scale-10m); the section says which ran
# Peers: rsyslogd (Debian rsyslog) and loggen (Debian syslog-ng-core). The two packages conflict,
# so loggen is unpacked from syslog-ng-core into a cache folder (see shared SENDERS-NOTES 2.1).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared=${REDOUBT_SHARED_DATA:-}
if [ -z "$shared" ]; then # the nearest shared/data above the checkout (as the tests find it), also from a worktree
  d=$repo; while [ "$d" != / ] && [ ! -d "$d/shared/data" ]; do d=$(dirname "$d"); done; shared=$d/shared/data
fi
out=$(mktemp -d /tmp/redoubt-perf-run-XXXXXX)
started=$(date -u +%s)
command_line="${STEPS:+STEPS=$STEPS }perf/run.sh${ALLOW_MISSING:+ (ALLOW_MISSING=1)}"

wants() { [ -z "${STEPS:-}" ] || [[ ",$STEPS," == *",$1,"* ]]; } # is step $1 part of this run

# ---- peers (only the load driver uses them) ------------------------------------------------------
missing=()
wants load && { command -v rsyslogd >/dev/null || missing+=("rsyslogd: apt-get install rsyslog"); }
loggen=${LOGGEN:-}
if [ -z "$loggen" ] && command -v loggen >/dev/null; then loggen=$(command -v loggen); fi
if [ -z "$loggen" ] && wants load; then
  ng=${XDG_CACHE_HOME:-$HOME/.cache}/redoubt-perf/syslog-ng
  if [ ! -x "$ng/usr/bin/loggen" ]; then
    mkdir -p "$ng/debs"
    (cd "$ng/debs" && apt-get download syslog-ng-core >/dev/null 2>&1 && dpkg-deb -x syslog-ng-core_*.deb "$ng") || true
  fi
  if [ -x "$ng/usr/bin/loggen" ]; then
    loggen=$ng/usr/bin/loggen
    export SYSLOGNG_PREFIX=$ng/usr LD_LIBRARY_PATH=$ng/usr/lib/syslog-ng${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  else
    missing+=("loggen: apt-get download syslog-ng-core failed (needs apt-get update and its runtime libraries libivykis0 libnet1 libjson-c5 libwrap0; or set LOGGEN=/path/to/loggen)")
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  printf 'perf/run.sh: missing peer: %s\n' "${missing[@]}" >&2
  [ -n "${ALLOW_MISSING:-}" ] || { echo "install them, or run with ALLOW_MISSING=1 to go on without (the results will say so)" >&2; exit 2; }
fi
scenarios=tcp,udp,relp,forward,ndjson,restart
command -v rsyslogd >/dev/null && scenarios=$scenarios,rsyslog
[ -n "$loggen" ] && scenarios=$scenarios,loggen

# ---- build -------------------------------------------------------------------------------------
echo "== build (Release)" >&2
dotnet build -c Release Appliance.sln > "$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; exit 1; }
perf="dotnet perf/bin/Release/net10.0/Redoubt.Perf.dll"

step() { # name seconds command...: runs a step under a time limit, output to $out/name.log
  local name=$1 limit=$2; shift 2
  wants "$name" || return 0
  echo "== $name (limit ${limit}s)" >&2
  local t0=$(date +%s)
  timeout --signal=TERM --kill-after=20 "$limit" "$@" > "$out/$name.log" 2> "$out/$name.err"
  local rc=$?
  echo "$rc $(( $(date +%s) - t0 ))" > "$out/$name.rc"
  [ $rc -eq 0 ] || { echo "   $name exited $rc (124 = time limit)" >&2; tail -5 "$out/$name.err" >&2; }
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
step load 360 $perf load --data "$shared" --scenarios "$scenarios" ${loggen:+--loggen "$loggen"} \
  --rules "$shared/sigma" --count 150000 --connections 4 --repeat 3 --latency-rate 2000 --latency-seconds 8 \
  --udp-rates 5000,20000,0 --udp-seconds 4 --out "$out/load.md"
step detection 180 $perf --filter '*DetectionBenchmarks*' --exporters github --artifacts "$out/bdn"
step micro 300 env REDOUBT_SHARED_DATA="$shared" $perf --filter '*FramingBenchmarks*' '*ParseBenchmarks*' '*DecoderBenchmarks*' '*TraversalBenchmarks*' \
  --artifacts "$out/micro"
step graph 280 $perf graph-bench --small
step recovery-graph 120 $perf store-recovery graph --edges 1000000
step recovery-replay 90 $perf store-recovery replay --events 200000
step fuzz 100 dotnet perf/Fuzz/bin/Release/net10.0/Fuzz.dll 1000000000 "$(date +%s)" 1
step soak 200 $perf soak --data "$shared" --rules "$shared/sigma" --minutes 2 --rate 1000 --window 20 --out "$out/soak.md"
step scale-1m 600 $perf scale --data "$shared" --rules "$shared/sigma" --events 1000000 --requests 20 --sqlite --out "$out/scale-1m.md"
if [ -n "${GRAPH_FULL:-}" ] || [[ ",${STEPS:-}," == *",graph-full,"* ]]; then
  step graph-full 900 $perf graph-bench
fi
if [ -n "${SCALE_10M:-}" ] || [[ ",${STEPS:-}," == *",scale-10m,"* ]]; then
  step scale-10m 1500 $perf scale --data "$shared" --rules "$shared/sigma" --events 10000000 --requests 20 --sink-wait 300 --sqlite --out "$out/scale-10m.md"
fi
load1=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(( $(date -u +%s) - started ))

# ---- the RESULTS.md section --------------------------------------------------------------------
python3 - "$out" "$repo/perf/RESULTS.md" "$command_line" "$load0" "$load1" "$elapsed" "${missing[*]:-}" <<'PY'
import glob, os, platform, re, subprocess, sys, datetime
out, results, cmd, load0, load1, elapsed, missing = sys.argv[1:8]
def read(p):
    try: return open(p, encoding="utf-8", errors="replace").read()
    except OSError: return ""
def status(name):
    rc = read(f"{out}/{name}.rc").split()
    if not rc: return "not run"
    return f"ok, {rc[1]} s" if rc[0] == "0" else (f"**time limit hit** after {rc[1]} s" if rc[0] == "124" else f"**failed** (exit {rc[0]}) after {rc[1]} s")
cpu = next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines() if l.startswith("model name")), "?")
mem = next((l.split()[1] for l in read("/proc/meminfo").splitlines() if l.startswith("MemTotal")), "0")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
s = []
s.append(f"## Suite run {now} (`{cmd}`, commit {commit})\n")
s.append(f"Machine: {os.cpu_count()} cores ({cpu}), {int(mem)//1024//1024} GiB, {platform.platform()}, .NET SDK {dotnet}. "
         f"Load average (1/5/15 min) {load0} at the start, {load1} at the end: the machine is shared with other engineers' "
         f"builds and tests, so absolute figures are noisy; **the ratios measured in the same run are the figures to quote**. "
         f"Whole suite: {int(elapsed)//60} min {int(elapsed)%60} s.\n")
if missing: s.append(f"**Peers missing, their rows are absent:** {missing}\n")
def ran(*names): return any(status(n) != "not run" for n in names)
if ran("load"):
  s.append(f"### Ingest, end to end against the real appliance process (load driver: {status('load')})\n")
  s.append("All Sigma rules of shared/data/sigma loaded (detection runs on every event); message mix = every line of the real "
           "logs in shared/data/logs (loghub Linux/OpenSSH/Mac/Thunderbird, Wazuh by-vendor lines, CEF samples). "
         "Medians of 3 runs; rsyslog runs right after each Redoubt TCP run on the same bytes.\n")
  s.append(read(f"{out}/load.md") or "(no figures: see the failure above)\n")
if ran("detection"):
  s.append(f"\n### Detection cost per event vs rule count (BenchmarkDotNet: {status('detection')})\n")
  bdn = sorted(glob.glob(f"{out}/bdn/results/*DetectionBenchmarks*-report-github.md"))
  if bdn:
    text = read(bdn[0])
    table = "\n".join(l for l in text.splitlines() if l.startswith("|"))
    s.append("7,408 real OTRF Windows events; one operation = one event. `Detect` = read + classify + pre-filter + evaluate.\n\n" + table + "\n")
if ran("micro"):
  s.append(f"\n### Hot paths, per frame / line / query (BenchmarkDotNet micro step: {status('micro')})\n")
  s.append("In-process, 1 warm-up and 5 measured iterations of ~120 ms after each body ran until the JIT went quiet "
           "(perf/Micro/MicroConfig.cs). `Mean` is wall time; **`CPU/op` is the benchmark thread's own CPU time** (the figure "
           "to compare under load); `Allocated` is exact. Inputs: the load driver's message mix (10,000 lines), the 7,408 OTRF "
           "Windows events (forward: 500 per message; NDJSON: one per line), each decoder's own real lines, the --small graph.\n")
  notes = []
  for l in read(f"{out}/micro.log").splitlines():
    if l.startswith("# micro: ") and l[9:] not in notes: notes.append(l[9:])
  if notes: s.append("\n".join("- " + n for n in notes) + "\n")
  names = {"FramingBenchmarks": "Framing: bytes of a connection to frames (syslog, RELP) or events (forward, NDJSON)",
           "ParseBenchmarks": "Syslog header parser (`Header`) and the whole frame-to-event path (`FrameToEvent`), per line",
           "DecoderBenchmarks": "Each payload decoder on its own real lines (dispatch, decoder, promotion), per line",
           "TraversalBenchmarks": "Graph queries, per query"}
  for cls, title in names.items():
    found = sorted(glob.glob(f"{out}/micro/results/*{cls}-report-github.md"))
    if not found: continue
    table = "\n".join(l.replace("**", "") for l in read(found[0]).splitlines() if l.startswith("|"))
    s.append(f"\n{title}:\n\n{table}\n")
if ran("graph"):
  s.append(f"\n### Graph engine vs SQLite recursive CTE, --small (`graph-bench --small`: {status('graph')})\n")
  g = read(f"{out}/graph.log")
  s.append("```\n" + (g.strip() or "(no output)") + "\n```\n")
if ran("graph-full"):
  s.append(f"\n### Graph engine vs SQLite recursive CTE, full size (`graph-bench`: {status('graph-full')})\n")
  g = read(f"{out}/graph-full.log")
  s.append("```\n" + (g.strip() or "(no output)") + "\n```\n")
if ran("recovery-graph", "recovery-replay"):
  s.append(f"\n### Recovery (`store-recovery`: graph 1M edges {status('recovery-graph')}; replay 200k events {status('recovery-replay')})\n")
  r = "\n".join(l for l in (read(f"{out}/recovery-graph.log") + read(f"{out}/recovery-replay.log")).splitlines() if l.startswith("RESULT"))
  s.append("```\n" + (r or "(no result line)") + "\n```\n")
if ran("fuzz"):
  s.append(f"\n### Fuzz: syslog framer, header parser, payload decoders over mutated real lines (perf/Fuzz: {status('fuzz')})\n")
  f = "\n".join(l for l in read(f"{out}/fuzz.log").splitlines() if l.startswith(("OK", "FAIL", "HANG", "slowest")))
  s.append("Seeds: every Wazuh by-vendor line, the CEF samples, loghub Linux and Mac, the syslog conformance cases; inputs are random bytes, "
         "syntax soup, header forms + payload signatures + real tails, spliced and mutated real lines, and whole-stream framing with random cuts. "
         "Zero exceptions expected; any broken invariant fails the step with its input in base64.\n")
  s.append("```\n" + (f or "(no result line)") + "\n```\n")
if ran("soak"):
  s.append(f"\n### Soak: constant moderate load against the real appliance (`soak --minutes 2 --rate 1000`: {status('soak')})\n")
  s.append(read(f"{out}/soak.md") or "(no figures: see the failure above)\n")
for size in ("1m", "10m"):
  if ran("scale-" + size):
    s.append(f"\n### At scale, {size.upper()} events: API latency, SQLite peer, memory, recovery (`scale --events {1_000_000 if size == '1m' else 10_000_000:,}`: {status('scale-' + size)})\n")
    s.append(read(f"{out}/scale-{size}.md") or "(no figures: see the failure above)\n")
section = "\n".join(s) + "\n"
text = read(results)
marker = "<!-- run.sh sections go below this line, newest first -->\n"
if marker not in text:
    head, _, rest = text.partition("\n## ")
    text = head.rstrip("\n") + "\n\n" + marker + "\n## " + rest
text = text.replace(marker, marker + "\n" + section, 1)
open(results, "w", encoding="utf-8").write(text)
print(section)
PY
echo "raw outputs in $out" >&2
