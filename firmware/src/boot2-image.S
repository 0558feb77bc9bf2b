/* boot2 with its CRC (made by tools/boot2-checksum.mjs from boot2.S) at the start of flash (§2.8.1). */
  .section .boot2, "ax"
  .incbin "boot2.bin"
