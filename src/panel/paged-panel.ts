/**
 * Pages of keys on a board that has none of its own (config `pages`): a Stream Deck Mini's 6 keys, a
 * keypad's 12, watching 40 partners. The board's last key is the page key: a press shows the next page.
 * Keys are numbered page by page as on a board with pages (key 7 of a 6-key board is page 2's first;
 * key 6, 12, … are the page key). Every page's lamps are kept here, so a page switch draws the page at
 * once. The page key says which page is in view (its label, where the board draws labels) and blinks
 * fast red while a partner on a page out of view rings, as a Yealink expansion module's page keys do.
 */
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { pageKeySlot, pagedBoard, type Board } from '../config/boards.ts';
import { PAGE_KEY_LAMPS, RingingPages } from './page-keys.ts';
import type { KeyInfo, PanelDevice, PanelKeyEvent, PanelStatus } from './panel.ts';

const DARK: Lamp = { color: 'off', pattern: 'off' };
const EMPTY: KeyInfo = { partner: '', state: 'unknown', label: null, caller: null };

export class PagedPanel implements PanelDevice {
  /** The board as keys are numbered on it: the inner board's grid on `pages` pages. */
  readonly board: Board;
  private readonly perPage: number;
  private readonly shown = new Map<number, { lamp: Lamp; info: KeyInfo }>();
  private readonly ringing: RingingPages;
  private readonly pageHandlers: ((page: number) => void)[] = [];
  private page = 0;
  private pageKeyDrawn = '';

  constructor(
    private readonly inner: PanelDevice,
    private readonly pages: number,
  ) {
    this.board = pagedBoard(inner.board, pages);
    this.perPage = pageKeySlot(inner.board);
    this.ringing = new RingingPages(this.perPage);
  }

  /** The page in view, from 0. */
  get currentPage(): number {
    return this.page;
  }

  setLamp(key: number, lamp: Lamp, info: KeyInfo): void {
    const slot = (key - 1) % this.perPage;
    if (slot === this.perPage - 1 || key < 1 || key > this.perPage * this.pages) return; // the page key
    this.shown.set(key, { lamp, info });
    this.ringing.set(key, info.state === 'ringing');
    if (Math.floor((key - 1) / this.perPage) === this.page) this.inner.setLamp(slot + 1, lamp, info);
    this.drawPageKey();
  }

  onKey(handler: (event: PanelKeyEvent) => void): void {
    this.inner.onKey((event) => {
      if (event.key === this.perPage) {
        // The page key turns the page on its release; holding it does nothing more.
        if (event.event === 'up') this.showPage((this.page + 1) % this.pages);
        return;
      }
      handler({ ...event, key: this.page * this.perPage + event.key });
    });
  }

  onPage(handler: (page: number) => void): void {
    this.pageHandlers.push(handler);
    handler(this.page);
  }

  onStatus(handler: (status: PanelStatus) => void): void {
    this.inner.onStatus(handler);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private showPage(page: number): void {
    this.page = page;
    for (let slot = 1; slot < this.perPage; slot++) {
      const kept = this.shown.get(page * this.perPage + slot);
      this.inner.setLamp(slot, kept?.lamp ?? DARK, kept?.info ?? EMPTY);
    }
    this.drawPageKey();
    for (const handler of this.pageHandlers) handler(page);
  }

  private drawPageKey(): void {
    const ringingElsewhere = this.ringing.ringsBesides(this.page);
    const label = `Page ${this.page + 1}/${this.pages}`;
    const drawn = `${label} ${ringingElsewhere}`;
    if (drawn === this.pageKeyDrawn) return;
    this.pageKeyDrawn = drawn;
    this.inner.setLamp(this.perPage, ringingElsewhere ? PAGE_KEY_LAMPS.ringing : PAGE_KEY_LAMPS.shown, {
      ...EMPTY,
      state: ringingElsewhere ? 'ringing' : 'idle',
      label,
    });
  }
}
