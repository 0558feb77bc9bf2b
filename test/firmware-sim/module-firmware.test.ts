/** The firmware simulator on a fake clock, driven by a minimal host (test/support/module-host.ts). */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../firmware-sim/protocol/framing.ts';
import { PROTOCOL_VERSION, type LampSetting } from '../../firmware-sim/protocol/messages.ts';
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import type { Faults } from '../../firmware-sim/sim/module-hardware.ts';
import { hardwareOf } from '../../src/app/module-simulator.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { TestHost } from '../support/module-host.ts';

/** The module variants as boards.json describes them, so the tests follow the shipped definitions. */
function hardware(boardId: string, serial: string) {
  const board = loadBoards().find((candidate) => candidate.id === boardId);
  if (!board) throw new Error(`boards.json has no ${boardId}`);
  return hardwareOf(board, serial);
}

const HARDWARE = hardware('module-20rgb', 'LF-1');

function boot(faults: Faults = {}) {
  const clock = new FakeClock();
  const firmware = new ModuleFirmware(HARDWARE, clock, faults);
  const host = new TestHost(firmware);
  clock.advance(300); // POST
  host.send({ type: 'hello', protocol: { ...PROTOCOL_VERSION } });
  return { clock, firmware, host };
}

describe('module firmware', () => {
  it('lights every LED during its power-on self test, then announces itself', () => {
    const clock = new FakeClock();
    const firmware = new ModuleFirmware(HARDWARE, clock);
    const host = new TestHost(firmware);
    expect(firmware.led(7)).toMatchObject({ lit: true, red: 255, green: 255, blue: 255 });
    clock.advance(300);
    expect(host.messages('info')).toHaveLength(1);
    expect(firmware.state).toBe('announced');
  });

  it('answers HELLO with INFO and runs lamp patterns in phase across keys', () => {
    const { clock, firmware, host } = boot();
    expect(host.messages('info').at(-1)).toMatchObject({
      type: 'info',
      info: { boardId: 'module-20rgb', labelChars: 12 },
    });
    host.send({ type: 'set-lamps', first: 0, lamps: [{ color: 'red', pattern: 'fast-blink' }] });
    host.send({ type: 'set-lamps', first: 5, lamps: [{ color: 'blue', pattern: 'fast-blink' }] });
    const phases: [boolean, boolean][] = [];
    for (let i = 0; i < 8; i++) {
      phases.push([firmware.led(0).lit, firmware.led(5).lit]);
      clock.advance(62.5);
    }
    expect(phases.every(([a, b]) => a === b)).toBe(true);
    // fast-blink: 125 ms on, 125 ms off, counted from boot (here 300 ms before the first sample).
    expect(phases.map(([a]) => a)).toEqual([true, true, false, false, true, true, false, false]);
  });

  it('debounces a bouncy switch into one down, and reports a long press and the release', () => {
    const { clock, firmware, host } = boot();
    firmware.pressSwitch(3, 8);
    clock.advance(100);
    expect(host.messages('key-event')).toEqual([expect.objectContaining({ key: 3, event: 'down' })]);
    clock.advance(600);
    firmware.releaseSwitch(3, 8);
    clock.advance(100);
    expect(host.messages('key-event').map((m) => (m.type === 'key-event' ? m.event : null))).toEqual([
      'down',
      'long',
      'up',
    ]);
  });

  it('sends a key event again until it is acknowledged, and the host gets it once', () => {
    const { clock, firmware, host } = boot();
    host.acknowledge = false;
    firmware.pressSwitch(1, 0);
    clock.advance(30);
    clock.advance(250);
    const copies = host.received.filter((entry) => entry.message.type === 'key-event');
    expect(copies.length).toBeGreaterThan(1);
    expect(new Set(copies.map((entry) => entry.seq)).size).toBe(1);
  });

  it('shows "host lost" when the host is silent for 3 s, and NAKs lamps until a new HELLO', () => {
    const { clock, firmware, host } = boot();
    host.send({ type: 'set-lamps', first: 2, lamps: [{ color: 'green', pattern: 'steady' }] });
    clock.advance(2999);
    expect(firmware.lamp(2)).toMatchObject({ pattern: 'steady' });
    clock.advance(1);
    expect(firmware.state).toBe('host-lost');
    expect(firmware.lamp(2)).toBeNull();
    expect(firmware.led(2)).toMatchObject({ red: 255, green: 160 });
    host.send({ type: 'set-lamps', first: 2, lamps: [{ color: 'green', pattern: 'steady' }] });
    expect(host.messages('nak').at(-1)).toMatchObject({ reason: 'not-ready' });
    host.send({ type: 'hello', protocol: { ...PROTOCOL_VERSION } });
    expect(firmware.state).toBe('ready');
  });

  it('applies a retransmitted command once and acknowledges it again; NAKs unknown types and bad keys', () => {
    const { firmware, host } = boot();
    const seq = host.send({ type: 'set-label', key: 0, text: 'Reception desk 1' });
    host.sendRaw({ type: 'set-label', key: 0, text: 'Reception desk 1' }, seq);
    expect(host.messages('ack').filter((m) => m.type === 'ack' && m.seq === seq)).toHaveLength(2);
    expect(firmware.label(0)).toBe('Reception de'); // 12 characters, as INFO says
    host.send({
      type: 'set-lamps',
      first: 19,
      lamps: [
        { color: 'off', pattern: 'off' },
        { color: 'off', pattern: 'off' },
      ],
    });
    expect(host.messages('nak').at(-1)).toMatchObject({ reason: 'bad-key' });
    firmware.receive(encodeFrame({ seq: 9, type: 0x42, payload: Uint8Array.of(1, 2) }));
    expect(host.messages('nak').at(-1)).toEqual({ type: 'nak', seq: 9, reason: 'unknown-type' });
  });

  it('keeps running on random bytes and answers the next good frame', () => {
    const { firmware, host } = boot();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 500; i++) firmware.receive(Uint8Array.from({ length: random() }, random));
    firmware.receive(Uint8Array.of(0));
    const acksBefore = host.messages('ack').length;
    host.send({ type: 'heartbeat' });
    expect(host.messages('ack').length).toBe(acksBefore + 1);
    expect(firmware.decoder.droppedTotal).toBeGreaterThan(0);
  });

  it('forgets everything on a spontaneous reset and announces itself again', () => {
    const { clock, firmware, host } = boot();
    host.send({ type: 'set-lamps', first: 2, lamps: [{ color: 'green', pattern: 'steady' }] });
    const infos = host.messages('info').length;
    firmware.reset();
    clock.advance(300);
    expect(firmware.lamp(2)).toBeNull();
    expect(host.messages('info').length).toBe(infos + 1);
  });

  it('refuses a host of protocol 1.x and tells it which version it speaks, without a session', () => {
    const clock = new FakeClock();
    const firmware = new ModuleFirmware(HARDWARE, clock);
    const host = new TestHost(firmware);
    clock.advance(300);
    const seq = host.send({ type: 'hello', protocol: { major: 1, minor: 0 } });
    expect(host.messages('nak').at(-1)).toEqual({ type: 'nak', seq, reason: 'bad-version' });
    expect(host.messages('info').at(-1)).toMatchObject({ info: { protocol: { major: 2, minor: 0 } } });
    expect(firmware.state).toBe('announced');
    host.send({ type: 'set-lamps', first: 0, lamps: [{ color: 'green', pattern: 'steady' }] });
    expect(host.messages('nak').at(-1)).toMatchObject({ reason: 'not-ready' });
  });
});

/** A 160-key module: 8 pages of 20 keys, a page key for each page (boards.json module-160rgb). */
const PAGED = hardware('module-160rgb', 'LF-2');
const GREEN: LampSetting = { color: 'green', pattern: 'steady' };
const RINGING: LampSetting = { color: 'red', pattern: 'fast-blink' };

describe('module firmware with pages', () => {
  function bootPaged() {
    const clock = new FakeClock();
    const firmware = new ModuleFirmware(PAGED, clock);
    const host = new TestHost(firmware);
    clock.advance(300);
    host.send({ type: 'hello', protocol: { ...PROTOCOL_VERSION } });
    const tapPageKey = (index: number) => {
      firmware.pressPageKey(index, 0);
      clock.advance(30);
      firmware.releasePageKey(index, 0);
      clock.advance(30);
    };
    return { clock, firmware, host, tapPageKey };
  }

  it('tells a new host which page it shows, and announces its pages and page keys', () => {
    const { host } = bootPaged();
    expect(host.messages('info').at(-1)).toMatchObject({ info: { pages: 8, keys: { length: 160 } } });
    expect(host.messages('page-shown')).toEqual([{ type: 'page-shown', page: 0 }]);
  });

  it("turns pages by its own page keys, showing each page's lamps and labels without the host", () => {
    const { firmware, host, tapPageKey } = bootPaged();
    host.send({ type: 'set-lamps', first: 20, lamps: [GREEN, RINGING] }); // page 2's first two keys
    host.send({ type: 'set-label', key: 21, text: '222' });
    expect(firmware.led(0).lit).toBe(false); // page 1 in view
    const sent = host.received.length;
    tapPageKey(1);
    expect(firmware.shownPage).toBe(1);
    expect(firmware.led(0)).toMatchObject({ green: 255, lit: true });
    expect(firmware.lamp(21)).toEqual(RINGING);
    expect(firmware.label(21)).toBe('222');
    // The module told the host, and that is all that went between them.
    expect(host.received.slice(sent).map((entry) => entry.message.type)).toEqual(['page-shown']);
    expect(host.messages('page-shown').at(-1)).toEqual({ type: 'page-shown', page: 1 });
  });

  it('reports a key on a page as the host numbers it, and its release for the key it went down as', () => {
    const { clock, firmware, host, tapPageKey } = bootPaged();
    tapPageKey(2);
    firmware.pressSwitch(4, 0);
    clock.advance(30);
    tapPageKey(0); // the page turns while the key is held
    firmware.releaseSwitch(4, 0);
    clock.advance(30);
    expect(host.messages('key-event').map((m) => (m.type === 'key-event' ? [m.key, m.event] : null))).toEqual(
      [
        [44, 'down'],
        [44, 'up'],
      ],
    );
  });

  it("lights the page keys as the host asks: the page in view, and a ringing page's key out of view", () => {
    const { clock, firmware, host, tapPageKey } = bootPaged();
    expect(firmware.pageKeyLamp(0)).toEqual({ color: 'white', pattern: 'steady' });
    expect(firmware.pageKeyLed(1).lit).toBe(false);
    const hidden = Array.from({ length: 8 }, (_, page): LampSetting =>
      page === 2 ? RINGING : { color: 'off', pattern: 'off' },
    );
    host.send({ type: 'set-page-lamps', shown: { color: 'white', pattern: 'steady' }, hidden });
    expect(firmware.pageKeyLamp(2)).toEqual(RINGING);
    const phases = new Set<boolean>();
    for (let i = 0; i < 4; i++) {
      phases.add(firmware.pageKeyLed(2).lit);
      clock.advance(62.5);
    }
    expect(phases).toEqual(new Set([true, false]));
    tapPageKey(2); // in view now: the page key says so
    expect(firmware.pageKeyLamp(2)).toEqual({ color: 'white', pattern: 'steady' });
    expect(firmware.pageKeyLamp(0)).toEqual({ color: 'off', pattern: 'off' });
    host.send({ type: 'set-page-lamps', shown: GREEN, hidden: hidden.slice(1) });
    expect(host.messages('nak').at(-1)).toMatchObject({ reason: 'bad-value' }); // 7 pages, not 8
  });
});
