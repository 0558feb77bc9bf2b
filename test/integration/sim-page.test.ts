/**
 * The simulator's page in a real browser (Debian's Chromium driven by playwright-core): it waits for a
 * key to ring, clicks it, and sees the pickup happen: the key stops ringing and the desk phone is in the
 * call. The screenshot is kept in test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { killAll, startProcess, stopProcess } from '../support/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
afterAll(() => killAll());

it('shows the panel live, and a click on a ringing key picks the call up', { timeout: 90_000 }, async () => {
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
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ], // playwright starts Chromium with a fresh profile directory of its own
  });
  try {
    const deadline = Date.now() + 20_000;
    let url: string | undefined;
    while ((url = /the panel is at (\S+)/.exec(sim.output())?.[1]) == null) {
      if (Date.now() > deadline) throw new Error(`no page URL:\n${sim.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('.key[data-key="6"]');
    const ringing = page.locator('.key[data-state="ringing"]').first();
    await ringing.waitFor({ timeout: 40_000 });
    const key = await ringing.getAttribute('data-key');
    await expect
      .poll(() => page.locator(`.key[data-key="${key}"] .caller`).textContent())
      .toMatch(/^from \d+/);
    await ringing.click();
    await expect
      .poll(() => page.locator('#desk').textContent(), { timeout: 10_000 })
      .toMatch(/in a call with/);
    // The partner's key goes idle: the call it was ringing with is now the desk phone's.
    await expect.poll(() => page.locator(`.key[data-key="${key}"]`).getAttribute('data-state')).toBe('idle');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'sim-page-after-pickup.png'), fullPage: true });
  } finally {
    await browser.close();
    await stopProcess(sim);
  }
});
