#!/bin/bash
# Builds the Redoubt VM image from Debian's packages and a self-contained publish of the appliance.
#
# usage: sudo image/build.sh [--out DIR] [--quick]
#   --out DIR  where the artefacts go (default image/out)
#   --quick    only what the boot test needs (uncompressed qcow2 + blank data disk), no VMDK/OVA
# env: MIRROR (default http://deb.debian.org/debian), SUITE (default bookworm)
#
# Artefacts: redoubt-system.qcow2 (boot disk), redoubt-data.qcow2 (blank data disk, formatted on
# first boot), redoubt-system.vmdk + redoubt-data.vmdk (streamOptimized), redoubt.ova,
# image-version, packages.txt (dpkg -l of the image), build-times.txt.
# Needs: root, loop devices, network to the Debian mirror, the .NET SDK, and the host packages
# mmdebstrap qemu-utils fdisk e2fsprogs (docs/packaging.md).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
OUT=$HERE/out
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    --quick) QUICK=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=${SUITE:-bookworm}
SECURITY=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SYSTEM_SIZE=3G
DATA_SIZE=20G

fail() { echo "build.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (mmdebstrap --mode=root, loop devices, mounts)"
for tool in mmdebstrap qemu-img sfdisk losetup partx mkfs.ext4 blkid dotnet git curl; do
  command -v "$tool" >/dev/null || fail "missing $tool (apt-get install mmdebstrap qemu-utils fdisk e2fsprogs curl; and the .NET SDK)"
done
losetup -f >/dev/null 2>&1 || fail "no free loop device (losetup -f)"
curl -sf -o /dev/null --max-time 20 "$MIRROR/dists/$SUITE/Release" || fail "cannot reach the Debian mirror $MIRROR (set MIRROR=)"

mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/work.XXXX")
trap 'rm -rf "$WORK"' EXIT
TIMES=$OUT/build-times.txt
: > "$TIMES"
step() { # step NAME command...
  local start=$SECONDS
  echo "== $1"
  "${@:2}"
  echo "$1 $((SECONDS - start)) s" | tee -a "$TIMES"
}

DESCRIBE=$(git -C "$REPO" describe --tags --always --dirty 2>/dev/null || echo unknown)
VERSION="$DESCRIBE ($(date -u +%Y-%m-%d))"
echo "$VERSION" > "$OUT/image-version"
echo "image version: $VERSION"

publish() {
  dotnet publish "$REPO/appliance/Redoubt.Appliance.csproj" -c Release -r linux-x64 --self-contained \
    -p:SourceRevisionId="$DESCRIBE" -o "$WORK/publish" --nologo -v quiet
  rm -f "$WORK/publish/appsettings.Development.json" "$WORK"/publish/*.pdb
  # The image's own settings are /etc/redoubt/redoubt.json; the shipped appsettings.json is the dev default beneath it.
  [ -x "$WORK/publish/redoubt" ] || fail "publish made no redoubt executable"
}

rootfs() {
  mmdebstrap --mode=root --variant=minbase --quiet \
    --include=systemd-sysv,udev,dbus,netbase,kmod,linux-image-amd64,grub-pc,nftables,iproute2,procps,systemd-timesyncd,libicu72,libssl3,tzdata,openssl,e2fsprogs,bsdutils,less \
    --customize-hook="'$HERE/customize.sh' \"\$1\" '$WORK/publish' '$VERSION' '$REPO'" \
    --customize-hook="chroot \"\$1\" dpkg -l > '$OUT/packages.txt'" \
    "$SUITE" "$WORK/rootfs" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main"
}

step publish publish
step rootfs rootfs
step check-rootfs "$HERE/check-rootfs.sh" "$WORK/rootfs"
step disk "$HERE/mkdisk.sh" "$WORK/rootfs" "$WORK/system.raw" "$SYSTEM_SIZE"
rm -rf "$WORK/rootfs"

if [ "$QUICK" -eq 1 ]; then
  step qcow2 qemu-img convert -O qcow2 "$WORK/system.raw" "$OUT/redoubt-system.qcow2"
else
  step qcow2 qemu-img convert -c -O qcow2 "$WORK/system.raw" "$OUT/redoubt-system.qcow2"
fi
rm -f "$OUT/redoubt-data.qcow2"
qemu-img create -q -f qcow2 "$OUT/redoubt-data.qcow2" "$DATA_SIZE"

if [ "$QUICK" -eq 0 ]; then
  step vmdk qemu-img convert -O vmdk -o subformat=streamOptimized,adapter_type=lsilogic "$WORK/system.raw" "$OUT/redoubt-system.vmdk"
  truncate -s "$DATA_SIZE" "$WORK/data.raw"
  qemu-img convert -O vmdk -o subformat=streamOptimized,adapter_type=lsilogic "$WORK/data.raw" "$OUT/redoubt-data.vmdk"
  step ova "$HERE/mkova.sh" "$OUT" "$OUT/redoubt-system.vmdk" "$OUT/redoubt-data.vmdk" \
    "$(stat -c %s "$WORK/system.raw")" "$(stat -c %s "$WORK/data.raw")" "$VERSION"
fi
echo "total $SECONDS s" | tee -a "$TIMES"
ls -la "$OUT"
