/**
 * The simulator's page in a real browser (Debian's Chromium driven by playwright-core), open at a phone's
 * width and a laptop's: it waits for a key to ring, clicks it on the phone, and sees the pickup happen on
 * both: the key stops ringing, the desk phone is in the call, and the key and the list of recent presses
 * say what the press did. The screenshot is kept in test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { launchChromium, VIEWPORTS } from '../support/chromium.ts';
import { killAll, startProcess, stopProcess } from '../support/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
afterAll(() => killAll());

it(
  'shows the panel live at 390 and 1280 px; a click on a ringing key picks the call up, and both pages say so',
  { timeout: 90_000 },
  async () => {
    const sim = startProcess(process.execPath, [
      BIN,
      'sim',
      '--keys',
      '6',
      '--rate',
      '40',
      '--seed',
      '5',
      '--port',
      '0',
      '--json',
    ]);
    const browser = await launchChromium();
    try {
      const deadline = Date.now() + 20_000;
      let url: string | undefined;
      while ((url = /the panel is at (\S+)/.exec(sim.output())?.[1]) == null) {
        if (Date.now() > deadline) throw new Error(`no page URL:\n${sim.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [phone, laptop] = await Promise.all(
        VIEWPORTS.map(async (viewport) => {
          const page = await browser.newPage({ viewport });
          await page.goto(url);
          await page.waitForSelector('.key[data-key="6"]');
          return page;
        }),
      );
      const ringing = phone!.locator('.key[data-state="ringing"]').first();
      await ringing.waitFor({ timeout: 40_000 });
      const key = (await ringing.getAttribute('data-key'))!;
      const caller = (await phone!.locator(`.key[data-key="${key}"] .caller`).textContent())!;
      expect(caller).toMatch(/^from \d+$/); // the simulator's outside callers, by number
      await ringing.click();
      for (const page of [phone!, laptop!]) {
        await expect
          .poll(() => page.locator('#desk').textContent(), { timeout: 10_000 })
          .toMatch(/in a call with/);
        // The partner's key goes idle: the call it was ringing with is now the desk phone's.
        await expect
          .poll(() => page.locator(`.key[data-key="${key}"]`).getAttribute('data-state'))
          .toBe('idle');
        // What the press did, on the key and at the top of the recent presses.
        const words = `picked up Ext ${210 + Number(key)}'s call ${caller}`;
        await expect.poll(() => page.locator(`.key[data-key="${key}"] .outcome`).textContent()).toBe(words);
        expect(await page.locator('#presses li').first().textContent()).toMatch(
          new RegExp(`key ${key} ${words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
        );
      }
      mkdirSync(ARTIFACTS, { recursive: true });
      await laptop!.screenshot({ path: join(ARTIFACTS, 'sim-page-after-pickup.png'), fullPage: true });
    } finally {
      await browser.close();
      await stopProcess(sim);
    }
  },
);
