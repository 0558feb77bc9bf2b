/** PROTOCOL.md §9 stays true: every example's bytes are what the codec reads and writes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc16, encodeFrame, FrameDecoder } from '../../firmware-sim/protocol/framing.ts';
import { decodeMessage, encodeMessage } from '../../firmware-sim/protocol/messages.ts';

const doc = readFileSync(new URL('../../firmware-sim/PROTOCOL.md', import.meta.url), 'utf8');
const bytes = (line: string) => Uint8Array.from(line.trim().split(/\s+/), (hex) => Number.parseInt(hex, 16));
const examples = [...doc.matchAll(/^body {2}(.+)\ncrc {3}(.+)\nwire {2}(.+)$/gm)].map(
  ([, body, crc, wire]) => ({
    body: bytes(body!),
    crc: bytes(crc!),
    wire: bytes(wire!),
  }),
);

describe('PROTOCOL.md examples', () => {
  it('has an example for every message type', () => {
    expect(new Set(examples.map((example) => example.body[1]))).toEqual(
      new Set([0x01, 0x81, 0x02, 0x03, 0x04, 0x82, 0x7e, 0x7f]),
    );
  });

  it.each(examples.map((example) => [example.body[1]!.toString(16), example] as const))(
    'type 0x%s reads and writes as printed',
    (_type, example) => {
      const crc = crc16(example.body);
      expect([crc >> 8, crc & 0xff]).toEqual([...example.crc]);
      const [frame] = new FrameDecoder().push(example.wire);
      const decoded = decodeMessage(frame!);
      if (!decoded.ok) throw new Error(decoded.reason);
      expect([...encodeFrame({ seq: frame!.seq, ...encodeMessage(decoded.message) })]).toEqual([
        ...example.wire,
      ]);
    },
  );
});
