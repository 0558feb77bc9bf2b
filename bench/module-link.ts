/**
 * The expansion module's link (BRIEF §9): a full 160-key lamp refresh and a single lamp change,
 * from `setLamp` until the module has applied it and its ACK is back, through the real host driver and
 * the firmware simulator over loopback TCP. The bytes both ways are counted on the wire and turned into
 * time at 115,200 baud (10 bits a byte, 8N1). Targets: at most 50 ms and 2 ms.
 */
import net from 'node:net';
import { ModuleFirmware } from '../firmware-sim/sim/module-firmware.ts';
import { hardwareOf } from '../src/app/module-simulator.ts';
import { serveOverTcp } from '../firmware-sim/sim/module-server.ts';
import { SerialModulePanel } from '../hw/serial/serial-module-panel.ts';
import type { Lamp } from '../firmware-sim/protocol/lamp.ts';
import { loadBoards } from '../src/config/boards.ts';
import { systemClock } from '../src/util/clock.ts';
import type { BenchRow } from './table.ts';

const BAUD_BYTES_PER_MS = 115_200 / 10 / 1000;

/** A TCP relay that counts the bytes each way. */
async function countingRelay(
  target: number,
): Promise<{ port: number; bytes: { up: number; down: number }; close(): void }> {
  const bytes = { up: 0, down: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (data: Buffer) => {
      bytes.up += data.length;
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      bytes.down += data.length;
      client.write(data);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, bytes, close: () => server.close() };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

export async function benchModuleLink(): Promise<BenchRow[]> {
  const board = loadBoards().find((candidate) => candidate.id === 'module-160rgb')!;
  const firmware = new ModuleFirmware(hardwareOf(board), systemClock);
  const endpoint = await serveOverTcp(firmware, 0);
  const relay = await countingRelay(endpoint.port);
  const panel = new SerialModulePanel(board, `tcp://127.0.0.1:${relay.port}`, {
    heartbeatMs: 60_000,
    clock: systemClock,
  });
  panel.start();
  await until(() => panel.ready);
  const info = { partner: 'sip:1@pbx', state: 'busy' as const, label: null, caller: null };
  const lamps: Lamp[] = [
    { color: 'red', pattern: 'steady' },
    { color: 'green', pattern: 'steady' },
  ];

  /** Runs one change and returns [ms, bytes]; done when the module shows it and all ACKs are in. */
  const measure = async (keys: number[], lamp: Lamp): Promise<[number, number]> => {
    const before = relay.bytes.up + relay.bytes.down;
    const started = performance.now();
    for (const key of keys) panel.setLamp(key, lamp, info);
    await until(() => keys.every((key) => firmware.lamp(key - 1)?.color === lamp.color));
    await until(() => panel.idle); // every frame acknowledged
    return [performance.now() - started, relay.bytes.up + relay.bytes.down - before];
  };

  const all = Array.from({ length: 160 }, (_, i) => i + 1);
  const full: [number, number][] = [];
  const single: [number, number][] = [];
  for (let round = 0; round < 30; round++) {
    full.push(await measure(all, lamps[round % 2]!));
    single.push(await measure([1 + (round % 160)], lamps[(round + 1) % 2]!));
  }
  await panel.close();
  relay.close();
  await endpoint.close();
  firmware.reset();

  const row = (name: string, samples: [number, number][], target: number): BenchRow[] => {
    const bytes = median(samples.map(([, count]) => count));
    const processing = median(samples.map(([ms]) => ms));
    const wire = bytes / BAUD_BYTES_PER_MS;
    return [
      { figure: `${name}: bytes on the wire, both ways`, value: String(bytes), unit: 'bytes' },
      {
        figure: `  at 115,200 baud, plus processing (target ≤ ${target} ms)`,
        value: (wire + processing).toFixed(2),
        unit: 'ms',
      },
      {
        figure: '  of which processing, host and module (loopback)',
        value: processing.toFixed(2),
        unit: 'ms',
      },
    ];
  };
  return [
    ...row('module link, full 160-key refresh', full, 50),
    ...row('module link, one lamp change', single, 2),
    await benchReplay(),
  ];
}

/**
 * Unplugged and plugged back (the 20-key module with labels): from the moment the link is back until the
 * module shows every lamp and label again, reconnect and handshake included, median of 5. Target ≤ 1 s.
 */
async function benchReplay(): Promise<BenchRow> {
  const board = loadBoards().find((candidate) => candidate.id === 'module-20rgb')!;
  const firmware = new ModuleFirmware(hardwareOf(board), systemClock);
  const endpoint = await serveOverTcp(firmware, 0);
  const panel = new SerialModulePanel(board, `tcp://127.0.0.1:${endpoint.port}`, { clock: systemClock });
  panel.start();
  await until(() => panel.ready);
  const keys = Array.from({ length: 20 }, (_, i) => i + 1);
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const lamp: Lamp = { color: round % 2 ? 'red' : 'green', pattern: 'steady' };
    const label = (key: number) => `Key ${key} ${round}`;
    for (const key of keys)
      panel.setLamp(key, lamp, { partner: 'sip:1@pbx', state: 'busy', label: label(key), caller: null });
    await until(() => panel.idle && firmware.label(19) === label(20));
    endpoint.unplug(300);
    await until(() => !panel.ready);
    firmware.reset(); // the module lost power with the cable: it shows nothing until the replay
    const back = performance.now() + 300;
    await until(() =>
      keys.every(
        (key) => firmware.lamp(key - 1)?.color === lamp.color && firmware.label(key - 1) === label(key),
      ),
    );
    samples.push(performance.now() - back);
  }
  await panel.close();
  await endpoint.close();
  firmware.reset();
  return {
    figure: 'module link, replug until every lamp and label is back, loopback (target ≤ 1,000 ms)',
    value: median(samples).toFixed(0),
    unit: 'ms',
  };
}
