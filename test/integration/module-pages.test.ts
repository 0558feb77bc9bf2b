/**
 * module-160rgb's pages through a real tty (a socat pty pair): `lampfield run` drives the module's
 * firmware simulator, a person presses the module's page keys, and the module shows each page from what
 * it keeps, with nothing from lampfield but acknowledgements and heartbeats; a partner ringing on page 3
 * blinks page 3's key while page 1 is in view (PROTOCOL.md §5.10, §7.4). The NOTIFYs are innovaphone's
 * real ones (the seed). The same with the module's real firmware (firmware/, built for module-160rgb) on
 * an emulated RP2040, its lamps read off the WS2812 pin and its page keys pressed on the matrix.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFirmwareImage } from '../../firmware-sim/pico/firmware-image.ts';
import { PicoModule } from '../../firmware-sim/pico/pico-module.ts';
import { FrameDecoder } from '../../firmware-sim/protocol/framing.ts';
import { decodeMessage, type LampSetting, type Message } from '../../firmware-sim/protocol/messages.ts';
import type { ModuleLinkEnd } from '../../firmware-sim/sim/module-device.ts';
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import { hardwareOf } from '../../src/app/module-simulator.ts';
import { serveOverSerial } from '../../firmware-sim/sim/module-server.ts';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { systemClock } from '../../src/util/clock.ts';
import { lampfieldOnInnovaphone } from '../support/innovaphone-pbx.ts';
import { killAll } from '../support/processes.ts';
import { ptyPair } from '../support/pty-pair.ts';
import { firmwareForThisFile } from '../support/pico-firmware.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());
const build = firmwareForThisFile('module-160rgb');

const board = loadBoards().find((candidate) => candidate.id === 'module-160rgb')!;
const lamp = (state: Parameters<typeof lampFor>[0]): LampSetting => lampFor(state, DEFAULT_LAMPS, 'rgb');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen:\n${output()}`);
    await sleep(20);
  }
}

/** What lampfield sends the module, read off the line as the module reads it. */
function tapHost(module: { receive(bytes: Uint8Array): void }): Message['type'][] {
  const fromHost: Message['type'][] = [];
  const tap = new FrameDecoder();
  const receive = module.receive.bind(module);
  module.receive = (bytes) => {
    for (const frame of tap.push(bytes)) {
      const decoded = decodeMessage(frame);
      if (decoded.ok) fromHost.push(decoded.message.type);
    }
    receive(bytes);
  };
  return fromHost;
}

/**
 * `module` on one end of a socat pty pair, `lampfield run` on the other watching innovaphone's NOTIFYs
 * for three keys on pages 1, 2 and 3; what lampfield sends the module is tapped.
 */
async function driveOverPty(module: ModuleLinkEnd) {
  const pty = await ptyPair();
  cleanup.push(() => pty.close());
  const fromHost = tapHost(module);
  const endpoint = await serveOverSerial(module, pty.module);
  cleanup.push(() => endpoint.close());
  const { pbx, port, lampfield, close } = await lampfieldOnInnovaphone('module-160rgb', pty.host, [
    { key: 1, partner: '212', label: 'Sales' },
    { key: 21, partner: '211', label: 'Page two' },
    { key: 41, partner: 'sip:207@172.16.16.180', label: 'Reception' },
  ]);
  cleanup.push(close);
  return { fromHost, pbx, port, output: () => lampfield.output() };
}

const same = (seen: LampSetting | null, wanted: LampSetting) =>
  seen?.color === wanted.color && seen.pattern === wanted.pattern;

describe('module-160rgb pages', { timeout: 60_000 }, () => {
  it("turns pages by its own page keys with no host round trip, and blinks a ringing page's key", async () => {
    const firmware = new ModuleFirmware(hardwareOf(board), systemClock);
    const { fromHost, pbx, port, output } = await driveOverPty(firmware);

    // Every page's keys are on the module from the start; page 1 is in view.
    await until(
      () => firmware.label(20) === 'Page two' && firmware.lamp(40)?.pattern === lamp('refused').pattern,
      'the lamps and labels of pages 2 and 3 on the module',
      output,
    );
    expect(firmware.shownPage).toBe(0);
    expect(firmware.lamp(20)).toEqual(lamp('refused'));

    // 207 (key 41, page 3) rings: its key says who calls, and page 3's key blinks on page 1.
    pbx.notify(1, port);
    await until(() => firmware.pageKeyLamp(2).pattern === 'fast-blink', "page 3's key blinking", output);
    expect(firmware.lamp(40)).toEqual(lamp('ringing'));
    expect(firmware.label(40)).toBe('211');
    expect(firmware.pageKeyLamp(2)).toEqual({ color: 'red', pattern: 'fast-blink' });
    expect(firmware.pageKeyLamp(0)).toEqual({ color: 'white', pattern: 'steady' });
    expect(firmware.pageKeyLamp(1)).toEqual({ color: 'off', pattern: 'off' });
    const blink = new Set<boolean>();
    for (let i = 0; i < 8; i++) {
      blink.add(firmware.pageKeyLed(2).lit);
      await sleep(40);
    }
    expect(blink).toEqual(new Set([true, false]));

    // A person presses page 2's key: the module shows page 2 at once, from what it keeps.
    const sentBefore = fromHost.length;
    firmware.pressPageKey(1);
    await sleep(60);
    firmware.releasePageKey(1);
    await until(() => firmware.shownPage === 1, 'page 2 on the module', output);
    expect(firmware.led(0)).toMatchObject({ red: 255, green: 160, blue: 0 }); // key 21: refused, amber
    expect(firmware.label(20)).toBe('Page two');
    expect(firmware.pageKeyLamp(1)).toEqual({ color: 'white', pattern: 'steady' });
    expect(firmware.pageKeyLamp(2)).toEqual({ color: 'red', pattern: 'fast-blink' });
    await sleep(1500);
    // From lampfield since: the ACK of the module's PAGE_SHOWN and heartbeats, no lamp and no label.
    const since = fromHost.slice(sentBefore);
    expect(since).toContain('ack');
    expect(since.filter((type) => type !== 'ack' && type !== 'heartbeat')).toEqual([]);
  });

  it('on the real firmware on an emulated RP2040: the same pages, read off its WS2812 pin', async () => {
    const module = new PicoModule(readFirmwareImage(build().image), hardwareOf(board), systemClock);
    cleanup.push(() => Promise.resolve(module.stop()));
    const { fromHost, pbx, port, output } = await driveOverPty(module);
    const white = { color: 'white', pattern: 'steady' } as const;
    const dark = { color: 'off', pattern: 'off' } as const;

    // Page 1 in view: its key 1 refused (amber flash) until innovaphone's NOTIFYs come.
    await until(() => same(module.lamp(0), lamp('refused')), 'key 1 refused on the pin', output);
    expect(module.shownPage).toBe(0);
    expect(module.lamp(20)).toBe(null); // page 2 is not lit: the hardware shows one page

    // 207 (key 41, page 3) rings: page 3's key blinks red beside page 1's white one.
    pbx.notify(1, port);
    // Each lamp as the pin has shown it for a while (a session started again under load passes through dark).
    await until(
      () =>
        same(module.pageKeyLamp(2), lamp('ringing')) &&
        same(module.pageKeyLamp(0), white) &&
        same(module.pageKeyLamp(1), dark),
      "page 3's key blinking red, page 1's white, page 2's dark",
      output,
    );

    // A finger on page 2's key (with contact bounce, on the matrix): page 2 at once, from what it keeps.
    const sentBefore = fromHost.length;
    module.pressPageKey(1);
    await sleep(60);
    module.releasePageKey(1);
    await until(() => module.shownPage === 1, 'PAGE_SHOWN 2 from the module', output);
    await until(
      () => same(module.lamp(20), lamp('refused')) && same(module.pageKeyLamp(1), white),
      "page 2's key 21 refused and page 2's key white",
      output,
    );
    await until(() => same(module.pageKeyLamp(2), lamp('ringing')), "page 3's key still blinking", output);
    await sleep(1500);
    const since = fromHost.slice(sentBefore);
    expect(since).toContain('ack');
    expect(since.filter((type) => type !== 'ack' && type !== 'heartbeat')).toEqual([]);
    expect(module.pico.watchdogResets).toBe(0);
  });
});
