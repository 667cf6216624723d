#!/bin/bash
# usage: check-rootfs.sh ROOTFS
# Fails if the image would ship anything secret or machine-specific: every VM must make its own
# machine-id, keys, certificates, setup code and passwords on first boot.
set -uo pipefail
R=$1
bad=0
no() { echo "check-rootfs: $*" >&2; bad=1; }

[ -s "$R/etc/machine-id" ] && no "/etc/machine-id is not empty"
[ -e "$R/var/lib/dbus/machine-id" ] && [ ! -L "$R/var/lib/dbus/machine-id" ] && no "/var/lib/dbus/machine-id exists"
[ -e "$R/var/lib/systemd/random-seed" ] && no "/var/lib/systemd/random-seed ships"
[ -e "$R/var/lib/systemd/credential.secret" ] && no "systemd credential secret ships"
ls "$R"/etc/ssh/ssh_host_* >/dev/null 2>&1 && no "SSH host keys ship"
# Password hashes: every account's field must be locked ('!' or '*' prefixed) or empty-locked.
awk -F: '$2 ~ /^\$/ { print $1 }' "$R/etc/shadow" | while read -r u; do no "account $u has a password hash"; done
awk -F: '$2 == "" { print $1 }' "$R/etc/shadow" | while read -r u; do no "account $u has an EMPTY password"; done
# Private keys anywhere (the appliance makes its TLS key in the data directory at first start).
while IFS= read -r f; do no "private key in the image: ${f#"$R"}"; done < <(
  grep -rlE -- '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----' "$R/etc" "$R/var" "$R/root" "$R/usr/lib/redoubt" 2>/dev/null)
[ -n "$(ls -A "$R/var/lib/redoubt" 2>/dev/null)" ] && no "/var/lib/redoubt is not empty"
find "$R/etc/redoubt" -type f ! -name redoubt.json ! -name image-version | grep -q . && no "unexpected files in /etc/redoubt: $(find "$R/etc/redoubt" -type f)"
grep -rqiE '"(Token|Password|SetupCode|Secret)"' "$R/etc/redoubt" && no "a secret-looking key in /etc/redoubt"
if [ "$bad" -eq 0 ]; then echo "check-rootfs: no machine-id, keys, passwords or secrets in the image"; fi
exit "$bad"
