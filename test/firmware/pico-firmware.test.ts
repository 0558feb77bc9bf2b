/**
 * The module's C firmware (firmware/), built with Debian's toolchain and run instruction by instruction
 * on an emulated RP2040 (firmware-sim/pico/emulated-pico.ts), read where a board is read: its UART0 bytes
 * decoded by lampfield's own codec (firmware-sim/protocol), its lamps from the WS2812 data pin's
 * waveform, its keys pressed on the matrix pins. Everything in emulated time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../firmware-sim/protocol/framing.ts';
import { LAMP_COLORS, LAMP_RGB, type LampColor } from '../../firmware-sim/protocol/lamp.ts';
import { decodeMessage, encodeMessage, type Message } from '../../firmware-sim/protocol/messages.ts';
import { keyCount, loadBoards } from '../../src/config/boards.ts';
import { EmulatedPico } from '../../firmware-sim/pico/emulated-pico.ts';
import { readFirmwareImage } from '../../firmware-sim/pico/firmware-image.ts';
import { buildFirmware, FIRMWARE_DIR, type FirmwareBuild } from '../support/pico-firmware.ts';

const FIRMWARE = FIRMWARE_DIR;
let build: FirmwareBuild;
let IMAGE = '';

beforeAll(() => {
  build = buildFirmware();
  IMAGE = build.image;
}, 120_000);
afterAll(() => rmSync(build.dir, { recursive: true, force: true }));

const rgb = (color: LampColor) => {
  const [r, g, b] = LAMP_RGB[color];
  return (r << 16) | (g << 8) | b;
};

/** The host's end of the UART: what the module said (decoded, with when), ACKing as a host does. */
class Host {
  readonly heard: { at: number; message: Message }[] = [];
  private readonly decoder = new FrameDecoder();
  private read = 0;
  private seq = 0;

  constructor(
    readonly pico: EmulatedPico,
    private readonly acks = true,
  ) {}

  send(message: Message): number {
    this.seq = (this.seq % 255) + 1;
    this.pico.receive(encodeFrame({ seq: this.seq, ...encodeMessage(message) }));
    return this.seq;
  }

  run(ms: number): void {
    // In slices, so that the module's frames are answered as they come (stop-and-wait).
    for (let left = ms; left > 0; left -= 5) {
      this.pico.run(Math.min(5, left));
      for (; this.read < this.pico.sent.length; this.read++) {
        const { at, byte } = this.pico.sent[this.read]!;
        for (const frame of this.decoder.push(Uint8Array.of(byte))) {
          const decoded = decodeMessage(frame);
          if (!decoded.ok)
            throw new Error(`the module sent a frame lampfield cannot read: ${decoded.reason}`);
          this.heard.push({ at: at / 1e6, message: decoded.message });
          if (this.acks && frame.seq !== 0)
            this.pico.receive(encodeFrame({ seq: 0, ...encodeMessage({ type: 'ack', seq: frame.seq }) }));
        }
      }
    }
  }

  of<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.heard
      .map((h) => h.message)
      .filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }

  /** Boot, self test, HELLO: a session, as lampfield starts one. */
  session(): void {
    this.run(350);
    this.send({ type: 'hello', protocol: { major: 2, minor: 0 } });
    this.run(30);
  }
}

describe('the module firmware for the Raspberry Pi Pico', () => {
  it('builds with Debian’s toolchain, says its flash and RAM use, and makes a valid UF2 and boot2', () => {
    expect(build.output).toMatch(
      /lampfield-module \(module-20rgb\): flash \d+ bytes of 2097152, RAM \d+ bytes of 262144/,
    );
    const image = readFileSync(IMAGE);
    // boot2 (datasheet §2.8.1.3): 252 bytes of code, then their CRC-32 (poly 0x04C11DB7, not reflected).
    let crc = 0xffffffff;
    for (let i = 0; i < 252; i++) {
      crc ^= image[i]! << 24;
      for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
      crc >>>= 0;
    }
    expect(image.readUInt32LE(252)).toBe(crc);
    // The vector table after it: a stack in SRAM and a reset handler in flash (Thumb).
    expect(image.readUInt32LE(0x100)).toBe(0x20040000);
    expect(image.readUInt32LE(0x104) & 0xff000001).toBe(0x10000001);
    // UF2: 512-byte blocks, each 256 bytes of the image at its flash address, family RP2040.
    const version = /FIRMWARE_MAJOR (\d+)\n#define FIRMWARE_MINOR (\d+)\n#define FIRMWARE_PATCH (\d+)/
      .exec(readFileSync(`${FIRMWARE}src/board.h`, 'utf8'))!
      .slice(1)
      .join('.');
    const uf2 = readFileSync(`${build.dir}/lampfield-module-${version}.uf2`);
    const blocks = uf2.length / 512;
    expect(blocks).toBe(Math.ceil(image.length / 256));
    const payload = Buffer.alloc(blocks * 256);
    for (let block = 0; block < blocks; block++) {
      const at = block * 512;
      expect([uf2.readUInt32LE(at), uf2.readUInt32LE(at + 4), uf2.readUInt32LE(at + 508)]).toEqual([
        0x0a324655, 0x9e5d5157, 0x0ab16f30,
      ]);
      expect(uf2.readUInt32LE(at + 8) & 0x2000).toBe(0x2000);
      expect(uf2.readUInt32LE(at + 28)).toBe(0xe48bff56);
      expect(uf2.readUInt32LE(at + 12)).toBe(0x10000000 + block * 256);
      expect([uf2.readUInt32LE(at + 16), uf2.readUInt32LE(at + 20), uf2.readUInt32LE(at + 24)]).toEqual([
        256,
        block,
        blocks,
      ]);
      uf2.copy(payload, block * 256, at + 32, at + 32 + 256);
    }
    expect(payload.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('is read alike from its ELF, its UF2 and its flash image; a file that is none of them is refused in one line', () => {
    const bin = readFileSync(IMAGE);
    const version = readFileSync(`${FIRMWARE}/src/board.h`, 'utf8')
      .match(/FIRMWARE_(MAJOR|MINOR|PATCH) (\d+)/g)!
      .map((line) => line.split(' ')[1])
      .join('.');
    const elf = readFirmwareImage(`${build.dir}/lampfield-module.elf`);
    const uf2 = readFirmwareImage(`${build.dir}/lampfield-module-${version}.uf2`);
    expect(Buffer.from(readFirmwareImage(IMAGE)).equals(bin)).toBe(true);
    expect(Buffer.from(elf).equals(bin)).toBe(true);
    // The UF2's last block is whole (256 bytes): the image, then zeros.
    expect(Buffer.from(uf2.subarray(0, bin.length)).equals(bin)).toBe(true);
    expect(uf2.length).toBe(Math.ceil(bin.length / 256) * 256);

    const dir = mkdtempSync(join(tmpdir(), 'lampfield-not-firmware-'));
    try {
      const wrongFamily = readFileSync(`${build.dir}/lampfield-module-${version}.uf2`);
      wrongFamily.writeUInt32LE(0x68ed2b88, 512 + 28); // block 1 for another chip family
      const cases: [string, Uint8Array, RegExp][] = [
        ['words.txt', Buffer.from('key 1: Reception\n'), /is not RP2040 firmware: \d+ bytes, too few/],
        ['zeros.bin', new Uint8Array(4096), /is not RP2040 firmware: no vector table at 0x10000100/],
        ['other.uf2', wrongFamily, /is not RP2040 firmware: UF2 block 1 is for family 0x68ed2b88/],
        [
          'cut.elf',
          readFileSync(`${build.dir}/lampfield-module.elf`).subarray(0, 100),
          /past the end of the file/,
        ],
      ];
      for (const [name, bytes, why] of cases) {
        writeFileSync(join(dir, name), bytes);
        expect(() => readFirmwareImage(join(dir, name))).toThrow(why);
      }
      expect(() => readFirmwareImage(join(dir, 'absent.uf2'))).toThrow(
        /^cannot read the firmware \S+: no such file$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lights every lamp white for its 300 ms self test, then announces itself as module-20rgb', () => {
    const host = new Host(new EmulatedPico(readFirmwareImage(IMAGE)));
    host.run(100);
    expect(host.pico.lamps).toEqual(Array(20).fill(0xffffff));
    expect(host.of('info')).toEqual([]);
    host.run(250);
    const [info] = host.of('info');
    const board = loadBoards().find((candidate) => candidate.id === 'module-20rgb')!;
    expect(info?.info).toMatchObject({
      protocol: { major: 2, minor: 0 },
      boardId: board.id,
      labelChars: board.labels.kind === 'text' ? board.labels.chars : 0,
      pages: 1,
      pageKeys: [],
    });
    expect(info!.info.keys).toHaveLength(keyCount(board));
    expect(new Set(info!.info.keys.map((key) => `${key.lamp} ${key.hardwarePatterns}`))).toEqual(
      new Set(['rgb true']),
    );
    expect(host.heard[0]!.at).toBeGreaterThanOrEqual(300);
  });

  it('refuses lamps before HELLO (not-ready), then shows every palette color on the WS2812 pin', () => {
    const host = new Host(new EmulatedPico(readFirmwareImage(IMAGE)));
    host.run(350);
    const early = host.send({ type: 'set-lamps', first: 0, lamps: [{ color: 'red', pattern: 'steady' }] });
    host.run(20);
    expect(host.of('nak')).toEqual([{ type: 'nak', seq: early, reason: 'not-ready' }]);
    host.send({ type: 'hello', protocol: { major: 2, minor: 0 } });
    host.run(30);
    expect(host.of('info')).toHaveLength(2);
    const colors = LAMP_COLORS.filter((color) => color !== 'off');
    host.send({
      type: 'set-lamps',
      first: 0,
      lamps: colors.map((color) => ({ color, pattern: 'steady' })),
    });
    host.run(20);
    expect(host.pico.lamps.slice(0, colors.length)).toEqual(colors.map(rgb));
    expect(host.pico.lamps.slice(colors.length)).toEqual(Array(20 - colors.length).fill(0));
  });

  it('blinks in the phases of PROTOCOL.md §5.3 on the module’s own clock', () => {
    const host = new Host(new EmulatedPico(readFirmwareImage(IMAGE)));
    host.session();
    host.send({
      type: 'set-lamps',
      first: 0,
      lamps: [
        { color: 'red', pattern: 'fast-blink' },
        { color: 'green', pattern: 'slow-blink' },
        { color: 'blue', pattern: 'flash' },
      ],
    });
    const set = host.pico.millis;
    host.run(2100);
    // Each lamp's lit and dark spells after the lamps were set (the first and the last cut short), in ms.
    const spells = (lamp: number) => {
      const changes = host.pico.ledFrames
        .filter((frame) => frame.at / 1e6 > set)
        .map((frame) => ({ at: frame.at / 1e6, lit: (frame.colors[lamp] ?? 0) !== 0 }))
        .filter((frame, i, all) => i === 0 || frame.lit !== all[i - 1]!.lit);
      return changes
        .slice(1, -1)
        .map((change, i) => ({ lit: change.lit, ms: changes[i + 2]!.at - change.at }));
    };
    // Within 1.5 ms: the firmware looks at its lamps every 1 ms tick.
    const near = (actual: number, ms: number) => expect(Math.abs(actual - ms)).toBeLessThan(1.5);
    for (const spell of spells(0)) near(spell.ms, 125);
    for (const spell of spells(1)) near(spell.ms, 500);
    for (const spell of spells(2)) near(spell.ms, spell.lit ? 100 : 900);
    expect(spells(0).length).toBeGreaterThan(10);
    expect(
      host.pico.ledFrames
        .at(-1)!
        .colors.slice(0, 3)
        .every((c) => [0, rgb('red'), rgb('green'), rgb('blue')].includes(c)),
    ).toBe(true);
  });

  it('reports a bouncing key once, debounced: down and up, and a long press as down, long, up', () => {
    const host = new Host(new EmulatedPico(readFirmwareImage(IMAGE)));
    host.session();
    host.pico.key(7, true, 5);
    host.run(100);
    host.pico.key(7, false, 5);
    host.run(100);
    host.pico.key(12, true, 3);
    host.run(800);
    host.pico.key(12, false, 3);
    host.run(100);
    expect(host.of('key-event').map(({ key, event }) => `${key} ${event}`)).toEqual([
      '7 down',
      '7 up',
      '12 down',
      '12 long',
      '12 up',
    ]);
    const [down, , , long] = host.of('key-event');
    expect(down!.uptimeMs).toBeGreaterThanOrEqual(380 + 5 + 20);
    expect(Math.abs(long!.uptimeMs - host.of('key-event')[2]!.uptimeMs - 600)).toBeLessThan(1.5);
  });

  it('forgets its lamps and shows host lost (amber) 3 s after the host went silent', () => {
    const host = new Host(new EmulatedPico(readFirmwareImage(IMAGE)));
    host.session();
    host.send({ type: 'set-lamps', first: 0, lamps: [{ color: 'green', pattern: 'steady' }] });
    host.run(2900);
    expect(host.pico.lamps[0]).toBe(rgb('green'));
    host.run(2200);
    const lit = host.pico.ledFrames.filter((frame) => frame.at / 1e6 > 3500).map((frame) => frame.colors[0]);
    expect(new Set(lit)).toEqual(new Set([0, rgb('amber')]));
    const late = host.send({ type: 'set-lamps', first: 0, lamps: [{ color: 'red', pattern: 'steady' }] });
    host.run(20);
    expect(host.of('nak').at(-1)).toEqual({ type: 'nak', seq: late, reason: 'not-ready' });
  });

  it('sends nothing of a key held across host lost, and reports the next press to the host that came back', () => {
    const host = new Host(new EmulatedPico(readFirmwareImage(IMAGE)));
    host.session();
    host.pico.key(7, true, 3);
    host.run(100);
    expect(host.of('key-event').map(({ key, event }) => `${key} ${event}`)).toEqual(['7 down']);
    host.run(3500); // the host went silent with the key held: its long press, then host lost (§6.3)
    expect(host.of('key-event').map(({ key, event }) => `${key} ${event}`)).toEqual(['7 down', '7 long']);
    host.pico.key(7, false, 3);
    host.run(100);
    // §7.3: without a session, key changes stay on the module: the release is not sent.
    expect(host.of('key-event').map(({ key, event }) => `${key} ${event}`)).toEqual(['7 down', '7 long']);
    host.send({ type: 'hello', protocol: { major: 2, minor: 0 } });
    host.run(50);
    expect(host.of('info')).toHaveLength(3); // at boot, for the first session, for this one
    host.pico.key(7, true, 3);
    host.run(100);
    host.pico.key(7, false, 3);
    host.run(100);
    expect(host.of('key-event').map(({ key, event }) => `${key} ${event}`)).toEqual([
      '7 down',
      '7 long',
      '7 down',
      '7 up',
    ]);
  });

  it('is reset by its watchdog when it hangs, and announces itself again for the host to start over', () => {
    const host = new Host(new EmulatedPico(readFirmwareImage(IMAGE)));
    host.session();
    host.send({ type: 'set-lamps', first: 0, lamps: [{ color: 'green', pattern: 'steady' }] });
    host.run(50);
    expect(host.pico.lamps[0]).toBe(rgb('green'));
    const hungAt = host.pico.millis;
    host.pico.hang();
    host.run(500);
    expect(host.pico.watchdogResets).toBe(1);
    // §6.4: after a reset the self test, then INFO unsolicited; the lamps the host set are gone.
    const infos = host.heard.filter((heard) => heard.message.type === 'info');
    expect(infos).toHaveLength(3);
    // The watchdog's 100 ms run from its last feed, at the last tick (1 ms or less before the hang).
    expect(infos[2]!.at - hungAt).toBeGreaterThan(100 + 300 - 1);
    expect(infos[2]!.at - hungAt).toBeLessThan(100 + 300 + 20);
    expect(host.pico.lamps[0]).not.toBe(rgb('green'));
  });

  it('takes garbage, an oversized frame and a host at the wrong baud rate without a word, then a session', () => {
    const host = new Host(new EmulatedPico(readFirmwareImage(IMAGE)));
    host.run(350);
    expect(host.pico.baudRate).toBeGreaterThan(115_200 * 0.99);
    expect(host.pico.baudRate).toBeLessThan(115_200 * 1.01);
    const before = host.heard.length;
    // Noise on the line, a frame of 300 bytes (over §3.2's 255), a lone delimiter.
    host.pico.receive(Uint8Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff));
    host.pico.receive(Uint8Array.of(...Array<number>(300).fill(0x41), 0x00, 0x00));
    // A HELLO from a host set to 9600 baud: what the module reads is no frame.
    const hello = encodeFrame({
      seq: 1,
      ...encodeMessage({ type: 'hello', protocol: { major: 2, minor: 0 } }),
    });
    const misread = host.pico.receiveAtBaud(hello, 9600);
    expect(misread.length).toBeGreaterThan(0);
    expect(Buffer.from(misread).equals(Buffer.from(hello))).toBe(false);
    host.run(200);
    expect(host.heard.slice(before).map((heard) => heard.message.type)).toEqual([]);
    // The same HELLO at the right rate, sent again after the host's retry time as a host does (§4.1):
    // the first one ends the misread bytes before it and is lost with them (§3.3), the second is a session.
    host.pico.receiveAtBaud(hello, 115_200);
    host.run(200);
    host.pico.receiveAtBaud(hello, 115_200);
    host.run(30);
    expect(host.heard.slice(before).map((heard) => heard.message.type)).toEqual(['ack', 'info']);
  });
});

describe('the module firmware built for module-160rgb (8 pages of 20 keys, a page key per page)', () => {
  let pages: FirmwareBuild;
  beforeAll(() => {
    pages = buildFirmware('module-160rgb');
  }, 120_000);
  afterAll(() => rmSync(pages.dir, { recursive: true, force: true }));

  it('says so in INFO, shows the page in view and the page keys on one chain, and turns pages by its own keys', () => {
    expect(pages.output).toMatch(/lampfield-module \(module-160rgb\): flash \d+ bytes of 2097152, RAM \d+/);
    const host = new Host(new EmulatedPico(readFirmwareImage(pages.image)));
    host.session();
    const board = loadBoards().find((candidate) => candidate.id === 'module-160rgb')!;
    const [info] = host.of('info');
    expect(info?.info).toMatchObject({ boardId: board.id, pages: 8 });
    expect(info!.info.keys).toHaveLength(keyCount(board));
    expect(info!.info.pageKeys).toHaveLength(8);
    expect(host.of('page-shown')).toEqual([{ type: 'page-shown', page: 0 }]);

    host.send({ type: 'set-lamps', first: 0, lamps: [{ color: 'red', pattern: 'steady' }] });
    host.send({ type: 'set-lamps', first: 20, lamps: [{ color: 'blue', pattern: 'steady' }] });
    host.send({ type: 'set-lamps', first: 159, lamps: [{ color: 'green', pattern: 'steady' }] });
    const dark = { color: 'off', pattern: 'off' } as const;
    host.send({
      type: 'set-page-lamps',
      shown: { color: 'white', pattern: 'steady' },
      hidden: [dark, { color: 'amber', pattern: 'steady' }, ...Array<typeof dark>(6).fill(dark)],
    });
    host.run(50);
    // 20 key lamps, then 8 page-key lamps, on the one WS2812 chain.
    expect(host.pico.lamps).toHaveLength(28);
    expect(host.pico.lamps[0]).toBe(rgb('red'));
    expect(host.pico.lamps.slice(20)).toEqual([rgb('white'), rgb('amber'), 0, 0, 0, 0, 0, 0]);

    // Page 2's key (matrix row 0, the sixth column), with bounce: page 2 at once, told to the host.
    host.pico.key(21, true, 3);
    host.run(80);
    host.pico.key(21, false, 3);
    host.run(50);
    expect(host.of('page-shown').at(-1)).toEqual({ type: 'page-shown', page: 1 });
    expect(host.pico.lamps[0]).toBe(rgb('blue'));
    expect(host.pico.lamps.slice(20, 22)).toEqual([0, rgb('white')]);
    // Page 8's key (row 3, the seventh column), then its last key: KEY_EVENT 160 (key 159 from 0).
    host.pico.key(27, true, 3);
    host.run(80);
    host.pico.key(27, false, 3);
    host.run(50);
    expect(host.pico.lamps[19]).toBe(rgb('green'));
    host.pico.key(19, true, 3);
    host.run(100);
    host.pico.key(19, false, 3);
    host.run(50);
    expect(host.of('key-event').map(({ key, event }) => `${key} ${event}`)).toEqual(['159 down', '159 up']);
  });

  it('keeps its tick when a long frame (its 200-byte INFO) is written in one: no watchdog reset in 5 s', () => {
    // The INFO of 160 keys took longer than a tick to write; the tick that came meanwhile was lost and
    // the loop slept for good until the watchdog reset it, over and over. Now it sleeps only if none is due.
    const host = new Host(new EmulatedPico(readFirmwareImage(pages.image)), false);
    host.run(5000);
    expect(host.of('info').length).toBeGreaterThan(1); // announced, and again while nobody answers
    expect(host.pico.watchdogResets).toBe(0);
  });
});
