/**
 * What a key press does (BRIEF §4), pure: the partner's state and the gesture pick an action, from the
 * defaults below or the key's own config (`keys[].actions`).
 *
 * | partner state        | short press | long press |
 * |----------------------|-------------|------------|
 * | idle, unknown, refused | dial      | none       |
 * | ringing              | pickup      | dial       |
 * | busy, calling, held  | dial        | none       |
 */
import type { LampSituation } from './lamp-policy.ts';

export type Gesture = 'short' | 'long';

export type KeyAction =
  | { kind: 'dial' }
  | { kind: 'pickup' }
  /** Dials a code: `{number}` in it stands for the partner's number (an intercom code `*81{number}`). */
  | { kind: 'dial-code'; code: string }
  | { kind: 'none' };

/** Per state (or `default`), per gesture: an action name, or `{ dial-code: "…" }`. */
export type KeyActionConfig = Partial<
  Record<LampSituation | 'default', Partial<Record<Gesture, KeyActionSetting>>>
>;
export type KeyActionSetting = 'dial' | 'pickup' | 'none' | { 'dial-code': string };

const DEFAULTS: Readonly<Record<LampSituation, Record<Gesture, 'dial' | 'pickup' | 'none'>>> = {
  idle: { short: 'dial', long: 'none' },
  unknown: { short: 'dial', long: 'none' },
  refused: { short: 'dial', long: 'none' },
  error: { short: 'dial', long: 'none' },
  ringing: { short: 'pickup', long: 'dial' },
  busy: { short: 'dial', long: 'none' },
  calling: { short: 'dial', long: 'none' },
  held: { short: 'dial', long: 'none' },
};

export function keyAction(state: LampSituation, gesture: Gesture, config: KeyActionConfig = {}): KeyAction {
  const setting = config[state]?.[gesture] ?? config.default?.[gesture];
  if (setting == null) return { kind: DEFAULTS[state][gesture] };
  return typeof setting === 'string' ? { kind: setting } : { kind: 'dial-code', code: setting['dial-code'] };
}

/**
 * Turns a key's down/up/long events into gestures: `long` fires the long gesture once; an `up` that was
 * not preceded by `long` since its `down` is a short press.
 */
export class GestureTracker {
  private readonly held = new Set<number>();

  event(key: number, event: 'down' | 'up' | 'long'): Gesture | null {
    switch (event) {
      case 'down':
        this.held.delete(key);
        return null;
      case 'long':
        this.held.add(key);
        return 'long';
      case 'up':
        if (this.held.delete(key)) return null;
        return 'short';
    }
  }
}
