/**
 * Lamps that the host blinks itself (GPIO LEDs, Stream Deck keys, HID keypad LEDs): remembers each key's
 * lamp, shows it at once, and shows it again at every phase change of the shared blink clock while it
 * blinks. `ledsFor` says which LEDs of a key are on for a lamp, for boards that light LEDs by color.
 */
import type { Lamp, LampColor } from '../../firmware-sim/protocol/lamp.ts';
import type { LampLines } from '../config/boards.ts';
import { BlinkClock } from './blink-clock.ts';

export class SoftwareLamps {
  private readonly lamps = new Map<number, { lamp: Lamp; lit: boolean }>();
  private readonly blinking = new Set<number>();
  private unfollow: (() => void) | null = null;

  /** `show` draws `lamp` on `key` as lit or dark now. */
  constructor(
    private readonly blink: BlinkClock,
    private readonly show: (key: number, lamp: Lamp, lit: boolean) => void,
  ) {}

  set(key: number, lamp: Lamp): void {
    const lit = this.lit(lamp);
    const before = this.lamps.get(key);
    this.lamps.set(key, { lamp, lit });
    if (before?.lamp.color !== lamp.color || before.lamp.pattern !== lamp.pattern || before.lit !== lit)
      this.show(key, lamp, lit);
    if (BlinkClock.blinks(lamp.pattern)) this.blinking.add(key);
    else this.blinking.delete(key);
    this.follow();
  }

  get(key: number): Lamp | undefined {
    return this.lamps.get(key)?.lamp;
  }

  /** Shows every lamp again (the device came back and shows nothing). */
  replay(): void {
    for (const [key, entry] of this.lamps) {
      entry.lit = this.lit(entry.lamp);
      this.show(key, entry.lamp, entry.lit);
    }
  }

  close(): void {
    this.unfollow?.();
    this.unfollow = null;
  }

  private lit(lamp: Lamp): boolean {
    return lamp.color !== 'off' && this.blink.lit(lamp.pattern);
  }

  /** Follows the blink clock only while some lamp blinks. */
  private follow(): void {
    const blinking = this.blinking.size > 0;
    if (blinking && this.unfollow == null) this.unfollow = this.blink.follow(() => this.tick());
    else if (!blinking) this.close();
  }

  private tick(): void {
    for (const key of this.blinking) {
      const entry = this.lamps.get(key)!;
      const lit = this.lit(entry.lamp);
      if (lit === entry.lit) continue;
      entry.lit = lit;
      this.show(key, entry.lamp, lit);
    }
  }
}

/** The LEDs of each color in each lamp color: amber is red and green together (BRIEF §5). */
const CHANNELS: Readonly<Record<LampColor, readonly ('red' | 'green' | 'blue')[]>> = {
  off: [],
  red: ['red'],
  green: ['green'],
  amber: ['red', 'green'],
  yellow: ['red', 'green'],
  blue: ['blue'],
  cyan: ['green', 'blue'],
  magenta: ['red', 'blue'],
  white: ['red', 'green', 'blue'],
};

/** Which LEDs are on for `lamp` when `lit`: `on` for a single LED, and each color's own LED. */
export function ledsFor(lamp: Lamp, lit: boolean): Required<LampLines<boolean>> {
  const channels = lit ? CHANNELS[lamp.color] : [];
  return {
    on: lit && lamp.color !== 'off',
    red: channels.includes('red'),
    green: channels.includes('green'),
    blue: channels.includes('blue'),
  };
}
