/*
 * The board this firmware is built for (`make BOARD=…`): what INFO (firmware-sim/PROTOCOL.md §5.2) says
 * of it. Both boards are those of boards.json, on the reference hardware (firmware/README.md):
 * - `module-20rgb` (the default): 20 keys of one page, an RGB lamp on each, no page keys;
 * - `module-160rgb`: the same 20 keys showing 8 pages of 20 (§7.4), and 8 page keys with RGB lamps, one
 *   per page, on two more matrix columns and at the end of the LED chain.
 * Lamps are WS2812B, their patterns run here. The hardware has no display; it keeps the labels it is
 * sent (12 characters, as the boards' INFO says) so that a host finds the board it was configured with,
 * and shows them nowhere.
 */
#ifndef LAMPFIELD_BOARD_H
#define LAMPFIELD_BOARD_H

#if defined(BOARD_MODULE_160RGB)
#define BOARD_ID "module-160rgb"
#define BOARD_KEYS 160
#define BOARD_PAGES 8
#define BOARD_PAGE_KEYS 8
#elif defined(BOARD_MODULE_20RGB)
#define BOARD_ID "module-20rgb"
#define BOARD_KEYS 20
#define BOARD_PAGES 1
#define BOARD_PAGE_KEYS 0
#else
#error "no board: make BOARD=module-20rgb or BOARD=module-160rgb"
#endif
#define BOARD_LABEL_CHARS 12
/* §5.2 lamp kind: 3 rgb, bit 7: patterns run on the module. */
#define BOARD_LAMP_KIND (3 | 0x80)

#define FIRMWARE_MAJOR 0
#define FIRMWARE_MINOR 7
#define FIRMWARE_PATCH 0

#endif
