/**
 * What a lamp is (BRIEF §3), the one owner of its meaning: a color from one palette and a pattern, the
 * light each color makes (RGB drive) and each pattern's on/off timing. Every panel shows lamps from
 * here: the module's firmware runs these timings on its own clock and its protocol maps these names to
 * wire codes (firmware-sim/PROTOCOL.md §5.2, §5.3); panels that blink in software (GPIO, HID, Stream
 * Deck) follow the same timings, so all panels blink in one rhythm and show one color for one state.
 * Pure.
 *
 * It lives with the module's protocol, the lowest layer: the palette and the timings are what the
 * protocol carries and the firmware (simulated or in C) runs, and the protocol depends on nothing above
 * it. The pure core (src/blf, its lamp policy) and everything above import it from here.
 */

export const LAMP_COLORS = [
  'off',
  'red',
  'green',
  'amber',
  'yellow',
  'blue',
  'cyan',
  'magenta',
  'white',
] as const;
export type LampColor = (typeof LAMP_COLORS)[number];

export const LAMP_PATTERNS = ['off', 'steady', 'slow-blink', 'fast-blink', 'flash'] as const;
export type LampPattern = (typeof LAMP_PATTERNS)[number];

export interface Lamp {
  color: LampColor;
  pattern: LampPattern;
}

/** A dark key. */
export const OFF_LAMP: Lamp = { color: 'off', pattern: 'off' };

export type Rgb = readonly [number, number, number];

/** The light of each color at full drive, as an RGB LED or a drawn key shows it (PROTOCOL.md §5.2). */
export const LAMP_RGB: Readonly<Record<LampColor, Rgb>> = {
  off: [0, 0, 0],
  red: [255, 0, 0],
  green: [0, 255, 0],
  amber: [255, 160, 0],
  yellow: [255, 255, 0],
  blue: [0, 0, 255],
  cyan: [0, 255, 255],
  magenta: [255, 0, 255],
  white: [255, 255, 255],
};

/** A blink: lit while (uptime mod period) < on, on a clock shared by every key (PROTOCOL.md §5.3). */
export interface PatternTiming {
  period: number;
  on: number;
}

export const PATTERN_TIMING: Readonly<Record<LampPattern, PatternTiming>> = {
  off: { period: 1, on: 0 },
  steady: { period: 1, on: 1 },
  'slow-blink': { period: 1000, on: 500 },
  'fast-blink': { period: 250, on: 125 },
  flash: { period: 1000, on: 100 },
};

/** The patterns that turn on and off (the others need no clock). */
export const BLINKING_PATTERNS: readonly LampPattern[] = ['slow-blink', 'fast-blink', 'flash'];

/** Whether a blink with `timing` is lit at `uptimeMs`. */
export function timingLit(timing: PatternTiming, uptimeMs: number): boolean {
  const { period, on } = timing;
  return ((uptimeMs % period) + period) % period < on;
}

/** Whether a lamp with `pattern` is lit at `uptimeMs` on a clock shared by every key. */
export function patternLit(pattern: LampPattern, uptimeMs: number): boolean {
  return timingLit(PATTERN_TIMING[pattern], uptimeMs);
}
