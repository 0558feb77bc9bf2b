# lampfield's boot script (U-Boot; image/build.sh compiles it to boot.scr on the boot partition). The
# Pi's firmware starts U-Boot (config.txt kernel=u-boot.bin), U-Boot's distro boot finds this script on
# the partition it scans (the Pi's SD card, qemu's virtio disk in npm run image:test), and this starts
# one of the two root slots (A: partition 2, B: partition 3), each with its own kernel and initrd.
#
# Which slot: RAUC's scheme for U-Boot (its documentation, "U-Boot"): BOOT_ORDER lists the slots to
# try, BOOT_x_LEFT how many tries each has left; every boot takes one try of the first slot with any,
# and a slot that reached "watching" gets its tries back (lampfield-health, rauc status mark-good). The
# three live in lampfield-ab.txt on this partition, written here and by RAUC's backend
# (lampfield-boot-state). With no tries left anywhere, both get theirs back and A starts.
#
# lampfield-boot.txt on the boot partition may set lf_console (the kernel's consoles) and lf_extra.
setenv lf_console "console=ttyS1,115200 console=tty0"
setenv lf_extra ""
if load ${devtype} ${devnum}:${distro_bootpart} ${scriptaddr} lampfield-boot.txt; then
  env import -t ${scriptaddr} ${filesize}
fi
setenv BOOT_ORDER "A"
setenv BOOT_A_LEFT 3
setenv BOOT_B_LEFT 3
if load ${devtype} ${devnum}:${distro_bootpart} ${scriptaddr} lampfield-ab.txt; then
  env import -t ${scriptaddr} ${filesize} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT
fi
setenv lf_slot
for BOOT_SLOT in "${BOOT_ORDER}"; do
  if test -z "${lf_slot}"; then
    if test "x${BOOT_SLOT}" = "xA"; then
      if test ${BOOT_A_LEFT} -gt 0; then
        setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
        setenv lf_slot A
        setenv lf_rootpart 2
      fi
    elif test "x${BOOT_SLOT}" = "xB"; then
      if test ${BOOT_B_LEFT} -gt 0; then
        setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
        setenv lf_slot B
        setenv lf_rootpart 3
      fi
    fi
  fi
done
if test -z "${lf_slot}"; then
  echo "lampfield: no slot has tries left; both get theirs back, A starts"
  setenv BOOT_A_LEFT 2
  setenv BOOT_B_LEFT 3
  setenv lf_slot A
  setenv lf_rootpart 2
fi
env export -t ${scriptaddr} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT
fatwrite ${devtype} ${devnum}:${distro_bootpart} ${scriptaddr} lampfield-ab.txt ${filesize}
part uuid ${devtype} ${devnum}:${lf_rootpart} lf_partuuid
# The device tree: the one the Pi's firmware chose for the board (fdt_addr), or U-Boot's own (qemu).
if test -n "${fdt_addr}"; then setenv lf_fdt ${fdt_addr}; else setenv lf_fdt ${fdtcontroladdr}; fi
echo "lampfield: booting slot ${lf_slot} (${devtype} ${devnum}:${lf_rootpart}, tries left A ${BOOT_A_LEFT} B ${BOOT_B_LEFT})"
load ${devtype} ${devnum}:${lf_rootpart} ${kernel_addr_r} /vmlinuz
load ${devtype} ${devnum}:${lf_rootpart} ${ramdisk_addr_r} /initrd.img
setenv bootargs "${lf_console} root=PARTUUID=${lf_partuuid} rauc.slot=${lf_slot} rw fsck.repair=yes net.ifnames=0 cma=64M rootwait ${lf_extra}"
booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${lf_fdt}
