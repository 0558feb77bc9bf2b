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
 */
import { LAMP_RGB, type LampColor } from '../../src/blf/lamp.ts';
import { encodeFrame, FrameDecoder, type Frame } from '../protocol/framing.ts';
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  type KeyEventName,
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
  keys: readonly LampKindName[];
  labelChars: number;
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
  cancelDebounce: () => void;
  cancelLong: () => void;
}

export class ModuleFirmware {
  readonly decoder = new FrameDecoder();
  /** NAKs sent, frames given up after all retries, resets. Bad frames: `decoder.dropped`. */
  readonly counters = { naks: 0, givenUp: 0, resets: 0 };
  private session: Session = 'post';
  private bootedAt = 0;
  private lamps: (LampSetting | undefined)[] = [];
  private labels: string[] = [];
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

  /** The physical switch of `key` closes; it bounces for `bounceMs` first (contacts chatter). */
  pressSwitch(key: number, bounceMs = 5): void {
    this.chatter(key, true, bounceMs);
  }

  releaseSwitch(key: number, bounceMs = 5): void {
    this.chatter(key, false, bounceMs);
  }

  /** What the LED of `key` shows at this moment (blink phases from the module's one clock, §5.3). */
  led(key: number): LedOutput {
    const uptime = this.clock.now() - this.bootedAt;
    if (this.session === 'post') return { red: 255, green: 255, blue: 255, lit: true };
    if (this.session !== 'ready') {
      return { red: 255, green: 160, blue: 0, lit: modulePatternLit('host-lost', uptime) };
    }
    const lamp = this.lamps[key];
    if (lamp == null) return { red: 0, green: 0, blue: 0, lit: false };
    return {
      ...this.ledColor(key, lamp.color),
      lit: lamp.color !== 'off' && modulePatternLit(lamp.pattern, uptime),
    };
  }

  /** The palette color on this key's LEDs (§5.2): a bicolor key makes amber from red and green. */
  private ledColor(key: number, color: LampColor): { red: number; green: number; blue: number } {
    const [red, green, blue] = LAMP_RGB[color];
    const kind = this.hardware.keys[key];
    if (kind === 'bicolor') return { red: red > 0 ? 255 : 0, green: green > 0 ? 255 : 0, blue: 0 };
    if (kind === 'mono') return { red: 255, green: 255, blue: 255 };
    return { red, green, blue };
  }

  /** The lamp the host set for `key` (null when none, or when not ready). */
  lamp(key: number): LampSetting | null {
    return this.session === 'ready' ? (this.lamps[key] ?? null) : null;
  }

  label(key: number): string {
    return this.labels[key] ?? '';
  }

  get info(): ModuleInfo {
    return {
      protocol: { ...PROTOCOL_VERSION },
      firmware: { major: 0, minor: 4, patch: 0 },
      boardId: this.hardware.boardId,
      serial: this.hardware.serial,
      labelChars: this.hardware.labelChars,
      keys: this.hardware.keys.map((lamp) => ({ lamp, hardwarePatterns: true })),
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
    this.outbox = [];
    this.seq = 0;
    this.lastHostSeq = -1;
    this.decoder.reset();
    this.switches = this.hardware.keys.map(() => ({
      raw: false,
      stable: false,
      cancelDebounce: () => undefined,
      cancelLong: () => undefined,
    }));
    // Power-on self test: every LED on for postMs, then the module announces itself.
    this.helloPending = false;
    this.cancelPost = this.clock.after(this.timings.postMs, () => {
      this.session = this.helloPending ? 'ready' : 'announced';
      if (this.session === 'ready') this.feedWatchdog();
      this.announce();
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
      this.lamps = [];
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
      this.hello(frame.seq);
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
    this.lamps = [];
    this.feedWatchdog();
    this.announce();
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

  /** Debounce (§7.1): a change counts once the raw input has been stable for `debounceMs`. */
  private rawInput(key: number, closed: boolean): void {
    const item = this.switches[key]!;
    item.raw = closed;
    item.cancelDebounce();
    item.cancelDebounce = this.clock.after(this.timings.debounceMs, () => {
      if (item.raw === item.stable) return;
      item.stable = item.raw;
      if (item.stable) {
        this.keyEvent(key, 'down');
        item.cancelLong = this.clock.after(this.timings.longPressMs, () => this.keyEvent(key, 'long'));
      } else {
        item.cancelLong();
        this.keyEvent(key, 'up');
      }
    });
  }

  private keyEvent(key: number, event: KeyEventName): void {
    if (this.session !== 'ready') return; // no host to tell: a press while unplugged is not kept
    this.queue({ type: 'key-event', key, event, uptimeMs: Math.round(this.clock.now() - this.bootedAt) });
  }
}
