/**
 * Generated calls for the simulator (BRIEF §6): between simulated extensions, at a configurable rate,
 * each ringing, then answered or missed, sometimes held, then hung up. Pure and repeatable: a seed and
 * the time give the same calls every run (`lampfield sim --seed`).
 */

export interface CallPlan {
  from: string;
  to: string;
  /** When it starts ringing (ms from the generator's start). */
  at: number;
  ringMs: number;
  /** Null for a missed call. */
  talkMs: number | null;
  /** Ms after answer when the callee holds, and for how long; null for no hold. */
  hold: { after: number; forMs: number } | null;
}

export interface GeneratorOptions {
  extensions: readonly string[];
  /** New calls per minute, across all extensions. */
  callsPerMinute: number;
  ringMs: [number, number];
  talkMs: [number, number];
  /** Chance that a call is not answered. */
  missedShare: number;
  /** Chance that an answered call is held once. */
  holdShare: number;
  seed: number;
}

export const DEFAULT_GENERATOR: Omit<GeneratorOptions, 'extensions' | 'seed'> = {
  callsPerMinute: 12,
  ringMs: [3000, 9000],
  talkMs: [5000, 20000],
  missedShare: 0.25,
  holdShare: 0.2,
};

/** Mulberry32: a small, well-distributed 32-bit generator; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The calls that start before `untilMs`, in start order. */
export function planCalls(options: GeneratorOptions, untilMs: number): CallPlan[] {
  if (options.extensions.length < 2 || options.callsPerMinute <= 0) return [];
  const random = seededRandom(options.seed);
  const between = (range: [number, number]) => Math.round(range[0] + random() * (range[1] - range[0]));
  const meanGapMs = 60_000 / options.callsPerMinute;
  const plans: CallPlan[] = [];
  for (
    let at = -meanGapMs * Math.log(1 - random());
    at < untilMs;
    at += -meanGapMs * Math.log(1 - random())
  ) {
    const fromIndex = Math.floor(random() * options.extensions.length);
    const toIndex =
      (fromIndex + 1 + Math.floor(random() * (options.extensions.length - 1))) % options.extensions.length;
    const missed = random() < options.missedShare;
    const talkMs = missed ? null : between(options.talkMs);
    const held = talkMs != null && random() < options.holdShare;
    plans.push({
      from: options.extensions[fromIndex]!,
      to: options.extensions[toIndex]!,
      at: Math.round(at),
      ringMs: between(options.ringMs),
      talkMs,
      hold: held ? { after: Math.round(talkMs * 0.3), forMs: Math.round(talkMs * 0.4) } : null,
    });
  }
  return plans;
}
