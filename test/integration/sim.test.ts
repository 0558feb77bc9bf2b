/**
 * `lampfield sim` as a user runs it: generated calls light the module's keys, and pressing a ringing
 * key really picks the call up on the simulated desk phone (issue 6, terminal part).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { killAll, startProcess, stopProcess } from '../support/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
afterAll(() => killAll());

interface Line {
  key?: number;
  pattern?: string;
  color?: string;
  status?: string;
}

it(
  'picks up a generated ringing call on the desk phone when its key is pressed',
  { timeout: 60_000 },
  async () => {
    const sim = startProcess(
      process.execPath,
      [BIN, 'sim', '--keys', '4', '--rate', '60', '--seed', '3', '--json'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    try {
      const lines = () =>
        sim
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Line);
      const until = async (check: () => boolean, what: string) => {
        const deadline = Date.now() + 40_000;
        while (!check()) {
          if (Date.now() > deadline) throw new Error(`${what} did not happen:\n${sim.output()}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      const shown = (key: number) =>
        lines()
          .filter((line) => line.key === key)
          .at(-1);
      const ringingKey = () => [1, 2, 3, 4].find((key) => shown(key)?.pattern === 'fast-blink');
      await until(() => ringingKey() != null, 'a key ringing');
      const key = ringingKey()!;
      sim.child.stdin?.write(`press ${key}\n`);
      await until(
        () =>
          /in a call with/.test(
            lines()
              .filter((line) => line.status != null)
              .at(-1)?.status ?? '',
          ),
        'the pickup',
      );
      // The partner is no longer ringing: its key stops blinking (after the 150 ms idle hold).
      await until(() => shown(key)?.pattern !== 'fast-blink', 'the key to stop ringing');
      expect(shown(key)?.pattern).not.toBe('fast-blink');
    } finally {
      await stopProcess(sim);
    }
  },
);
