#!/bin/bash
# Builds the Redoubt VM image from Debian's packages and a self-contained publish of the appliance.
#
# usage: sudo image/build.sh [--out DIR] [--quick]
#   --out DIR  where the artefacts go (default image/out)
#   --quick    only what the boot test needs (uncompressed qcow2 + blank data disk), no VMDK/OVA
#   --fresh    download the Debian packages again (else the base tarball in OUT/cache is reused)
# env: MIRROR (default http://deb.debian.org/debian), SUITE (default bookworm),
#      PUBLISH_DIR (reuse a self-contained publish instead of running dotnet publish)
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
FRESH=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    --quick) QUICK=1; shift ;;
    --fresh) FRESH=1; shift ;;
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

mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/work.XXXX")
cleanup() {
  umount "$WORK/rootfs/dev" "$WORK/rootfs/proc" 2>/dev/null || true
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
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
  if [ -n "${PUBLISH_DIR:-}" ]; then cp -R "$PUBLISH_DIR" "$WORK/publish"; echo "reusing the publish in $PUBLISH_DIR"; return; fi
  dotnet publish "$REPO/appliance/Redoubt.Appliance.csproj" -c Release -r linux-x64 --self-contained \
    -p:SourceRevisionId="$DESCRIBE" -o "$WORK/publish" --nologo -v quiet
  rm -f "$WORK/publish/appsettings.Development.json" "$WORK"/publish/*.pdb
  # The image's own settings are /etc/redoubt/redoubt.json; the shipped appsettings.json is the dev default beneath it.
  [ -x "$WORK/publish/redoubt" ] || fail "publish made no redoubt executable"
}

PACKAGES=systemd-sysv,udev,dbus,netbase,kmod,linux-image-amd64,grub-pc,nftables,iproute2,procps,systemd-timesyncd,libicu72,libssl3,tzdata,openssl,e2fsprogs,bsdutils,less
# The Debian part is cached per suite, mirror and package list (image/out/cache); --fresh rebuilds it.
BASE=$OUT/cache/base-$(printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY" "$PACKAGES" | sha256sum | cut -c1-16).tar

base() {
  mkdir -p "$OUT/cache"
  if [ -f "$BASE" ] && [ "$FRESH" -eq 0 ]; then echo "reusing $BASE"; return; fi
  curl -sf -o /dev/null --max-time 20 "$MIRROR/dists/$SUITE/Release" || fail "cannot reach the Debian mirror $MIRROR (set MIRROR=)"
  rm -f "$OUT"/cache/base-*.tar
  mmdebstrap --mode=root --variant=minbase --quiet --include="$PACKAGES" \
    "$SUITE" "$OUT/cache/partial.tar" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main"
  mv "$OUT/cache/partial.tar" "$BASE"
}

rootfs() {
  local R=$WORK/rootfs
  mkdir "$R"
  tar -C "$R" --numeric-owner --xattrs -xpf "$BASE"
  mount -t proc proc "$R/proc"; mount --bind /dev "$R/dev"
  "$HERE/customize.sh" "$R" "$WORK/publish" "$VERSION" "$REPO"
  chroot "$R" dpkg -l > "$OUT/packages.txt"
  umount "$R/dev" "$R/proc"
}

step publish publish
step debian-base base
step rootfs rootfs
step check-rootfs "$HERE/check-rootfs.sh" "$WORK/rootfs"
# For a direct kernel boot (test-boot.sh --journal): no GRUB, the kernel command line is the test's.
cp "$WORK"/rootfs/boot/vmlinuz-* "$OUT/vmlinuz"; cp "$WORK"/rootfs/boot/initrd.img-* "$OUT/initrd.img"
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
