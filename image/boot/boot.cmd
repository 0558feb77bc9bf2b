# lampfield's boot script (U-Boot; image/build.sh compiles it to boot.scr on the boot partition). The
# Pi's firmware starts U-Boot (config.txt kernel=u-boot.bin), U-Boot's distro boot finds this script on
# the partition it scans (the Pi's SD card, qemu's virtio disk in npm run image:test), and this loads
# the kernel and initrd from the root file system itself (/vmlinuz, /initrd.img): a root that carries
# its own kernel is what a second root slot (updates, README "Updating") needs.
# lampfield-boot.txt on the boot partition may set lf_console (the kernel's consoles) and lf_extra.
setenv lf_console "console=ttyS1,115200 console=tty0"
setenv lf_extra ""
if load ${devtype} ${devnum}:${distro_bootpart} ${scriptaddr} lampfield-boot.txt; then
  env import -t ${scriptaddr} ${filesize}
fi
# The root file system: the third partition (boot, data, root; image/build.sh).
setenv lf_rootpart 3
# The device tree: the one the Pi's firmware chose for the board (fdt_addr), or U-Boot's own (qemu).
if test -n "${fdt_addr}"; then setenv lf_fdt ${fdt_addr}; else setenv lf_fdt ${fdtcontroladdr}; fi
echo "lampfield: booting ${devtype} ${devnum}:${lf_rootpart}"
load ${devtype} ${devnum}:${lf_rootpart} ${kernel_addr_r} /vmlinuz
load ${devtype} ${devnum}:${lf_rootpart} ${ramdisk_addr_r} /initrd.img
setenv bootargs "${lf_console} root=LABEL=LFROOT rw fsck.repair=yes net.ifnames=0 cma=64M rootwait ${lf_extra}"
booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${lf_fdt}
