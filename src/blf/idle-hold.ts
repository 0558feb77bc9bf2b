/**
 * No flicker (BRIEF §3): on answer innovaphone reports the early dialog `terminated` and, milliseconds
 * later, the call as `proceeding`. A lamp must not flash idle in between, so a change to `idle` is held
 * back for a short time and dropped if any other state arrives first. Pure: the caller owns the clock
 * and calls `settleIdleHold` when `due` passes (src/app/partner-lamps.ts).
 */
import type { LampSituation } from './lamp-policy.ts';

export const DEFAULT_IDLE_HOLD_MS = 150;

export interface IdleHold {
  /** The state the key shows now. */
  shown: LampSituation;
  /** When (clock ms) a held-back idle becomes shown; null when nothing is held back. */
  due: number | null;
}

export function startIdleHold(shown: LampSituation): IdleHold {
  return { shown, due: null };
}

/** A new partner state at `now`. A change from a call state to idle waits `holdMs`; anything else shows at once. */
/** The states a call is in: only a change from one of these to idle is held back. */
const IN_CALL: ReadonlySet<LampSituation> = new Set(['ringing', 'calling', 'busy', 'held']);

export function offerState(hold: IdleHold, next: LampSituation, now: number, holdMs: number): IdleHold {
  if (next !== 'idle') return { shown: next, due: null };
  if (!IN_CALL.has(hold.shown) || holdMs <= 0) return { shown: 'idle', due: null };
  // Keep the first deadline: a repeated idle must not postpone the lamp for ever.
  return { shown: hold.shown, due: hold.due ?? now + holdMs };
}

/** Shows the held-back idle once its time has come. */
export function settleIdleHold(hold: IdleHold, now: number): IdleHold {
  return hold.due != null && now >= hold.due ? { shown: 'idle', due: null } : hold;
}
