/**
 * Log lines as their reader needs them: on a person's terminal readable (time, level, message, by
 * pino-pretty), JSON with `--log-json`, and JSON wherever standard error is not a terminal (the journal,
 * a pipe). `run --service` on a config with a mistake logs at once, so it is the run looked at.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, startProcess, stopProcess } from '../support/processes.ts';
import { Tmux } from '../support/tmux.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const MISTAKE = /the config has mistakes; every key flashes/;

function brokenConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lampfield-log-')), 'lampfield.yaml');
  writeFileSync(
    file,
    'pbx: { host: 127.0.0.1, transport: sctp }\naccount: { user: "900" }\nkeys: [{ key: 1, partner: "207" }]\nweb: { port: 0 }\n',
  );
  return file;
}

let running: Tmux | null = null;
afterEach(() => {
  running?.stop();
  running = null;
});
afterAll(killAll);

describe('log lines', () => {
  it(
    'on a terminal are readable: the time, the level in words, the message',
    { timeout: 40_000 },
    async () => {
      // Standard output (the console board's lamps) goes elsewhere: the pane shows standard error.
      const tmux = (running = new Tmux(160, 30, [
        'sh',
        '-c',
        `"$0" "$1" run --service --config "$2" >/dev/null`,
        process.execPath,
        BIN,
        brokenConfig(),
      ]));
      const screen = await tmux.until((now) => now.some((line) => MISTAKE.test(line)), 'the log line');
      const line = screen.find((text) => MISTAKE.test(text))!;
      expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: the config has mistakes/);
      expect(screen.some((text) => text.startsWith('{"level"'))).toBe(false);
    },
  );

  it('on a terminal with --log-json are JSON', { timeout: 40_000 }, async () => {
    const tmux = (running = new Tmux(400, 30, [
      'sh',
      '-c',
      `"$0" "$1" run --service --log-json --config "$2" >/dev/null`,
      process.execPath,
      BIN,
      brokenConfig(),
    ]));
    const screen = await tmux.until((now) => now.some((line) => MISTAKE.test(line)), 'the log line');
    const line = screen.find((text) => MISTAKE.test(text))!;
    expect(JSON.parse(line)).toMatchObject({ level: 50, msg: expect.stringMatching(MISTAKE) as unknown });
  });

  it('into a pipe are JSON', { timeout: 40_000 }, async () => {
    const lampfield = startProcess(process.execPath, [BIN, 'run', '--service', '--config', brokenConfig()]);
    try {
      while (!MISTAKE.test(lampfield.output())) {
        expect(lampfield.child.exitCode, lampfield.output()).toBeNull();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const line = lampfield
        .output()
        .split('\n')
        .find((text) => MISTAKE.test(text))!;
      expect(JSON.parse(line)).toMatchObject({ level: 50, time: expect.any(Number) as unknown });
    } finally {
      await stopProcess(lampfield);
    }
  });
});
