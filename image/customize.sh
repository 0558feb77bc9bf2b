#!/bin/sh
# mmdebstrap's customize hook (image/build.sh): lampfield and Node into the arm64 root ($1), its service,
# users and groups, the card's overlay files (image/rootfs); then what must differ per card is removed
# (made again on first boot), and the boot partition's files are set apart for the FAT file system.
# Runs on the build machine; commands inside the root run through qemu-user (binfmt).
set -eu
root="$1"
: "${LF_WORK:?}" "${LF_IMAGE_DIR:?}"
in_root() { chroot "$root" "$@"; }

echo "customize: Node $(tar -xzOf "$LF_WORK/node.tgz" package/package.json | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p')"
mkdir -p "$root/usr/local/lib/nodejs"
tar -xzf "$LF_WORK/node.tgz" -C "$root/usr/local/lib/nodejs" --strip-components=1 package/bin/node package/LICENSE
ln -sf ../lib/nodejs/bin/node "$root/usr/local/bin/node"
in_root node --version

echo "customize: lampfield into /opt/lampfield (its dependencies installed for linux-arm64 by build.sh)"
mkdir -p "$root/opt/lampfield"
cp -a "$LF_WORK/app/." "$root/opt/lampfield/"
chown -R root:root "$root/opt/lampfield"
# Every native module, loaded by the arm64 Node: npm chose and fetched them on the build machine without
# running their install scripts, so this is where a missing or wrong prebuilt binary shows.
natives=$(cd "$root/opt/lampfield/node_modules" &&
  find . \( -name '*.node' -o -name binding.gyp \) -not -path '*/node_modules/*/node_modules/*' |
  sed -E 's#^\./((@[^/]+/)?[^/]+)/.*#\1#' | sort -u | tr '\n' ' ')
in_root node -e '
  const load = require("module").createRequire("/opt/lampfield/package.json");
  for (const name of process.argv.slice(1)) {
    // (serialport'"'"'s bindings load their binary when asked which to use)
    try { const m = load(name); if (typeof m.autoDetect === "function") m.autoDetect(); console.log("customize: " + name + " loads"); }
    catch (error) { console.error("customize: " + name + " does not load on arm64: " + error.message); process.exitCode = 1; }
  }' $natives

echo "customize: the service, its user and groups"
in_root groupadd --system gpio
in_root useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
  --groups plugdev,dialout,gpio lampfield
in_root node /opt/lampfield/bin/lampfield.js install-service --user lampfield --root /tmp/service
cp -r "$root/tmp/service/etc/." "$root/etc/"
rm -rf "$root/tmp/service"
# The data partition's mount point (fstab): the kept copy of a provisioned config.
mkdir -p "$root/var/lib/lampfield"
# The config is the boot partition's lampfield.yaml (the service reads /etc/lampfield/config.yaml).
ln -sf /boot/firmware/lampfield.yaml "$root/etc/lampfield/config.yaml"

echo "customize: the card's files (image/rootfs), and the update keyring"
cp -r "$LF_IMAGE_DIR/rootfs/." "$root/"
install -D -m 0644 "${LF_KEYRING:?}" "$root/etc/rauc/keyring.pem"
ln -sf /run/lampfield/wpa_supplicant-wlan0.conf "$root/etc/wpa_supplicant/wpa_supplicant-wlan0.conf"
# What is enabled is what the preset says (image/rootfs/etc/systemd/system-preset), nothing more.
in_root systemctl preset-all
in_root systemctl set-default multi-user.target
echo lampfield > "$root/etc/hostname"
# The card's version (src/app/update.ts compares an update's with it).
echo "${LF_VERSION:?}" > "$root/etc/lampfield-version"

echo "customize: what each card makes for itself on first boot"
rm -f "$root"/etc/ssh/ssh_host_*
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# usrmerge did its work when the root was made; it and the Perl it pulled in (50 MB) are not needed on
# the card (debconf needs only perl-base; usr-is-merged stands in for it). glibc's character-set
# converters (20 MB) are not used.
# mmdebstrap marks every package it was asked for as installed by hand, Perl's too: marked automatic,
# apt removes them with usrmerge when nothing else needs them (and keeps any that something does).
in_root apt-mark auto -qq perl perl-modules-5.36 libperl5.36 libfile-find-rule-perl libnumber-compare-perl \
  libtext-glob-perl libgdbm-compat4 libgdbm6 >/dev/null
# (Suggests count for nothing here: debconf and adduser only suggest perl.)
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --auto-remove \
  -o APT::AutoRemove::SuggestsImportant=false -o APT::AutoRemove::RecommendsImportant=false usrmerge >/dev/null ||
  echo "customize: usrmerge and Perl stay (apt-get purge failed)"
if in_root dpkg-query -W -f '${Status}' perl 2>/dev/null | grep -q ' installed'; then
  echo "customize: Perl stays (something needs it)"
fi
find "$root/usr/lib/aarch64-linux-gnu/gconv" -name '*.so' -delete
rm -f "$root/var/cache/apt/archives"/*.deb
# Documentation and translations of the packages installed before dpkg's excludes (essential-hook.sh).
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
rm -rf "$root/usr/share/man"/* "$root/usr/share/info"/* "$root/usr/share/locale"/*/
rm -rf "$root/var/lib/apt/lists"/* "$root/var/cache/apt"/*.bin "$root/var/log"/* "$root/tmp"/*
# The boot partition's files go to the FAT file system (build.sh); the root keeps the mount point. The
# firmware's sources are only for packages' hooks: updates come as a new image, not by apt (the root is
# read-only).
mkdir -p "$LF_WORK/boot"
cp -r "$root/boot/firmware/." "$LF_WORK/boot/"
rm -rf "$root/boot/firmware"/* "$root/usr/lib/raspi-firmware"/*
# The kernel and initrd stay in the root's /boot (U-Boot loads them from there: image/boot/boot.cmd).
rm -f "$root"/boot/*.dpkg-bak
