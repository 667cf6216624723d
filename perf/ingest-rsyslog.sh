#!/usr/bin/env bash
# End-to-end ingest throughput with a real rsyslogd as the sender, side by side on this machine:
# rsyslog tails a file of N real log lines (loghub Linux + OpenSSH, numbered) and forwards them over
# RELP (omrelp, acks after commit) or syslog over TLS (omfwd + gtls); the clock runs from starting
# rsyslogd until /api/v1/stats counts N events. Includes rsyslog's own cost: a floor, not a ceiling.
#
#   perf/ingest-rsyslog.sh relp 50000        # omrelp -> appliance RELP (ack after commit)
#   perf/ingest-rsyslog.sh tls 50000         # omfwd gtls -> appliance syslog-TLS
#   perf/ingest-rsyslog.sh tcp 50000         # omfwd plain TCP -> appliance syslog
#   perf/ingest-rsyslog.sh peer-relp 50000   # the peer: omrelp -> a second rsyslogd's imrelp -> file
#                                            # (imrelp acks before anything is on disk)
#
# Needs a built appliance (dotnet build -c Release Appliance.sln) and rsyslog + rsyslog-gnutls + rsyslog-relp.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-relp}
n=${2:-200000}
config=${CONFIG:-Release}
dll=appliance/bin/$config/net10.0/redoubt.dll
[ -f "$dll" ] || { echo "build first: dotnet build -c $config Appliance.sln" >&2; exit 2; }
shared=${REDOUBT_SHARED_DATA:-$(cd .. && pwd)/shared/data}

t=$(mktemp -d /tmp/redoubt-perf-XXXXXX)
app_pid=""; rs_pid=""
cleanup() {
  [ -n "$rs_pid" ] && kill -TERM "$rs_pid" 2>/dev/null || true
  [ -n "$app_pid" ] && kill -TERM "$app_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$t"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port); syslog=$(free_port); tls=$(free_port); relp=$(free_port)

cat "$shared/logs/loghub/Linux/Linux_2k.log" "$shared/logs/loghub/OpenSSH/OpenSSH_2k.log" | tr -d '\r' > "$t/real.log"
awk -v n="$n" '{ line[NR] = $0 } END { for (i = 0; i < n; i++) printf "n%07d %s\n", i, line[i % NR + 1] }' "$t/real.log" > "$t/in.log"

if [ "$mode" = peer-relp ]; then
  mkdir -p "$t/recv"
  cat > "$t/recv.conf" <<EOF
global(workDirectory="$t/recv")
module(load="imrelp")
input(type="imrelp" port="$relp")
action(type="omfile" file="$t/out.log")
EOF
  rsyslogd -n -f "$t/recv.conf" -i "$t/recv.pid" > "$t/recv.log" 2>&1 &
  app_pid=$!
  sleep 1
  count() { if [ -f "$t/out.log" ]; then wc -l < "$t/out.log"; else echo 0; fi; }
else
token=$(dotnet "$dll" token create --data "$t/data" --name perf --scopes summary:read --days 1 2>/dev/null)
dotnet "$dll" --data "$t/data" --http 127.0.0.1:$http --syslog 127.0.0.1:$syslog --syslog-tls 127.0.0.1:$tls --relp 127.0.0.1:$relp \
  > "$t/app.log" 2>&1 &
app_pid=$!
until curl -skf "https://127.0.0.1:$http/healthz" >/dev/null; do sleep 0.2; done
count() { curl -sk -H "Authorization: Bearer $token" "https://127.0.0.1:$http/api/v1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])'; }
fi

case "$mode" in
  relp|peer-relp) action="module(load=\"omrelp\")
ruleset(name=\"out\") { action(type=\"omrelp\" target=\"127.0.0.1\" port=\"$relp\" template=\"RSYSLOG_SyslogProtocol23Format\"
  action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\" queue.type=\"LinkedList\" queue.size=\"100000\" queue.dequeueBatchSize=\"1024\") }" ;;
  tls) action="ruleset(name=\"out\") { action(type=\"omfwd\" target=\"127.0.0.1\" port=\"$tls\" protocol=\"tcp\" template=\"RSYSLOG_SyslogProtocol23Format\"
  TCP_Framing=\"octet-counted\" StreamDriver=\"gtls\" StreamDriverMode=\"1\" StreamDriverAuthMode=\"anon\"
  action.resumeRetryCount=\"-1\" queue.type=\"LinkedList\" queue.size=\"100000\" queue.dequeueBatchSize=\"1024\") }" ;;
  tcp) action="ruleset(name=\"out\") { action(type=\"omfwd\" target=\"127.0.0.1\" port=\"$syslog\" protocol=\"tcp\" template=\"RSYSLOG_SyslogProtocol23Format\"
  TCP_Framing=\"octet-counted\" action.resumeRetryCount=\"-1\" queue.type=\"LinkedList\" queue.size=\"100000\" queue.dequeueBatchSize=\"1024\") }" ;;
  *) echo "mode is relp, tls, tcp or peer-relp" >&2; exit 2 ;;
esac
mkdir -p "$t/work"
cat > "$t/rsyslog.conf" <<EOF
global(workDirectory="$t/work" localHostname="sender-host" maxMessageSize="64k")
module(load="imfile" mode="inotify")
$action
input(type="imfile" File="$t/in.log" Tag="fileapp" freshStartTail="off" ruleset="out")
EOF

start=$(date +%s.%N)
rsyslogd -n -f "$t/rsyslog.conf" -i "$t/rsyslogd.pid" > "$t/rsyslog.log" 2>&1 &
rs_pid=$!
while :; do
  events=$(count)
  [ "$events" -ge "$n" ] && break
  [ -n "${VERBOSE:-}" ] && echo "$events stored"
  kill -0 "$rs_pid" 2>/dev/null || { echo "rsyslogd died:"; cat "$t/rsyslog.log"; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
python3 - "$mode" "$n" "$start" "$end" <<'EOF'
import sys
mode, n, start, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s = end - start
print(f"{mode}: {n} lines from rsyslogd stored in {s:.1f} s = {n / s:,.0f} events/s")
EOF
