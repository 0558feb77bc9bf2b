/** A socat pty pair: two linked ttys, as a USB serial cable gives a host and a module. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, stopProcess } from './processes.ts';

export interface PtyPair {
  host: string;
  module: string;
  close(): Promise<unknown>;
}

export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-pty-'));
  const host = join(dir, 'host');
  const module = join(dir, 'module');
  const socat = startProcess('socat', [`pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${module}`]);
  const deadline = Date.now() + 10_000;
  while (!(existsSync(host) && existsSync(module))) {
    if (Date.now() > deadline) {
      await stopProcess(socat);
      throw new Error(`socat made no pty pair:\n${socat.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { host, module, close: () => stopProcess(socat) };
}
