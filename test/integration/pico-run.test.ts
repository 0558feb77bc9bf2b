/**
 * The whole chain with the module's real firmware: `lampfield run` (the module board only, no console
 * board) watching the simulator's PBX, its panel the C firmware on an emulated RP2040 behind TCP, and
 * what a receptionist would see read where the LEDs are: the WS2812 data pin's waveform, decoded to a
 * color and a blink (firmware-sim/pico/emulated-pico.ts).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFirmwareImage } from '../../firmware-sim/pico/firmware-image.ts';
import { PicoModule } from '../../firmware-sim/pico/pico-module.ts';
import { serveOverTcp } from '../../firmware-sim/sim/module-server.ts';
import { hardwareOf } from '../../src/app/module-simulator.ts';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { SipStack } from '../../src/sip/stack.ts';
import { PbxSimulator } from '../../src/sim/pbx-simulator.ts';
import { systemClock } from '../../src/util/clock.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { firmwareForThisFile } from '../support/pico-firmware.ts';
import { freePort } from '../support/ports.ts';
import { killAll } from '../support/processes.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());
const firmwareBuild = firmwareForThisFile();

describe('lampfield run with the Pico firmware as its panel', () => {
  it('a ringing partner’s lamp blinks red on the WS2812 pin, then shows busy and idle', async () => {
    const pbxStack = await SipStack.open({ address: '127.0.0.1', port: 0, clock: systemClock });
    cleanup.push(() => pbxStack.close());
    const pbx = new PbxSimulator(pbxStack, {
      dialect: 'generic',
      host: '127.0.0.1',
      passwords: { lampfield: 'secret' },
      clock: systemClock,
    });
    const board = loadBoards().find((candidate) => candidate.id === 'module-20rgb')!;
    const module = new PicoModule(
      readFirmwareImage(`${firmwareBuild().dir}/lampfield-module.elf`),
      hardwareOf(board),
      systemClock,
    );
    cleanup.push(() => module.stop());
    const endpoint = await serveOverTcp(module, 0);
    cleanup.push(() => endpoint.close());

    const lampfield = LampfieldProcess.start({
      pbx: { host: '127.0.0.1', port: pbxStack.port },
      account: { user: 'lampfield', password: 'secret', register: true },
      local: { address: '127.0.0.1', port: await freePort(true) },
      board: 'module-20rgb',
      panel: { port: `tcp://127.0.0.1:${endpoint.port}` },
      keys: [
        { key: 1, partner: '211', label: 'Reception' },
        { key: 2, partner: '212' },
      ],
    });
    cleanup.push(() => lampfield.stop());

    const { pico } = module;
    /** Waits until key `key`'s LED, over the last 2.1 s of emulated time, showed `state`'s lamp. */
    const shows = async (key: number, state: Parameters<typeof lampFor>[0]) => {
      const wanted = lampFor(state, DEFAULT_LAMPS, 'rgb');
      const deadline = Date.now() + 30_000;
      for (;;) {
        const seen = pico.seen(key - 1);
        if (seen.color === wanted.color && seen.pattern === wanted.pattern) return;
        if (Date.now() > deadline)
          throw new Error(
            `key ${key} shows ${seen.color} ${seen.pattern} on the WS2812 pin, not ${state} (${wanted.color} ${wanted.pattern})\n${lampfield.output()}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    await shows(1, 'idle');
    await shows(2, 'idle');
    const call = pbx.ring('300', '211');
    await shows(1, 'ringing');
    expect(lampFor('ringing', DEFAULT_LAMPS, 'rgb')).toEqual({ color: 'red', pattern: 'fast-blink' });
    await shows(2, 'idle'); // key 2 untouched
    pbx.answer(call);
    await shows(1, 'busy');
    pbx.hangUp(call);
    await shows(1, 'idle');
    expect(pico.watchdogResets).toBe(0);
  });
});
