/**
 * The shared software blink clock: panels whose hardware cannot run patterns (GPIO LEDs, Stream Deck keys,
 * HID keypad LEDs) ask it whether a pattern is lit now, and are called back at every phase change. One
 * clock per process, so every key blinking with one pattern is in phase, on every panel, in the rhythm
 * of firmware-sim/protocol/lamp.ts, which the expansion module's firmware runs too (firmware-sim/PROTOCOL.md §5.3).
 */
import {
  BLINKING_PATTERNS,
  PATTERN_TIMING,
  patternLit,
  type LampPattern,
} from '../../firmware-sim/protocol/lamp.ts';
import type { Clock } from '../util/clock.ts';

export class BlinkClock {
  private readonly followers = new Set<() => void>();
  private cancel: (() => void) | null = null;
  private readonly epoch: number;

  constructor(private readonly clock: Clock) {
    this.epoch = clock.now();
  }

  /** Whether a lamp with `pattern` is lit now. */
  lit(pattern: LampPattern): boolean {
    return patternLit(pattern, this.clock.now() - this.epoch);
  }

  static blinks(pattern: LampPattern): boolean {
    return BLINKING_PATTERNS.includes(pattern);
  }

  /**
   * Calls `changed` at every moment one of the blinking patterns turns on or off, until the returned
   * function is called. The clock runs only while someone follows it.
   */
  follow(changed: () => void): () => void {
    this.followers.add(changed);
    if (this.cancel == null) this.schedule();
    return () => {
      this.followers.delete(changed);
      if (this.followers.size === 0) {
        this.cancel?.();
        this.cancel = null;
      }
    };
  }

  private schedule(): void {
    const uptime = this.clock.now() - this.epoch;
    let wait = Infinity;
    for (const pattern of BLINKING_PATTERNS) {
      const { period, on } = PATTERN_TIMING[pattern];
      const phase = uptime % period;
      wait = Math.min(wait, phase < on ? on - phase : period - phase);
    }
    this.cancel = this.clock.after(Math.max(1, Math.ceil(wait)), () => {
      for (const follower of [...this.followers]) follower();
      if (this.followers.size > 0) this.schedule();
      else this.cancel = null;
    });
  }
}
