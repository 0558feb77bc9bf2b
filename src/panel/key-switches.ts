/**
 * Key switches read by the host (GPIO buttons, Stream Deck keys, HID keypad bits): debounce and long
 * press on an injected clock, turning raw closed/open levels into the panel interface's down, long and up
 * (BRIEF §5). The expansion module does the same in its own firmware (firmware-sim/PROTOCOL.md §7.1);
 * these timings match it, so a key feels the same on every panel.
 */
import type { Clock } from '../util/clock.ts';
import type { PanelKeyEvent } from './panel.ts';

export interface SwitchTimings {
  /** A change counts once the raw level has been stable this long; 0 for inputs debounced already. */
  debounceMs: number;
  /** Held this long, a press is a long press (`long` is reported once, `up` still follows). */
  longPressMs: number;
}

export const DEFAULT_SWITCH_TIMINGS: SwitchTimings = { debounceMs: 20, longPressMs: 600 };

interface SwitchState {
  raw: boolean;
  stable: boolean;
  cancelDebounce: () => void;
  cancelLong: () => void;
}

export class KeySwitches {
  private readonly switches = new Map<number, SwitchState>();

  constructor(
    private readonly clock: Clock,
    private readonly timings: SwitchTimings,
    private readonly emit: (event: PanelKeyEvent) => void,
  ) {}

  /** The raw level of `key`'s switch changed (closed = pressed). */
  raw(key: number, closed: boolean): void {
    let item = this.switches.get(key);
    if (item == null) {
      item = { raw: false, stable: false, cancelDebounce: () => undefined, cancelLong: () => undefined };
      this.switches.set(key, item);
    }
    item.raw = closed;
    item.cancelDebounce();
    if (this.timings.debounceMs <= 0) this.settle(key, item);
    else item.cancelDebounce = this.clock.after(this.timings.debounceMs, () => this.settle(key, item));
  }

  /** Forgets every switch (the device went away): a key held then reports nothing more. */
  reset(): void {
    for (const item of this.switches.values()) {
      item.cancelDebounce();
      item.cancelLong();
    }
    this.switches.clear();
  }

  private settle(key: number, item: SwitchState): void {
    if (item.raw === item.stable) return;
    item.stable = item.raw;
    if (item.stable) {
      this.emit({ key, event: 'down' });
      item.cancelLong = this.clock.after(this.timings.longPressMs, () => this.emit({ key, event: 'long' }));
    } else {
      item.cancelLong();
      this.emit({ key, event: 'up' });
    }
  }
}
