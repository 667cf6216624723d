#!/bin/bash
# Boots the built image under qemu (software emulation) and checks it end to end, as an admin would:
#   1. first boot with a blank data disk: /healthz over HTTPS on a forwarded port, the console
#      banner (serial) shows the setup code and the TLS fingerprint the appliance really serves,
#      the firewall is loaded, no unit FAILED;
#   2. setup through the API with the code read off the console (no secret ships in the image),
#      an API token made by the new admin, a syslog line over TCP and one over UDP (logger), both
#      read back through the API; the image version and the systemd watchdog seen in /api/v1/system;
#   3. ACPI power-off, then a second boot of a FRESH copy of the system image against the same data
#      disk (what an upgrade does): setup stays done, the token, the events and the certificate survive.
#
# usage: image/test-boot.sh [--out DIR] [--timeout SECONDS] [--journal]   (artefacts of image/build.sh, default image/out)
#   --journal  boot the kernel directly (no GRUB) with the journal forwarded to the serial console,
#              to see why a unit fails; the normal run boots through GRUB as a hypervisor does
# Needs qemu-system-x86_64, qemu-img, curl, openssl, logger, python3. No root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/out
TIMEOUT=900
JOURNAL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$(realpath "$2"); shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --journal) JOURNAL=1; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-boot.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in qemu-system-x86_64 qemu-img curl openssl logger python3; do
  command -v "$tool" >/dev/null || { echo "test-boot.sh: missing $tool" >&2; exit 1; }
done
[ -f "$OUT/redoubt-system.qcow2" ] || { echo "test-boot.sh: no $OUT/redoubt-system.qcow2 (run image/build.sh first)" >&2; exit 1; }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/redoubt-boot.XXXX")
QPID=""
cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then kill "$QPID"; wait "$QPID" 2>/dev/null || true; fi
  cp "$RUN"/console-*.log "$OUT/" 2>/dev/null || true   # kept for CI artefacts and post-mortems
  rm -rf "$RUN"
}
trap cleanup EXIT
fail() { echo "test-boot.sh: FAIL: $*" >&2; for l in "$RUN"/console-*.log; do echo "--- tail of $l" >&2; tail -n 40 "$l" >&2 || true; done; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

HTTPS=$(free_port); SYSLOG=$(free_port); CLOSED=$(free_port)
BASE=https://127.0.0.1:$HTTPS
qemu-img create -q -f qcow2 "$RUN/data.qcow2" 20G      # a blank data disk, like the one build.sh ships

boot() { # boot N: a fresh overlay of the system image (a new image), the same data disk
  local n=$1
  qemu-img create -q -f qcow2 -F qcow2 -b "$OUT/redoubt-system.qcow2" "$RUN/system-$n.qcow2"
  CONSOLE=$RUN/console-$n.log
  local direct=()
  [ "$JOURNAL" -eq 1 ] && direct=(-kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img"
    -append "root=LABEL=root ro console=tty0 console=ttyS0,115200 systemd.journald.forward_to_console=1")
  qemu-system-x86_64 "${direct[@]}" -accel tcg -cpu max -smp 2 -m 2048 -no-reboot \
    -drive file="$RUN/system-$n.qcow2",if=virtio,format=qcow2 \
    -drive file="$RUN/data.qcow2",if=virtio,format=qcow2 \
    -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$HTTPS-:443,hostfwd=tcp:127.0.0.1:$SYSLOG-:514,hostfwd=udp:127.0.0.1:$SYSLOG-:514,hostfwd=tcp:127.0.0.1:$CLOSED-:8080 \
    -device virtio-net-pci,netdev=n0 \
    -serial file:"$CONSOLE" -monitor unix:"$RUN/monitor-$n.sock",server,nowait -display none &
  QPID=$!
  BOOT_START=$SECONDS
  log "boot $n: qemu pid $QPID, https 127.0.0.1:$HTTPS, syslog 127.0.0.1:$SYSLOG"
  until curl -sk -m 5 -o /dev/null -w '%{http_code}' "$BASE/healthz" 2>/dev/null | grep -q 200; do
    kill -0 "$QPID" 2>/dev/null || fail "qemu exited during boot $n"
    [ $((SECONDS - BOOT_START)) -lt "$TIMEOUT" ] || fail "no /healthz within $TIMEOUT s (boot $n)"
    sleep 2
  done
  BOOT_SECONDS=$((SECONDS - BOOT_START))
  log "boot $n: /healthz answered after $BOOT_SECONDS s"
  # The banner is redrawn by the unit after the service reports ready; wait for the redraw.
  until grep -aq 'service: started' "$CONSOLE"; do
    [ $((SECONDS - BOOT_START)) -lt "$TIMEOUT" ] || fail "the console banner never showed the started service (boot $n)"
    sleep 2
  done
  sleep 3 # the last redraw lands whole
}

poweroff() { # ACPI power button, as a hypervisor's "shut down guest" does
  local n=$1 start=$SECONDS
  python3 - "$RUN/monitor-$n.sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.5); s.sendall(b"system_powerdown\n"); time.sleep(0.5); s.close()
PY
  for _ in $(seq 1 180); do kill -0 "$QPID" 2>/dev/null || break; sleep 1; done
  kill -0 "$QPID" 2>/dev/null && fail "the guest did not power off within 180 s (boot $n)"
  wait "$QPID" 2>/dev/null || true; QPID=""
  grep -aq 'reboot: Power down' "$CONSOLE" || fail "no clean power-down in the console log (boot $n)"
  log "boot $n: powered off cleanly in $((SECONDS - start)) s"
}

check_console() {
  if grep -a 'FAILED' "$CONSOLE" | grep -v 'redoubt-in-drop\|redoubt-out-drop' >&2; then fail "a unit FAILED (see above)"; fi
  grep -aq 'Firewall:  nftables loaded' "$CONSOLE" || fail "the banner does not show the firewall loaded"
  grep -aq 'Data disk: /dev/vdb on /var/lib/redoubt' "$CONSOLE" || fail "the banner does not show the data disk mounted"
}

served_fingerprint() {
  openssl s_client -connect "127.0.0.1:$HTTPS" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | sed 's/^.*=//'
}

api() { curl -sS -f --cacert "$RUN/cert.pem" -H "Authorization: Bearer $TOKEN" "$@"; }

# ---- boot 1: first start
boot 1
FIRST_BOOT=$BOOT_SECONDS
check_console
CODE=$(grep -aoE 'Setup code: [0-9A-Z]{4}(-[0-9A-Z]{4}){3}' "$CONSOLE" | tail -n 1 | cut -d' ' -f3)
[ -n "$CODE" ] || fail "no setup code on the console"
BANNER_FP=$(grep -aoE 'TLS SHA-256 \(self-signed\): [0-9A-F:]{95}' "$CONSOLE" | tail -n 1 | awk '{print $NF}')
SERVED_FP=$(served_fingerprint)
[ -n "$BANNER_FP" ] && [ "$BANNER_FP" = "$SERVED_FP" ] || fail "banner fingerprint '$BANNER_FP' is not the served certificate's '$SERVED_FP'"
openssl s_client -connect "127.0.0.1:$HTTPS" </dev/null 2>/dev/null | openssl x509 > "$RUN/cert.pem"
log "console: setup code read, certificate $SERVED_FP matches the banner"

# Everything below trusts exactly that certificate (no -k).
curl -sS -f --cacert "$RUN/cert.pem" -o /dev/null "$BASE/healthz" || fail "the certificate does not verify for 127.0.0.1"
[ "$(curl -s --cacert "$RUN/cert.pem" -o /dev/null -w '%{http_code}' "$BASE/api/v1/events")" = 401 ] || fail "/api/v1/events answers without credentials"

PASSWORD=$(openssl rand -base64 18)
SETUP=$(curl -sS --cacert "$RUN/cert.pem" -c "$RUN/cookies" -H 'Content-Type: application/json' \
  -d "{\"setupCode\":\"$CODE\",\"user\":\"admin\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/setup") || fail "setup request failed"
CSRF=$(printf '%s' "$SETUP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrfToken"])') || fail "setup refused: $SETUP"
TOKEN=$(curl -sS -f --cacert "$RUN/cert.pem" -b "$RUN/cookies" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
  -d '{"name":"boot test","scopes":["events:read","summary:read"],"expiresInDays":1}' "$BASE/api/v1/tokens" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "token creation failed"
log "setup done through the API; token made by the new admin"

NONCE=boot-$RANDOM$RANDOM
logger -n 127.0.0.1 -P "$SYSLOG" -T -t redoubt-boot-test "tcp line $NONCE"
logger -n 127.0.0.1 -P "$SYSLOG" -d -t redoubt-boot-test "udp line $NONCE"
found=0
for _ in $(seq 1 60); do
  found=$(api "$BASE/api/v1/events?q=$NONCE&limit=10" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))') || found=0
  [ "$found" -ge 2 ] && break
  sleep 2
done
[ "$found" -ge 2 ] || fail "read back $found of the 2 syslog lines"
log "syslog over TCP and UDP read back through the API"

SYSTEM=$(api "$BASE/api/v1/system")
python3 - "$SYSTEM" "$(cat "$OUT/image-version")" <<'PY' || fail "/api/v1/system: $SYSTEM"
import json, sys
s = json.loads(sys.argv[1])
assert s["imageVersion"] == sys.argv[2], f"imageVersion {s['imageVersion']!r} != {sys.argv[2]!r}"
w = s["watchdog"]
assert w and w["intervalSeconds"] == 30 and w["lastPing"], f"watchdog not running: {w}"
PY
STARTED=$(printf '%s' "$SYSTEM" | python3 -c 'import json,sys; print(json.load(sys.stdin)["startedAt"])')
log "image version and watchdog seen in /api/v1/system"

# A port the firewall does not open: the guest must drop the SYN (no reset comes back quickly).
probe=$(curl -s -m 8 -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$CLOSED/" || true)
case "$probe" in
  "000 "[0-7].*) fail "port 8080 was answered or reset at once ($probe): is the firewall dropping?" ;;
esac
log "closed port 8080: no answer (dropped), $probe"

# Outlive WatchdogSec (60 s) since start: a missed keep-alive would have restarted the service.
while [ $((SECONDS - BOOT_START)) -lt $((FIRST_BOOT + 70)) ]; do sleep 5; done
[ "$(api "$BASE/api/v1/system" | python3 -c 'import json,sys; print(json.load(sys.stdin)["startedAt"])')" = "$STARTED" ] ||
  fail "the appliance restarted (watchdog?)"
check_console
poweroff 1

# ---- boot 2: a fresh system disk against the same data disk (an upgrade)
boot 2
SECOND_BOOT=$BOOT_SECONDS
check_console
grep -aq 'Setup code:' "$CONSOLE" && fail "boot 2 shows a setup code: setup state did not survive"
[ "$(served_fingerprint)" = "$SERVED_FP" ] || fail "the TLS certificate changed across the upgrade"
found=$(api "$BASE/api/v1/events?q=$NONCE&limit=10" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))') ||
  fail "the token from boot 1 no longer works"
[ "$found" -ge 2 ] || fail "after the upgrade $found of 2 events are there"
log "boot 2: setup, token, certificate and events survived"
poweroff 2

echo "test-boot: PASS (first boot to /healthz ${FIRST_BOOT} s, second ${SECOND_BOOT} s, whole test $SECONDS s)"
echo "first-boot ${FIRST_BOOT} s, second-boot ${SECOND_BOOT} s, test ${SECONDS} s" > "$OUT/boot-times.txt"
