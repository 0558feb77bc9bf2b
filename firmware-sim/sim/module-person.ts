/**
 * A person at the simulated module: to press a key that is on a page out of view, they first press that
 * page's page key (PROTOCOL.md §7.4), then the key. Used by the terminal's `press N` and the simulator's
 * page, where keys are numbered as the host numbers them (from 1, page by page).
 */
import type { ModuleDevice } from './module-device.ts';
import type { FirmwareClock } from './module-hardware.ts';

/** How long a finger stays on a page key, and waits before the next switch. */
const PAGE_KEY_MS = 60;

/** Presses key `key` (from 1) for `holdMs`, turning to its page first; false for a key the module lacks. */
export function pressAsPerson(
  firmware: ModuleDevice,
  key: number,
  holdMs: number,
  clock: Pick<FirmwareClock, 'after'>,
): boolean {
  const { perPage } = firmware;
  const { pages, pageKeys } = firmware.hardware;
  if (!Number.isInteger(key) || key < 1 || key > perPage * pages) return false;
  const page = Math.floor((key - 1) / perPage);
  // One key per page shows its page; a single page key is pressed until the page comes round.
  const taps =
    page === firmware.shownPage
      ? []
      : pageKeys.length === pages
        ? [page]
        : Array.from({ length: (page - firmware.shownPage + pages) % pages }, () => 0);
  taps.forEach((index, i) => {
    clock.after(i * 2 * PAGE_KEY_MS, () => firmware.pressPageKey(index));
    clock.after((i * 2 + 1) * PAGE_KEY_MS, () => firmware.releasePageKey(index));
  });
  const start = taps.length * 2 * PAGE_KEY_MS;
  const slot = (key - 1) % perPage;
  clock.after(start, () => firmware.pressSwitch(slot));
  clock.after(start + holdMs, () => firmware.releaseSwitch(slot));
  return true;
}
