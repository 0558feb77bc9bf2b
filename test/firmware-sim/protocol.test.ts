/** The module protocol codec (firmware-sim/PROTOCOL.md §3–§5). */
import { describe, expect, it } from 'vitest';
import {
  cobsDecode,
  cobsEncode,
  crc16,
  encodeFrame,
  FrameDecoder,
  MAX_BODY,
} from '../../firmware-sim/protocol/framing.ts';
import {
  decodeMessage,
  encodeMessage,
  LAMPS_PER_FRAME,
  type Message,
} from '../../firmware-sim/protocol/messages.ts';

function frame(message: Message, seq = 1): Uint8Array {
  return encodeFrame({ seq, ...encodeMessage(message) });
}

function roundTrip(message: Message): Message {
  const [decoded] = new FrameDecoder().push(frame(message));
  const result = decodeMessage(decoded!);
  if (!result.ok) throw new Error(result.reason);
  return result.message;
}

describe('framing', () => {
  it('computes CRC-16/CCITT-FALSE (check value of "123456789" is 0x29B1)', () => {
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x29b1);
  });

  it('COBS-encodes the published examples and decodes them back', () => {
    const cases: [number[], number[]][] = [
      [[0x00], [0x01, 0x01]],
      [
        [0x00, 0x00],
        [0x01, 0x01, 0x01],
      ],
      [
        [0x11, 0x22, 0x00, 0x33],
        [0x03, 0x11, 0x22, 0x02, 0x33],
      ],
      [
        [0x11, 0x00, 0x00, 0x00],
        [0x02, 0x11, 0x01, 0x01, 0x01],
      ],
    ];
    for (const [raw, encoded] of cases) {
      expect([...cobsEncode(Uint8Array.from(raw))]).toEqual(encoded);
      expect([...cobsDecode(Uint8Array.from(encoded))!]).toEqual(raw);
    }
    const long = Uint8Array.from({ length: 600 }, (_, i) => (i % 255) + 1);
    expect([...cobsDecode(cobsEncode(long))!]).toEqual([...long]);
    expect(cobsEncode(long).includes(0)).toBe(false);
  });

  it('finds frames again after garbage, truncated frames and bad CRCs, counting each', () => {
    const decoder = new FrameDecoder();
    const good = frame({ type: 'heartbeat' }, 7);
    const corrupt = frame({ type: 'heartbeat' }, 8);
    corrupt[2] = corrupt[2]! ^ 0x40;
    const truncated = frame({ type: 'heartbeat' }, 9).subarray(0, 3);
    const garbage = Uint8Array.from([0x55, 0xaa, 0x13, 0x00]);
    const frames = decoder.push(Uint8Array.from([...garbage, ...corrupt, ...truncated, 0x00, ...good]));
    expect(frames).toEqual([{ seq: 7, type: 0x04, payload: new Uint8Array(0) }]);
    expect(decoder.dropped['bad-crc']).toBe(1);
    expect(decoder.droppedTotal).toBe(3);
  });

  it('survives random bytes and split chunks without throwing', () => {
    const decoder = new FrameDecoder();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) decoder.push(Uint8Array.from({ length: random() }, random));
    decoder.push(Uint8Array.of(0));
    const good = frame({ type: 'ack', seq: 3 }, 0);
    const parts = [good.subarray(0, 2), good.subarray(2)];
    expect([...decoder.push(parts[0]!), ...decoder.push(parts[1]!)]).toHaveLength(1);
  });

  it('refuses a payload too long for one frame', () => {
    expect(() => encodeFrame({ seq: 1, type: 2, payload: new Uint8Array(MAX_BODY) })).toThrow(RangeError);
  });
});

describe('messages', () => {
  it('round-trips every message type', () => {
    const messages: Message[] = [
      { type: 'hello', protocol: { major: 2, minor: 0 } },
      {
        type: 'info',
        info: {
          protocol: { major: 2, minor: 0 },
          firmware: { major: 0, minor: 3, patch: 1 },
          boardId: 'module-20rgb',
          serial: 'LF-000123',
          labelChars: 12,
          keys: [
            { lamp: 'rgb', hardwarePatterns: true },
            { lamp: 'bicolor', hardwarePatterns: false },
          ],
          pages: 2,
          pageKeys: [
            { lamp: 'rgb', hardwarePatterns: true },
            { lamp: 'mono', hardwarePatterns: true },
          ],
        },
      },
      {
        type: 'set-page-lamps',
        shown: { color: 'white', pattern: 'steady' },
        hidden: [
          { color: 'off', pattern: 'off' },
          { color: 'red', pattern: 'fast-blink' },
        ],
      },
      { type: 'page-shown', page: 7 },
      {
        type: 'set-lamps',
        first: 3,
        lamps: [
          { color: 'red', pattern: 'fast-blink' },
          { color: 'amber', pattern: 'flash' },
        ],
      },
      { type: 'set-label', key: 4, text: 'Empfang Müller' },
      { type: 'heartbeat' },
      { type: 'key-event', key: 19, event: 'long', uptimeMs: 4_000_000_000 },
      { type: 'ack', seq: 200 },
      { type: 'nak', seq: 5, reason: 'bad-key' },
    ];
    for (const message of messages) expect(roundTrip(message)).toEqual(message);
  });

  it("reads a 1.x module's INFO, which ends after the key lamps, as one page without page keys", () => {
    // §4.4: fields are appended; a 2.0 host must read an old module's INFO to say what to update.
    const old = Uint8Array.of(1, 0, 0, 4, 0, 1, 0x41, 1, 0x42, 12, 2, 0x83, 0x83);
    expect(decodeMessage({ seq: 1, type: 0x81, payload: old })).toMatchObject({
      ok: true,
      message: { info: { protocol: { major: 1, minor: 0 }, boardId: 'A', pages: 1, pageKeys: [] } },
    });
  });

  it('fits 246 lamps, one byte each, in one SET_LAMPS frame', () => {
    const lamps = Array.from({ length: LAMPS_PER_FRAME }, () => ({
      color: 'green' as const,
      pattern: 'steady' as const,
    }));
    expect(roundTrip({ type: 'set-lamps', first: 0, lamps })).toEqual({ type: 'set-lamps', first: 0, lamps });
    expect(() => frame({ type: 'set-lamps', first: 0, lamps: [...lamps, lamps[0]!] })).toThrow(RangeError);
  });

  it('gives a NAK reason, never an exception, for what it cannot read', () => {
    expect(decodeMessage({ seq: 1, type: 0x42, payload: new Uint8Array(0) })).toEqual({
      ok: false,
      reason: 'unknown-type',
    });
    expect(decodeMessage({ seq: 1, type: 0x02, payload: Uint8Array.of(0, 2, 0x11) })).toEqual({
      ok: false,
      reason: 'bad-length',
    });
    expect(decodeMessage({ seq: 1, type: 0x02, payload: Uint8Array.of(0, 1, 0x1f) })).toEqual({
      ok: false,
      reason: 'bad-value',
    });
    expect(decodeMessage({ seq: 1, type: 0x81, payload: Uint8Array.of(1, 0, 0, 0, 0, 200) })).toEqual({
      ok: false,
      reason: 'bad-length',
    });
    // SET_PAGE_LAMPS: a count past the payload, a lamp byte naming no pattern.
    expect(decodeMessage({ seq: 1, type: 0x05, payload: Uint8Array.of(0x18, 3, 0, 0) })).toEqual({
      ok: false,
      reason: 'bad-length',
    });
    expect(decodeMessage({ seq: 1, type: 0x05, payload: Uint8Array.of(0x18, 1, 0xf1) })).toEqual({
      ok: false,
      reason: 'bad-value',
    });
  });
});
