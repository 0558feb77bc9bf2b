#!/bin/sh
# mmdebstrap's essential hook (image/build.sh), before the kernel and the rest are installed: what dpkg
# leaves out of the image, and the initramfs's module list.
set -eu
root="$1"
mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/initramfs-tools/conf.d"
# Documentation and translations (keeping the licences), and kernel modules no Pi 3/4 or qemu board
# uses (graphics cards, TV tuners, SCSI, InfiniBand, sound, other vendors' network chips): the image
# stays under 600 MB. The last rule matching a path wins.
cat > "$root/etc/dpkg/dpkg.cfg.d/lampfield-excludes" <<'RULES'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
path-exclude=/lib/modules/*/kernel/sound/*
path-exclude=/lib/modules/*/kernel/drivers/media/*
path-exclude=/lib/modules/*/kernel/drivers/gpu/*
path-include=/lib/modules/*/kernel/drivers/gpu/drm/drm*.ko*
path-include=/lib/modules/*/kernel/drivers/gpu/drm/display/*
path-include=/lib/modules/*/kernel/drivers/gpu/drm/vc4/*
path-include=/lib/modules/*/kernel/drivers/gpu/drm/v3d/*
path-exclude=/lib/modules/*/kernel/drivers/scsi/*
path-exclude=/lib/modules/*/kernel/drivers/infiniband/*
path-exclude=/lib/modules/*/kernel/drivers/iio/*
path-exclude=/lib/modules/*/kernel/drivers/md/*
path-exclude=/lib/modules/*/kernel/drivers/target/*
path-exclude=/lib/modules/*/kernel/drivers/staging/*
path-exclude=/lib/modules/*/kernel/drivers/ata/*
path-exclude=/lib/modules/*/kernel/drivers/nvme/*
path-exclude=/lib/modules/*/kernel/drivers/xen/*
path-exclude=/lib/modules/*/kernel/drivers/vfio/*
path-exclude=/lib/modules/*/kernel/drivers/vhost/*
path-exclude=/lib/modules/*/kernel/drivers/mtd/*
path-exclude=/lib/modules/*/kernel/drivers/ufs/*
path-exclude=/lib/modules/*/kernel/drivers/bluetooth/*
path-exclude=/lib/modules/*/kernel/drivers/isdn/*
path-exclude=/lib/modules/*/kernel/drivers/net/ethernet/*
path-include=/lib/modules/*/kernel/drivers/net/ethernet/broadcom/*
path-exclude=/lib/modules/*/kernel/drivers/net/wireless/*
path-include=/lib/modules/*/kernel/drivers/net/wireless/broadcom/*
path-exclude=/lib/modules/*/kernel/drivers/net/can/*
path-exclude=/lib/modules/*/kernel/drivers/net/wwan/*
path-exclude=/lib/modules/*/kernel/net/bluetooth/*
path-exclude=/lib/modules/*/kernel/net/ceph/*
path-exclude=/lib/modules/*/kernel/fs/btrfs/*
path-exclude=/lib/modules/*/kernel/fs/xfs/*
path-exclude=/lib/modules/*/kernel/fs/ocfs2/*
path-exclude=/lib/modules/*/kernel/fs/gfs2/*
path-exclude=/lib/modules/*/kernel/fs/nfs/*
path-exclude=/lib/modules/*/kernel/fs/nfsd/*
path-exclude=/lib/modules/*/kernel/fs/smb/*
path-exclude=/lib/modules/*/kernel/fs/f2fs/*
path-exclude=/lib/modules/*/kernel/fs/ceph/*
path-exclude=/lib/modules/*/kernel/fs/jfs/*
path-exclude=/lib/modules/*/kernel/fs/reiserfs/*
path-exclude=/lib/modules/*/kernel/fs/ubifs/*
path-exclude=/lib/modules/*/kernel/fs/nilfs2/*
path-exclude=/usr/lib/linux-image-*/*
path-include=/usr/lib/linux-image-*/broadcom/*
RULES
# update-initramfs under qemu-user with MODULES=most takes over 12 minutes (shared/notes/pi-image.md):
# only what finds the root file system on the Pi's SD card and on qemu's virtio disk.
echo MODULES=list > "$root/etc/initramfs-tools/conf.d/lampfield.conf"
printf '%s\n' ext4 mmc_block sdhci_iproc bcm2835 virtio_pci virtio_blk > "$root/etc/initramfs-tools/modules"
# raspi-firmware's hooks write cmdline.txt when the kernel is installed: the root by its label (the SD
# card is mmcblk0 on a Pi 3 and may be mmcblk1 on a Pi 4), consoles on the serial port and the screen.
# The file is the package's conffile: dpkg keeps ours instead of asking.
printf '%s\n' force-confdef force-confold > "$root/etc/dpkg/dpkg.cfg.d/lampfield-conffiles"
mkdir -p "$root/etc/default"
cp "${LF_IMAGE_DIR:?}/rootfs/etc/default/raspi-firmware" "$root/etc/default/raspi-firmware"
