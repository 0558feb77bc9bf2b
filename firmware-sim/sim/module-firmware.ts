/**
 * The expansion module's firmware, simulated as it would run on the microcontroller (PROTOCOL.md): a
 * byte stream in and out, its own clock for debounce, long press, blink phases, retries and the
 * watchdog. It shares only the protocol codec with the host driver.
 *
 * Session states (§6):
 *
 *   boot ──POST 300 ms──▶ announce (INFO) ──HELLO──▶ ready ──host silent 3 s──▶ host-lost
 *                                   ▲                  │                          │
 *                                   └──── reset ◀──────┘◀────────── HELLO ────────┘
 *
 * While not ready, the module shows its POST or "host lost" pattern and NAKs lamp and label commands
 * with `not-ready`, so that a host never believes it set a lamp it did not set.
 *
 * Pages (§7.4): the module keeps the lamp and label of every key of every page, shows one page on its
 * keys, and turns pages by its own page keys without asking the host; it tells the host which page it
 * shows (PAGE_SHOWN), and a key's events carry the key as the host numbers it, whatever page is in view.
 */
import { LAMP_RGB, type LampColor } from '../../src/blf/lamp.ts';
import { encodeFrame, FrameDecoder, type Frame } from '../protocol/framing.ts';
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  type KeyEventName,
  type KeyLamp,
  type LampKindName,
  type LampSetting,
  type Message,
  type ModuleInfo,
  modulePatternLit,
} from '../protocol/messages.ts';

export interface FirmwareClock {
  now(): number;
  after(ms: number, fire: () => void): () => void;
}

export interface ModuleHardware {
  boardId: string;
  serial: string;
  /** The lamp of every key a host addresses: `pages` pages of keys.length / pages keys (§7.4). */
  keys: readonly LampKindName[];
  labelChars: number;
  /** 1 for a module without pages. */
  pages: number;
  /** The lamps of the module's own page keys (§7.4): none, one (the next page) or one per page. */
  pageKeys: readonly LampKindName[];
}

/** Faults injected as data (§8 of the simulator): what a bad cable, a busy MCU or a reset does. */
export interface Faults {
  /** Chance that a byte the module receives is lost. */
  dropRate?: number;
  /** Chance that a frame the module sends has one byte flipped. */
  corruptRate?: number;
  /** Delay before each frame the module sends, ms. */
  delayMs?: number;
  /** 0..1; injectable so that a test run is repeatable. */
  random?: () => number;
}

export interface FirmwareTimings {
  postMs: number;
  debounceMs: number;
  longPressMs: number;
  watchdogMs: number;
  retryMs: number;
  retries: number;
}

/** PROTOCOL.md §6–§7. */
export const DEFAULT_TIMINGS: FirmwareTimings = {
  postMs: 300,
  debounceMs: 20,
  longPressMs: 600,
  watchdogMs: 3000,
  retryMs: 100,
  retries: 5,
};

export interface LedOutput {
  red: number;
  green: number;
  blue: number;
  lit: boolean;
}

type Session = 'post' | 'announced' | 'ready' | 'host-lost';

interface Switch {
  raw: boolean;
  stable: boolean;
  /** The key (as the host numbers it) this switch went down as: its release is reported for that key. */
  key: number;
  cancelDebounce: () => void;
  cancelLong: () => void;
}

/** The page keys' lamps until the host sets them (§5.10): the page in view lit, the others dark. */
const DEFAULT_PAGE_LAMPS = {
  shown: { color: 'white', pattern: 'steady' },
  hidden: [] as LampSetting[],
} as const satisfies { shown: LampSetting; hidden: LampSetting[] };
const DARK: LampSetting = { color: 'off', pattern: 'off' };

export class ModuleFirmware {
  readonly decoder = new FrameDecoder();
  /** NAKs sent, frames given up after all retries, resets. Bad frames: `decoder.dropped`. */
  readonly counters = { naks: 0, givenUp: 0, resets: 0 };
  private session: Session = 'post';
  private bootedAt = 0;
  private lamps: (LampSetting | undefined)[] = [];
  private labels: string[] = [];
  private page = 0;
  private pageLamps: { shown: LampSetting; hidden: readonly LampSetting[] } = DEFAULT_PAGE_LAMPS;
  /** The keys of one page, then the page keys: the switches a person can press. */
  private switches: Switch[] = [];
  private seq = 0;
  private lastHostSeq = -1;
  private outbox: { seq: number; bytes: Uint8Array; tries: number }[] = [];
  private cancelRetry: () => void = () => undefined;
  private cancelWatchdog: () => void = () => undefined;
  private cancelPost: () => void = () => undefined;
  private transmit: ((bytes: Uint8Array) => void) | null = null;
  /** A HELLO came during POST: the session starts when POST ends. */
  private helloPending = false;
  private readonly timings: FirmwareTimings;

  constructor(
    readonly hardware: ModuleHardware,
    private readonly clock: FirmwareClock,
    private readonly faults: Faults = {},
    timings: Partial<FirmwareTimings> = {},
  ) {
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
    this.boot();
  }

  get state(): Session {
    return this.session;
  }

  /** The USB/TCP link came up: the module talks through `transmit` (and announces itself). */
  connect(transmit: (bytes: Uint8Array) => void): void {
    this.transmit = transmit;
    this.decoder.reset();
    if (this.session !== 'post') this.announce();
  }

  /** The link went away; the firmware runs on (its watchdog will show "host lost"). */
  disconnect(): void {
    this.transmit = null;
  }

  /** A spontaneous reset: everything the host set is gone; POST, then a new announcement. */
  reset(): void {
    this.counters.resets++;
    this.boot();
  }

  /** Bytes from the host. */
  receive(bytes: Uint8Array): void {
    const random = this.faults.random ?? Math.random;
    const kept = this.faults.dropRate ? bytes.filter(() => random() >= this.faults.dropRate!) : bytes;
    for (const frame of this.decoder.push(kept)) this.handle(frame);
  }

  /** Keys on one page (all of them on a module without pages). */
  get perPage(): number {
    return this.hardware.keys.length / this.hardware.pages;
  }

  /** The page the keys show now, from 0. */
  get shownPage(): number {
    return this.page;
  }

  /** The switch of the key at `slot` (0-based) of the page in view closes; it bounces for `bounceMs` first. */
  pressSwitch(slot: number, bounceMs = 5): void {
    if (slot < this.perPage) this.chatter(slot, true, bounceMs);
  }

  releaseSwitch(slot: number, bounceMs = 5): void {
    if (slot < this.perPage) this.chatter(slot, false, bounceMs);
  }

  /** The switch of page key `index` (0-based, §7.4) closes. */
  pressPageKey(index: number, bounceMs = 5): void {
    if (index < this.hardware.pageKeys.length) this.chatter(this.perPage + index, true, bounceMs);
  }

  releasePageKey(index: number, bounceMs = 5): void {
    if (index < this.hardware.pageKeys.length) this.chatter(this.perPage + index, false, bounceMs);
  }

  /** What the LED at `slot` of the page in view shows at this moment (blink phases from one clock, §5.3). */
  led(slot: number): LedOutput {
    const key = this.page * this.perPage + slot;
    return this.ledOf(this.lamps[key], this.hardware.keys[key]);
  }

  /** What the LED of page key `index` shows at this moment (§5.10). */
  pageKeyLed(index: number): LedOutput {
    return this.ledOf(this.pageKeyLamp(index), this.hardware.pageKeys[index]);
  }

  /** The lamp of page key `index` (§5.10): the page in view's, or its page's while out of view. */
  pageKeyLamp(index: number): LampSetting {
    const { shown, hidden } = this.pageLamps;
    if (this.hardware.pageKeys.length === this.hardware.pages)
      return index === this.page ? shown : (hidden[index] ?? DARK);
    // One page key for every page: it shows what a page out of view asks for, else the page in view's.
    const asked = hidden.find(
      (lamp, page) => page !== this.page && lamp.color !== 'off' && lamp.pattern !== 'off',
    );
    return asked ?? shown;
  }

  private ledOf(lamp: LampSetting | undefined, kind: LampKindName | undefined): LedOutput {
    const uptime = this.clock.now() - this.bootedAt;
    if (this.session === 'post') return { red: 255, green: 255, blue: 255, lit: true };
    if (this.session !== 'ready') {
      return { red: 255, green: 160, blue: 0, lit: modulePatternLit('host-lost', uptime) };
    }
    if (lamp == null) return { red: 0, green: 0, blue: 0, lit: false };
    return {
      ...ledColor(kind, lamp.color),
      lit: lamp.color !== 'off' && modulePatternLit(lamp.pattern, uptime),
    };
  }

  /** The lamp the host set for `key`, on whatever page (null when none, or when not ready). */
  lamp(key: number): LampSetting | null {
    return this.session === 'ready' ? (this.lamps[key] ?? null) : null;
  }

  label(key: number): string {
    return this.labels[key] ?? '';
  }

  get info(): ModuleInfo {
    return {
      protocol: { ...PROTOCOL_VERSION },
      firmware: { major: 0, minor: 5, patch: 0 },
      boardId: this.hardware.boardId,
      serial: this.hardware.serial,
      labelChars: this.hardware.labelChars,
      keys: this.hardware.keys.map(patternsOnModule),
      pages: this.hardware.pages,
      pageKeys: this.hardware.pageKeys.map(patternsOnModule),
    };
  }

  // --- boot and session ----------------------------------------------------------------------------

  private boot(): void {
    this.cancelPost();
    this.cancelRetry();
    this.cancelWatchdog();
    for (const item of this.switches) {
      item.cancelDebounce();
      item.cancelLong();
    }
    this.session = 'post';
    this.bootedAt = this.clock.now();
    this.lamps = [];
    this.labels = [];
    this.page = 0;
    this.pageLamps = DEFAULT_PAGE_LAMPS;
    this.outbox = [];
    this.seq = 0;
    this.lastHostSeq = -1;
    this.decoder.reset();
    this.switches = Array.from({ length: this.perPage + this.hardware.pageKeys.length }, () => ({
      raw: false,
      stable: false,
      key: 0,
      cancelDebounce: () => undefined,
      cancelLong: () => undefined,
    }));
    // Power-on self test: every LED on for postMs, then the module announces itself.
    this.helloPending = false;
    this.cancelPost = this.clock.after(this.timings.postMs, () => {
      this.session = this.helloPending ? 'ready' : 'announced';
      if (this.session === 'ready') this.feedWatchdog();
      this.announce();
      if (this.session === 'ready') this.tellPage();
    });
  }

  private announce(): void {
    this.queue({ type: 'info', info: this.info });
  }

  private feedWatchdog(): void {
    this.cancelWatchdog();
    this.cancelWatchdog = this.clock.after(this.timings.watchdogMs, () => {
      // The host went silent: its lamps can no longer be trusted (§6.3).
      this.session = 'host-lost';
      this.forgetLamps();
    });
  }

  // --- frames in -----------------------------------------------------------------------------------

  private handle(frame: Frame): void {
    const decoded = decodeMessage(frame);
    if (!decoded.ok) {
      this.nak(frame.seq, decoded.reason);
      return;
    }
    const message = decoded.message;
    if (message.type === 'ack') {
      this.acknowledged(message.seq);
      return;
    }
    if (message.type === 'nak') return; // the host refused one of ours: nothing to redo
    if (frame.seq === 0) {
      this.nak(0, 'bad-value');
      return;
    }
    if (frame.seq === this.lastHostSeq) {
      this.send({ type: 'ack', seq: frame.seq }, 0); // a retransmission: acknowledge again, apply once
      return;
    }
    if (message.type === 'hello') {
      if (message.protocol.major !== PROTOCOL_VERSION.major) this.refuseHost(frame.seq);
      else this.hello(frame.seq);
      return;
    }
    if (this.session !== 'ready') {
      this.nak(frame.seq, 'not-ready');
      return;
    }
    this.feedWatchdog();
    if (message.type === 'set-lamps') {
      if (message.first + message.lamps.length > this.hardware.keys.length) {
        this.nak(frame.seq, 'bad-key');
        return;
      }
      message.lamps.forEach((lamp, index) => (this.lamps[message.first + index] = lamp));
    } else if (message.type === 'set-label') {
      if (message.key >= this.hardware.keys.length || this.hardware.labelChars === 0) {
        this.nak(frame.seq, 'bad-key');
        return;
      }
      this.labels[message.key] = [...message.text].slice(0, this.hardware.labelChars).join('');
    } else if (message.type === 'set-page-lamps') {
      if (this.hardware.pageKeys.length === 0) {
        this.nak(frame.seq, 'bad-key');
        return;
      }
      if (message.hidden.length !== this.hardware.pages) {
        this.nak(frame.seq, 'bad-value');
        return;
      }
      this.pageLamps = { shown: message.shown, hidden: message.hidden };
    } else if (message.type !== 'heartbeat') {
      this.nak(frame.seq, 'unknown-type'); // a module→host message sent to the module
      return;
    }
    this.lastHostSeq = frame.seq;
    this.send({ type: 'ack', seq: frame.seq }, 0);
  }

  private hello(seq: number): void {
    // A new session: what was queued for an earlier host (key presses while unplugged) is dropped.
    this.outbox = [];
    this.cancelRetry();
    this.lastHostSeq = seq;
    this.send({ type: 'ack', seq }, 0);
    if (this.session === 'post') {
      this.helloPending = true;
      return;
    }
    this.session = 'ready';
    this.forgetLamps();
    this.feedWatchdog();
    this.announce();
    this.tellPage();
  }

  /**
   * A host of another major version (§5.1): refused, and told which version this module speaks (INFO),
   * so that it can say so; whatever session there was ends, as its lamps were another host's.
   */
  private refuseHost(seq: number): void {
    this.outbox = [];
    this.cancelRetry();
    this.nak(seq, 'bad-version');
    if (this.session === 'post') return; // INFO follows the self test anyway
    this.cancelWatchdog();
    this.session = 'announced';
    this.forgetLamps();
    this.announce();
  }

  private forgetLamps(): void {
    this.lamps = [];
    this.pageLamps = DEFAULT_PAGE_LAMPS;
  }

  /** Which page the keys show, for the host (§5.11); a module without pages has nothing to tell. */
  private tellPage(): void {
    if (this.hardware.pages > 1) this.queue({ type: 'page-shown', page: this.page });
  }

  /** A page key went down (§7.4): one key per page shows its page, a single one the next page. */
  private turnPage(index: number): void {
    const { pages, pageKeys } = this.hardware;
    const page = pageKeys.length === pages ? index : (this.page + 1) % pages;
    if (page === this.page) return;
    this.page = page;
    if (this.session === 'ready') this.tellPage();
  }

  private nak(seq: number, reason: Extract<Message, { type: 'nak' }>['reason']): void {
    this.counters.naks++;
    this.send({ type: 'nak', seq, reason }, 0);
  }

  // --- frames out ----------------------------------------------------------------------------------

  private queue(message: Message): void {
    this.seq = (this.seq % 255) + 1;
    const { type, payload } = encodeMessage(message);
    this.outbox.push({ seq: this.seq, bytes: encodeFrame({ seq: this.seq, type, payload }), tries: 0 });
    if (this.outbox.length === 1) this.sendHead();
  }

  /** Stop-and-wait (§4.1): the head of the outbox is sent until acknowledged or out of retries. */
  private sendHead(): void {
    this.cancelRetry();
    const head = this.outbox[0];
    if (head == null) return;
    head.tries++;
    this.write(head.bytes);
    this.cancelRetry = this.clock.after(this.timings.retryMs, () => {
      if (head.tries > this.timings.retries) {
        this.outbox.shift();
        this.counters.givenUp++;
      }
      this.sendHead();
    });
  }

  private acknowledged(seq: number): void {
    if (this.outbox[0]?.seq !== seq) return;
    this.outbox.shift();
    this.sendHead();
  }

  private send(message: Message, seq: number): void {
    this.write(encodeFrame({ seq, ...encodeMessage(message) }));
  }

  private write(bytes: Uint8Array): void {
    const transmit = this.transmit;
    if (transmit == null) return;
    const random = this.faults.random ?? Math.random;
    let out = bytes;
    if (this.faults.corruptRate && random() < this.faults.corruptRate) {
      out = Uint8Array.from(bytes);
      const at = Math.floor(random() * (out.length - 1));
      out[at] = out[at]! ^ 0x20 || 0x01;
    }
    if (this.faults.delayMs) this.clock.after(this.faults.delayMs, () => transmit(out));
    else transmit(out);
  }

  // --- keys ----------------------------------------------------------------------------------------

  /** Contact chatter: the raw input flips a few times within `bounceMs`, settling at `closed`. */
  private chatter(key: number, closed: boolean, bounceMs: number): void {
    const item = this.switches[key];
    if (item == null) return;
    const flips = bounceMs > 0 ? 4 : 0;
    for (let i = 0; i < flips; i++) {
      this.clock.after((bounceMs * i) / flips, () => this.rawInput(key, i % 2 === 0 ? closed : !closed));
    }
    this.clock.after(bounceMs, () => this.rawInput(key, closed));
  }

  /**
   * Debounce (§7.1): a change counts once the raw input has been stable for `debounceMs`. A page key
   * turns the page on its way down (§7.4); a key's events carry the key of the page in view when it went
   * down.
   */
  private rawInput(index: number, closed: boolean): void {
    const item = this.switches[index]!;
    item.raw = closed;
    item.cancelDebounce();
    item.cancelDebounce = this.clock.after(this.timings.debounceMs, () => {
      if (item.raw === item.stable) return;
      item.stable = item.raw;
      if (index >= this.perPage) {
        if (item.stable) this.turnPage(index - this.perPage);
        return;
      }
      if (item.stable) {
        item.key = this.page * this.perPage + index;
        this.keyEvent(item.key, 'down');
        item.cancelLong = this.clock.after(this.timings.longPressMs, () => this.keyEvent(item.key, 'long'));
      } else {
        item.cancelLong();
        this.keyEvent(item.key, 'up');
      }
    });
  }

  private keyEvent(key: number, event: KeyEventName): void {
    if (this.session !== 'ready') return; // no host to tell: a press while unplugged is not kept
    this.queue({ type: 'key-event', key, event, uptimeMs: Math.round(this.clock.now() - this.bootedAt) });
  }
}

function patternsOnModule(lamp: LampKindName): KeyLamp {
  return { lamp, hardwarePatterns: true };
}

/** The palette color on a key's LEDs (§5.2): a bicolor key makes amber from red and green. */
function ledColor(
  kind: LampKindName | undefined,
  color: LampColor,
): { red: number; green: number; blue: number } {
  const [red, green, blue] = LAMP_RGB[color];
  if (kind === 'bicolor') return { red: red > 0 ? 255 : 0, green: green > 0 ? 255 : 0, blue: 0 };
  if (kind === 'mono') return { red: 255, green: 255, blue: 255 };
  return { red, green, blue };
}
