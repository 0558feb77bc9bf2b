/**
 * The expansion module's firmware, simulated as it would run on the microcontroller (PROTOCOL.md): a
 * byte stream in and out, its own clock for debounce, long press, blink phases, retries and the
 * watchdog. It shares only the protocol (firmware-sim/protocol: codec and link layer) with the host driver.
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
import { FrameDecoder, type Frame } from '../protocol/framing.ts';
import { StopAndWait } from '../protocol/link.ts';
import {
  decodeMessage,
  PROTOCOL_VERSION,
  type KeyEventName,
  type KeyLamp,
  type LampKindName,
  type LampSetting,
  type Message,
  type ModuleInfo,
} from '../protocol/messages.ts';
import {
  DEFAULT_TIMINGS,
  ledLight,
  type Faults,
  type FirmwareClock,
  type FirmwareTimings,
  type LedOutput,
  type ModuleHardware,
  type Session,
} from './module-hardware.ts';
import type { ModuleDevice, ModuleLinkEnd } from './module-device.ts';
import { Switches } from './module-switches.ts';

/** The page keys' lamps until the host sets them (§5.10): the page in view lit, the others dark. */
const DEFAULT_PAGE_LAMPS = {
  shown: { color: 'white', pattern: 'steady' },
  hidden: [] as LampSetting[],
} as const satisfies { shown: LampSetting; hidden: LampSetting[] };
const DARK: LampSetting = { color: 'off', pattern: 'off' };

export class ModuleFirmware implements ModuleDevice, ModuleLinkEnd {
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
  private readonly switches: Switches;
  /** The key (as the host numbers it) each switch of the page went down as: its release is that key's. */
  private downAs: number[] = [];
  /** Stop-and-wait to the host (§4.1): a frame unanswered after every retry is dropped, and counted. */
  private readonly link: StopAndWait;
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
    this.link = new StopAndWait({
      clock,
      retryMs: this.timings.retryMs,
      retries: this.timings.retries,
      write: (bytes) => this.write(bytes),
      gaveUp: () => this.counters.givenUp++,
    });
    this.switches = new Switches(clock, this.timings, {
      settled: (index, closed) => this.switched(index, closed),
      held: (index) => {
        if (index < this.perPage) this.keyEvent(this.downAs[index] ?? index, 'long');
      },
    });
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
    if (slot < this.perPage) this.switches.chatter(slot, true, bounceMs);
  }

  releaseSwitch(slot: number, bounceMs = 5): void {
    if (slot < this.perPage) this.switches.chatter(slot, false, bounceMs);
  }

  /** The switch of page key `index` (0-based, §7.4) closes. */
  pressPageKey(index: number, bounceMs = 5): void {
    if (index < this.hardware.pageKeys.length) this.switches.chatter(this.perPage + index, true, bounceMs);
  }

  releasePageKey(index: number, bounceMs = 5): void {
    if (index < this.hardware.pageKeys.length) this.switches.chatter(this.perPage + index, false, bounceMs);
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
    return ledLight(this.session, lamp, kind, this.clock.now() - this.bootedAt);
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
    this.cancelWatchdog();
    this.session = 'post';
    this.bootedAt = this.clock.now();
    this.lamps = [];
    this.labels = [];
    this.page = 0;
    this.pageLamps = DEFAULT_PAGE_LAMPS;
    this.link.reset();
    this.decoder.reset();
    this.switches.reset(this.perPage + this.hardware.pageKeys.length);
    this.downAs = [];
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
    this.link.send({ type: 'info', info: this.info });
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
      this.link.answered(message.seq);
      return;
    }
    if (message.type === 'nak') return; // the host refused one of ours: nothing to redo
    if (frame.seq === 0) {
      this.nak(0, 'bad-value');
      return;
    }
    if (this.link.isRepeat(frame.seq)) {
      this.link.reply({ type: 'ack', seq: frame.seq }); // a retransmission: acknowledge again, apply once
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
    this.link.took(frame.seq);
    this.link.reply({ type: 'ack', seq: frame.seq });
  }

  private hello(seq: number): void {
    // A new session: what was queued for an earlier host (key presses while unplugged) is dropped.
    this.link.newSession();
    this.link.took(seq);
    this.link.reply({ type: 'ack', seq });
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
    this.link.clear();
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
    if (this.hardware.pages > 1) this.link.send({ type: 'page-shown', page: this.page });
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
    this.link.reply({ type: 'nak', seq, reason });
  }

  // --- frames out ----------------------------------------------------------------------------------

  /** A frame leaves for the host, through the injected faults (§8 of the simulator). */
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

  /**
   * A switch settled (§7.1). A page key turns the page on its way down (§7.4); a key's events carry the
   * key of the page in view when it went down.
   */
  private switched(index: number, closed: boolean): void {
    if (index >= this.perPage) {
      if (closed) this.turnPage(index - this.perPage);
      return;
    }
    if (closed) this.downAs[index] = this.page * this.perPage + index;
    this.keyEvent(this.downAs[index] ?? index, closed ? 'down' : 'up');
  }

  private keyEvent(key: number, event: KeyEventName): void {
    if (this.session !== 'ready') return; // no host to tell: a press while unplugged is not kept
    this.link.send({ type: 'key-event', key, event, uptimeMs: Math.round(this.clock.now() - this.bootedAt) });
  }
}

function patternsOnModule(lamp: LampKindName): KeyLamp {
  return { lamp, hardwarePatterns: true };
}
