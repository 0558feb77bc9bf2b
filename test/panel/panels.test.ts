/** The panel contract (panel-contract.ts) against every driver this machine can run. */
import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterAll } from 'vitest';
import { SerialModulePanel } from '../../hw/serial/serial-module-panel.ts';
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import { hardwareOf } from '../../src/app/module-simulator.ts';
import { serveOverTcp } from '../../firmware-sim/sim/module-server.ts';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { ConsoleBoard } from '../../src/panel/console-board.ts';
import { FakePanel } from '../../src/panel/fake-panel.ts';
import { systemClock } from '../../src/util/clock.ts';
import { HidKeypadPanel } from '../../hw/hid/hid-keypad-panel.ts';
import { StreamDeckPanel } from '../../hw/hid/stream-deck-panel.ts';
import { BlinkClock } from '../../src/panel/blink-clock.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { FakeHidPort } from '../support/fake-hid-keypad.ts';
import { FakeStreamDeckPort } from '../support/fake-stream-deck.ts';
import { GpioBench } from '../support/gpio-bench.ts';
import { buildFirmware, type FirmwareBuild } from '../support/pico-firmware.ts';
import { readFirmwareImage } from '../../firmware-sim/pico/firmware-image.ts';
import { PicoModule } from '../../firmware-sim/pico/pico-module.ts';
import { watchKey } from '../support/lamp-observer.ts';
import { panelContract } from './panel-contract.ts';

const boards = loadBoards();
const board = (id: string) => boards.find((candidate) => candidate.id === id)!;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The Pico firmware, built once for this file when its contract first runs. */
let picoBuild: FirmwareBuild | null = null;
const picoImage = () => (picoBuild ??= buildFirmware()).image;
afterAll(() => picoBuild != null && rmSync(picoBuild.dir, { recursive: true, force: true }));

const same = (a: { color: string; pattern: string } | null | undefined, b: Lamp) =>
  a != null && a.color === b.color && a.pattern === b.pattern;

panelContract('fake panel', () => {
  const panel = new FakePanel(board('console'));
  return Promise.resolve({
    panel,
    shows: (key, lamp) => until(() => same(panel.lamps.get(key), lamp), `key ${key} showing ${lamp.color}`),
    press: (key, gesture) => {
      panel.press({ key, event: 'down' });
      panel.press({ key, event: gesture === 'long' ? 'long' : 'up' });
      return Promise.resolve();
    },
    close: () => panel.close(),
  });
});

panelContract('console board', () => {
  const lines: string[] = [];
  const input = new PassThrough();
  const panel = new ConsoleBoard(board('console'), (line) => lines.push(line), input);
  const shown = (key: number) =>
    lines
      .map((line) => JSON.parse(line) as { key: number; lamp: Lamp })
      .filter((line) => line.key === key)
      .at(-1)?.lamp;
  return Promise.resolve({
    panel,
    shows: (key, lamp) => until(() => same(shown(key), lamp), `key ${key} showing ${lamp.color}`),
    press: (key, gesture) => {
      input.write(`${gesture === 'long' ? 'long' : 'press'} ${key}\n`);
      return Promise.resolve();
    },
    close: () => panel.close(),
  });
});

panelContract('serial module driver with the firmware simulator over TCP', async () => {
  const module20 = board('module-20rgb');
  const firmware = new ModuleFirmware(hardwareOf(module20), systemClock);
  const endpoint = await serveOverTcp(firmware, 0);
  const panel = new SerialModulePanel(module20, `tcp://127.0.0.1:${endpoint.port}`, { clock: systemClock });
  panel.start();
  await until(() => panel.ready, 'the handshake');
  return {
    panel,
    shows: (key, lamp) =>
      until(() => same(firmware.lamp(key - 1), lamp), `module key ${key} showing ${lamp.color}`),
    press: async (key, gesture) => {
      // A finger holds a key about 100 ms for a short press, past the 600 ms long-press time for a long one.
      firmware.pressSwitch(key - 1);
      await new Promise((resolve) => setTimeout(resolve, gesture === 'long' ? 700 : 100));
      firmware.releaseSwitch(key - 1);
    },
    close: async () => {
      await panel.close();
      await endpoint.close();
      firmware.reset(); // stops its timers
    },
  };
});

panelContract('serial module driver with the Pico firmware on an emulated RP2040 over TCP', async () => {
  const module20 = board('module-20rgb');
  // The real firmware behind the same TCP server as the simulator's, kept in step with the wall clock.
  const module = new PicoModule(readFirmwareImage(picoImage()), hardwareOf(module20), systemClock);
  const { pico } = module;
  const endpoint = await serveOverTcp(module, 0);
  const panel = new SerialModulePanel(module20, `tcp://127.0.0.1:${endpoint.port}`, { clock: systemClock });
  panel.start();
  await until(() => panel.ready, 'the handshake');
  return {
    panel,
    // Read off the WS2812 pin: the color while lit and the blink over the last 2.1 s (emulated).
    shows: async (key, lamp) => {
      const deadline = Date.now() + 8000;
      for (;;) {
        const seen = pico.seen(key - 1);
        if (same(seen, lamp)) return;
        if (Date.now() > deadline)
          throw new Error(
            `key ${key} shows ${seen.color} ${seen.pattern}, not ${lamp.color} ${lamp.pattern}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    press: async (key, gesture) => {
      // Closed on the matrix with 3 ms of contact bounce, for about 100 ms, or past the long-press time.
      pico.key(key - 1, true, 3);
      await new Promise((resolve) => setTimeout(resolve, gesture === 'long' ? 700 : 100));
      pico.key(key - 1, false, 3);
    },
    close: async () => {
      await panel.close();
      await endpoint.close();
      module.stop();
    },
  };
});

for (const id of ['gpio-8-bicolor', 'gpio-16-mono']) {
  panelContract(`GPIO panel ${id} on fake lines`, () => {
    const bench = new GpioBench(board(id));
    bench.panel.start();
    const mono = bench.board.lamp.kind === 'mono';
    return Promise.resolve({
      panel: bench.panel,
      shows: async (key, lamp) => {
        const seen = await watchKey(bench.clock, () => bench.color(key));
        // A single LED has no color: it shows the pattern (the lamp policy's mono column).
        const wanted = { color: mono && lamp.color !== 'off' ? 'on' : lamp.color, pattern: lamp.pattern };
        if (seen.color !== wanted.color || seen.pattern !== wanted.pattern)
          throw new Error(
            `key ${key} shows ${seen.color} ${seen.pattern}, not ${wanted.color} ${wanted.pattern}`,
          );
      },
      // A finger holds a key about 100 ms for a short press, past the 600 ms long-press time for a long one.
      press: (key, gesture) => bench.press(key, gesture === 'long' ? 700 : 100),
      close: () => bench.panel.close(),
    });
  });
}

panelContract('Stream Deck MK.2 panel on a fake HID device', async () => {
  const clock = new FakeClock();
  const port = new FakeStreamDeckPort();
  const panel = new StreamDeckPanel(board('streamdeck-15'), port, { clock, blink: new BlinkClock(clock) });
  panel.start();
  await until(() => panel.ready, 'the Stream Deck opening');
  return {
    panel,
    shows: async (key, lamp) => {
      const seen = await watchKey(
        clock,
        () => port.device!.color(key - 1),
        () => panel.drawn(),
      );
      if (seen.color !== lamp.color || seen.pattern !== lamp.pattern)
        throw new Error(`key ${key} shows ${seen.color} ${seen.pattern}, not ${lamp.color} ${lamp.pattern}`);
    },
    press: async (key, gesture) => {
      port.device!.key(key - 1, true);
      clock.advance(gesture === 'long' ? 700 : 100);
      port.device!.key(key - 1, false);
      return Promise.resolve();
    },
    close: () => panel.close(),
  };
});

panelContract('generic HID keypad panel on a fake keypad', async () => {
  const clock = new FakeClock();
  const port = new FakeHidPort();
  const panel = new HidKeypadPanel(board('hid-keypad-12'), port, { clock, blink: new BlinkClock(clock) });
  panel.start();
  await until(() => panel.ready, 'the keypad opening');
  return {
    panel,
    shows: async (key, lamp) => {
      // Reports leave a microtask after the change; a single LED shows the pattern, not the color.
      const seen = await watchKey(
        clock,
        () => (port.device!.lit(key) ? 'on' : 'off'),
        () => new Promise((resolve) => setImmediate(resolve)),
      );
      const wanted = { color: lamp.color === 'off' ? 'off' : 'on', pattern: lamp.pattern };
      if (seen.color !== wanted.color || seen.pattern !== wanted.pattern)
        throw new Error(
          `key ${key} shows ${seen.color} ${seen.pattern}, not ${wanted.color} ${wanted.pattern}`,
        );
    },
    press: (key, gesture) => {
      port.device!.key(key, true);
      clock.advance(gesture === 'long' ? 700 : 100);
      port.device!.key(key, false);
      return Promise.resolve();
    },
    close: () => panel.close(),
  };
});

// Real hardware: LAMPFIELD_MODULE_PORT=/dev/ttyACM0 (and LAMPFIELD_MODULE_BOARD=module-20rgb) runs the
// contract against a module on the bench; nobody presses its keys, so the press test is skipped.
const realPort = process.env['LAMPFIELD_MODULE_PORT'];
if (realPort != null) {
  panelContract(`serial module at ${realPort}`, async () => {
    const panel = new SerialModulePanel(
      board(process.env['LAMPFIELD_MODULE_BOARD'] ?? 'module-20rgb'),
      realPort,
      { clock: systemClock },
    );
    panel.start();
    await until(() => panel.ready, 'the handshake');
    return {
      panel,
      shows: () => new Promise((resolve) => setTimeout(resolve, 200)),
      press: null,
      close: () => panel.close(),
    };
  });
}
