/**
 * An Elgato Stream Deck as a panel (BRIEF §5): each key is a small screen, drawn by key-image.ts with the
 * lamp's color and pattern (blinking by redrawing on the shared blink clock), the partner's label and the
 * caller of a ringing call. Keys report down and up; long press is timed here.
 *
 *   waiting (none plugged in) ──found──▶ connected ──error (unplugged)──▶ waiting, every 2 s
 *                                  └─ wrong model for the board ─▶ unusable, retried every 10 s
 *
 * When the deck comes back every key is drawn again. Drawing is one queue: a key whose face changed while
 * another was being sent is drawn once, with its latest face.
 */
import type { PreparedBuffer, StreamDeck, StreamDeckButtonControlDefinition } from '@elgato-stream-deck/core';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import type { Board } from '../../src/config/boards.ts';
import {
  errorText,
  HostDrivenPanel,
  UNUSABLE_RETRY_MS,
  type DeviceSource,
  type HostDrivenPanelOptions,
} from '../../src/panel/host-driven-panel.ts';
import { DEFAULT_SWITCH_TIMINGS } from '../../src/panel/key-switches.ts';
import type { KeyInfo } from '../../src/panel/panel.ts';
import { drawKey, type KeyFace } from './key-image.ts';

/** Where the panel finds its Stream Deck: USB (stream-deck-usb.ts) or a fake device in tests. */
export type StreamDeckSource = DeviceSource<StreamDeck>;

const RETRY_MS = 2000;

type LcdButton = StreamDeckButtonControlDefinition & { feedbackType: 'lcd' };

export class StreamDeckPanel extends HostDrivenPanel {
  private deck: StreamDeck | null = null;
  private buttons: LcdButton[] = [];
  private readonly infos = new Map<number, KeyInfo>();
  private readonly faces = new Map<number, KeyFace>();
  private readonly dirty = new Set<number>();
  /** Per key, the last faces sent, so that blinking resends a prepared image instead of drawing again. */
  private readonly prepared = new Map<number, Map<string, PreparedBuffer>>();
  private drawing: Promise<void> | null = null;

  constructor(
    board: Board,
    private readonly source: StreamDeckSource,
    options: HostDrivenPanelOptions,
  ) {
    super(board, options.clock, options.blink, {
      debounceMs: 0,
      longPressMs: options.longPressMs ?? DEFAULT_SWITCH_TIMINGS.longPressMs,
    });
  }

  start(): void {
    void this.connect();
  }

  get ready(): boolean {
    return this.deck != null;
  }

  setLamp(key: number, lamp: Lamp, info: KeyInfo): void {
    if (key < 1 || key > this.keys) return;
    const before = this.infos.get(key);
    this.infos.set(key, info);
    const shown = this.lamps.get(key);
    this.lamps.set(key, lamp);
    // The lamp is the same but the words changed (a new caller): draw the key again.
    if (shown?.color === lamp.color && shown.pattern === lamp.pattern && !sameWords(before, info)) {
      const face = this.faces.get(key);
      if (face != null) this.show(key, lamp, face.lit);
    }
  }

  /** Resolves once every key shows its latest face (or the deck is gone). */
  async drawn(): Promise<void> {
    while (this.drawing != null) await this.drawing;
  }

  async close(): Promise<void> {
    this.stop();
    await this.drawn();
    const deck = this.deck;
    this.deck = null;
    await deck?.close().catch(() => undefined);
  }

  // --- device ----------------------------------------------------------------------------------------

  private async connect(): Promise<void> {
    const deck = await this.openDevice(this.source, RETRY_MS, () => void this.connect());
    if (deck == null) return;
    const buttons = deck.CONTROLS.filter(
      (control): control is LcdButton => control.type === 'button' && control.feedbackType === 'lcd',
    ).sort((a, b) => a.index - b.index);
    if (buttons.length !== this.keys) {
      this.status({
        state: 'unusable',
        detail: `${deck.PRODUCT_NAME} has ${buttons.length} keys with screens, board "${this.board.id}" has ${this.keys}`,
      });
      await deck.close().catch(() => undefined);
      this.retry(UNUSABLE_RETRY_MS, () => void this.connect());
      return;
    }
    this.deck = deck;
    this.buttons = buttons;
    this.prepared.clear();
    // Keys are the buttons with screens, in the deck's order (row by row); other controls (the Neo's
    // touch points, the + dials) are not partner keys.
    const keyOf = new Map(buttons.map((button, index) => [button.index, index + 1]));
    const press = (control: { type: string; index: number }, down: boolean) => {
      const key = control.type === 'button' ? keyOf.get(control.index) : undefined;
      if (key != null) this.switches.raw(key, down);
    };
    deck.on('down', (control) => press(control, true));
    deck.on('up', (control) => press(control, false));
    deck.on('error', (error) => void this.lost(deck, `${deck.PRODUCT_NAME}: ${errorText(error)}`));
    this.status({ state: 'connected', detail: `${deck.PRODUCT_NAME}, ${buttons.length} keys` });
    // A deck that comes back shows its logo or stale images: draw every key, dark ones included.
    for (let key = 1; key <= this.keys; key++) if (!this.lamps.get(key)) this.show(key, OFF, false);
    this.lamps.replay();
  }

  private async lost(deck: StreamDeck, reason: string): Promise<void> {
    if (this.deck !== deck) return;
    this.deck = null;
    this.switches.reset();
    deck.removeAllListeners();
    await deck.close().catch(() => undefined);
    this.status({ state: 'disconnected', detail: reason });
    this.retry(RETRY_MS, () => void this.connect());
  }

  // --- drawing ---------------------------------------------------------------------------------------

  protected show(key: number, lamp: Lamp, lit: boolean): void {
    const info = this.infos.get(key);
    this.faces.set(key, {
      lamp,
      lit,
      label: info?.label ?? null,
      caller: info?.state === 'ringing' ? info.caller : null,
    });
    this.dirty.add(key);
    this.drawing ??= this.drawDirty().finally(() => (this.drawing = null));
  }

  private async drawDirty(): Promise<void> {
    for (;;) {
      const deck = this.deck;
      const key = this.dirty.values().next().value;
      if (deck == null || key == null) return;
      this.dirty.delete(key);
      const face = this.faces.get(key)!;
      const button = this.buttons[key - 1]!;
      try {
        const id = JSON.stringify(face);
        let images = this.prepared.get(key);
        let image = images?.get(id);
        if (image == null) {
          const { width, height } = button.pixelSize;
          image = await deck.prepareFillKeyBuffer(button.index, drawKey(face, width, height), {
            format: 'rgba',
          });
          // Two faces a key: lit and dark, all a blinking key needs.
          if (images == null || images.size >= 2)
            this.prepared.set(key, (images = new Map<string, PreparedBuffer>()));
          images.set(id, image);
        }
        await deck.sendPreparedBuffer(image);
      } catch (error) {
        this.dirty.add(key);
        await this.lost(deck, `${deck.PRODUCT_NAME}: ${errorText(error)}`);
        return;
      }
    }
  }
}

const OFF: Lamp = { color: 'off', pattern: 'off' };

const sameWords = (a: KeyInfo | undefined, b: KeyInfo) =>
  a != null &&
  a.label === b.label &&
  a.caller === b.caller &&
  (a.state === 'ringing') === (b.state === 'ringing');
