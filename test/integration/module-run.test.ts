/**
 * `lampfield run` driving the expansion module (the firmware simulator in its own process, as
 * `lampfield module`) over TCP and through a real tty (a socat pty pair), and the module's real firmware
 * on an emulated RP2040 (`lampfield module --firmware`, its lamps read off the WS2812 pin): the lamps the
 * module shows are the lamps the core decided for the partner's state.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';
import { killAll, startProcess, stopProcess, type Started } from '../support/processes.ts';
import { lampfieldOnInnovaphone } from '../support/innovaphone-pbx.ts';
import { ptyPair } from '../support/pty-pair.ts';
import { firmwareForThisFile } from '../support/pico-firmware.ts';

const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());
const firmwareBuild = firmwareForThisFile();

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

/** The board the real firmware runs on has no display: the label is kept, not shown. */
async function drive(
  panelPort: string,
  module: ReturnType<typeof startModule>,
  label = 'Reception',
  timeoutMs = 10_000,
): Promise<void> {
  const { pbx, port, lampfield, close } = await lampfieldOnInnovaphone('module-20rgb', panelPort, [
    { key: 1, partner: 'sip:207@172.16.16.180', label: 'Reception' },
    { key: 2, partner: '211' },
  ]);
  cleanup.push(close);
  const output = () => `${lampfield.output()}\n${module.process.output()}`;
  const showing = (key: number, state: Parameters<typeof lampFor>[0]) => {
    const expected = lampFor(state, DEFAULT_LAMPS, 'rgb');
    const shown = module.shown(key);
    return shown?.color === expected.color && shown.pattern === expected.pattern;
  };
  // Refused subscriptions show as refused (amber flash) until innovaphone's NOTIFYs come.
  await until(() => showing(1, 'refused') && showing(2, 'refused'), 'the refused lamps', output, timeoutMs);
  expect(module.shown(1)?.label).toBe(label);
  pbx.notify(1, port);
  await until(() => showing(1, 'ringing'), 'ringing on the module', output, timeoutMs);
  pbx.notify(2, port);
  pbx.notify(3, port);
  await until(() => showing(1, 'busy'), 'busy on the module', output, timeoutMs);
  pbx.notify(4, port);
  await until(() => showing(1, 'idle'), 'idle on the module', output, timeoutMs);
  await until(() => showing(2, 'refused'), 'key 2 still refused', output, timeoutMs);
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
    const pty = await ptyPair();
    cleanup.push(() => pty.close());
    const module = startModule(['--serial', pty.module]);
    await until(
      () => /on \//.test(module.process.output()),
      'the module on its tty',
      () => module.process.output(),
    );
    await drive(pty.host, module);
  });

  it('the real firmware on an emulated RP2040 (lampfield module --firmware), its lamps read off the WS2812 pin', async () => {
    const tcp = await freePort(true);
    const module = startModule([
      '--tcp',
      String(tcp),
      '--firmware',
      `${firmwareBuild().dir}/lampfield-module.elf`,
    ]);
    await until(
      () => /running \S+lampfield-module\.elf on an emulated RP2040 on tcp:/.test(module.process.output()),
      'the module listening',
      () => module.process.output(),
    );
    // Emulated instruction by instruction beside the suite: more time for each lamp than the simulator's.
    await drive(`tcp://127.0.0.1:${tcp}`, module, '', 30_000);
    expect(module.state()).toBe('ready');
  });

  it('an unplugged module is said once, however often lampfield tries it again', async () => {
    const lampfield = LampfieldProcess.start({
      pbx: { host: '127.0.0.1', port: await freePort(), keepaliveSeconds: 0 },
      account: { user: '900' },
      local: { address: '127.0.0.1', port: await freePort(true) },
      board: 'module-20rgb',
      panel: { port: `tcp://127.0.0.1:${await freePort(true)}` }, // nothing listens: unplugged
      keys: [{ key: 1, partner: '207' }],
      log: { level: 'debug' },
    });
    cleanup.push(() => lampfield.stop());
    const count = (pattern: RegExp) => (lampfield.output().match(pattern) ?? []).length;
    // Tried again with a growing backoff (0.1 s, 0.2 s, 0.4 s, …): wait for the fourth failure.
    await lampfield.waitFor(() => count(/"msg":"panel disconnected again"/g) >= 3, 'four tries');
    expect(count(/"msg":"panel disconnected"/g)).toBe(1);
  });
});
