/**
 * The host driver of the expansion module (firmware-sim/PROTOCOL.md), behind the panel interface.
 *
 *   disconnected ──link open──▶ handshaking (HELLO, wait INFO) ──INFO matches boards.json──▶ ready
 *        ▲                                │ INFO does not match ─▶ unusable (retried slowly)
 *        └── backoff ◀── link closed / 5 unanswered frames / unsolicited INFO (reset)
 *   ready ──NAK not-ready (§6.3: the module lost its session)──▶ HELLO again, after a growing backoff
 *
 * "connected" is said once the module has acknowledged a frame of its session after INFO (the replay,
 * or a heartbeat): a module that takes HELLO and refuses all else is not connected. What the module
 * sends is held to PROTOCOL.md §4.3: a type meant for the module is NAKed `unknown-type`, a key past
 * the board's `bad-key`, a page past its pages `bad-value`, and none of them is passed on.
 *
 * One write queue, stop-and-wait (§4.1). Lamp changes are coalesced: while a frame waits for its ACK,
 * new changes collect, and the next SET_LAMPS carries them all. When the module comes back (replug,
 * reset), every lamp and label is sent again. Key events are acknowledged, applied once, and only while
 * ready: presses from before a handshake are the module's to drop (it empties its queue on HELLO).
 *
 * A module with pages (§7.4) keeps every page's lamps and labels and turns pages by its own page keys:
 * the host addresses every key as the config numbers it, whatever page is in view, and only tells the
 * page keys which pages have a ringing partner (SET_PAGE_LAMPS, page-keys.ts).
 */
import { FrameDecoder, type Frame } from '../../firmware-sim/protocol/framing.ts';
import { StopAndWait } from '../../firmware-sim/protocol/link.ts';
import {
  decodeMessage,
  LAMPS_PER_FRAME,
  PROTOCOL_VERSION,
  type LampSetting,
  type Message,
  type ModuleInfo,
} from '../../firmware-sim/protocol/messages.ts';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { keyCount, type Board } from '../../src/config/boards.ts';
import { PAGE_KEY_LAMPS, RingingPages } from '../../src/panel/page-keys.ts';
import {
  type KeyInfo,
  type PanelDevice,
  type PanelKeyEvent,
  type PanelStatus,
} from '../../src/panel/panel.ts';
import type { Clock } from '../../src/util/clock.ts';
import { openLink, type ByteLink } from './module-link.ts';
import { mismatch, modulePageKeys, refusal } from './module-rules.ts';

export interface SerialModuleOptions {
  /** Retries, heartbeats and reconnects. */
  clock: Clock;
  /** Heartbeat period (§6.3; the module's watchdog is 3 s). */
  heartbeatMs?: number;
  /** Wait for an ACK before sending again, and how often. */
  ackTimeoutMs?: number;
  retries?: number;
}

type LinkState = 'disconnected' | 'handshaking' | 'ready' | 'unusable';

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

export class SerialModulePanel implements PanelDevice {
  readonly decoder = new FrameDecoder();
  /** Frames sent again for want of an ACK (the link's count), NAKs received, reconnects. */
  readonly counters: { readonly retransmissions: number; naks: number; reconnects: number };
  private link: ByteLink | null = null;
  /** Stop-and-wait to the module (§4.1): a frame unanswered after every retry means the link is broken. */
  private readonly frames: StopAndWait;
  private state: LinkState = 'disconnected';
  /** Ready, and a frame of the session acknowledged since INFO: said as connected. */
  private confirmed = false;
  /** What INFO said of the module, for the "connected" line once confirmed. */
  private described = '';
  private readonly desired: (LampSetting | undefined)[] = [];
  private readonly labels: (string | null)[] = [];
  private dirty = new Set<number>();
  private dirtyLabels = new Set<number>();
  private readonly ringing: RingingPages;
  /** The page keys' lamps are to be sent (a ringing partner on a page came or went, or a replay). */
  private pageLampsDirty = false;
  private readonly pageHandlers: ((page: number) => void)[] = [];
  private cancelHeartbeat: () => void = () => undefined;
  private cancelReconnect: () => void = () => undefined;
  private backoffMs = BACKOFF_MIN_MS;
  private closed = false;
  private flushQueued = false;
  private keyHandlers: ((event: PanelKeyEvent) => void)[] = [];
  private statusHandlers: ((status: PanelStatus) => void)[] = [];
  private readonly clock: Clock;
  private readonly keys: number;

  constructor(
    readonly board: Board,
    private readonly address: string,
    private readonly options: SerialModuleOptions,
  ) {
    this.clock = options.clock;
    this.keys = keyCount(board);
    this.ringing = new RingingPages(board.grid.rows * board.grid.columns);
    this.frames = new StopAndWait({
      clock: options.clock,
      retryMs: options.ackTimeoutMs ?? 200,
      retries: options.retries ?? 5,
      write: (bytes) => this.link?.write(bytes),
      gaveUp: (message) => this.lost(`the module did not acknowledge a ${message.type} frame`),
      drained: () => this.flush(),
    });
    const frames = this.frames;
    this.counters = {
      get retransmissions() {
        return frames.retransmissions;
      },
      naks: 0,
      reconnects: 0,
    };
  }

  /** Page keys of the module's own (boards.json `pageKeys`), or 0. */
  private get pageKeys(): number {
    return modulePageKeys(this.board);
  }

  /** Connects, and keeps reconnecting until closed. */
  start(): void {
    void this.connect();
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  setLamp(key: number, lamp: Lamp, info: KeyInfo): void {
    const index = key - 1;
    if (index < 0 || index >= this.keys) return;
    const wanted: LampSetting = { color: lamp.color, pattern: lamp.pattern };
    const current = this.desired[index];
    if (current?.color !== wanted.color || current.pattern !== wanted.pattern) {
      this.desired[index] = wanted;
      this.dirty.add(index);
    }
    // A ringing key says who calls (in the one form callerOf gives), then its own label again.
    const label = info.state === 'ringing' && info.caller != null ? info.caller : info.label;
    if (this.board.labels.kind === 'text' && (this.labels[index] ?? null) !== label) {
      this.labels[index] = label;
      this.dirtyLabels.add(index);
    }
    if (this.ringing.set(key, info.state === 'ringing') && this.pageKeys > 0) this.pageLampsDirty = true;
    // Changes made together (a PBX restart turns every key at once) leave in one frame.
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  /** Nothing waits to be sent or acknowledged. */
  get idle(): boolean {
    return (
      this.frames.pending === 0 &&
      this.dirty.size === 0 &&
      this.dirtyLabels.size === 0 &&
      !this.pageLampsDirty
    );
  }

  onKey(handler: (event: PanelKeyEvent) => void): void {
    this.keyHandlers.push(handler);
  }

  onStatus(handler: (status: PanelStatus) => void): void {
    this.statusHandlers.push(handler);
  }

  onPage(handler: (page: number) => void): void {
    this.pageHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelReconnect();
    this.frames.stop();
    this.cancelHeartbeat();
    this.link?.close();
    this.link = null;
    return Promise.resolve();
  }

  // --- link ----------------------------------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const link = await openLink(this.address, {
        data: (bytes) => this.receive(bytes),
        closed: (reason) => this.lost(reason),
      });
      if (this.closed) {
        link.close();
        return;
      }
      this.link = link;
      this.decoder.reset();
      this.handshake();
    } catch (error) {
      this.status({ state: 'disconnected', detail: error instanceof Error ? error.message : String(error) });
      this.scheduleReconnect();
    }
  }

  private handshake(): void {
    this.state = 'handshaking';
    this.frames.newSession();
    this.frames.send({ type: 'hello', protocol: { ...PROTOCOL_VERSION } });
  }

  /** The link is gone or unusable: start over after a backoff. */
  private lost(reason: string): void {
    if (this.link == null && (this.state === 'disconnected' || this.state === 'unusable')) return;
    this.link?.close();
    this.link = null;
    this.state = 'disconnected';
    this.confirmed = false;
    this.frames.clear();
    this.cancelHeartbeat();
    this.status({ state: 'disconnected', detail: reason });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.cancelReconnect();
    const wait = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.counters.reconnects++;
    this.cancelReconnect = this.clock.after(wait, () => void this.connect());
  }

  private status(status: PanelStatus): void {
    for (const handler of this.statusHandlers) handler(status);
  }

  // --- frames in -----------------------------------------------------------------------------------

  private receive(bytes: Uint8Array): void {
    for (const frame of this.decoder.push(bytes)) this.handle(frame);
  }

  private handle(frame: Frame): void {
    const decoded = decodeMessage(frame);
    if (!decoded.ok) {
      if (frame.seq !== 0) this.frames.reply({ type: 'nak', seq: frame.seq, reason: decoded.reason });
      return;
    }
    const message = decoded.message;
    if (message.type === 'ack') {
      this.frames.answered(message.seq);
      if (this.state === 'ready' && !this.confirmed) this.confirm();
      return;
    }
    if (message.type === 'nak') {
      this.counters.naks++;
      if (message.reason === 'not-ready') this.sessionRefused();
      else this.frames.answered(message.seq); // refused for good: move on
      return;
    }
    if (frame.seq === 0) return;
    const refused = refusal(message, this.board);
    if (refused != null) {
      this.frames.reply({ type: 'nak', seq: frame.seq, reason: refused });
      return;
    }
    this.frames.reply({ type: 'ack', seq: frame.seq });
    if (this.frames.isRepeat(frame.seq)) return; // a retransmission: applied once already
    this.frames.took(frame.seq);
    if (message.type === 'info') this.info(message.info);
    else if (message.type === 'key-event' && this.state === 'ready') {
      for (const handler of this.keyHandlers) handler({ key: message.key + 1, event: message.event });
    } else if (message.type === 'page-shown' && this.state === 'ready') {
      for (const handler of this.pageHandlers) handler(message.page);
    }
  }

  private info(info: ModuleInfo): void {
    if (this.state === 'ready') {
      // The module announced itself again: it was reset and lost every lamp.
      this.handshake();
      return;
    }
    if (this.state !== 'handshaking') return;
    const problem = mismatch(info, this.board);
    if (problem != null) {
      this.state = 'unusable';
      this.status({ state: 'unusable', detail: problem });
      this.link?.close();
      this.link = null;
      this.backoffMs = BACKOFF_MAX_MS;
      this.scheduleReconnect();
      return;
    }
    this.state = 'ready';
    this.confirmed = false;
    this.described = `${info.boardId} ${info.serial}, firmware ${info.firmware.major}.${info.firmware.minor}.${info.firmware.patch}`;
    // Replay: every lamp and label the module should show.
    this.dirty = new Set(this.desired.flatMap((lamp, index) => (lamp == null ? [] : [index])));
    this.dirtyLabels = new Set(this.labels.flatMap((label, index) => (label == null ? [] : [index])));
    this.pageLampsDirty = this.pageKeys > 0;
    this.scheduleHeartbeat();
    this.flush();
  }

  /** The module took a frame of the session after its INFO: it is connected, and the backoff starts over. */
  private confirm(): void {
    this.confirmed = true;
    this.backoffMs = BACKOFF_MIN_MS;
    this.status({ state: 'connected', detail: this.described });
  }

  /**
   * NAK not-ready: the module has no session (§6.3). HELLO again, after a backoff that grows until a
   * session holds, so that a module refusing everything is not asked hundreds of times a second.
   */
  private sessionRefused(): void {
    if (this.state !== 'ready' && this.state !== 'handshaking') return;
    this.state = 'handshaking';
    this.confirmed = false;
    this.frames.clear();
    this.cancelHeartbeat();
    this.status({
      state: 'disconnected',
      detail: 'the module refuses its session (not-ready): starting one again',
    });
    const wait = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.cancelReconnect();
    this.cancelReconnect = this.clock.after(wait, () => {
      if (this.link != null && this.state === 'handshaking') this.handshake();
    });
  }

  // --- frames out ----------------------------------------------------------------------------------

  /** Sends what is dirty, as few frames as possible, when the queue is free (coalescing). */
  private flush(): void {
    if (this.state !== 'ready' || this.frames.pending > 0) return;
    if (this.dirty.size > 0) {
      const indexes = [...this.dirty].sort((a, b) => a - b);
      this.dirty.clear();
      // One run from the lowest to the highest changed key (unchanged keys in between are sent as
      // they are): one byte a key is cheaper than a frame header per run.
      for (let first = indexes[0]!; first <= indexes.at(-1)!; first += LAMPS_PER_FRAME) {
        const last = Math.min(indexes.at(-1)!, first + LAMPS_PER_FRAME - 1);
        const lamps: LampSetting[] = [];
        for (let index = first; index <= last; index++)
          lamps.push(this.desired[index] ?? { color: 'off', pattern: 'off' });
        this.queue({ type: 'set-lamps', first, lamps });
      }
    }
    for (const index of this.dirtyLabels)
      this.queue({ type: 'set-label', key: index, text: this.labels[index] ?? '' });
    this.dirtyLabels.clear();
    if (this.pageLampsDirty) {
      this.pageLampsDirty = false;
      const hidden = Array.from({ length: this.board.grid.pages }, (_, page) =>
        this.ringing.rings(page) ? PAGE_KEY_LAMPS.ringing : PAGE_KEY_LAMPS.quiet,
      );
      this.queue({ type: 'set-page-lamps', shown: PAGE_KEY_LAMPS.shown, hidden });
    }
  }

  private queue(message: Message): void {
    this.frames.send(message);
  }

  private scheduleHeartbeat(): void {
    this.cancelHeartbeat();
    this.cancelHeartbeat = this.clock.after(this.options.heartbeatMs ?? 1000, () => {
      if (this.state !== 'ready') return;
      if (this.frames.pending === 0) this.queue({ type: 'heartbeat' });
      this.scheduleHeartbeat();
    });
  }
}
