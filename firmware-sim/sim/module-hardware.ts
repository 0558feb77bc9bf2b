/**
 * What a simulated module is made of (PROTOCOL.md §7): its keys and their lamps, its labels and pages,
 * the clock its firmware runs on, its timings, and the faults a test can inject.
 */
import { LAMP_RGB, type LampColor } from '../protocol/lamp.ts';
import { modulePatternLit, type LampKindName, type LampSetting } from '../protocol/messages.ts';

/** The firmware's session (PROTOCOL.md §6): what its LEDs show depends on it. */
export type Session = 'post' | 'announced' | 'ready' | 'host-lost';

export interface FirmwareClock {
  now(): number;
  after(ms: number, fire: () => void): () => void;
}

export interface ModuleHardware {
  boardId: string;
  serial: string;
  /** The lamp of every key a host addresses: `pages` pages of keys.length / pages keys (§7.4). */
  keys: readonly LampKindName[];
  labelChars: number;
  /** 1 for a module without pages. */
  pages: number;
  /** The lamps of the module's own page keys (§7.4): none, one (the next page) or one per page. */
  pageKeys: readonly LampKindName[];
}

/** Faults injected as data (§8 of the simulator): what a bad cable, a busy MCU or a reset does. */
export interface Faults {
  /** Chance that a byte the module receives is lost. */
  dropRate?: number;
  /** Chance that a frame the module sends has one byte flipped. */
  corruptRate?: number;
  /** Delay before each frame the module sends, ms. */
  delayMs?: number;
  /** 0..1; injectable so that a test run is repeatable. */
  random?: () => number;
}

export interface FirmwareTimings {
  postMs: number;
  debounceMs: number;
  longPressMs: number;
  watchdogMs: number;
  retryMs: number;
  retries: number;
}

/** PROTOCOL.md §6–§7. */
export const DEFAULT_TIMINGS: FirmwareTimings = {
  postMs: 300,
  debounceMs: 20,
  longPressMs: 600,
  watchdogMs: 3000,
  retryMs: 100,
  retries: 5,
};

export interface LedOutput {
  red: number;
  green: number;
  blue: number;
  lit: boolean;
}

/**
 * What a key's LEDs show at `uptime` (blink phases from one clock, §5.3): all white during POST, the
 * "host lost" pattern while no host drives the module (§6.3), else the host's lamp.
 */
export function ledLight(
  session: Session,
  lamp: LampSetting | undefined,
  kind: LampKindName | undefined,
  uptime: number,
): LedOutput {
  if (session === 'post') return { red: 255, green: 255, blue: 255, lit: true };
  if (session !== 'ready')
    return { red: 255, green: 160, blue: 0, lit: modulePatternLit('host-lost', uptime) };
  if (lamp == null) return { red: 0, green: 0, blue: 0, lit: false };
  return {
    ...ledColor(kind, lamp.color),
    lit: lamp.color !== 'off' && modulePatternLit(lamp.pattern, uptime),
  };
}

/** The palette color on a key's LEDs (§5.2): a bicolor key makes amber from red and green. */
function ledColor(
  kind: LampKindName | undefined,
  color: LampColor,
): { red: number; green: number; blue: number } {
  const [red, green, blue] = LAMP_RGB[color];
  if (kind === 'bicolor') return { red: red > 0 ? 255 : 0, green: green > 0 ? 255 : 0, blue: 0 };
  if (kind === 'mono') return { red: 255, green: 255, blue: 255 };
  return { red, green, blue };
}
