/// <reference lib="dom" />
/**
 * The page as a person sees it, in Debian's Chromium at a phone's width (390 px) and a laptop's (1280
 * px): the real page server on 127.0.0.1 showing module-160rgb keys fed as the watcher feeds them, on a
 * fake clock. A ringing key reads red in both phases of its blink, a page not in view where a partner
 * rings says so on its tab, nothing is wider than the screen, a click or a typed number presses a key,
 * and what the press came to shows on the key and in the list of recent presses.
 *
 * The laptop view of a busy reception is saved in test-artifacts/, or with LAMPFIELD_SCREENSHOT=FILE
 * (npm run screenshot) there: the README's picture.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { LAMP_SITUATIONS, DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { loadBoards } from '../../src/config/boards.ts';
import type { KeyView } from '../../src/panel/panel.ts';
import { startPanelServer, type PanelServer } from '../../src/web/panel-server.ts';
import { launchChromium, VIEWPORTS } from '../support/chromium.ts';
import { deuteranopeSignature, signatureDistance } from '../support/color-vision.ts';
import { FakeClock } from '../support/fake-clock.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const board = loadBoards().find((candidate) => candidate.id === 'module-160rgb')!;
/** Keys 1..24 and 45 are configured: three pages of 20 in use, 25..40 unused. */
const USED = [...Array.from({ length: 24 }, (_, i) => i + 1), 45];
const lamp = (state: KeyView['state']) => lampFor(state, DEFAULT_LAMPS, 'rgb');
const view = (key: number, state: KeyView['state'], extra: Partial<KeyView> = {}): KeyView => ({
  key,
  partner: `sip:${200 + key}@pbx`,
  label: `Ext ${200 + key}`,
  state,
  lamp: lamp(state),
  caller: null,
  ...extra,
});

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

interface Rig {
  server: PanelServer;
  clock: FakeClock;
  presses: [number, string][];
  page: Page;
  close(): Promise<void>;
}

async function open(viewport: { width: number; height: number }): Promise<Rig> {
  const clock = new FakeClock();
  const presses: [number, string][] = [];
  const server = await startPanelServer({
    board,
    port: 0,
    keys: USED,
    legend: LAMP_SITUATIONS.map((state) => ({ state, lamp: lamp(state) })),
    clock,
    press: (key, gesture) => presses.push([key, gesture]),
  });
  server.deskPhone('desk phone 201: idle');
  server.pbxShown({ up: true, detail: 'watching 25 partners on 127.0.0.1:5060' });
  for (const key of USED) server.keyShown(view(key, 'idle'));
  server.keyShown(view(3, 'ringing', { caller: 'Anna Berg' }));
  server.keyShown(view(5, 'busy'));
  server.keyShown(view(6, 'held'));
  server.keyShown(view(7, 'unknown'));
  server.keyShown(view(8, 'refused'));
  clock.advance(83_000); // key 5's call has lasted 1:23
  server.keyShown(view(9, 'calling'));
  const page = await browser.newPage({ viewport });
  await page.goto(server.url);
  await page.locator('.key[data-key="3"][data-state="ringing"]').waitFor();
  return {
    server,
    clock,
    presses,
    page,
    close: async () => {
      await page.close();
      await server.close();
    },
  };
}

/** What a key looks like at a moment of its blink: the animation paused there. */
async function keyAt(page: Page, key: number, atMs: number) {
  return page.locator(`.key[data-key="${key}"]`).evaluate((element, at) => {
    for (const animation of element.getAnimations()) {
      animation.pause();
      // The page starts each blink with a negative delay, so that keys blinking alike are in phase:
      // `at` into a blink period is that delay plus whole periods on.
      const timing = animation.effect!.getTiming();
      animation.currentTime = at + Number(timing.delay ?? 0) + 10 * Number(timing.duration);
    }
    const style = getComputedStyle(element);
    return { background: style.backgroundColor, text: style.color, border: style.borderTopColor };
  }, atMs);
}

const RED = 'rgb(238, 51, 51)';

describe.each(VIEWPORTS.map((viewport) => [viewport.name, viewport] as const))(
  'the page at %s',
  (_name, viewport) => {
    it('shows a ringing key red in both phases of its blink, with the caller and the label', async () => {
      const rig = await open(viewport);
      try {
        const lit = await keyAt(rig.page, 3, 60); // fast-blink: lit for the first 200 ms of 400
        const dark = await keyAt(rig.page, 3, 300);
        expect(lit.background).toBe(RED);
        expect(dark.background).not.toBe(RED); // it does blink
        expect(dark.border).toBe(RED); // and still reads as ringing
        expect(dark.text).toBe(RED);
        const ringing = rig.page.locator('.key[data-key="3"]');
        expect(await ringing.locator('.label').textContent()).toBe('Ext 203');
        expect(await ringing.locator('.caller').textContent()).toBe('from Anna Berg');
        // An idle key is green; an unused one is dimmed and says so.
        expect((await keyAt(rig.page, 1, 0)).background).toBe('rgb(51, 204, 68)');
        const unused = rig.page.locator('.key[data-key="30"]');
        expect(await unused.getAttribute('class')).toContain('unused');
        expect(Number(await unused.evaluate((element) => getComputedStyle(element).opacity))).toBeLessThan(
          0.5,
        );
        expect(await unused.locator('.detail').textContent()).toBe('unused');
        // A call's duration while busy.
        expect(await rig.page.locator('.key[data-key="5"] .detail').textContent()).toMatch(
          /^■ in a call · 1:2\d$/,
        );
      } finally {
        await rig.close();
      }
    });

    it('has a tab per page in use, and a tab rings while a partner on it rings out of view', async () => {
      const rig = await open(viewport);
      try {
        const tabs = rig.page.locator('#tabs .tab');
        expect(await tabs.allTextContents()).toEqual(['Page 1', 'Page 2', 'Page 3']);
        expect(await rig.page.locator('.key[data-key="45"]').isVisible()).toBe(false);
        rig.server.keyShown(view(45, 'ringing', { caller: '217' }));
        const third = rig.page.locator('#tabs .tab[data-page="3"]');
        await expect.poll(() => third.textContent()).toBe('Page 3 · 1 ringing');
        expect(await third.getAttribute('class')).toContain('ringing');
        expect(await rig.page.locator('#tabs .tab[data-page="1"]').getAttribute('class')).not.toContain(
          'ringing',
        ); // key 3 rings on page 1, but page 1 is in view: its tab is quiet
        await third.click();
        expect(await rig.page.locator('.key[data-key="45"]').isVisible()).toBe(true);
        expect(await rig.page.locator('.key[data-key="3"]').isVisible()).toBe(false);
        expect(await third.getAttribute('aria-selected')).toBe('true');
        // The module's own page keys turned it to page 2: that tab says so.
        rig.server.pageShown(1);
        await expect
          .poll(() => tabs.allTextContents())
          .toEqual(['Page 1 · 1 ringing', 'Page 2 · on the panel', 'Page 3']);
      } finally {
        await rig.close();
      }
    });

    it('keeps every key where it is while a press shows its outcome, which says one thing at a time', async () => {
      const rig = await open(viewport);
      try {
        const boxes = () =>
          rig.page.$$eval('.grid:not([hidden]) .key', (keys) =>
            keys.map((key) => {
              const box = key.getBoundingClientRect();
              return [box.x, box.y, box.width, box.height].map(Math.round).join(' ');
            }),
          );
        const before = await boxes();
        // Every key of the board the same size, whatever it says.
        expect(new Set(before.map((box) => box.split(' ').slice(2).join(' '))).size).toBe(1);
        rig.server.pressShown({
          id: 1,
          key: 3,
          stage: 'started',
          text: "picking up Ext 203's call from Anna Berg, who has a rather long name for a key",
        });
        const key = rig.page.locator('.key[data-key="3"]');
        await key.locator('.outcome').waitFor({ state: 'visible' });
        expect(await boxes()).toEqual(before);
        // The outcome in place of the state and the caller: never "RINGING" and "picking up…" at once.
        for (const part of ['.detail', '.caller'])
          expect(await key.locator(part).evaluate((element) => getComputedStyle(element).visibility)).toBe(
            'hidden',
          );
        rig.clock.advance(9000);
        rig.server.pressShown({ id: 1, key: 3, stage: 'done', text: "picked up Ext 203's call" });
        rig.server.keyShown(view(3, 'idle'));
        await expect.poll(() => key.locator('.outcome').textContent()).toBe('');
        expect(await key.locator('.detail').evaluate((element) => getComputedStyle(element).visibility)).toBe(
          'visible',
        );
        expect(await boxes()).toEqual(before);
      } finally {
        await rig.close();
      }
    });

    it("keeps the board's columns, with the recent presses on the first screen", async () => {
      const rig = await open(viewport);
      try {
        const columns = await rig.page
          .locator('.grid:not([hidden])')
          .evaluate((grid) => getComputedStyle(grid).gridTemplateColumns.split(' ').length);
        expect(columns).toBe(board.grid.columns);
        const recent = await rig.page.locator('#recent-title').boundingBox();
        expect(recent!.y + recent!.height).toBeLessThanOrEqual(viewport.height);
      } finally {
        await rig.close();
      }
    });

    it('blinks at most three times a second, the legend out of phase with the keys', async () => {
      const rig = await open(viewport);
      try {
        const blinks = await rig.page.evaluate(() =>
          document.getAnimations().map((animation) => {
            const timing = animation.effect!.getTiming();
            const target = (animation.effect as KeyframeEffect).target as HTMLElement;
            const period = Number(timing.duration);
            const phase =
              (((Number(animation.currentTime) - Number(timing.delay)) % period) + period) % period;
            return { key: target.dataset['key'], legend: target.dataset['legend'], period, phase };
          }),
        );
        expect(blinks.length).toBeGreaterThan(3);
        // WCAG 2.3.1: no more than three flashes in any one second.
        for (const blink of blinks) expect(blink.period).toBeGreaterThanOrEqual(1000 / 3);
        const key = blinks.find((blink) => blink.key === '3')!;
        const legend = blinks.find((blink) => blink.legend === 'ringing')!;
        const apart = (((key.phase - legend.phase) % key.period) + key.period) % key.period;
        expect(Math.abs(apart - key.period / 2)).toBeLessThan(40);
      } finally {
        await rig.close();
      }
    });

    it('blinks nothing for whoever asks for less motion: a steady outline instead', async () => {
      const rig = await open(viewport);
      try {
        await rig.page.emulateMedia({ reducedMotion: 'reduce' });
        await expect
          .poll(() =>
            rig.page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running').length),
          )
          .toBe(0);
        const outline = (key: number) =>
          rig.page
            .locator(`.key[data-key="${key}"]`)
            .evaluate((element) => [
              getComputedStyle(element).outlineStyle,
              getComputedStyle(element).outlineWidth,
            ]);
        expect(await outline(3)).toEqual(['solid', '3px']); // ringing: fast
        expect(await outline(6)).toEqual(['dashed', '3px']); // held: slow
        expect((await outline(5))[0]).toBe('none'); // in a call: steady anyway
      } finally {
        await rig.close();
      }
    });

    it("shows ringing, in a call and calling out apart without their words and colors (a deuteranope's eye)", async () => {
      const rig = await open(viewport);
      try {
        rig.server.keyShown(view(10, 'busy'));
        await rig.page.locator('.key[data-key="10"][data-state="busy"]').waitFor();
        // The words hidden: only what a key is drawn as is left.
        await rig.page.addStyleTag({ content: '.key * { visibility: hidden !important; }' });
        const seen = async (key: number) =>
          deuteranopeSignature(
            await rig.page.locator(`.key[data-key="${key}"]`).screenshot({ animations: 'disabled' }),
          );
        const [ringing, busy, calling, alsoBusy] = await Promise.all([3, 5, 9, 10].map(seen));
        // Two keys in a call look alike (the measure is not noise)…
        expect(signatureDistance(busy!, alsoBusy!)).toBeLessThan(0.008);
        // …and each of the three red states looks unlike the others, by several times that.
        expect(signatureDistance(ringing!, busy!)).toBeGreaterThan(0.016);
        expect(signatureDistance(calling!, busy!)).toBeGreaterThan(0.016);
        expect(signatureDistance(ringing!, calling!)).toBeGreaterThan(0.016);
      } finally {
        await rig.close();
      }
    });

    it('is never wider than the screen', async () => {
      const rig = await open(viewport);
      try {
        const widths = await rig.page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
          widest: Math.max(
            ...[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right),
          ),
        }));
        expect(widths.scroll).toBeLessThanOrEqual(widths.client);
        expect(widths.widest).toBeLessThanOrEqual(viewport.width);
      } finally {
        await rig.close();
      }
    });

    it('presses a key on a click, shows the outcome on the key and in the recent presses', async () => {
      const rig = await open(viewport);
      try {
        await rig.page.locator('.key[data-key="3"]').click();
        await expect.poll(() => rig.presses).toEqual([[3, 'short']]);
        rig.server.pressShown({
          id: 1,
          key: 3,
          stage: 'started',
          text: "picking up Ext 203's call from Anna Berg",
        });
        const outcome = rig.page.locator('.key[data-key="3"] .outcome');
        await expect.poll(() => outcome.textContent()).toBe("picking up Ext 203's call from Anna Berg");
        rig.server.pressShown({
          id: 1,
          key: 3,
          stage: 'done',
          text: "picked up Ext 203's call from Anna Berg",
        });
        await expect.poll(() => outcome.textContent()).toBe("picked up Ext 203's call from Anna Berg");
        rig.server.pressShown({
          id: 2,
          key: 5,
          stage: 'failed',
          text: 'failed: the desk phone is busy (486 Busy Here)',
        });
        const list = rig.page.locator('#presses li');
        await expect
          .poll(() => list.allTextContents())
          .toEqual([
            expect.stringMatching(/key 5 failed: the desk phone is busy \(486 Busy Here\)$/),
            expect.stringMatching(/key 3 picked up Ext 203's call from Anna Berg$/),
          ]);
        expect(await rig.page.locator('.key[data-key="5"] .outcome').getAttribute('data-stage')).toBe(
          'failed',
        );
      } finally {
        await rig.close();
      }
    });

    it('presses keys from the keyboard: a number and Enter, arrows and Enter, Shift+Enter held', async () => {
      const rig = await open(viewport);
      try {
        await rig.page.keyboard.type('12');
        await rig.page.keyboard.press('Enter');
        await rig.page.keyboard.press('ArrowRight');
        await rig.page.keyboard.press('Shift+Enter');
        await expect
          .poll(() => rig.presses)
          .toEqual([
            [12, 'short'],
            [13, 'long'],
          ]);
        // Page Down brings page 2 into view, its first key focused.
        await rig.page.keyboard.press('PageDown');
        expect(
          await rig.page.locator('.key[data-key="21"]').evaluate((e) => e === document.activeElement),
        ).toBe(true);
      } finally {
        await rig.close();
      }
    });

    it('says when the PBX does not answer, and when the page has lost lampfield', async () => {
      const rig = await open(viewport);
      try {
        const connection = rig.page.locator('#connection');
        await expect.poll(() => connection.textContent()).toBe('● live');
        rig.server.pbxShown({ up: false, detail: 'the PBX at 127.0.0.1:5060 does not answer' });
        await expect.poll(() => connection.textContent()).toBe('PBX unreachable');
        expect(await connection.getAttribute('title')).toBe('the PBX at 127.0.0.1:5060 does not answer');
        await rig.server.close();
        await expect.poll(() => connection.textContent()).toBe('reconnecting to lampfield…');
      } finally {
        await rig.page.close();
      }
    });
  },
);

describe('the README picture', () => {
  it('is the laptop view of a busy reception (in test-artifacts/, or where LAMPFIELD_SCREENSHOT says)', async () => {
    const rig = await open(
      process.env['LAMPFIELD_SCREENSHOT_WIDTH'] === '390'
        ? { width: 390, height: 900 }
        : { width: 1280, height: 720 },
    );
    try {
      rig.server.pressShown({ id: 1, key: 2, stage: 'done', text: 'called Ext 202' });
      rig.server.pressShown({
        id: 2,
        key: 4,
        stage: 'failed',
        text: 'failed: the desk phone is busy (486 Busy Here)',
      });
      rig.server.keyShown(view(45, 'ringing', { caller: '217' }));
      await expect.poll(() => rig.page.locator('#presses li').count()).toBe(2);
      // Still, for a picture that does not change each time it is made: the ringing keys lit, every
      // other blink in its dark phase (which the page draws in the lamp's color).
      await rig.page.evaluate(() => {
        for (const animation of document.getAnimations()) {
          const timing = animation.effect!.getTiming();
          const target = (animation.effect as KeyframeEffect).target;
          const lit = target?.getAttribute('data-state') === 'ringing';
          animation.pause();
          animation.currentTime =
            Number(timing.delay ?? 0) + (10 + (lit ? 0.1 : 0.6)) * Number(timing.duration);
        }
      });
      const path = process.env['LAMPFIELD_SCREENSHOT'] ?? join(ARTIFACTS, 'lampfield-page.png');
      mkdirSync(dirname(path), { recursive: true });
      await rig.page.screenshot({ path });
    } finally {
      await rig.close();
    }
  });
});
