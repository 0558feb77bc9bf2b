/**
 * Turns each key's partner state into the lamp its board shows, with the no-flicker hold of a change to
 * idle (src/blf/idle-hold.ts) timed on an injected clock. Calls `show` only when a key's lamp changes.
 */
import {
  DEFAULT_IDLE_HOLD_MS,
  offerState,
  settleIdleHold,
  startIdleHold,
  type IdleHold,
} from '../blf/idle-hold.ts';
import type { Lamp } from '../blf/lamp.ts';
import { lampFor, type LampCapability, type LampSituation, type LampTable } from '../blf/lamp-policy.ts';
import type { Clock } from '../util/clock.ts';

export interface KeyLampSetup {
  key: number;
  table: LampTable;
  capability: LampCapability;
}

export interface LampChange {
  key: number;
  state: LampSituation;
  lamp: Lamp;
}

interface KeyLamp extends KeyLampSetup {
  hold: IdleHold;
  lamp: Lamp | null;
  cancel: (() => void) | null;
  /** While set, the key shows its error lamp (a failed press) instead of the partner's state. */
  cancelError: (() => void) | null;
}

export class LampFeed {
  private readonly keys = new Map<number, KeyLamp>();

  constructor(
    private readonly clock: Clock,
    keys: readonly KeyLampSetup[],
    private readonly show: (change: LampChange) => void,
    private readonly idleHoldMs: number = DEFAULT_IDLE_HOLD_MS,
  ) {
    for (const setup of keys) {
      this.keys.set(setup.key, {
        ...setup,
        hold: startIdleHold('unknown'),
        lamp: null,
        cancel: null,
        cancelError: null,
      });
    }
  }

  /** A key's partner is now in `state` (or its subscription was refused: `refused`). */
  offer(key: number, state: LampSituation): void {
    const entry = this.keys.get(key);
    if (entry == null) return;
    const now = this.clock.now();
    entry.hold = offerState(entry.hold, state, now, this.idleHoldMs);
    entry.cancel?.();
    entry.cancel = null;
    if (entry.hold.due != null) {
      const due = entry.hold.due;
      entry.cancel = this.clock.after(Math.max(0, due - now), () => {
        entry.cancel = null;
        // A timer may fire a fraction of a millisecond before the clock reads `due`: it is due.
        entry.hold = settleIdleHold(entry.hold, Math.max(this.clock.now(), due));
        this.render(entry);
      });
    }
    this.render(entry);
  }

  /** Flashes the key's error lamp for `ms` (a press that failed), then shows the partner's state again. */
  flashError(key: number, ms: number): void {
    const entry = this.keys.get(key);
    if (entry == null) return;
    entry.cancelError?.();
    entry.cancelError = this.clock.after(ms, () => {
      entry.cancelError = null;
      this.render(entry);
    });
    this.render(entry);
  }

  /** Shows every key's current lamp again (after a panel reconnects). */
  replay(): void {
    for (const entry of this.keys.values()) {
      entry.lamp = null;
      this.render(entry);
    }
  }

  private render(entry: KeyLamp): void {
    const state = entry.cancelError != null ? 'error' : entry.hold.shown;
    const lamp = lampFor(state, entry.table, entry.capability);
    if (entry.lamp != null && entry.lamp.color === lamp.color && entry.lamp.pattern === lamp.pattern) return;
    entry.lamp = lamp;
    this.show({ key: entry.key, state, lamp });
  }
}
