/*
 * Framing of the module protocol (firmware-sim/PROTOCOL.md §3): a body (seq, type, payload) with its
 * CRC-16/CCITT-FALSE, COBS-encoded and ended by 0x00. Pure: no hardware.
 */
#ifndef LAMPFIELD_FRAME_H
#define LAMPFIELD_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* §3.2: a body is at most 250 bytes; on the wire a frame is at most 255 bytes with its delimiter. */
#define FRAME_BODY_MAX 250
#define FRAME_PAYLOAD_MAX (FRAME_BODY_MAX - 2)
#define FRAME_WIRE_MAX 255

typedef struct {
  uint8_t seq;
  uint8_t type;
  uint8_t length;
  uint8_t payload[FRAME_PAYLOAD_MAX];
} frame_t;

/* §3.4: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR). */
uint16_t frame_crc16(const uint8_t *bytes, size_t length);

/* Encodes `frame` for the wire, delimiter included, into `out` (FRAME_WIRE_MAX bytes); its length. */
size_t frame_encode(const frame_t *frame, uint8_t *out);

/* A receiver (§3.3): bytes in, whole frames out; what does not decode is dropped and counted. */
typedef struct {
  uint8_t buffer[FRAME_WIRE_MAX];
  size_t length;
  bool overflow;
  uint32_t dropped;
} frame_decoder_t;

void frame_decoder_reset(frame_decoder_t *decoder);

/* Takes one byte; true when it completed a frame, then in `frame`. */
bool frame_decoder_push(frame_decoder_t *decoder, uint8_t byte, frame_t *frame);

#endif
