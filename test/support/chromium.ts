/**
 * Debian's Chromium, driven by playwright-core (never a downloaded browser), started the way every
 * browser test here starts it. playwright gives it a fresh profile directory of its own.
 */
import { chromium, type Browser } from 'playwright-core';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      ...['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      ...['--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ],
  });
}

/** The viewports the page must work at: a phone and a laptop (issue "attendant console"). */
export const VIEWPORTS = [
  { name: 'phone 390 px', width: 390, height: 844 },
  { name: 'laptop 1280 px', width: 1280, height: 800 },
] as const;
