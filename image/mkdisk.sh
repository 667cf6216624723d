#!/bin/bash
# usage: mkdisk.sh ROOTFS OUT.raw SIZE
# A partitioned raw disk (MBR, one ext4 partition labelled root) with GRUB for BIOS boot.
# Needs root and loop devices. The build host's kernel may lack the MBR parser, hence partx -a,
# and runs no udevd, hence the by-uuid link faked for update-grub (docs/packaging.md, pitfalls).
set -euo pipefail
ROOTFS=$1; OUT=$2; SIZE=${3:-3G}
rm -f "$OUT"; truncate -s "$SIZE" "$OUT"
sfdisk -q "$OUT" <<'P'
label: dos
start=2048, type=83, bootable
P
LOOP=$(losetup -fP --show "$OUT")
MNT=$(mktemp -d "$(dirname "$OUT")/mnt.XXXX")
UUIDLINK=""
cleanup() {
  for m in dev/pts dev proc sys ""; do umount "$MNT/$m" 2>/dev/null || true; done
  [ -n "$UUIDLINK" ] && rm -f "$UUIDLINK"
  partx -d "$LOOP" 2>/dev/null || true; losetup -d "$LOOP" 2>/dev/null || true; rmdir "$MNT" 2>/dev/null || true
}
trap cleanup EXIT
udevadm settle 2>/dev/null || true
[ -b "${LOOP}p1" ] || partx -a "$LOOP"
[ -b "${LOOP}p1" ] || { echo "no ${LOOP}p1 partition node" >&2; exit 1; }
mkfs.ext4 -q -L root -d "$ROOTFS" "${LOOP}p1"
mount "${LOOP}p1" "$MNT"
mount --bind /dev "$MNT/dev"; mount --bind /dev/pts "$MNT/dev/pts"
mount -t proc proc "$MNT/proc"; mount -t sysfs sys "$MNT/sys"
chroot "$MNT" grub-install --target=i386-pc "$LOOP"
UUID=$(blkid -s UUID -o value "${LOOP}p1")
mkdir -p /dev/disk/by-uuid; UUIDLINK=/dev/disk/by-uuid/$UUID
ln -sf "../../$(basename "${LOOP}p1")" "$UUIDLINK"
chroot "$MNT" update-grub
grep -q "root=UUID=$UUID" "$MNT/boot/grub/grub.cfg" || { echo "grub.cfg lacks root=UUID" >&2; exit 1; }
# No upgrades happen inside the appliance; keep grub-pc from asking which disk if one ever does.
echo "grub-pc grub-pc/install_devices_empty boolean true" | chroot "$MNT" debconf-set-selections
sync
