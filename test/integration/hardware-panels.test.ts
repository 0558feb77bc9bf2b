/**
 * lampfield run's whole path on each kind of hardware panel, with fakes only at the hardware boundary:
 * Kamailio's NOTIFY for partner 207 lights the key on a Stream Deck (fake HID, read back from its JPEG),
 * on GPIO LEDs (fake lines) and on a HID keypad's LED (fake keypad), and a press on that key makes the
 * desk phone (sipp, extension 201) call 207 (INVITE, then REFER to 207).
 */
import { testPlatform } from '../support/platform.ts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HidKeypadPanel } from '../../hw/hid/hid-keypad-panel.ts';
import { StreamDeckPanel } from '../../hw/hid/stream-deck-panel.ts';
import { startWatcher } from '../../src/app/watcher.ts';
import { parseConfig } from '../../src/config/config.ts';
import { BlinkClock } from '../../src/panel/blink-clock.ts';
import type { PanelDevice } from '../../src/panel/panel.ts';
import { systemClock } from '../../src/util/clock.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { FakeHidPort } from '../support/fake-hid-keypad.ts';
import { FakeStreamDeckPort } from '../support/fake-stream-deck.ts';
import { GpioBench } from '../support/gpio-bench.ts';
import { Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { killAll } from '../support/processes.ts';
import { call, deskPhone, expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One kind of panel: how to build it on its fake, see key 1's lamp, and press key 1. */
interface Rig {
  board: string;
  panel: PanelDevice & { start(): void };
  /** What key 1 shows now, as a person would name it. */
  seen(): string;
  /** What key 1 shows for an idle partner on this board (BRIEF §3, or `lamps` of the config). */
  idle: string;
  /** Lamp overrides the config gives. */
  lamps?: object;
  press(): Promise<void>;
}

const rigs: Record<string, () => Rig> = {
  'Stream Deck': () => {
    const port = new FakeStreamDeckPort();
    const board = boardOf('streamdeck-15');
    const panel = new StreamDeckPanel(board, port, {
      clock: systemClock,
      blink: new BlinkClock(systemClock),
    });
    return {
      board: board.id,
      panel,
      seen: () => port.device!.color(0),
      idle: 'green',
      press: () => {
        port.device!.key(0, true);
        port.device!.key(0, false);
        return Promise.resolve();
      },
    };
  },
  'GPIO (bicolor)': () => {
    const bench = new GpioBench(boardOf('gpio-8-bicolor'), systemClock); // on real time, as in lampfield run
    return {
      board: 'gpio-8-bicolor',
      panel: bench.panel,
      seen: () => bench.color(1),
      idle: 'green',
      press: async () => {
        await bench.hold(1, true);
        await new Promise((resolve) => setTimeout(resolve, 80)); // past the 20 ms debounce
        await bench.hold(1, false);
      },
    };
  },
  'HID keypad': () => {
    const port = new FakeHidPort();
    const board = boardOf('hid-keypad-12');
    const panel = new HidKeypadPanel(board, port, { clock: systemClock, blink: new BlinkClock(systemClock) });
    return {
      board: board.id,
      panel,
      // A single LED is dark for an idle partner by default, as for an unknown one: the config lights
      // it steadily for idle here, so that the test sees the PBX's state arrive.
      seen: () => (port.device!.lit(1) ? 'on' : 'off'),
      idle: 'on',
      lamps: { idle: { mono: 'steady' } },
      press: () => {
        port.device!.key(1, true);
        port.device!.key(1, false);
        return Promise.resolve();
      },
    };
  },
};

/** The board a config naming `id` gets. */
function boardOf(id: string) {
  return parseConfig(
    `pbx: { host: 127.0.0.1 }\naccount: { user: "900" }\nboard: ${id}\nkeys: [{ key: 1, partner: "207" }]\n`,
    'x.yaml',
  ).board;
}

describe(
  'lampfield run on each kind of hardware panel (fakes at the hardware boundary)',
  { timeout: 60_000 },
  () => {
    for (const [name, build] of Object.entries(rigs)) {
      it(`${name}: the partner's state lights key 1, and a press calls the partner from the desk phone`, async () => {
        const kamailio = await Kamailio.start();
        cleanup.push(() => kamailio.close());
        const rig = build();
        const config = parseConfig(
          JSON.stringify({
            pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio' },
            account: { user: '900' },
            local: { address: '127.0.0.1', port: await freePort() },
            phone: { uri: '201' },
            board: rig.board,
            keys: [{ key: 1, partner: '207', label: 'Anna' }],
            ...(rig.lamps == null ? {} : { lamps: rig.lamps }),
          }),
          'lampfield.json',
        );
        rig.panel.start();
        const log = new MemoryLogger();
        const running = await startWatcher(config, { log, platform: testPlatform(), panel: rig.panel });
        cleanup.push(() => running.stop());
        await until(
          () => rig.seen() === rig.idle && log.lines.some((line) => line.message === 'watching'),
          `key 1 showing ${rig.idle}`,
        );
        const desk = await deskPhone(kamailio, 'desk-phone', {
          __OUTCOME__: '200 OK',
          __REFER_TO__: `^ *<sip:207@127\\.0\\.0\\.1:${kamailio.port}>$`,
        });
        await rig.press();
        const { code, errors } = await desk.done;
        expect(code, errors).toBe(0);
        expect(log.lines.map((line) => line.message)).toContain('key 1: dial sip:207@127.0.0.1');
      });
    }
  },
);

describe('pages on a Stream Deck (config pages)', { timeout: 60_000 }, () => {
  it('a call to a partner on page 2 blinks the page key; the page key shows page 2, the partner ringing', async () => {
    const kamailio = await Kamailio.start();
    cleanup.push(() => kamailio.close());
    const port = new FakeStreamDeckPort();
    const panel = new StreamDeckPanel(boardOf('streamdeck-15'), port, {
      clock: systemClock,
      blink: new BlinkClock(systemClock),
    });
    const config = parseConfig(
      JSON.stringify({
        pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio' },
        account: { user: '900' },
        local: { address: '127.0.0.1', port: await freePort() },
        board: 'streamdeck-15',
        pages: 2,
        keys: [
          { key: 1, partner: '211', label: 'Ben' },
          { key: 16, partner: '207', label: 'Anna' }, // page 2's first key; 15 is the page key
        ],
      }),
      'lampfield.json',
    );
    panel.start();
    const log = new MemoryLogger();
    const running = await startWatcher(config, { log, platform: testPlatform(), panel });
    cleanup.push(() => running.stop());
    const deck = () => port.device!;
    await until(
      () => deck().color(0) === 'green' && deck().color(14) === 'white',
      'page 1: Ben idle, page key',
    );
    const callee = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([callee]));
    expectCall(kamailio, callee, 6000);
    const caller = call(kamailio, '211', '207', { cancelAfterMs: 5000 }).catch(() => 1);
    // Anna rings on page 2, out of view: the page key blinks red (seen in its lit phase).
    await until(() => deck().color(14) === 'red', 'the page key blinking red');
    deck().key(14, true);
    deck().key(14, false);
    await until(() => deck().color(0) === 'red', "page 2: Anna's key ringing");
    await until(() => deck().color(14) === 'white', 'the page key quiet: nothing rings out of view');
    await caller;
  });
});
