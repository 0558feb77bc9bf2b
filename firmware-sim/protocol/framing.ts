/**
 * Framing of the expansion module's serial protocol (PROTOCOL.md §3), pure and shared by the host
 * driver (hw/serial) and the firmware simulator (firmware-sim/sim).
 *
 * A frame on the wire is COBS(body ‖ CRC) followed by one 0x00 byte. The body is
 * `seq (u8) ‖ type (u8) ‖ payload`; the CRC is CRC-16/CCITT-FALSE of the body, big-endian. 0x00 never
 * occurs inside an encoded frame, so a receiver that lost its place discards bytes up to the next 0x00
 * and is in step again (§3.3).
 */

/** Largest body (seq, type, payload) a frame may carry (§3.2). */
export const MAX_BODY = 250;

/** CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection (check "123456789" → 0x29B1). */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): removes every 0x00 from `data`. */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + Math.ceil(data.length / 254) + 1);
  let codeAt = 0;
  let code = 1;
  let write = 1;
  for (const byte of data) {
    if (byte === 0) {
      out[codeAt] = code;
      codeAt = write++;
      code = 1;
      continue;
    }
    out[write++] = byte;
    if (++code === 0xff) {
      out[codeAt] = code;
      codeAt = write++;
      code = 1;
    }
  }
  out[codeAt] = code;
  return out.subarray(0, write);
}

/** Reverses cobsEncode; null when the bytes are not valid COBS (a zero inside, a code past the end). */
export function cobsDecode(data: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(data.length);
  let read = 0;
  let write = 0;
  while (read < data.length) {
    const code = data[read++]!;
    if (code === 0 || read + code - 1 > data.length) return null;
    for (let i = 1; i < code; i++) {
      const byte = data[read++]!;
      if (byte === 0) return null;
      out[write++] = byte;
    }
    if (code !== 0xff && read < data.length) out[write++] = 0;
  }
  return out.subarray(0, write);
}

export interface Frame {
  /** 1..255 for frames the receiver acknowledges; 0 for ACK, NAK (§4.1). */
  seq: number;
  type: number;
  payload: Uint8Array;
}

/** One frame as bytes on the wire, its 0x00 delimiter included. */
export function encodeFrame(frame: Frame): Uint8Array {
  if (frame.payload.length + 2 > MAX_BODY)
    throw new RangeError(`frame payload of ${frame.payload.length} bytes is too long`);
  const body = new Uint8Array(frame.payload.length + 4);
  body[0] = frame.seq;
  body[1] = frame.type;
  body.set(frame.payload, 2);
  const crc = crc16(body.subarray(0, body.length - 2));
  body[body.length - 2] = crc >> 8;
  body[body.length - 1] = crc & 0xff;
  const encoded = cobsEncode(body);
  const wire = new Uint8Array(encoded.length + 1);
  wire.set(encoded);
  return wire;
}

export type FrameError = 'bad-cobs' | 'bad-crc' | 'too-short' | 'too-long';

/**
 * Splits a byte stream into frames. Garbage, truncated frames and bad CRCs are dropped and counted;
 * the next good frame is read as if nothing had happened (§3.3).
 */
export class FrameDecoder {
  private buffer = new Uint8Array(512);
  private length = 0;
  private overflowed = false;
  readonly dropped: Record<FrameError, number> = {
    'bad-cobs': 0,
    'bad-crc': 0,
    'too-short': 0,
    'too-long': 0,
  };

  get droppedTotal(): number {
    return Object.values(this.dropped).reduce((sum, count) => sum + count, 0);
  }

  /** Feeds bytes; returns the frames they completed. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    for (const byte of chunk) {
      if (byte !== 0) {
        if (this.length < this.buffer.length) this.buffer[this.length++] = byte;
        else this.overflowed = true;
        continue;
      }
      const frame = this.finish();
      if (frame != null) frames.push(frame);
    }
    return frames;
  }

  /** Forgets a partial frame (after a reconnect: its start belonged to the old link). */
  reset(): void {
    this.length = 0;
    this.overflowed = false;
  }

  private finish(): Frame | null {
    const length = this.length;
    const overflowed = this.overflowed;
    this.reset();
    if (length === 0) return null; // an idle 0x00: a sender may send it to flush a receiver
    if (overflowed) return this.drop('too-long');
    const body = cobsDecode(this.buffer.subarray(0, length));
    if (body == null) return this.drop('bad-cobs');
    if (body.length < 4) return this.drop('too-short');
    if (body.length > MAX_BODY + 2) return this.drop('too-long');
    const crc = (body[body.length - 2]! << 8) | body[body.length - 1]!;
    if (crc16(body.subarray(0, body.length - 2)) !== crc) return this.drop('bad-crc');
    return { seq: body[0]!, type: body[1]!, payload: body.slice(2, body.length - 2) };
  }

  private drop(error: FrameError): null {
    this.dropped[error]++;
    return null;
  }
}
