/**
 * What a key press does (BRIEF §4), pure: the partner's state and the gesture pick an action, from the
 * defaults below or the key's own config (`keys[].actions`).
 *
 * | partner state        | short press | long press | short, desk phone in a call |
 * |----------------------|-------------|------------|-----------------------------|
 * | idle, unknown, refused | dial      | none       | transfer                    |
 * | offline              | dial        | none       | none (no caller to a dead phone) |
 * | ringing              | pickup      | dial       | pickup                      |
 * | busy, calling, held  | dial        | none       | transfer                    |
 *
 * "In a call" is the desk phone's confirmed, not held call (phone.watch, or a call lampfield keeps as
 * controller), as Yealink, Poly and FOP2 consoles transfer the call in progress to the partner.
 */
import type { LampSituation } from './lamp-policy.ts';

export type Gesture = 'short' | 'long';

export type KeyAction =
  | { kind: 'dial' }
  | { kind: 'pickup' }
  /** Dials a code: `{number}` in it stands for the partner's number (an intercom code `*81{number}`). */
  | { kind: 'dial-code'; code: string }
  /** Transfers the desk phone's call in progress to the partner (a blind transfer, RFC 5589). */
  | { kind: 'transfer' }
  | { kind: 'none' };

/**
 * Per state (or `default`), per gesture: an action name, or `{ dial-code: "…" }`; and `inCall`, what a
 * short press does while the desk phone is in a call.
 */
export type KeyActionConfig = Partial<Record<LampSituation | 'default', StateActions>>;
export type StateActions = Partial<Record<Gesture, KeyActionSetting>> & { inCall?: InCallSetting };
export type KeyActionSetting = 'dial' | 'pickup' | 'none' | { 'dial-code': string };
export type InCallSetting = 'transfer' | 'dial' | 'pickup' | 'none';

const DEFAULTS: Readonly<Record<LampSituation, Record<Gesture, 'dial' | 'pickup' | 'none'>>> = {
  idle: { short: 'dial', long: 'none' },
  // The PBX may still route a call to an unregistered partner (voicemail, forwarding).
  offline: { short: 'dial', long: 'none' },
  unknown: { short: 'dial', long: 'none' },
  refused: { short: 'dial', long: 'none' },
  error: { short: 'dial', long: 'none' },
  ringing: { short: 'pickup', long: 'dial' },
  busy: { short: 'dial', long: 'none' },
  calling: { short: 'dial', long: 'none' },
  held: { short: 'dial', long: 'none' },
};

const IN_CALL_DEFAULTS: Readonly<Record<LampSituation, InCallSetting>> = {
  idle: 'transfer',
  // A caller transferred to a phone that is not plugged in is a caller lost.
  offline: 'none',
  unknown: 'transfer',
  refused: 'transfer',
  error: 'transfer',
  ringing: 'pickup',
  busy: 'transfer',
  calling: 'transfer',
  held: 'transfer',
};

/** The action of `gesture` on a key whose partner is in `state`; `inCall`: the desk phone is in a call. */
export function keyAction(
  state: LampSituation,
  gesture: Gesture,
  config: KeyActionConfig = {},
  inCall = false,
): KeyAction {
  if (inCall && gesture === 'short')
    return { kind: config[state]?.inCall ?? config.default?.inCall ?? IN_CALL_DEFAULTS[state] };
  const setting = config[state]?.[gesture] ?? config.default?.[gesture];
  if (setting == null) return { kind: DEFAULTS[state][gesture] };
  return typeof setting === 'string' ? { kind: setting } : { kind: 'dial-code', code: setting['dial-code'] };
}

/**
 * Turns a key's down/up/long events into gestures: `long` fires the long gesture once; an `up` that was
 * not preceded by `long` since its `down` is a short press. An `up` or a `long` with no `down` before it
 * (a panel that lost events, or sends garbage) is no gesture.
 *
 *   (up) ──down──▶ pressed ──up──▶ short, (up)
 *                     └──long──▶ held ──up──▶ (up)
 */
export class GestureTracker {
  private readonly keys = new Map<number, 'pressed' | 'held'>();

  event(key: number, event: 'down' | 'up' | 'long'): Gesture | null {
    const before = this.keys.get(key);
    switch (event) {
      case 'down':
        this.keys.set(key, 'pressed');
        return null;
      case 'long':
        if (before !== 'pressed') return null;
        this.keys.set(key, 'held');
        return 'long';
      case 'up':
        this.keys.delete(key);
        return before === 'pressed' ? 'short' : null;
    }
  }
}

/**
 * How often presses are carried out (BRIEF §10: input never floods the PBX): a key's press is ignored
 * while its last one is still being carried out, or within `minIntervalMs` of it, and no more than
 * `perSecond` presses of all keys pass in any second. Pure: the time comes in.
 */
export class PressGate {
  private readonly busy = new Set<number>();
  private readonly last = new Map<number, number>();
  private readonly passed: number[] = [];

  constructor(
    private readonly minIntervalMs = 250,
    private readonly perSecond = 8,
  ) {}

  /** Whether a press of `key` at `now` is carried out; if so, it is busy until `done(key)`. */
  admit(key: number, now: number): boolean {
    if (this.busy.has(key)) return false;
    const last = this.last.get(key);
    if (last != null && now - last < this.minIntervalMs) return false;
    while (this.passed.length > 0 && now - this.passed[0]! >= 1000) this.passed.shift();
    if (this.passed.length >= this.perSecond) return false;
    this.passed.push(now);
    this.last.set(key, now);
    this.busy.add(key);
    return true;
  }

  done(key: number): void {
    this.busy.delete(key);
  }
}
