/*
 * The module's side of the protocol (firmware-sim/PROTOCOL.md §4–§7), as the TypeScript simulator
 * (firmware-sim/sim/module-firmware.ts) runs it: session, link layer, lamps and their blink phases,
 * labels, debounce and long press. Pure: time comes in as the module's millisecond uptime, bytes leave
 * through module_write (the UART), switches come in as raw contacts.
 */
#ifndef LAMPFIELD_MODULE_H
#define LAMPFIELD_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "board.h"

/* Bytes for the host; the hardware layer provides it. */
void module_write(const uint8_t *bytes, size_t length);

/* Power-on or reset (§6.1): POST, then INFO. `serial` is the module's serial number (≤ 32 bytes). */
void module_boot(uint32_t now_ms, const char *serial);

/* A byte from the host. */
void module_receive(uint8_t byte, uint32_t now_ms);

/* Runs what is due at `now_ms` (POST end, host watchdog, retries, debounce, long press). Call every ms. */
void module_tick(uint32_t now_ms);

/* Switch `index`'s raw contact (keys of the page in view first, then page keys), read every ms. */
void module_switch(int index, bool closed, uint32_t now_ms);

/* What the LED of key slot `slot` of the page in view shows now: 0xRRGGBB, 0 when dark. */
uint32_t module_led(int slot, uint32_t now_ms);

/* Counters for whoever looks (a debugger): frames dropped, NAKs sent, frames given up. */
typedef struct {
  uint32_t dropped;
  uint32_t naks;
  uint32_t given_up;
} module_counters_t;
module_counters_t module_counters(void);

#endif
