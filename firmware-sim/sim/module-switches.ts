/**
 * The module's switches as its firmware reads them (PROTOCOL.md §7.1): raw contacts that chatter for a
 * few milliseconds, debounced on the firmware's own clock (a change counts once the input has been
 * stable for `debounceMs`), and a long press once a switch has been held `longPressMs`.
 */
import type { FirmwareClock, FirmwareTimings } from './module-hardware.ts';

export interface SwitchEvents {
  /** Switch `index` settled closed (true) or open. */
  settled(index: number, closed: boolean): void;
  /** Switch `index` has been held closed for the long press time. */
  held(index: number): void;
}

interface Switch {
  raw: boolean;
  stable: boolean;
  cancelDebounce: () => void;
  cancelLong: () => void;
}

const NOOP = () => undefined;

export class Switches {
  private switches: Switch[] = [];

  constructor(
    private readonly clock: FirmwareClock,
    private readonly timings: Pick<FirmwareTimings, 'debounceMs' | 'longPressMs'>,
    private readonly events: SwitchEvents,
  ) {}

  /** `count` switches, all open, no timer running (power-on). */
  reset(count: number): void {
    for (const item of this.switches) {
      item.cancelDebounce();
      item.cancelLong();
    }
    this.switches = Array.from({ length: count }, () => ({
      raw: false,
      stable: false,
      cancelDebounce: NOOP,
      cancelLong: NOOP,
    }));
  }

  /** Contact chatter: the raw input flips a few times within `bounceMs`, settling at `closed`. */
  chatter(index: number, closed: boolean, bounceMs: number): void {
    if (this.switches[index] == null) return;
    const flips = bounceMs > 0 ? 4 : 0;
    for (let i = 0; i < flips; i++) {
      this.clock.after((bounceMs * i) / flips, () => this.rawInput(index, i % 2 === 0 ? closed : !closed));
    }
    this.clock.after(bounceMs, () => this.rawInput(index, closed));
  }

  private rawInput(index: number, closed: boolean): void {
    const item = this.switches[index];
    if (item == null) return;
    item.raw = closed;
    item.cancelDebounce();
    item.cancelDebounce = this.clock.after(this.timings.debounceMs, () => {
      if (item.raw === item.stable) return;
      item.stable = item.raw;
      item.cancelLong();
      if (item.stable)
        item.cancelLong = this.clock.after(this.timings.longPressMs, () => this.events.held(index));
      this.events.settled(index, item.stable);
    });
  }
}
