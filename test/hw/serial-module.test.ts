/**
 * The serial module host driver against the firmware simulator over real TCP on 127.0.0.1: unplug and
 * replug, module reset, garbage on the line, capability mismatch, presses while unplugged.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, type Frame } from '../../firmware-sim/protocol/framing.ts';
import {
  encodeMessage,
  NakCode,
  type Message,
  type NakReason,
} from '../../firmware-sim/protocol/messages.ts';
import { ModuleFirmware } from '../../firmware-sim/sim/module-firmware.ts';
import type { Faults } from '../../firmware-sim/sim/module-hardware.ts';
import { hardwareOf } from '../../src/app/module-simulator.ts';
import { serveOverTcp, type ModuleEndpoint } from '../../firmware-sim/sim/module-server.ts';
import { SerialModulePanel } from '../../hw/serial/serial-module-panel.ts';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { loadBoards } from '../../src/config/boards.ts';
import type { PanelKeyEvent, PanelStatus } from '../../src/panel/panel.ts';
import { systemClock } from '../../src/util/clock.ts';

const boards = loadBoards();
const board = (id: string) => boards.find((candidate) => candidate.id === id)!;
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function setup(moduleBoard = 'module-20rgb', configBoard = moduleBoard, faults: Faults = {}) {
  const firmware = new ModuleFirmware(hardwareOf(board(moduleBoard)), systemClock, faults);
  const endpoint: ModuleEndpoint = await serveOverTcp(firmware, 0);
  const panel = new SerialModulePanel(board(configBoard), `tcp://127.0.0.1:${endpoint.port}`, {
    clock: systemClock,
  });
  const statuses: PanelStatus[] = [];
  const keys: PanelKeyEvent[] = [];
  panel.onStatus((status) => statuses.push(status));
  panel.onKey((event) => keys.push(event));
  panel.start();
  closing.push(async () => {
    await panel.close();
    await endpoint.close();
    firmware.reset();
  });
  return { firmware, endpoint, panel, statuses, keys };
}

/** A module-20rgb panel on a module played by `server` (a test's own), closed with the test. */
async function panelOn(server: net.Server): Promise<SerialModulePanel> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const panel = new SerialModulePanel(
    board('module-20rgb'),
    `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    { clock: systemClock },
  );
  closing.push(async () => {
    await panel.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return panel;
}

const info = { partner: 'sip:207@pbx', state: 'ringing' as const, label: 'Reception', caller: null };
const RINGING: Lamp = { color: 'red', pattern: 'fast-blink' };
const IDLE: Lamp = { color: 'green', pattern: 'steady' };

describe('serial module driver', () => {
  it('replays every lamp and label when the link comes back after an unplug', async () => {
    const { firmware, endpoint, panel } = await setup();
    await until(() => panel.ready, 'handshake');
    for (let key = 1; key <= 20; key++)
      panel.setLamp(key, key % 2 ? RINGING : IDLE, { ...info, label: `Key ${key}` });
    await until(() => firmware.lamp(19)?.color === 'green' && firmware.label(19) === 'Key 20', 'all lamps');
    endpoint.unplug(300);
    await until(() => !panel.ready, 'the driver noticing the unplug');
    firmware.reset(); // powered by the cable: it forgot every lamp and label
    panel.setLamp(1, IDLE, info); // changed while unplugged
    // How fast this comes back is `npm run bench` (module link, replug); here: that all of it does.
    const replayed = (key: number) =>
      firmware.lamp(key - 1)?.color === (key === 1 || key % 2 === 0 ? 'green' : 'red') &&
      firmware.label(key - 1) === (key === 1 ? 'Reception' : `Key ${key}`);
    await until(() => panel.ready && Array.from({ length: 20 }, (_, i) => i + 1).every(replayed), 'replay');
    expect(firmware.label(4)).toBe('Key 5');
    expect(firmware.lamp(0)).toMatchObject({ color: 'green' });
    expect(firmware.lamp(2)).toMatchObject({ color: 'red' });
  });

  it("shows the caller on a ringing key's label, then the key's own label again", async () => {
    const { firmware, panel } = await setup();
    await until(() => panel.ready, 'handshake');
    panel.setLamp(3, RINGING, { ...info, caller: 'Anna Berg' });
    await until(() => firmware.label(2) === 'Anna Berg', 'the caller on the label');
    panel.setLamp(3, IDLE, { ...info, state: 'idle', caller: null });
    await until(() => firmware.label(2) === 'Reception', "the key's own label back");
  });

  it('replays after the module resets by itself', async () => {
    const { firmware, panel } = await setup();
    await until(() => panel.ready, 'handshake');
    panel.setLamp(7, RINGING, info);
    await until(() => firmware.lamp(6)?.pattern === 'fast-blink', 'the lamp');
    firmware.reset();
    expect(firmware.lamp(6)).toBeNull();
    await until(() => firmware.lamp(6)?.pattern === 'fast-blink', 'the replay after the reset');
  });

  it('keeps running when the line carries garbage, truncated frames and bad CRCs, counting them', async () => {
    const firmware = new ModuleFirmware(hardwareOf(board('module-20rgb')), systemClock);
    // A module whose line is noisy: garbage before every frame it sends.
    const server = net.createServer((socket) => {
      // The panel under test may close with a reset at the test's end: nothing to say of it here.
      socket.on('error', () => undefined);
      socket.on('data', (data: Buffer) => firmware.receive(data));
      firmware.connect((bytes) => {
        const bad = encodeFrame({ seq: 9, type: 0x82, payload: Uint8Array.of(1, 1, 0, 0, 0, 0) });
        bad[3] = bad[3]! ^ 0x5a || 1; // a bad CRC (or a broken COBS code)
        socket.write(
          Buffer.concat([
            Buffer.from([0x13, 0x37, 0x00]),
            Buffer.from(bad),
            Buffer.from([0x42, 0x42, 0x00]),
            bytes,
          ]),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const panel = new SerialModulePanel(board('module-20rgb'), `tcp://127.0.0.1:${port}`, {
      clock: systemClock,
    });
    closing.push(async () => {
      await panel.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      firmware.reset();
    });
    panel.start();
    await until(() => panel.ready, 'handshake through the noise');
    panel.setLamp(2, RINGING, info);
    await until(() => firmware.lamp(1)?.color === 'red', 'a lamp through the noise');
    expect(panel.decoder.droppedTotal).toBeGreaterThan(0);
  });

  it('drops key presses made while the module was unplugged, and reports those after', async () => {
    const { firmware, endpoint, panel, keys } = await setup();
    await until(() => panel.ready, 'handshake');
    endpoint.unplug(400);
    await until(() => !panel.ready, 'unplugged');
    firmware.pressSwitch(2, 0);
    await new Promise((resolve) => setTimeout(resolve, 80)); // the finger on the key
    firmware.releaseSwitch(2, 0);
    await until(() => panel.ready, 'plugged back', 3000);
    expect(keys).toEqual([]);
    firmware.pressSwitch(3, 0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    firmware.releaseSwitch(3, 0);
    await until(() => keys.length === 2, 'the press after');
    expect(keys).toEqual([
      { key: 4, event: 'down' },
      { key: 4, event: 'up' },
    ]);
  });

  it('gets every lamp through a module that drops bytes, corrupts frames and answers late', async () => {
    let seed = 1;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const { firmware, panel } = await setup('module-20rgb', 'module-20rgb', {
      dropRate: 0.02,
      corruptRate: 0.2,
      delayMs: 30,
      random,
    });
    await until(() => panel.ready, 'handshake through the faults', 10_000);
    for (let key = 1; key <= 20; key++) panel.setLamp(key, key % 3 ? RINGING : IDLE, info);
    await until(
      () =>
        Array.from(
          { length: 20 },
          (_, i) => firmware.lamp(i)?.color === (i % 3 === 2 ? 'green' : 'red'),
        ).every(Boolean),
      'every lamp through the faults',
      10_000,
    );
    expect(
      panel.counters.retransmissions + panel.decoder.droppedTotal + firmware.decoder.droppedTotal,
    ).toBeGreaterThan(0);
  });

  it('refuses a module that is not the configured board, saying what differs', async () => {
    const { statuses, panel } = await setup('module-40bicolor', 'module-20rgb');
    await until(() => statuses.some((status) => status.state === 'unusable'), 'the refusal');
    expect(statuses.find((status) => status.state === 'unusable')?.detail).toBe(
      'module is a "module-40bicolor", the config says board "module-20rgb"',
    );
    expect(panel.ready).toBe(false);
  });

  it("refuses a module whose firmware speaks protocol 1.0, saying to update the module's firmware", async () => {
    // A module of firmware 0.4 (protocol 1.0, PROTOCOL.md 1.0 §9): it answers any HELLO with its INFO.
    const server = net.createServer((socket) => {
      // The panel under test may close with a reset at the test's end: nothing to say of it here.
      socket.on('error', () => undefined);
      const decoder = new FrameDecoder();
      socket.on('data', (data: Buffer) => {
        for (const frame of decoder.push(data)) {
          if (frame.type !== 0x01) continue;
          socket.write(encodeFrame({ seq: 0, type: 0x7e, payload: Uint8Array.of(frame.seq) }));
          const info = Uint8Array.of(1, 0, 0, 4, 0, 12, ...Buffer.from('module-20rgb'), 0, 12, 20);
          socket.write(
            encodeFrame({
              seq: 1,
              type: 0x81,
              payload: Uint8Array.of(...info, ...Array<number>(20).fill(0x83)),
            }),
          );
        }
      });
    });
    const panel = await panelOn(server);
    const statuses: PanelStatus[] = [];
    panel.onStatus((status) => statuses.push(status));
    panel.start();
    await until(() => statuses.some((status) => status.state === 'unusable'), 'the refusal');
    expect(statuses.find((status) => status.state === 'unusable')?.detail).toBe(
      "module speaks protocol 1.0, lampfield 2.0: update the module's firmware",
    );
  });

  it('refuses a module with other pages than boards.json says', async () => {
    const paged = board('module-160rgb');
    const firmware = new ModuleFirmware(
      { ...hardwareOf(paged), pageKeys: ['rgb'] }, // one page key where boards.json says 8
      systemClock,
    );
    const endpoint = await serveOverTcp(firmware, 0);
    const panel = new SerialModulePanel(paged, `tcp://127.0.0.1:${endpoint.port}`, { clock: systemClock });
    const seen: PanelStatus[] = [];
    panel.onStatus((status) => seen.push(status));
    closing.push(async () => {
      await panel.close();
      await endpoint.close();
    });
    panel.start();
    await until(() => seen.some((status) => status.state === 'unusable'), 'the refusal');
    expect(seen.find((status) => status.state === 'unusable')?.detail).toBe(
      'module has 8 pages and 1 page keys, boards.json says 8 and 8',
    );
  });

  describe('a module that breaks PROTOCOL.md', () => {
    /**
     * A module-20rgb played frame by frame: on HELLO it acknowledges and sends its INFO, then answers
     * each other frame of the host with `reply` (an ACK by default); `send` writes a frame of its own.
     */
    async function scripted(reply: (frame: Frame) => Uint8Array | null = (frame) => ack(frame.seq)) {
      const firmware = new ModuleFirmware(hardwareOf(board('module-20rgb')), systemClock);
      const got: Frame[] = [];
      let link: net.Socket | null = null;
      let seq = 1;
      const server = net.createServer((socket) => {
        // The panel under test may close with a reset at the test's end: nothing to say of it here.
        socket.on('error', () => undefined);
        link = socket;
        const decoder = new FrameDecoder();
        socket.on('data', (data: Buffer) => {
          for (const frame of decoder.push(data)) {
            got.push(frame);
            if (frame.type === 0x7e || frame.type === 0x7f) continue;
            if (frame.type === 0x01) {
              socket.write(ack(frame.seq));
              socket.write(
                encodeFrame({ seq: seq++, ...encodeMessage({ type: 'info', info: firmware.info }) }),
              );
              continue;
            }
            const answer = reply(frame);
            if (answer != null) socket.write(answer);
          }
        });
      });
      const panel = await panelOn(server);
      const statuses: PanelStatus[] = [];
      const pages: number[] = [];
      const keys: PanelKeyEvent[] = [];
      panel.onStatus((status) => statuses.push(status));
      panel.onPage((page) => pages.push(page));
      panel.onKey((event) => keys.push(event));
      panel.setLamp(1, IDLE, { ...info, state: 'idle' }); // a lamp to send as soon as INFO is in
      panel.start();
      const send = (message: Message) => link?.write(encodeFrame({ seq: seq++, ...encodeMessage(message) }));
      return { panel, got, statuses, pages, keys, send };
    }
    const ack = (seq: number) => encodeFrame({ seq: 0, ...encodeMessage({ type: 'ack', seq }) });
    const nak = (seq: number, reason: NakReason) =>
      encodeFrame({ seq: 0, type: 0x7f, payload: Uint8Array.of(seq, NakCode[reason]) });
    const naksFor = (got: Frame[]) =>
      got
        .filter((frame) => frame.type === 0x7f)
        .map((frame) => ({ seq: frame.payload[0], reason: frame.payload[1] }));

    it('refuses every frame with not-ready: HELLO again with a growing backoff, never said connected', async () => {
      const { got, statuses } = await scripted((frame) => nak(frame.seq, 'not-ready'));
      const hellos = () => got.filter((frame) => frame.type === 0x01).length;
      await until(() => hellos() >= 5, 'five HELLOs', 10_000);
      const started = Date.now();
      await until(() => hellos() >= 6, 'one more HELLO', 10_000);
      // 100 ms, 200, 400, 800, then 1.6 s: the sixth HELLO comes more than a second after the fifth (a
      // wait that load can only make longer), not in the same millisecond.
      expect(Date.now() - started).toBeGreaterThan(1000);
      expect(statuses.filter((status) => status.state === 'connected')).toEqual([]);
    });

    it('is said connected once the module takes a frame of its session, not at its INFO', async () => {
      const { statuses, panel } = await scripted();
      await until(() => statuses.some((status) => status.state === 'connected'), 'connected');
      expect(panel.ready).toBe(true);
      expect(statuses.filter((status) => status.state === 'connected')).toHaveLength(1);
    });

    it("NAKs a module's HELLO or HEARTBEAT (unknown-type), a page it has not (bad-value), a key past its keys (bad-key), and passes none on", async () => {
      const { got, statuses, pages, keys, send } = await scripted();
      await until(() => statuses.some((status) => status.state === 'connected'), 'connected');
      const before = naksFor(got).length;
      send({ type: 'hello', protocol: { major: 2, minor: 0 } });
      send({ type: 'heartbeat' });
      send({ type: 'page-shown', page: 3 });
      send({ type: 'key-event', key: 20, event: 'down', uptimeMs: 1 });
      await until(() => naksFor(got).length >= before + 4, 'four NAKs');
      expect(
        naksFor(got)
          .slice(before)
          .map((nakked) => nakked.reason),
      ).toEqual([NakCode['unknown-type'], NakCode['unknown-type'], NakCode['bad-value'], NakCode['bad-key']]);
      expect(pages).toEqual([]);
      expect(keys).toEqual([]);
      // And the module's own frames that are right still pass: its last key.
      send({ type: 'key-event', key: 19, event: 'down', uptimeMs: 2 });
      await until(() => keys.length === 1, 'the key event');
      expect(keys).toEqual([{ key: 20, event: 'down' }]);
    });
  });
});
