/*
 * Second-stage boot for the Pico's W25Q080 flash (RP2040 datasheet §2.8.1.3): the bootrom copies these
 * 256 bytes (252 of code, then their CRC-32) to SRAM and runs them. They set the XIP SSI (§4.10) for
 * plain serial reads (command 03h, 24-bit address, one data line: every SPI flash answers it), then,
 * called by the bootrom (lr 0), point VTOR at the image's vector table (0x10000100) and jump to its
 * reset handler with its stack.
 */
  .syntax unified
  .cpu cortex-m0plus
  .thumb
  .section .text
  .global boot2
  .thumb_func
boot2:
  push {lr}
  ldr r3, =0x18000000       /* XIP_SSI_BASE */
  movs r1, #0
  str r1, [r3, #0x08]       /* SSIENR = 0: off while it is set up */
  movs r1, #4
  str r1, [r3, #0x14]       /* BAUDR: clk_sys / 4 */
  ldr r1, =((31 << 16) | (3 << 8))
  str r1, [r3, #0x00]       /* CTRLR0: 32-bit frames, TMOD EEPROM read */
  ldr r1, =((0x03 << 24) | (2 << 8) | (6 << 2))
  ldr r0, =0x180000f4
  str r1, [r0]              /* SPI_CTRLR0: XIP command 03h, 8-bit instruction, 24-bit address */
  movs r1, #0
  str r1, [r3, #0x04]       /* CTRLR1: one data frame per read */
  movs r1, #1
  str r1, [r3, #0x08]       /* SSIENR = 1 */
  pop {r0}
  cmp r0, #0
  beq vector_into_flash
  bx r0
vector_into_flash:
  ldr r0, =0x10000100
  ldr r1, =0xe000ed08
  str r0, [r1]              /* VTOR */
  ldmia r0, {r0, r1}
  msr msp, r0
  bx r1
  .ltorg
