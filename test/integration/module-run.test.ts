/**
 * `lampfield run` driving the expansion module (the firmware simulator in its own process, as
 * `lampfield module`) over TCP and through a real tty (a socat pty pair): the lamps the module shows
 * are the lamps the core decided for the partner's state.
 */
import dgram from 'node:dgram';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';
import { killAll, startProcess, stopProcess, type Started } from '../support/processes.ts';
import { readVector } from '../support/vectors.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

interface ModuleLine {
  key?: number;
  color?: string;
  pattern?: string;
  label?: string;
  state?: string;
}

/** `lampfield module --json`: what the module shows, line by line. */
function startModule(args: string[]): {
  process: Started;
  shown: (key: number) => ModuleLine | undefined;
  state: () => string | undefined;
} {
  const process_ = startProcess(process.execPath, [
    BIN,
    'module',
    '--board',
    'module-20rgb',
    '--json',
    ...args,
  ]);
  cleanup.push(() => stopProcess(process_));
  const lines = () =>
    process_
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as ModuleLine);
  return {
    process: process_,
    shown: (key) =>
      lines()
        .filter((line) => line.key === key)
        .at(-1),
    state: () =>
      lines()
        .filter((line) => line.state != null)
        .at(-1)?.state,
  };
}

async function until(
  check: () => boolean,
  what: string,
  output: () => string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A PBX that sends innovaphone's NOTIFYs without a subscription, and refuses SUBSCRIBE. */
async function innovaphonePbx(): Promise<{ port: number; notify(n: number, to: number): void }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (data, rinfo) => {
    const text = data.toString('latin1');
    if (text.startsWith('SIP/2.0')) return;
    const headers = text.split('\r\n').filter((line) => /^(Via|From|To|Call-ID|CSeq):/i.test(line));
    const status = text.startsWith('SUBSCRIBE') ? '489 Bad Event' : '200 OK';
    socket.send(
      [`SIP/2.0 ${status}`, ...headers, 'Content-Length: 0', '', ''].join('\r\n'),
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    port: socket.address().port,
    notify(n, to) {
      const text = readVector(`innovaphone/seed-${n}.sip`).replace(/\r?\n/g, '\r\n');
      const [head, body] = text.split('\r\n\r\n') as [string, string];
      const bytes = Buffer.from(body.replace(/\r\n$/, ''));
      const fixed = head.replace(/Content-Length: \d+/, `Content-Length: ${bytes.length}`);
      socket.send(Buffer.concat([Buffer.from(`${fixed}\r\n\r\n`), bytes]), to, '127.0.0.1');
    },
  };
}

async function drive(panelPort: string, module: ReturnType<typeof startModule>): Promise<void> {
  const pbx = await innovaphonePbx();
  const port = await freePort();
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: pbx.port, dialect: 'innovaphone' },
    account: { user: 'snom' },
    local: { address: '127.0.0.1', port },
    board: 'module-20rgb',
    panel: { port: panelPort },
    keys: [
      { key: 1, partner: 'sip:207@172.16.16.180', label: 'Reception' },
      { key: 2, partner: '211' },
    ],
  });
  cleanup.push(() => lampfield.stop());
  const output = () => `${lampfield.output()}\n${module.process.output()}`;
  const showing = (key: number, state: Parameters<typeof lampFor>[0]) => {
    const expected = lampFor(state, DEFAULT_LAMPS, 'rgb');
    const shown = module.shown(key);
    return shown?.color === expected.color && shown.pattern === expected.pattern;
  };
  // Refused subscriptions show as refused (amber flash) until innovaphone's NOTIFYs come.
  await until(() => showing(1, 'refused') && showing(2, 'refused'), 'the refused lamps', output);
  expect(module.shown(1)?.label).toBe('Reception');
  pbx.notify(1, port);
  await until(() => showing(1, 'ringing'), 'ringing on the module', output);
  pbx.notify(2, port);
  pbx.notify(3, port);
  await until(() => showing(1, 'busy'), 'busy on the module', output);
  pbx.notify(4, port);
  await until(() => showing(1, 'idle'), 'idle on the module', output);
  expect(showing(2, 'refused')).toBe(true);
}

describe('lampfield run with the expansion module', () => {
  it('over TCP', async () => {
    const tcp = await freePort(true);
    const module = startModule(['--tcp', String(tcp)]);
    await until(
      () => /on tcp:/.test(module.process.output()),
      'the module listening',
      () => module.process.output(),
    );
    await drive(`tcp://127.0.0.1:${tcp}`, module);
  });

  it('through a real tty (a socat pty pair)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lampfield-pty-'));
    const socat = startProcess('socat', [
      `pty,raw,echo=0,link=${join(dir, 'host')}`,
      `pty,raw,echo=0,link=${join(dir, 'module')}`,
    ]);
    cleanup.push(() => stopProcess(socat));
    await until(
      () => existsSync(join(dir, 'host')) && existsSync(join(dir, 'module')),
      'the pty pair',
      () => socat.output(),
    );
    const module = startModule(['--serial', join(dir, 'module')]);
    await until(
      () => /on \//.test(module.process.output()),
      'the module on its tty',
      () => module.process.output(),
    );
    await drive(join(dir, 'host'), module);
  });
});
