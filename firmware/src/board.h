/*
 * The board this firmware is built for: what INFO (firmware-sim/PROTOCOL.md §5.2) says of it. The
 * reference board (firmware/README.md) is `module-20rgb` of boards.json: 20 keys of one page, an RGB
 * lamp on each (WS2812B, patterns run here), no page keys. It has no display; it keeps the labels it is
 * sent (12 characters, as module-20rgb's INFO says) so that a host finds the board it was configured
 * with, and shows them nowhere.
 */
#ifndef LAMPFIELD_BOARD_H
#define LAMPFIELD_BOARD_H

#define BOARD_ID "module-20rgb"
#define BOARD_KEYS 20
#define BOARD_PAGES 1
#define BOARD_PAGE_KEYS 0
#define BOARD_LABEL_CHARS 12
/* §5.2 lamp kind: 3 rgb, bit 7: patterns run on the module. */
#define BOARD_LAMP_KIND (3 | 0x80)

#define FIRMWARE_MAJOR 0
#define FIRMWARE_MINOR 6
#define FIRMWARE_PATCH 0

#endif
