/**
 * The expansion module's messages (PROTOCOL.md §4–§5), pure: typed values to frame payloads and back.
 * Lamp colors and patterns are lamp.ts's; this file gives them their wire codes.
 * Every decoder checks lengths and ranges and returns an error code instead of throwing, so that a
 * receiver can NAK what it cannot read (§4.3).
 */
import { patternLit, timingLit, type LampColor, type LampPattern, type PatternTiming } from './lamp.ts';
import type { Frame } from './framing.ts';

/**
 * 2.0: pages (§5.10, §7.4). The module keeps every page's lamps and labels and turns pages itself, so a
 * host of 1.x, which knows nothing of pages, is refused (§5.1) rather than half working.
 */
export const PROTOCOL_VERSION = { major: 2, minor: 0 } as const;

/** Message types (§4.2). Host → module below 0x80, module → host from 0x80; ACK and NAK both ways. */
export const MessageType = {
  HELLO: 0x01,
  SET_LAMPS: 0x02,
  SET_LABEL: 0x03,
  HEARTBEAT: 0x04,
  SET_PAGE_LAMPS: 0x05,
  INFO: 0x81,
  KEY_EVENT: 0x82,
  PAGE_SHOWN: 0x83,
  ACK: 0x7e,
  NAK: 0x7f,
} as const;

/** Lamp hardware of one key (§5.2), with bit 7 set when the module runs the patterns itself. */
export const LampKind = { none: 0, mono: 1, bicolor: 2, rgb: 3 } as const;
export type LampKindName = keyof typeof LampKind;

/**
 * Pattern codes (§5.3): the lamp patterns (lamp.ts), run by the module on its own clock with the
 * lamp's timings, and the module's own `host-lost` (§6.3).
 */
export const Pattern: Readonly<Record<ModulePattern, number>> = {
  off: 0,
  steady: 1,
  'slow-blink': 2,
  'fast-blink': 3,
  flash: 4,
  'host-lost': 5,
};
export type ModulePattern = LampPattern | 'host-lost';

/** `host-lost`'s timing (§5.3); every other pattern's is the lamp's (lamp.ts). */
export const HOST_LOST_TIMING: PatternTiming = { period: 2000, on: 200 };

/** Whether a lamp with `pattern` is lit at `uptimeMs` of the module's clock (§5.3). */
export function modulePatternLit(pattern: ModulePattern, uptimeMs: number): boolean {
  return pattern === 'host-lost' ? timingLit(HOST_LOST_TIMING, uptimeMs) : patternLit(pattern, uptimeMs);
}

export const KeyEventKind = { down: 1, up: 2, long: 3 } as const;
export type KeyEventName = keyof typeof KeyEventKind;

/** NAK reasons (§4.3). */
export const NakCode = {
  'unknown-type': 1,
  'bad-length': 2,
  'bad-key': 3,
  'not-ready': 4,
  'bad-value': 5,
  'bad-version': 6,
} as const;
export type NakReason = keyof typeof NakCode;

/** Color codes (§5.2) of the lamp palette (lamp.ts); the module maps each to its LEDs. */
export const Color: Readonly<Record<LampColor, number>> = {
  off: 0,
  red: 1,
  green: 2,
  amber: 3,
  yellow: 4,
  blue: 5,
  cyan: 6,
  magenta: 7,
  white: 8,
};

/** One key's lamp: a color and a pattern, one byte on the wire (§5.4). */
export interface LampSetting {
  color: LampColor;
  pattern: ModulePattern;
}

export interface ModuleInfo {
  protocol: { major: number; minor: number };
  firmware: { major: number; minor: number; patch: number };
  boardId: string;
  serial: string;
  /** Characters per label; 0 when the module has no labels. */
  labelChars: number;
  /** Every key a host can address: `pages` pages of keys.length / pages keys each (§7.4). */
  keys: KeyLamp[];
  /** 1 for a module without pages. */
  pages: number;
  /** The module's own page keys (§7.4): none, one that turns to the next page, or one per page. */
  pageKeys: KeyLamp[];
}

export interface KeyLamp {
  lamp: LampKindName;
  hardwarePatterns: boolean;
}

export type Message =
  | { type: 'hello'; protocol: { major: number; minor: number } }
  | { type: 'info'; info: ModuleInfo }
  /** Lamps of consecutive keys from `first` (0-based). */
  | { type: 'set-lamps'; first: number; lamps: LampSetting[] }
  | { type: 'set-label'; key: number; text: string }
  | { type: 'heartbeat' }
  /** The lamp of the page key of the page in view, and of each page's key while its page is out of view. */
  | { type: 'set-page-lamps'; shown: LampSetting; hidden: LampSetting[] }
  | { type: 'key-event'; key: number; event: KeyEventName; uptimeMs: number }
  /** The module turned to `page` (0-based) by its own page key, or tells a new session which it shows. */
  | { type: 'page-shown'; page: number }
  | { type: 'ack'; seq: number }
  | { type: 'nak'; seq: number; reason: NakReason | 'unknown' };

/** SET_LAMPS lamps per frame: one byte each after `first` and `count`, within the 248-byte payload (§5.4). */
export const LAMPS_PER_FRAME = 246;

const NAMES = <T extends Record<string, number>>(table: T) =>
  new Map(Object.entries(table).map(([name, value]) => [value, name as keyof T]));
const PATTERN_NAMES = NAMES(Pattern);
const COLOR_NAMES = NAMES(Color);
const LAMP_NAMES = NAMES(LampKind);
const EVENT_NAMES = NAMES(KeyEventKind);
const NAK_NAMES = NAMES(NakCode);

const text = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: false });

function withText(value: string, max: number): Uint8Array {
  const bytes = text.encode(value).subarray(0, max);
  const out = new Uint8Array(bytes.length + 1);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** The payload and type of a message; `seq` is the sender's to give. */
export function encodeMessage(message: Message): { type: number; payload: Uint8Array } {
  switch (message.type) {
    case 'hello':
      return {
        type: MessageType.HELLO,
        payload: Uint8Array.of(message.protocol.major, message.protocol.minor),
      };
    case 'info': {
      const { info } = message;
      const parts = [
        Uint8Array.of(
          info.protocol.major,
          info.protocol.minor,
          info.firmware.major,
          info.firmware.minor,
          info.firmware.patch,
        ),
        withText(info.boardId, 32),
        withText(info.serial, 32),
        Uint8Array.of(info.labelChars, info.keys.length),
        Uint8Array.from(info.keys, lampKindByte),
        Uint8Array.of(info.pages, info.pageKeys.length),
        Uint8Array.from(info.pageKeys, lampKindByte),
      ];
      return { type: MessageType.INFO, payload: concat(parts) };
    }
    case 'set-lamps': {
      const payload = new Uint8Array(2 + message.lamps.length);
      payload[0] = message.first;
      payload[1] = message.lamps.length;
      message.lamps.forEach((lamp, index) => (payload[2 + index] = lampByte(lamp)));
      return { type: MessageType.SET_LAMPS, payload };
    }
    case 'set-page-lamps':
      return {
        type: MessageType.SET_PAGE_LAMPS,
        payload: Uint8Array.of(
          lampByte(message.shown),
          message.hidden.length,
          ...message.hidden.map(lampByte),
        ),
      };
    case 'page-shown':
      return { type: MessageType.PAGE_SHOWN, payload: Uint8Array.of(message.page) };
    case 'set-label':
      return {
        type: MessageType.SET_LABEL,
        payload: concat([Uint8Array.of(message.key), withText(message.text, 64)]),
      };
    case 'heartbeat':
      return { type: MessageType.HEARTBEAT, payload: new Uint8Array(0) };
    case 'key-event': {
      const payload = new Uint8Array(6);
      payload[0] = message.key;
      payload[1] = KeyEventKind[message.event];
      new DataView(payload.buffer).setUint32(2, message.uptimeMs >>> 0);
      return { type: MessageType.KEY_EVENT, payload };
    }
    case 'ack':
      return { type: MessageType.ACK, payload: Uint8Array.of(message.seq) };
    case 'nak':
      return {
        type: MessageType.NAK,
        payload: Uint8Array.of(message.seq, message.reason === 'unknown' ? 0 : NakCode[message.reason]),
      };
  }
}

export type DecodeResult = { ok: true; message: Message } | { ok: false; reason: NakReason };

/** Reads a frame's message; an unknown type or a malformed payload gives the NAK reason (§4.3). */
export function decodeMessage(frame: Frame): DecodeResult {
  const p = frame.payload;
  const bad = (reason: NakReason = 'bad-length'): DecodeResult => ({ ok: false, reason });
  switch (frame.type) {
    case MessageType.HELLO:
      return p.length >= 2
        ? { ok: true, message: { type: 'hello', protocol: { major: p[0]!, minor: p[1]! } } }
        : bad();
    case MessageType.INFO: {
      if (p.length < 6) return bad();
      let at = 5;
      const readText = (): string | null => {
        const length = p[at];
        if (length == null || at + 1 + length > p.length) return null;
        const value = utf8.decode(p.subarray(at + 1, at + 1 + length));
        at += 1 + length;
        return value;
      };
      const boardId = readText();
      const serial = readText();
      if (boardId == null || serial == null || at + 2 > p.length) return bad();
      const labelChars = p[at]!;
      const readKinds = (count: number): KeyLamp[] | 'bad-length' | 'bad-value' => {
        if (at + count > p.length) return 'bad-length';
        const kinds: KeyLamp[] = [];
        for (let i = 0; i < count; i++) {
          const lamp = LAMP_NAMES.get(p[at + i]! & 0x7f);
          if (lamp == null) return 'bad-value';
          kinds.push({ lamp, hardwarePatterns: (p[at + i]! & 0x80) !== 0 });
        }
        at += count;
        return kinds;
      };
      at += 1;
      const keys = readKinds(p[at++]!);
      if (typeof keys === 'string') return bad(keys);
      // Protocol 1.x ends here (§4.4: fields are appended): one page, no page keys.
      let pages = 1;
      let pageKeys: KeyLamp[] = [];
      if (at < p.length) {
        if (at + 2 > p.length) return bad();
        pages = p[at]!;
        at += 1;
        const read = readKinds(p[at++]!);
        if (typeof read === 'string') return bad(read);
        pageKeys = read;
      }
      return {
        ok: true,
        message: {
          type: 'info',
          info: {
            protocol: { major: p[0]!, minor: p[1]! },
            firmware: { major: p[2]!, minor: p[3]!, patch: p[4]! },
            boardId,
            serial,
            labelChars,
            keys,
            pages,
            pageKeys,
          },
        },
      };
    }
    case MessageType.SET_LAMPS: {
      const first = p[0];
      const count = p[1];
      if (first == null || count == null || p.length !== 2 + count) return bad();
      const lamps = readLamps(p.subarray(2));
      return lamps == null ? bad('bad-value') : { ok: true, message: { type: 'set-lamps', first, lamps } };
    }
    case MessageType.SET_PAGE_LAMPS: {
      if (p.length < 2 || p.length !== 2 + p[1]!) return bad();
      const shown = readLamps(p.subarray(0, 1))?.[0];
      const hidden = readLamps(p.subarray(2));
      if (shown == null || hidden == null) return bad('bad-value');
      return { ok: true, message: { type: 'set-page-lamps', shown, hidden } };
    }
    case MessageType.PAGE_SHOWN:
      return p.length === 1 ? { ok: true, message: { type: 'page-shown', page: p[0]! } } : bad();
    case MessageType.SET_LABEL: {
      if (p.length < 2 || p.length !== 2 + p[1]!) return bad();
      return { ok: true, message: { type: 'set-label', key: p[0]!, text: utf8.decode(p.subarray(2)) } };
    }
    case MessageType.HEARTBEAT:
      return p.length === 0 ? { ok: true, message: { type: 'heartbeat' } } : bad();
    case MessageType.KEY_EVENT: {
      if (p.length !== 6) return bad();
      const event = EVENT_NAMES.get(p[1]!);
      if (event == null) return bad('bad-value');
      const uptimeMs = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(2);
      return { ok: true, message: { type: 'key-event', key: p[0]!, event, uptimeMs } };
    }
    case MessageType.ACK:
      return p.length === 1 ? { ok: true, message: { type: 'ack', seq: p[0]! } } : bad();
    case MessageType.NAK:
      return p.length === 2
        ? { ok: true, message: { type: 'nak', seq: p[0]!, reason: NAK_NAMES.get(p[1]!) ?? 'unknown' } }
        : bad();
    default:
      return bad('unknown-type');
  }
}

function lampByte(lamp: LampSetting): number {
  return (Pattern[lamp.pattern] << 4) | Color[lamp.color];
}

function lampKindByte(key: KeyLamp): number {
  return LampKind[key.lamp] | (key.hardwarePatterns ? 0x80 : 0);
}

/** Lamp bytes (§5.4) as lamps; null when one names no pattern or color. */
function readLamps(bytes: Uint8Array): LampSetting[] | null {
  const lamps: LampSetting[] = [];
  for (const byte of bytes) {
    const pattern = PATTERN_NAMES.get(byte >> 4);
    const color = COLOR_NAMES.get(byte & 0x0f);
    if (pattern == null || color == null) return null;
    lamps.push({ color, pattern });
  }
  return lamps;
}

/** Whether a message is acknowledged by its receiver (§4.1): everything but ACK and NAK. */
export function isSequenced(message: Message): boolean {
  return message.type !== 'ack' && message.type !== 'nak';
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
