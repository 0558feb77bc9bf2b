/**
 * Paces new requests: no more than `perSecond` a second, in the order asked, so that a panel of 160
 * keys starting (or every key re-subscribing after a PBX restart) never floods the PBX.
 */
import type { Clock } from '../util/clock.ts';

export class Pacer {
  private readonly queue: (() => void)[] = [];
  private lastSent = Number.NEGATIVE_INFINITY;
  private cancel: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {}

  /** Runs `send` at its turn. */
  push(send: () => void): void {
    if (this.stopped) return;
    this.queue.push(send);
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.cancel?.();
    this.cancel = null;
  }

  private pump(): void {
    if (this.cancel != null) return;
    while (this.queue.length > 0 && !this.stopped) {
      const wait = this.lastSent + 1000 / this.perSecond - this.clock.now();
      if (wait > 0) {
        this.cancel = this.clock.after(wait, () => {
          this.cancel = null;
          this.pump();
        });
        return;
      }
      this.lastSent = this.clock.now();
      this.queue.shift()!();
    }
  }
}
