/**
 * The Stream Deck panel's drawing cost (BRIEF §9), through @elgato-stream-deck/core on the fake MK.2 HID
 * device of the tests (the USB transfer itself is not measured): all 15 keys drawn from scratch (render,
 * JPEG, reports), one key's new face, and the CPU that 15 fast-blinking keys take per second of real
 * time, once each key's lit and dark faces are prepared.
 */
import { StreamDeckPanel } from '../hw/hid/stream-deck-panel.ts';
import type { Lamp } from '../firmware-sim/protocol/lamp.ts';
import { loadBoards } from '../src/config/boards.ts';
import { BlinkClock } from '../src/panel/blink-clock.ts';
import type { KeyInfo } from '../src/panel/panel.ts';
import { systemClock } from '../src/util/clock.ts';
import { FakeStreamDeckPort } from '../test/support/fake-stream-deck.ts';
import type { BenchRow } from './table.ts';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchStreamDeck(): Promise<BenchRow[]> {
  const board = loadBoards().find((candidate) => candidate.id === 'streamdeck-15')!;
  const port = new FakeStreamDeckPort();
  const panel = new StreamDeckPanel(board, port, { clock: systemClock, blink: new BlinkClock(systemClock) });
  panel.start();
  while (!panel.ready) await new Promise((resolve) => setImmediate(resolve));
  await panel.drawn();
  const info = (key: number, round: number): KeyInfo => ({
    partner: `sip:${200 + key}@pbx`,
    state: 'busy',
    label: `Partner ${key} ${round}`, // a new label each round: nothing comes from the cache
    caller: null,
  });
  const steady: Lamp = { color: 'red', pattern: 'steady' };

  const full: number[] = [];
  const single: number[] = [];
  for (let round = 0; round < 10; round++) {
    let started = performance.now();
    for (let key = 1; key <= 15; key++) panel.setLamp(key, steady, info(key, round));
    await panel.drawn();
    full.push(performance.now() - started);
    started = performance.now();
    panel.setLamp(1, steady, info(1, round + 100));
    await panel.drawn();
    single.push(performance.now() - started);
  }

  const blinking: Lamp = { color: 'red', pattern: 'fast-blink' };
  for (let key = 1; key <= 15; key++) panel.setLamp(key, blinking, info(key, 1000));
  await new Promise((resolve) => setTimeout(resolve, 1000)); // both faces of every key prepared
  const reportsBefore = port.device!.imageReports;
  const cpuBefore = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const cpu = process.cpuUsage(cpuBefore);
  const reports = port.device!.imageReports - reportsBefore;
  await panel.close();
  return [
    {
      figure: 'Stream Deck MK.2: all 15 keys drawn from scratch',
      value: median(full).toFixed(1),
      unit: 'ms',
    },
    { figure: 'Stream Deck MK.2: one key with a new face', value: median(single).toFixed(1), unit: 'ms' },
    {
      figure: 'Stream Deck MK.2: 15 keys fast-blinking, CPU per second',
      value: ((cpu.user + cpu.system) / 1000 / 3).toFixed(1),
      unit: 'ms',
    },
    { figure: '  image reports sent per second', value: String(Math.round(reports / 3)), unit: 'reports' },
  ];
}
