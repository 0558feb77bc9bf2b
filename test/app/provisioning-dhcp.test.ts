/**
 * `provision: dhcp` (README "Many panels"): the provisioning server is the one the DHCP server names in
 * option 66, asked before each fetch (src/app/provisioning.ts with src/app/dhcp-provision.ts). The
 * DHCP answer is the platform's (test/integration/dhcp-option66.test.ts asks a real dnsmasq); here it is
 * handed in, and the rest is real: the card's file on disk, an HTTPS server on 127.0.0.1 with a CA of
 * the test's own, the kept copy.
 */
import { createServer } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Platform } from '../../src/app/platform.ts';
import { watchConfig } from '../../src/app/provisioning.ts';
import { loadConfig } from '../../src/config/config.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { makeCa, makeServerCert } from '../support/certificates.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { testPlatform } from '../support/platform.ts';

const cleanup = cleanupAfterEach();
const MACHINE = { serial: '00000000abcd1234', mac: '02a0b0c0d0e0', hostname: 'lampfield-abcd1234' };

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-dhcp-'));
  cleanup(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  const ca = makeCa('lampfield DHCP provisioning test CA');
  cleanup(() => Promise.resolve(rmSync(ca.dir, { recursive: true, force: true })));
  const cert = makeServerCert(ca, ['IP:127.0.0.1']);
  const files = new Map<string, string>();
  const asked: string[] = [];
  const server = createServer(
    { cert: readFileSync(cert.cert), key: readFileSync(cert.key) },
    (request, response) => {
      asked.push(request.url ?? '');
      const text = files.get(request.url ?? '');
      response.writeHead(text == null ? 404 : 200);
      response.end(text);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as AddressInfo).port;
  const cardPath = join(dir, 'lampfield.yaml');
  writeFileSync(
    cardPath,
    stringify({
      pbx: { host: '127.0.0.1' },
      account: { user: 'lampfield', password: 'secret' },
      keys: [{ key: 1, partner: '299' }],
      provision: { url: 'dhcp', ca: ca.cert, keep: join(dir, 'provisioned.json') },
    }),
  );
  return { port, files, asked, cardPath };
}

/** The config a start would run on, with DHCP answering `option66` (a value, none, or no answer). */
async function start(cardPath: string, option66: () => Promise<string | null>) {
  const log = new MemoryLogger();
  const platform: Platform = testPlatform({ machine: MACHINE, askDhcpOption66: option66 });
  const watch = await watchConfig(cardPath, loadConfig(cardPath), platform, log, () => Promise.resolve());
  watch.stop();
  const said = log.lines.map((line) => `${line.level} ${line.message}`);
  return { now: watch.now, said };
}

describe('provision: dhcp', () => {
  it("fetches this panel's file from the folder option 66 names, keeps it, and starts from the copy when DHCP does not answer", async () => {
    const { port, files, asked, cardPath } = await setup();
    files.set('/lampfield/02a0b0c0d0e0.yaml', stringify({ keys: [{ key: 1, partner: '211' }] }));
    const first = await start(cardPath, () => Promise.resolve(`https://127.0.0.1:${port}/lampfield/`));
    expect(asked).toEqual(['/lampfield/02a0b0c0d0e0.yaml']);
    expect(first.now.config.keys.map((key) => key.partner)).toEqual(['sip:211@127.0.0.1']);
    expect(first.said).toContain(
      `info config: DHCP option 66 names https://127.0.0.1:${port}/lampfield/{mac}.yaml`,
    );
    expect(first.now.origin).toBe(`https://127.0.0.1:${port}/lampfield/02a0b0c0d0e0.yaml over ${cardPath}`);

    // The next boot, no DHCP answer: the kept copy, and one line that says why nothing was fetched.
    const second = await start(cardPath, () => Promise.reject(new Error('no DHCP server answered in 4 s')));
    expect(second.now.config.keys.map((key) => key.partner)).toEqual(['sip:211@127.0.0.1']);
    expect(second.now.origin).toMatch(
      /^the kept copy of https:\/\/127\.0\.0\.1:\d+\/lampfield\/02a0b0c0d0e0\.yaml /,
    );
    expect(second.said.filter((line) => line.startsWith('warn'))).toEqual([
      `warn config: provision: dhcp, but no DHCP server answered in 4 s; the config in use stays (${second.now.origin})`,
    ]);
  });

  it("refuses what option 66 names when it is no https:// server, keeping the card's own keys", async () => {
    const { asked, cardPath } = await setup();
    const started = await start(cardPath, () => Promise.resolve('http://prov.example.com/'));
    expect(asked).toEqual([]);
    expect(started.now.config.keys.map((key) => key.partner)).toEqual(['sip:299@127.0.0.1']);
    expect(started.said.filter((line) => line.startsWith('warn'))).toEqual([
      `warn config: provision: dhcp, but DHCP option 66 says "http://prov.example.com/": lampfield fetches its config over https:// only; the config in use stays (${cardPath})`,
    ]);
    const none = await start(cardPath, () => Promise.resolve(null));
    expect(none.said.filter((line) => line.startsWith('warn'))).toEqual([
      `warn config: provision: dhcp, but the DHCP server names no provisioning server (option 66); the config in use stays (${cardPath})`,
    ]);
  });
});
