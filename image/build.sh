#!/usr/bin/env bash
# `npm run image`: the SD-card image, lampfield-<version>-arm64.img.xz (README "Flash an SD card").
# Debian bookworm arm64 (mmdebstrap, minbase) with Debian's Raspberry Pi kernel and firmware, Node from
# the npm registry (image/node-arm64.env), lampfield's built code and production dependencies, its
# service and udev rules. The file systems are made from folders (mkfs.vfat + mcopy, mkfs.ext4 -d) and
# written into a partitioned file: no loop devices, no mounts. Run as root on Debian (x86_64 or arm64).
# Everything is fetched as this machine is set up to fetch it: the npm packages by its own npm (its
# registry, proxy and cafile), for linux-arm64, on the host (npm never runs under emulation); the Debian
# packages from the mirrors its apt uses, with its apt's proxy and CA settings (image/host-apt.sh).
# LAMPFIELD_IMAGE_WORK: the work folder (default /var/tmp/lampfield-image); the image goes to image/out/.
# `npm run image -- --mirror URL`: a Debian mirror for bookworm instead of the host's.
# `npm run image -- --assemble`: only copy image/rootfs into the root of the last build again and make the
# image from it (for changing the card's files without the 11-minute root build).
set -euo pipefail
assemble_only=no
mirror=""
while [ $# -gt 0 ]; do
  case "$1" in
  --assemble) assemble_only=yes ;;
  --mirror) mirror="${2:?npm run image: --mirror needs a URL}"; shift ;;
  --mirror=*) mirror="${1#--mirror=}" ;;
  *) echo "npm run image: unknown option $1 (known: --mirror URL, --assemble)" >&2; exit 2 ;;
  esac
  shift
done
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
started=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - started )) s)"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "npm run image: run as root (mmdebstrap and chroot need it): sudo npm run image" >&2
  exit 1
fi
bash "$repo/scripts/ensure-debian-packages.sh" "$here/host-packages.txt" "npm run image needs"
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  arch-test arm64 >/dev/null || {
    echo "npm run image: this machine cannot run arm64 programs (qemu-user-static, binfmt_misc)" >&2
    exit 1
  }
fi

# shellcheck source=node-arm64.env
. "$here/node-arm64.env"
version=$(node -p "require('$repo/package.json').version")
work="${LAMPFIELD_IMAGE_WORK:-/var/tmp/lampfield-image}"
out="$here/out"
image="$out/lampfield-$version-arm64.img"
export LF_WORK="$work" LF_IMAGE_DIR="$here" LF_VERSION="$version"
# The key that signs update bundles, and its certificate, the card's keyring (README "Updating"):
# LAMPFIELD_SIGNING_DIR holding key.pem and cert.pem, else a development key made once in image/out/dev-signing
# (for the tests; not for cards in use).
signing="${LAMPFIELD_SIGNING_DIR:-$out/dev-signing}"
if [ ! -f "$signing/key.pem" ] || [ ! -f "$signing/cert.pem" ]; then
  if [ -n "${LAMPFIELD_SIGNING_DIR:-}" ]; then
    echo "npm run image: LAMPFIELD_SIGNING_DIR=$signing has no key.pem and cert.pem" >&2
    exit 1
  fi
  mkdir -p "$signing"
  openssl req -x509 -newkey rsa:4096 -nodes -days 3650 -keyout "$signing/key.pem" -out "$signing/cert.pem" \
    -subj "/O=lampfield/CN=lampfield development update key (not for cards in use)" 2>/dev/null
fi
export LF_KEYRING="$signing/cert.pem"
if [ $assemble_only = yes ]; then
  [ -d "$work/root" ] || { echo "npm run image -- --assemble: no earlier build in $work" >&2; exit 1; }
  step "the card's files (image/rootfs) into the root of the last build"
  cp -r "$here/rootfs/." "$work/root/"
else
# A build stopped half way leaves mmdebstrap's mounts (proc, sys, dev/pts) in the root: never delete
# through them.
findmnt -rn -o TARGET | awk -v work="$work/" 'index($0, work) == 1' | sort -r | xargs -r -n1 umount -l
rm -rf "$work"
mkdir -p "$work" "$out"

step "lampfield $version: build and pack"
(cd "$repo" && npm run --silent build && npm pack --silent --pack-destination "$work" >/dev/null)
mkdir -p "$work/app"
tar -xzf "$work"/lampfield-*.tgz -C "$work/app" --strip-components=1
rm -f "$work"/lampfield-*.tgz
cp "$repo/package-lock.json" "$work/app/"

# npm ci for the Pi, here: --os/--cpu/--libc choose the linux-arm64 glibc packages among the optional
# ones (@napi-rs/canvas's); install scripts are left out (they would check or build for this machine:
# the prebuilt arm64 binaries are checked in the arm64 root instead, customize.sh).
step "production dependencies for linux-arm64, by this machine's npm ($(cd "$repo" && npm config get registry))"
(cd "$work/app" && npm ci --omit=dev --os=linux --cpu=arm64 --libc=glibc --ignore-scripts \
  --no-audit --no-fund --loglevel=error)
# Prebuilt native modules for other systems than linux-arm64 (node-hid, serialport ship them all).
find "$work/app/node_modules" -type d -path '*/prebuilds/*' -prune \
  ! -name '*linux-arm64*' -exec rm -rf {} + 2>/dev/null || true

step "Node $NODE_VERSION for arm64 ($NODE_PACKAGE), checked against its pinned integrity"
(cd "$work" && npm pack --silent "$NODE_PACKAGE@$NODE_VERSION" >/dev/null)
mv "$work/$NODE_PACKAGE-$NODE_VERSION.tgz" "$work/node.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$work/node.tgz" | base64 -w0)"
if [ "$got" != "$NODE_INTEGRITY" ]; then
  echo "npm run image: $NODE_PACKAGE@$NODE_VERSION is not the pinned tarball ($got)" >&2
  exit 1
fi

packages=(
  systemd systemd-sysv udev dbus kmod systemd-timesyncd systemd-resolved
  iproute2 wpasupplicant wireless-regdb avahi-daemon openssh-server ca-certificates
  linux-image-arm64 raspi-firmware firmware-brcm80211 initramfs-tools
  e2fsprogs dosfstools fdisk libusb-1.0-0 fonts-dejavu-core usr-is-merged u-boot-rpi rauc
)
mapfile -t sources < <(bash "$here/host-apt.sh" sources "$mirror")
aptopts=()
while IFS= read -r option; do aptopts+=("--aptopt=$option"); done < <(bash "$here/host-apt.sh" options)
step "Debian bookworm arm64 root (mmdebstrap, under qemu-user) from ${sources[0]#deb }: ${packages[*]}"
mmdebstrap --variant=minbase --architectures=arm64 --components=main,non-free-firmware \
  --include="$(IFS=,; echo "${packages[*]}")" \
  ${aptopts[@]+"${aptopts[@]}"} \
  --essential-hook="$here/essential-hook.sh \"\$1\"" \
  --customize-hook="$here/customize.sh \"\$1\"" \
  bookworm "$work/root" "${sources[@]}"

fi

step "the boot partition (FAT, label LFBOOT)"
boot="$work/boot"
# Only the firmware of the supported Pis' default setup (start*.elf, not the camera and debug variants).
rm -f "$boot"/start*_{x,db,cd}.elf "$boot"/start4{x,db,cd}.elf "$boot"/fixup*_{x,db,cd}.dat "$boot"/fixup4{x,db,cd}.dat
cp "$repo/lampfield.example.yaml" "$boot/lampfield.yaml"
cp "$here/card/README.txt" "$here/card/wifi.txt.example" "$boot/"
# The Pi's firmware starts U-Boot (Debian's u-boot-rpi, one build for the Pi 3 and 4), which runs
# boot.scr (image/boot/boot.cmd): the kernel and initrd come from the root file system, not from here.
cp "$work/root/usr/lib/u-boot/rpi_arm64/u-boot.bin" "$boot/u-boot.bin"
mkimage -A arm64 -T script -C none -n lampfield -d "$here/boot/boot.cmd" "$boot/boot.scr" >/dev/null
cp "$here/boot/lampfield-boot.txt" "$boot/"
rm -f "$boot"/vmlinuz-* "$boot"/initrd.img-*
sed -i -e 's/^kernel=.*/kernel=u-boot.bin/' -e '/^initramfs /d' -e '/^# For details on the initramfs directive/,+1d' "$boot/config.txt"
grep -qx 'kernel=u-boot.bin' "$boot/config.txt" || { echo "npm run image: config.txt names no kernel to replace" >&2; exit 1; }
boot_mb=64
rm -f "$work/boot.fat"
mkfs.vfat -F 32 -n LFBOOT -C "$work/boot.fat" $((boot_mb * 1024)) >/dev/null
mcopy -s -i "$work/boot.fat" "$boot"/* ::/

step "the root file system (ext4, label LFROOT), for slot A and the update bundle"
rm -f "$work/root"/var/cache/apt/archives/*.deb
# The content and a little room: no reserved blocks, a small journal. RAUC grows it to its slot.
root_kb=$(du -sk --apparent-size "$work/root" | cut -f1)
root_mb=$(( root_kb * 104 / 100 / 1024 + 32 ))
# Each root slot: half as much room again, for the versions to come.
slot_mb=$(( root_mb * 3 / 2 ))
rm -f "$work/root.ext4"
mkfs.ext4 -q -L LFROOT -d "$work/root" -m 0 -J size=8 -O ^metadata_csum_seed "$work/root.ext4" "${root_mb}M"
e2fsck -fn "$work/root.ext4" >/dev/null

step "the data partition (ext4, label LFDATA, lampfield's own: the kept copy of a provisioned config)"
data_mb=16
owner=$(awk -F: '$1 == "lampfield" { print $3 ":" $4 }' "$work/root/etc/passwd")
[ -n "$owner" ] || { echo "npm run image: no lampfield user in the root" >&2; exit 1; }
rm -f "$work/data.ext4"
mkfs.ext4 -q -L LFDATA -E "root_owner=$owner" -m 0 -O ^metadata_csum_seed "$work/data.ext4" "${data_mb}M"
e2fsck -fn "$work/data.ext4" >/dev/null

step "the image: MBR (the Pi 3's boot ROM needs it), FAT at 4 MiB, root slots A and B, data (last: first boot grows it)"
start_mb=4
total_mb=$(( start_mb + boot_mb + 2 * slot_mb + data_mb ))
rm -f "$image" "$image.xz"
truncate -s "${total_mb}M" "$image"
# The disk id names the slots for RAUC (/etc/rauc/system.conf: /dev/disk/by-partuuid/6c616d70-02, -03).
sfdisk --quiet "$image" <<TABLE
label: dos
label-id: 0x6c616d70
start=$((start_mb * 2048)), size=$((boot_mb * 2048)), type=c, bootable
start=$(( (start_mb + boot_mb) * 2048 )), size=$((slot_mb * 2048)), type=83
start=$(( (start_mb + boot_mb + slot_mb) * 2048 )), size=$((slot_mb * 2048)), type=83
start=$(( (start_mb + boot_mb + 2 * slot_mb) * 2048 )), size=$((data_mb * 2048)), type=83
TABLE
dd if="$work/boot.fat" of="$image" bs=1M seek=$start_mb conv=notrunc,sparse status=none
dd if="$work/root.ext4" of="$image" bs=1M seek=$((start_mb + boot_mb)) conv=notrunc,sparse status=none
dd if="$work/data.ext4" of="$image" bs=1M seek=$((start_mb + boot_mb + 2 * slot_mb)) conv=notrunc,sparse status=none

step "the update bundle: lampfield-$version-arm64.raucb (RAUC, signed; README \"Updating\")"
bundle="$out/lampfield-$version-arm64.raucb"
rm -rf "$work/bundle" "$bundle"
mkdir -p "$work/bundle"
ln "$work/root.ext4" "$work/bundle/root.ext4"
cat > "$work/bundle/manifest.raucm" <<MANIFEST
[update]
compatible=lampfield-pi-arm64
version=$version

[bundle]
format=plain

[image.rootfs]
filename=root.ext4
MANIFEST
rauc bundle --cert="$signing/cert.pem" --key="$signing/key.pem" "$work/bundle" "$bundle" >/dev/null

step "compress (xz)"
xz -T0 -2 --keep --force "$image"
step "done: $image.xz ($(du -h --apparent-size "$image.xz" | cut -f1) compressed, $(du -h --apparent-size "$image" | cut -f1) uncompressed), $bundle ($(du -h --apparent-size "$bundle" | cut -f1))"
