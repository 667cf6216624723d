#!/bin/sh
# mmdebstrap --customize-hook: configures the Redoubt rootfs offline.
# usage: customize.sh ROOTFS PUBLISH_DIR IMAGE_VERSION REPO_DIR
set -eu
R=$1; PUBLISH=$2; VERSION=$3; REPO=$4
HERE=$REPO/image

# Configuration and helper scripts (image/rootfs mirrors the target tree).
cp -R --no-preserve=ownership "$HERE/rootfs/." "$R/"
chmod 0755 "$R/usr/libexec/redoubt/"*
install -m 0644 "$HERE/redoubt.service" "$R/etc/systemd/system/redoubt.service"
install -d -m 0755 "$R/usr/share/doc/redoubt"
install -m 0644 "$REPO/docs/packaging.md" "$R/usr/share/doc/redoubt/packaging.md"

# The appliance: a self-contained publish (no .NET SDK or shared runtime in the image).
install -d -m 0755 "$R/usr/lib/redoubt"
cp -R --no-preserve=ownership "$PUBLISH/." "$R/usr/lib/redoubt/"
chmod -R u=rwX,go=rX "$R/usr/lib/redoubt"
chmod 0755 "$R/usr/lib/redoubt/redoubt"
ln -sf /usr/lib/redoubt/redoubt "$R/usr/bin/redoubt"
install -d -m 0755 "$R/etc/redoubt/rules"
printf '%s\n' "$VERSION" > "$R/etc/redoubt/image-version"
chmod 0644 "$R/etc/redoubt/image-version" "$R/etc/redoubt/redoubt.json"

# Host basics. The root file system is found by label; the data disk by its own (datadisk script).
echo redoubt > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 redoubt\n::1 localhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
echo 'LABEL=root / ext4 errors=remount-ro 0 1' > "$R/etc/fstab"
install -d -m 2755 "$R/var/log/journal"
ln -sf /etc/redoubt/timesyncd.conf "$R/etc/systemd/timesyncd.conf.d/50-site.conf"
install -d -m 0755 "$R/etc/issue.d"
ln -sf /run/redoubt.issue "$R/etc/issue.d/50-redoubt.issue" # the console banner, written at run time

# The service user, with the fixed uid of usr/lib/sysusers.d/redoubt.conf.
if chroot "$R" getent passwd 900 >/dev/null && ! chroot "$R" getent passwd 900 | grep -q '^redoubt:'; then
  echo "uid 900 is taken in the rootfs: $(chroot "$R" getent passwd 900)" >&2; exit 1
fi
chroot "$R" systemd-sysusers /usr/lib/sysusers.d/redoubt.conf
chroot "$R" getent passwd redoubt | grep -q ':900:900:' || { echo "redoubt user is not 900:900" >&2; exit 1; }

# Firewall checked now, not at first boot (needs nf_tables in the build host's kernel).
chroot "$R" nft -c -f /etc/nftables.conf

chroot "$R" systemctl enable systemd-networkd nftables systemd-timesyncd \
  redoubt redoubt-datadisk redoubt-banner.path redoubt-banner.service
# Nothing on the box reaches out by itself: no apt timers (upgrades are a new image).
chroot "$R" systemctl mask apt-daily.timer apt-daily-upgrade.timer

# Serial and VGA console, short menu.
sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=1/' \
       -e 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT=""/' \
       -e 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200"/' "$R/etc/default/grub"
printf 'GRUB_TERMINAL="console serial"\nGRUB_SERIAL_COMMAND="serial --speed=115200"\nGRUB_DISABLE_OS_PROBER=true\n' >> "$R/etc/default/grub"

# Nothing secret or machine-specific ships: each VM makes its own at first boot.
chroot "$R" usermod -p '!' root                       # no root password (set on tty1 at first boot)
: > "$R/etc/machine-id"                              # systemd makes one at first boot
rm -f "$R/var/lib/dbus/machine-id" "$R/var/lib/systemd/random-seed" "$R/var/lib/systemd/credential.secret"
rm -f "$R"/etc/ssh/ssh_host_* "$R/etc/ssl/private/ssl-cert-snakeoil.key"
rm -rf "$R/var/lib/redoubt" && install -d -m 0750 "$R/var/lib/redoubt"
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb
