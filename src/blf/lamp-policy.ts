/**
 * The lamp policy: which lamp a key shows for its partner's state (BRIEF §3 table), overridable per state
 * (config `lamps:`) and per key (`keys[].lamps:`), then folded to what the board can show. Pure.
 */
import { OFF_LAMP, type Lamp, type LampColor, type LampPattern } from '../../firmware-sim/protocol/lamp.ts';
import { PARTNER_STATES, type PartnerState } from './partner-state.ts';

/** What one key's lamp hardware can show (boards.json `lamp`). */
export type LampCapability = 'rgb' | 'bicolor' | 'mono' | 'none';

/** The partner states, plus `refused` (the PBX refused the subscription) and `error` (a press failed). */
export type LampSituation = PartnerState | 'refused' | 'error';
export const LAMP_SITUATIONS: readonly LampSituation[] = [...PARTNER_STATES, 'refused', 'error'];

/** One row of the table: the lamp on a color board, and the pattern on a single-color board. */
export interface LampRule {
  color: LampColor;
  pattern: LampPattern;
  mono: LampPattern;
}
export type LampTable = Readonly<Record<LampSituation, LampRule>>;
export type LampOverrides = Partial<Record<LampSituation, Partial<LampRule>>>;

/** BRIEF §3. */
export const DEFAULT_LAMPS: LampTable = {
  ringing: { color: 'red', pattern: 'fast-blink', mono: 'fast-blink' },
  busy: { color: 'red', pattern: 'steady', mono: 'steady' },
  calling: { color: 'red', pattern: 'slow-blink', mono: 'steady' },
  held: { color: 'amber', pattern: 'slow-blink', mono: 'slow-blink' },
  idle: { color: 'green', pattern: 'steady', mono: 'off' },
  // No phone registered: calm and unlike idle on every board (amber steady on red/green LEDs, off on one).
  offline: { color: 'white', pattern: 'steady', mono: 'off' },
  unknown: { color: 'off', pattern: 'off', mono: 'off' },
  refused: { color: 'amber', pattern: 'flash', mono: 'flash' },
  error: { color: 'red', pattern: 'flash', mono: 'flash' },
};

/** The table for one key: the defaults, then the global overrides, then the key's own. */
export function resolveLampTable(...layers: readonly (LampOverrides | undefined)[]): LampTable {
  const table = { ...DEFAULT_LAMPS };
  for (const layer of layers) {
    if (layer == null) continue;
    for (const situation of LAMP_SITUATIONS) {
      const override = layer[situation];
      if (override != null) table[situation] = { ...table[situation], ...override };
    }
  }
  return table;
}

/**
 * Two LEDs, red and green, make red, green and amber (both on). Other colors go to the one of the
 * three that a person reads the same way: warm colors to amber, cold ones to green.
 */
const BICOLOR: Readonly<Record<LampColor, LampColor>> = {
  off: 'off',
  red: 'red',
  green: 'green',
  amber: 'amber',
  yellow: 'amber',
  magenta: 'red',
  blue: 'green',
  cyan: 'green',
  white: 'amber',
};

export function lampFor(situation: LampSituation, table: LampTable, capability: LampCapability): Lamp {
  const rule = table[situation];
  switch (capability) {
    case 'none':
      return OFF_LAMP;
    case 'mono':
      // A single LED has one color; the mono column says how it lights. Its color is the rule's, for a
      // driver that wants one; a dark lamp is always off/off.
      return rule.mono === 'off' || rule.color === 'off'
        ? OFF_LAMP
        : { color: rule.color, pattern: rule.mono };
    case 'bicolor':
      return normalize({ color: BICOLOR[rule.color], pattern: rule.pattern });
    case 'rgb':
      return normalize({ color: rule.color, pattern: rule.pattern });
  }
}

function normalize(lamp: Lamp): Lamp {
  return lamp.pattern === 'off' || lamp.color === 'off' ? OFF_LAMP : lamp;
}
