/**
 * PROTOCOL.md stays true: every example's bytes (§9) are what the codec reads and writes, and the color
 * and pattern tables (§5.2, §5.3) give the codes the codec writes and the light and timing of the lamp
 * vocabulary (firmware-sim/protocol/lamp.ts) that the module runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc16, encodeFrame, FrameDecoder } from '../../firmware-sim/protocol/framing.ts';
import {
  Color,
  decodeMessage,
  encodeMessage,
  HOST_LOST_TIMING,
  Pattern,
} from '../../firmware-sim/protocol/messages.ts';
import { LAMP_COLORS, LAMP_PATTERNS, LAMP_RGB, PATTERN_TIMING } from '../../firmware-sim/protocol/lamp.ts';

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
      new Set([0x01, 0x81, 0x02, 0x03, 0x04, 0x05, 0x82, 0x83, 0x7e, 0x7f]),
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

/** The body rows of the first markdown table after `heading`, as cells (header and rule left out). */
function tableAfter(heading: string): string[][] {
  const lines = doc.slice(doc.indexOf(heading)).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const table: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('|')) break;
    if (/^\|\s*-/.test(line)) continue;
    table.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return table;
}

describe('PROTOCOL.md lamp tables', () => {
  it('§5.2 gives each lamp color its code and RGB drive', () => {
    const rows = tableAfter('Colors are one palette for every module');
    expect(rows.map(([, color]) => color)).toEqual([...LAMP_COLORS]);
    for (const [code, color, rgb] of rows) {
      const name = color as (typeof LAMP_COLORS)[number];
      expect(Number(code), color).toBe(Color[name]);
      expect(rgb!.split(',').map(Number), color).toEqual([...LAMP_RGB[name]]);
    }
  });

  it("§5.3 gives each pattern its code and timing, host-lost being the module's own", () => {
    const rows = tableAfter('### 5.3 Patterns and blink phases');
    expect(rows.map(([, pattern]) => pattern)).toEqual([...LAMP_PATTERNS, 'host-lost']);
    for (const [code, pattern, period, litFor] of rows) {
      const name = pattern as keyof typeof Pattern;
      expect(Number(code), pattern).toBe(Pattern[name]);
      const timing = name === 'host-lost' ? HOST_LOST_TIMING : PATTERN_TIMING[name];
      if (period === '—') {
        expect(timing.period, pattern).toBe(1);
        expect(timing.on, pattern).toBe(litFor === 'always' ? 1 : 0);
      } else {
        expect(`${timing.period} ms`, pattern).toBe(period);
        expect(`the first ${timing.on} ms`, pattern).toBe(litFor);
      }
    }
  });
});
