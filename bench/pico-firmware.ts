/**
 * The module's C firmware on the emulated RP2040 (firmware-sim/pico/emulated-pico.ts), in emulated time:
 * a lamp frame from the host until the WS2812 pin shows the new color (the frame's bytes at 115 200 baud
 * included); a key's contact until its KEY_EVENT has left on the wire (the 20 ms debounce included, the
 * frame's bytes counted at 115 200 baud); and the core's load with 20 lamps blinking (the share of time
 * it is not asleep in WFI). Targets: lamp p99 under 5 ms, key p99 under 25 ms, load under 10 %.
 */
import { encodeFrame, FrameDecoder } from '../firmware-sim/protocol/framing.ts';
import { decodeMessage, encodeMessage, type Message } from '../firmware-sim/protocol/messages.ts';
import { EmulatedPico } from '../firmware-sim/pico/emulated-pico.ts';
import { readFirmwareImage } from '../firmware-sim/pico/firmware-image.ts';
import { buildFirmware } from '../test/support/pico-firmware.ts';
import type { BenchRow } from './table.ts';

const BYTE_US = 1e6 / (115_200 / 10);
const RED = 0xff0000;
const GREEN = 0x00ff00;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function benchPicoFirmware(): Promise<BenchRow[]> {
  return Promise.resolve(picoRows());
}

function picoRows(): BenchRow[] {
  let image: string;
  try {
    image = buildFirmware().image;
  } catch (error) {
    const why = `not run: the firmware did not build (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    return [{ figure: 'Pico firmware (emulated RP2040)', value: why, unit: '' }];
  }
  const pico = new EmulatedPico(readFirmwareImage(image));
  const decoder = new FrameDecoder();
  let read = 0;
  let seq = 0;
  const heard: { at: number; message: Message }[] = [];
  const send = (message: Message) => {
    seq = (seq % 255) + 1;
    pico.receive(encodeFrame({ seq, ...encodeMessage(message) }));
  };
  const run = (ms: number) => {
    for (let left = ms; left > 0; left -= 1) {
      pico.run(Math.min(1, left));
      for (; read < pico.sent.length; read++) {
        const { at, byte } = pico.sent[read]!;
        for (const frame of decoder.push(Uint8Array.of(byte))) {
          const decoded = decodeMessage(frame);
          if (!decoded.ok) continue;
          heard.push({ at, message: decoded.message });
          if (frame.seq !== 0)
            pico.receive(encodeFrame({ seq: 0, ...encodeMessage({ type: 'ack', seq: frame.seq }) }));
        }
      }
    }
  };
  run(350);
  send({ type: 'hello', protocol: { major: 2, minor: 0 } });
  run(30);

  // A lamp: the time from the frame's first byte on the line to the LED chain latching the new color.
  const lampUs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const key = i % 20;
    const color = i % 40 < 20 ? 'red' : 'green';
    const from = pico.nanos;
    send({ type: 'set-lamps', first: key, lamps: [{ color, pattern: 'steady' }] });
    const frames = pico.ledFrames.length;
    const wanted = color === 'red' ? RED : GREEN;
    while (!pico.ledFrames.slice(frames).some((frame) => frame.colors[key] === wanted)) run(1);
    lampUs.push(
      (pico.ledFrames.slice(frames).find((frame) => frame.colors[key] === wanted)!.at - from) / 1000,
    );
    run(3 + (i % 7)); // the next frame at another phase of the 1 ms tick
    if (i % 50 === 49) send({ type: 'heartbeat' });
  }

  // A key: contact until the KEY_EVENT frame has left (its bytes at 115 200 baud after the first).
  const keyUs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const key = i % 20;
    const events = heard.length;
    const from = pico.nanos;
    pico.key(key, true, 0);
    while (!heard.slice(events).some((h) => h.message.type === 'key-event')) run(1);
    const event = heard.slice(events).find((h) => h.message.type === 'key-event')!;
    keyUs.push((event.at - from) / 1000 + 11 * BYTE_US);
    run(30 + (i % 5));
    pico.key(key, false, 0);
    run(40);
    if (i % 30 === 29) send({ type: 'heartbeat' });
  }

  // Load: 20 lamps blinking fast for 2 s.
  send({
    type: 'set-lamps',
    first: 0,
    lamps: Array.from({ length: 20 }, () => ({ color: 'amber' as const, pattern: 'fast-blink' as const })),
  });
  run(20);
  const busyBefore = pico.busyNanos;
  const at = pico.nanos;
  for (let i = 0; i < 2; i++) {
    run(1000);
    send({ type: 'heartbeat' });
  }
  const load = ((pico.busyNanos - busyBefore) / (pico.nanos - at)) * 100;

  return [
    {
      figure: 'Pico firmware: lamp frame sent → WS2812 pin shows it (emulated, p50 / p99; target p99 < 5 ms)',
      value: `${(percentile(lampUs, 50) / 1000).toFixed(2)} / ${(percentile(lampUs, 99) / 1000).toFixed(2)}`,
      unit: 'ms',
    },
    {
      figure:
        'Pico firmware: key contact → KEY_EVENT on the wire, debounce included (p50 / p99; target < 25 ms)',
      value: `${(percentile(keyUs, 50) / 1000).toFixed(2)} / ${(percentile(keyUs, 99) / 1000).toFixed(2)}`,
      unit: 'ms',
    },
    {
      figure: 'Pico firmware: CPU load with 20 lamps blinking (time out of WFI; target < 10 %)',
      value: load.toFixed(2),
      unit: '%',
    },
  ];
}
