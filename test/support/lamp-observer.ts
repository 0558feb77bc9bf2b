/**
 * Watches one key of a panel over three seconds of fake time and says what a person would see: the color
 * while lit and the blink pattern from the measured on and off times (firmware-sim/PROTOCOL.md §5.3:
 * slow-blink 500 of 1000 ms, fast-blink 125 of 250 ms, flash 100 of 1000 ms).
 */
import type { FakeClock } from './fake-clock.ts';

export interface Seen {
  color: string;
  pattern: string;
}

const PATTERNS: Record<string, string> = {
  '1000/500': 'slow-blink',
  '250/125': 'fast-blink',
  '1000/100': 'flash',
};

/** `read` gives the key's color now ('off' when dark), after `settle` has let the driver draw. */
export async function watchKey(
  clock: FakeClock,
  read: () => string,
  settle: () => Promise<void> = () => Promise.resolve(),
): Promise<Seen> {
  const step = 5;
  const samples: string[] = [];
  for (let t = 0; t < 3000; t += step) {
    await settle();
    samples.push(read());
    clock.advance(step);
  }
  const colors = new Set(samples.filter((color) => color !== 'off'));
  if (colors.size === 0) return { color: 'off', pattern: 'off' };
  const color = colors.size === 1 ? [...colors][0]! : [...colors].join('+');
  if (samples.every((sample) => sample !== 'off')) return { color, pattern: 'steady' };
  // Starts of lit runs, and their lengths; the first and last runs may be cut by the window.
  const starts: number[] = [];
  const lengths: number[] = [];
  samples.forEach((sample, i) => {
    const lit = sample !== 'off';
    const wasLit = i > 0 && samples[i - 1] !== 'off';
    if (lit && !wasLit) {
      starts.push(i);
      lengths.push(1);
    } else if (lit) lengths[lengths.length - 1]! += 1;
  });
  const round = (ms: number) => Math.round(ms / 25) * 25;
  const period = starts.length > 2 ? round((starts[2]! - starts[1]!) * step) : 0;
  const on = lengths.length > 2 ? round(lengths[1]! * step) : 0;
  return { color, pattern: PATTERNS[`${period}/${on}`] ?? `unknown ${period}/${on} ms` };
}
