/**
 * The built code (`npm run build`'s bundle, scripts/bundle.ts: what the SD-card image ships and runs with
 * plain Node, no tsx): the files shipped beside the code (boards.json, the config schema, the page) are
 * found from it, each command's chunk loads, and its bundled dependencies (sip, with its WebSocket
 * package left out) work. Built into a folder of its own so that the checkout's dist/ is left alone.
 */
import { execFile, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, stopProcess } from '../support/processes.ts';
import { vectorPath } from '../support/vectors.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let outDir = '';

function runBuilt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(outDir, 'main.js'), ...args], (error, stdout, stderr) => {
      resolve({ code: error == null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

describe('the built code', () => {
  beforeAll(() => {
    // Inside the package, as dist/ is: the shipped files are found by walking up to package.json.
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    outDir = mkdtempSync(join(ROOT, 'test-artifacts', 'built-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bundle.ts', '--outdir', outDir], {
      cwd: ROOT,
    });
  }, 120_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('decodes the seed with plain Node', async () => {
    const run = await runBuilt(['decode', '--dialect', 'innovaphone', vectorPath('innovaphone/seed-1.sip')]);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim()) as unknown).toMatchObject({ state: 'ringing' });
  });

  it('runs the simulator and serves its page', async () => {
    const sim = startProcess(process.execPath, [join(outDir, 'main.js'), 'sim', '--port', '0', '--json']);
    try {
      let url: string | undefined;
      while ((url = /the panel is at (\S+)/.exec(sim.output())?.[1]) == null) {
        expect(sim.child.exitCode, sim.output()).toBeNull();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
    } finally {
      await stopProcess(sim);
    }
  }, 30_000);

  it('says a config mistake in one line, read with the schema shipped beside the code', async () => {
    const config = join(outDir, 'lampfield.yaml');
    writeFileSync(
      config,
      'pbx: { host: 127.0.0.1, transport: sctp }\naccount: { user: "900" }\nkeys: [{ key: 1, partner: "207" }]\n',
    );
    const run = await runBuilt(['run', '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `lampfield run: ${config}:1: /pbx/transport: must be one of "udp", "tcp", "tls"`,
    );
  });

  it('watches: its first SUBSCRIBE reaches the PBX (sip, bundled)', async () => {
    const pbx = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => pbx.bind(0, '127.0.0.1', resolve));
    const subscribe = new Promise<string>((resolve) =>
      pbx.on('message', (data) => {
        const text = data.toString('latin1');
        if (text.startsWith('SUBSCRIBE ')) resolve(text);
      }),
    );
    const config = join(outDir, 'watch.yaml');
    writeFileSync(
      config,
      `pbx: { host: 127.0.0.1, port: ${pbx.address().port} }\naccount: { user: "900" }\n` +
        'local: { address: 127.0.0.1, port: 0 }\nkeys: [{ key: 1, partner: "207" }]\n',
    );
    const run = startProcess(process.execPath, [join(outDir, 'main.js'), 'run', '--config', config]);
    try {
      const text = await subscribe;
      expect(text).toMatch(/^SUBSCRIBE sip:207@127\.0\.0\.1 SIP\/2\.0\r\n/);
      expect(text).toMatch(/\r\nEvent: dialog\r\n/i);
    } finally {
      await stopProcess(run);
      pbx.close();
    }
  }, 30_000);
});
