/** The firmware simulator on a fake clock, driven by a minimal host (test/support/module-host.ts). */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../firmware-sim/protocol/framing.ts';
import { ModuleFirmware, type Faults } from '../../firmware-sim/sim/module-firmware.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { TestHost } from '../support/module-host.ts';

const HARDWARE = {
  boardId: 'module-20rgb',
  serial: 'LF-1',
  keys: Array(20).fill('rgb' as const),
  labelChars: 12,
};

function boot(faults: Faults = {}) {
  const clock = new FakeClock();
  const firmware = new ModuleFirmware(HARDWARE, clock, faults);
  const host = new TestHost(firmware);
  clock.advance(300); // POST
  host.send({ type: 'hello', protocol: { major: 1, minor: 0 } });
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
    host.send({ type: 'hello', protocol: { major: 1, minor: 0 } });
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
});
