/**
 * `lampfield sim` as a user runs it: generated calls light the module's keys, and pressing a ringing
 * key really picks the call up on the simulated desk phone (BRIEF §6).
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { killAll, startProcess, stopProcess } from '../support/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
afterAll(() => killAll());

/** `sim --json`: each key as the console board prints it, and the desk phone. */
interface Line {
  key?: number;
  state?: string;
  lamp?: { color: string; pattern: string };
  caller?: string | null;
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
      const ringingKey = () => [1, 2, 3, 4].find((key) => shown(key)?.state === 'ringing');
      await until(() => ringingKey() != null, 'a key ringing');
      // Each key in the one shape scripts get from lampfield: the console board's.
      expect(Object.keys(lines().find((line) => line.key != null)!)).toEqual([
        'key',
        'partner',
        'state',
        'lamp',
        'label',
        'caller',
      ]);
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
      await until(() => shown(key)?.state !== 'ringing', 'the key to stop ringing');
      expect(shown(key)?.lamp?.pattern).not.toBe('fast-blink');
    } finally {
      await stopProcess(sim);
    }
  },
);

it(
  'with --dialect innovaphone, answered calls go from ringing to busy without an idle flicker',
  { timeout: 60_000 },
  async () => {
    const sim = startProcess(process.execPath, [
      BIN,
      'sim',
      '--dialect',
      'innovaphone',
      '--keys',
      '4',
      '--rate',
      '60',
      '--seed',
      '8',
      '--port',
      '0',
      '--json',
    ]);
    try {
      // The lamp changes for each key, in order: ringing is red fast-blink, busy red steady,
      // idle green steady. An answer must go straight from ringing to busy.
      const sequences = () => {
        const byKey = new Map<number, string[]>();
        for (const line of sim.output().split('\n')) {
          if (!line.startsWith('{"key"')) continue;
          const { key, lamp } = JSON.parse(line) as Required<Pick<Line, 'key' | 'lamp'>>;
          byKey.set(key, [...(byKey.get(key) ?? []), `${lamp.color} ${lamp.pattern}`]);
        }
        return byKey;
      };
      const answered = () =>
        [...sequences().values()].filter((lamps) =>
          lamps.some((lamp, i) => lamp === 'red fast-blink' && lamps[i + 1] === 'red steady'),
        );
      const deadline = Date.now() + 45_000;
      while (answered().length === 0) {
        if (Date.now() > deadline) throw new Error(`no answered call seen:\n${sim.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const lamps of sequences().values()) {
        lamps.forEach((lamp, i) => {
          // Never ringing, then idle for an instant, then busy.
          if (lamp === 'red fast-blink')
            expect(`${lamps[i + 1]} then ${lamps[i + 2]}`).not.toBe('green steady then red steady');
        });
      }
    } finally {
      await stopProcess(sim);
    }
  },
);

it('refuses a subscription duration outside 30..86400 s in one line, and starts nothing', async () => {
  const sim = startProcess(process.execPath, [BIN, 'sim', '--expires', '10', '--port', '0']);
  expect(await sim.exited).toBe(2);
  expect(sim.output()).toMatch(/^lampfield sim: --expires "10": seconds, 30\.\.86400\nusage: lampfield sim /);
  expect(sim.output()).not.toContain('the panel is at');
});

/** Holds `port` on 127.0.0.1 as another program would (if one already does, it stays taken). */
async function holdPort(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nsomeone else\n'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve() : reject(error),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

it(
  'serves the page on a free port when 8080 is taken, and says so in one line',
  { timeout: 30_000 },
  async () => {
    const other = await holdPort(8080);
    const sim = startProcess(process.execPath, [BIN, 'sim', '--keys', '2']);
    try {
      const deadline = Date.now() + 20_000;
      while (!/the panel is at (\S+)/.test(sim.output())) {
        if (Date.now() > deadline || sim.child.exitCode != null) throw new Error(`no page:\n${sim.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const url = /the panel is at (\S+)/.exec(sim.output())![1]!;
      expect(sim.output()).toMatch(
        /^lampfield sim: port 8080 is taken by another program; the page is on a free port instead$/m,
      );
      expect(new URL(url).port).not.toBe('8080');
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>');
    } finally {
      await stopProcess(sim);
      other.close();
    }
  },
);

it('says in one line that a port given with --port is taken, and exits 1', async () => {
  const other = await holdPort(0);
  const port = (other.address() as net.AddressInfo).port;
  try {
    const sim = startProcess(process.execPath, [BIN, 'sim', '--port', String(port)]);
    expect(await sim.exited).toBe(1);
    expect(sim.output().trim()).toBe(
      `lampfield sim: --port ${port}: another program serves on that port; give another, or --port 0 for any free one`,
    );
  } finally {
    other.close();
  }
});
