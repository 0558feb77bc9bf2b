/* Framing (firmware-sim/PROTOCOL.md §3): CRC-16/CCITT-FALSE (§3.4) and COBS (§3.5). */
#include "frame.h"

#include <string.h>

uint16_t frame_crc16(const uint8_t *bytes, size_t length) {
  uint16_t crc = 0xffff;
  for (size_t i = 0; i < length; i++) {
    crc ^= (uint16_t)(bytes[i] << 8);
    for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  }
  return crc;
}

size_t frame_encode(const frame_t *frame, uint8_t *out) {
  /* checked = body ‖ crc (§3.1) */
  uint8_t checked[FRAME_BODY_MAX + 2];
  size_t length = 0;
  checked[length++] = frame->seq;
  checked[length++] = frame->type;
  memcpy(&checked[length], frame->payload, frame->length);
  length += frame->length;
  uint16_t crc = frame_crc16(checked, length);
  checked[length++] = (uint8_t)(crc >> 8);
  checked[length++] = (uint8_t)crc;
  /* COBS: each run of non-zero bytes after a code byte, one more than its length (§3.5). */
  size_t at = 1, code_at = 0;
  uint8_t code = 1;
  for (size_t i = 0; i < length; i++) {
    if (checked[i] == 0) {
      out[code_at] = code;
      code_at = at++;
      code = 1;
      continue;
    }
    out[at++] = checked[i];
    if (++code == 0xff) {
      out[code_at] = code;
      code_at = at++;
      code = 1;
    }
  }
  out[code_at] = code;
  out[at++] = 0x00;
  return at;
}

void frame_decoder_reset(frame_decoder_t *decoder) {
  decoder->length = 0;
  decoder->overflow = false;
}

/* COBS-decodes `in` into `out`; its length, or -1 when it does not decode. */
static int cobs_decode(const uint8_t *in, size_t length, uint8_t *out) {
  size_t at = 0, written = 0;
  while (at < length) {
    uint8_t code = in[at++];
    if (code == 0 || at + code - 1 > length) return -1;
    for (uint8_t i = 1; i < code; i++) out[written++] = in[at++];
    if (code < 0xff && at < length) out[written++] = 0;
  }
  return (int)written;
}

bool frame_decoder_push(frame_decoder_t *decoder, uint8_t byte, frame_t *frame) {
  if (byte != 0x00) {
    /* More than 254 bytes before the delimiter: the frame is dropped when it ends (§3.3). */
    if (decoder->length < FRAME_WIRE_MAX - 1) decoder->buffer[decoder->length++] = byte;
    else decoder->overflow = true;
    return false;
  }
  size_t length = decoder->length;
  bool overflow = decoder->overflow;
  frame_decoder_reset(decoder);
  if (length == 0) return false; /* a lone delimiter flushes a receiver */
  uint8_t checked[FRAME_WIRE_MAX];
  int decoded = overflow ? -1 : cobs_decode(decoder->buffer, length, checked);
  if (decoded < 4 || frame_crc16(checked, (size_t)decoded - 2) != (uint16_t)((checked[decoded - 2] << 8) | checked[decoded - 1])) {
    decoder->dropped++;
    return false;
  }
  frame->seq = checked[0];
  frame->type = checked[1];
  frame->length = (uint8_t)(decoded - 4);
  memcpy(frame->payload, &checked[2], frame->length);
  return true;
}
