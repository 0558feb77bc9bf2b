/**
 * What a page key shows, on every board with pages (the module's own page keys, PROTOCOL.md §5.10; the
 * last key of a board paged in software, paged-panel.ts; the status page's tabs follow the same rule):
 * the page in view lit white; a page out of view blinking fast red while a partner on it rings, as the
 * page keys of a Yealink EXP expansion module do, so that a call on a hidden page is never missed.
 */
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';

export const PAGE_KEY_LAMPS = {
  /** The page in view (and a single page key while no page out of view rings). */
  shown: { color: 'white', pattern: 'steady' },
  /** A page out of view on which a partner rings. */
  ringing: { color: 'red', pattern: 'fast-blink' },
  /** A page out of view on which none rings (where each page has a key of its own). */
  quiet: { color: 'off', pattern: 'off' },
} as const satisfies Record<string, Lamp>;

/** Which pages have a ringing partner, from each key's state as it is shown (keys from 1). */
export class RingingPages {
  private readonly ringing = new Set<number>();

  constructor(private readonly perPage: number) {}

  /** Notes whether `key`'s partner rings; true when that changed. */
  set(key: number, ringing: boolean): boolean {
    if (this.ringing.has(key) === ringing) return false;
    if (ringing) this.ringing.add(key);
    else this.ringing.delete(key);
    return true;
  }

  /** Whether a partner on `page` (from 0) rings. */
  rings(page: number): boolean {
    for (const key of this.ringing) if (Math.floor((key - 1) / this.perPage) === page) return true;
    return false;
  }

  /** Whether a partner on any page but `page` rings. */
  ringsBesides(page: number): boolean {
    for (const key of this.ringing) if (Math.floor((key - 1) / this.perPage) !== page) return true;
    return false;
  }
}
