/**
 * `lampfield run --service` (the boot-time service) on a config with mistakes: it does not exit (systemd
 * would restart it in a loop); every key flashes the error lamp, the log says each mistake once, and the
 * status page lists them with their lines. SIGTERM ends it cleanly.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { killAll, startProcess, stopProcess, type Started } from '../support/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));

async function until<T>(what: string, started: Started, read: () => T | null | undefined): Promise<T> {
  for (;;) {
    const value = read();
    if (value != null) return value;
    if (started.child.exitCode != null) throw new Error(`exited before ${what}:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The first snapshot of the page's event stream. */
async function firstSnapshot(url: string): Promise<{ problems: { file: string; lines: string[] } | null }> {
  const response = await fetch(new URL('events', url));
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('\n\n'))
    text += new TextDecoder().decode(((await reader.read()) as { value?: Uint8Array }).value);
  await reader.cancel();
  return JSON.parse(text.slice('data: '.length, text.indexOf('\n\n'))) as {
    problems: { file: string; lines: string[] } | null;
  };
}

/** A config with two mistakes, on lines 3 and 7, and a page on a free port. */
/** A config with two mistakes; `web: false` leaves its web section out (the page then takes 8080). */
function brokenConfig(web = true): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lampfield-service-')), 'lampfield.yaml');
  writeFileSync(
    file,
    [
      'pbx:',
      '  host: 127.0.0.1',
      '  transport: sctp',
      'account: { user: "900" }',
      'keys:',
      '  - { key: 1, partner: "207" }',
      '  - { key: 2 }',
      ...(web ? ['web: { port: 0 }'] : []),
      '',
    ].join('\n'),
  );
  return file;
}

afterAll(killAll);

describe('lampfield run --service with config mistakes', () => {
  it('flashes every key, lists each mistake with its line on the page, and waits', async () => {
    const file = brokenConfig(false);
    const lampfield = startProcess(process.execPath, [BIN, 'run', '--service', '--config', file]);
    try {
      const url = await until('the page', lampfield, () => /listed at (\S+)/.exec(lampfield.output())?.[1]);
      // The console board (the config names none): each of its 16 lines flashing red.
      const lamps = await until('the lamps', lampfield, () => {
        const lines = lampfield
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{"key"'));
        return lines.length >= 16 ? lines.map((line) => JSON.parse(line) as Record<string, unknown>) : null;
      });
      expect(lamps.map((lamp) => lamp['key'])).toEqual([...Array(16).keys()].map((index) => index + 1));
      for (const lamp of lamps) {
        expect(lamp).toMatchObject({ state: 'error', lamp: { color: 'red', pattern: 'flash' } });
      }
      const snapshot = await firstSnapshot(url);
      expect(snapshot.problems).toEqual({
        file,
        lines: [
          'line 3: /pbx/transport: must be one of "udp", "tcp", "tls"',
          "line 7: key 2: must have required property 'partner'",
        ],
      });
      // The same mistakes in the log: the one-line form, then one log entry naming the page.
      expect(lampfield.output()).toContain(
        `lampfield run: ${file}:3: /pbx/transport: must be one of "udp", "tcp", "tls"\n`,
      );
      expect(lampfield.output()).toMatch(
        /"page":"http[^\n]*"msg":"the config has mistakes; every key flashes/,
      );
      expect(lampfield.child.exitCode).toBeNull();
      // The config has no web section: the page is on the README's port 8080, or, while another program
      // (another test) holds 8080, on a free one, said so.
      const taken = /port 8080 is taken by another program; the mistakes are listed on a free port instead/;
      if (!taken.test(lampfield.output())) expect(url).toBe('http://127.0.0.1:8080/');
    } finally {
      expect(await stopProcess(lampfield)).toBe(0);
    }
  }, 30_000);

  it('shows the mistakes on the status page in Chromium, above keys flashing red', async () => {
    const file = brokenConfig();
    const lampfield = startProcess(process.execPath, [BIN, 'run', '--service', '--config', file]);
    const browser = await launchChromium();
    try {
      const url = await until('the page', lampfield, () => /listed at (\S+)/.exec(lampfield.output())?.[1]);
      const page = await browser.newPage();
      await page.goto(url);
      const problems = page.locator('#problems');
      await problems.waitFor({ state: 'visible' });
      expect(await problems.locator('li').allTextContents()).toEqual([
        'line 3: /pbx/transport: must be one of "udp", "tcp", "tls"',
        "line 7: key 2: must have required property 'partner'",
      ]);
      expect(await problems.locator('strong').textContent()).toContain(file);
      await expect.poll(() => page.locator('.key[data-key="1"]').getAttribute('data-state')).toBe('error');
      expect(await page.locator('.key[data-key="1"] .label').textContent()).toBe('config error');
    } finally {
      await browser.close();
      await stopProcess(lampfield);
    }
  }, 30_000);
});
