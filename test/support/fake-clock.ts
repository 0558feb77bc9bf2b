/** A Clock that moves only when a test advances it. */
import type { Clock } from '../../src/util/clock.ts';

export class FakeClock implements Clock {
  private time = 0;
  private timers: { at: number; fire: () => void; id: number }[] = [];
  private nextId = 0;

  now(): number {
    return this.time;
  }

  after(ms: number, fire: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fire, id });
    return () => {
      this.timers = this.timers.filter((timer) => timer.id !== id);
    };
  }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due == null) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.fire();
    }
    this.time = end;
  }

  /** How long until the next timer falls due; null when none is set. */
  nextDueIn(): number | null {
    const next = Math.min(...this.timers.map((timer) => timer.at));
    return Number.isFinite(next) ? next - this.time : null;
  }

  get pending(): number {
    return this.timers.length;
  }
}
