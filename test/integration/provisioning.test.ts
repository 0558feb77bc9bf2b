/**
 * A panel whose keys come from a provisioning server (README "Many panels"): `lampfield run --service`
 * with a card that says `provision:`, an HTTPS server on 127.0.0.1 with a CA of the test's own (trusted by
 * provision.ca alone), the simulator's PBX. Keys from the server; a changed file applied on a reload
 * (SIGHUP, `systemctl reload`), fetched with If-None-Match; a broken file refused in one line, said once,
 * the keys kept; the server away at the next start: the kept copy.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { headerText, tagOf } from '../../src/sip/message.ts';
import { SipStack } from '../../src/sip/stack.ts';
import { PbxSimulator } from '../../src/sim/pbx-simulator.ts';
import { systemClock } from '../../src/util/clock.ts';
import { makeCa, makeServerCert } from '../support/certificates.ts';
import { launchChromium } from '../support/chromium.ts';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';

const cleanup = cleanupAfterEach();
const BIN = fileURLToPath(new URL('../../bin/lampfield.js', import.meta.url));

/** A provisioning server: one file per panel by host name, its ETag the hash of its text. */
async function provisioningServer(certificates: { cert: string; key: string }) {
  const files = new Map<string, string>();
  const asked: { path: string; ifNoneMatch: string | null; status: number }[] = [];
  const server = https.createServer(
    { cert: readFileSync(certificates.cert), key: readFileSync(certificates.key) },
    (request, response) => {
      const path = request.url ?? '';
      const text = files.get(path);
      const ifNoneMatch = request.headers['if-none-match'] ?? null;
      const etag = text == null ? null : `"${createHash('sha256').update(text).digest('hex').slice(0, 16)}"`;
      const status = text == null ? 404 : ifNoneMatch === etag ? 304 : 200;
      asked.push({ path, ifNoneMatch, status });
      response.writeHead(status, etag == null ? {} : { etag, 'content-type': 'application/yaml' });
      response.end(status === 200 ? text : undefined);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    files,
    asked,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The status page's first event: what it shows now. */
async function pageSnapshot(port: number): Promise<{ configNote: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/events`, { signal: AbortSignal.timeout(5000) });
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  return JSON.parse(text.slice('data: '.length, text.indexOf('\n\n'))) as { configNote: string | null };
}

describe('provisioning', { timeout: 60_000 }, () => {
  it('takes its keys from the server, applies a changed file on reload, refuses a broken one, starts from the kept copy', async () => {
    const ca = makeCa('lampfield provisioning test CA');
    const serverCert = makeServerCert(ca, ['IP:127.0.0.1']);
    cleanup(() => Promise.resolve(rmSync(ca.dir, { recursive: true, force: true })));
    const server = await provisioningServer(serverCert);
    cleanup(() => server.close());
    // What lampfield asks of the PBX: each SUBSCRIBE (its partner, a new one or in its dialog, its
    // Expires) and each REGISTER.
    const asked: { method: string; partner: string; fresh: boolean; expires: string | null }[] = [];
    const pbxStack = await SipStack.open({
      address: '127.0.0.1',
      port: 0,
      clock: systemClock,
      observe: (message) => {
        if (message.method == null) return;
        const to = message.headers.to;
        asked.push({
          method: message.method,
          partner: to?.uri ?? '',
          fresh: tagOf(to) == null,
          expires: headerText(message, 'expires'),
        });
      },
    });
    cleanup(() => pbxStack.close());
    const pbx = new PbxSimulator(pbxStack, {
      dialect: 'generic',
      host: '127.0.0.1',
      passwords: { lampfield: 'secret' },
      clock: systemClock,
    });
    const state = mkdtempSync(join(tmpdir(), 'lampfield-provisioned-'));
    cleanup(() => Promise.resolve(rmSync(state, { recursive: true, force: true })));
    const keep = join(state, 'provisioned.json');
    const path = `/lampfield/${hostname()}.yaml`;
    const card = {
      pbx: { host: '127.0.0.1', port: pbxStack.port },
      account: { user: 'lampfield', password: 'secret', register: true },
      local: { address: '127.0.0.1', port: await freePort(true) },
      keys: [{ key: 1, partner: '299', label: 'from the card' }],
      web: { port: await freePort(true) },
      provision: { url: `https://127.0.0.1:${server.port}/lampfield/{hostname}.yaml`, ca: ca.cert, keep },
    };
    server.files.set(
      path,
      stringify({
        keys: [
          { key: 1, partner: '211' },
          { key: 2, partner: '212' },
        ],
      }),
    );

    const start = () => {
      const lampfield = LampfieldProcess.start(card, ['--service']);
      cleanup(() => lampfield.stop());
      return lampfield;
    };
    const partnerOf = (lampfield: LampfieldProcess, key: number) =>
      lampfield.lines.filter((line) => line.key === key).at(-1)?.partner;
    const showing = (lampfield: LampfieldProcess, key: number, partner: string, state: string) =>
      lampfield.waitFor(
        () => partnerOf(lampfield, key) === `sip:${partner}@127.0.0.1` && lampfield.current(key) === state,
        `key ${key} watching ${partner} (${state})`,
      );

    // Keys from the server: the card's key 1 (299) never watched.
    let lampfield = start();
    await showing(lampfield, 1, '211', 'idle');
    await showing(lampfield, 2, '212', 'idle');
    expect(lampfield.lines.some((line) => line.partner === 'sip:299@127.0.0.1')).toBe(false);
    expect(lampfield.output()).toContain(`config: from https://127.0.0.1:${server.port}${path} over `);
    const kept = JSON.parse(readFileSync(keep, 'utf8')) as { text: string; etag: string };
    expect(kept.text).toBe(server.files.get(path));

    // A reload with the same file: If-None-Match, 304, nothing changes.
    lampfield.kill('SIGHUP');
    await lampfield.waitFor(() => server.asked.length === 2, 'a second fetch');
    expect(server.asked[1]).toEqual({ path, ifNoneMatch: kept.etag, status: 304 });

    // A changed file: key 2 now watches 213, applied live; a call there shows on it. Only the keys
    // changed: 212 is unsubscribed and 213 subscribed, 211 keeps its subscription, the registration
    // stays (nothing is started again).
    const before = asked.length;
    server.files.set(
      path,
      stringify({
        keys: [
          { key: 1, partner: '211' },
          { key: 2, partner: '213', label: 'Sales' },
        ],
      }),
    );
    lampfield.kill('SIGHUP');
    await showing(lampfield, 2, '213', 'idle');
    await lampfield.waitFor(
      () => asked.slice(before).some((each) => each.partner === 'sip:212@127.0.0.1' && each.expires === '0'),
      '212 unsubscribed',
    );
    const since = asked.slice(before);
    expect(since.filter((each) => each.partner === 'sip:213@127.0.0.1' && each.fresh)).toHaveLength(1);
    expect(since.filter((each) => each.partner === 'sip:211@127.0.0.1')).toEqual([]);
    expect(since.filter((each) => each.method === 'REGISTER')).toEqual([]);
    expect(lampfield.output()).toContain('config: the keys changed; applied without stopping');
    const call = pbx.ring('300', '213');
    await showing(lampfield, 2, '213', 'ringing');
    pbx.hangUp(call);

    // A broken file (a port that is no number): refused in one line, said once however often it is
    // fetched again, the keys as they were, the kept copy the last good one.
    server.files.set(path, stringify({ pbx: { port: 'fifty' }, keys: [{ key: 1, partner: '211' }] }));
    lampfield.kill('SIGHUP');
    await lampfield.waitFor(() => /refused, the config in use stays/.test(lampfield.output()), 'the refusal');
    lampfield.kill('SIGHUP');
    await lampfield.waitFor(() => server.asked.length >= 5, 'a fifth fetch');
    // The status page says it too, above the keys, until a good file comes.
    const shown = await pageSnapshot(card.web.port);
    expect(shown.configNote).toMatch(/^config: https:\S+ refused, the config in use stays .*must be integer/);
    const browser = await launchChromium();
    cleanup(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${card.web.port}/`);
    const note = page.locator('#config-note');
    await note.waitFor({ state: 'visible' });
    expect(await note.textContent()).toBe(shown.configNote);
    expect(await page.locator('.key[data-key="2"] .label').textContent()).toBe('Sales');
    const refusals =
      lampfield.output().match(/config: https:\S+ refused, the config in use stays[^\n]*/g) ?? [];
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatch(/\/pbx\/port: must be integer/);
    expect(partnerOf(lampfield, 2)).toBe('sip:213@127.0.0.1');
    expect((JSON.parse(readFileSync(keep, 'utf8')) as { text: string }).text).toMatch(
      /partner: "213"|partner: 213/,
    );
    expect(await lampfield.stop()).toBe(0);

    // doctor says where the config comes from, and what is wrong with the server's file now.
    const cardFile = join(state, 'lampfield.yaml');
    writeFileSync(cardFile, stringify(card));
    // Not spawnSync: the server and the PBX answer from this process.
    const doctor = await new Promise<{ stdout: string }>((resolve) =>
      execFile(process.execPath, [BIN, 'doctor', '--config', cardFile], (_error, stdout) =>
        resolve({ stdout }),
      ),
    );
    expect(doctor.stdout).toMatch(
      /^FAIL {2}config: https:\S+ refused, the config in use stays .*must be integer/m,
    );
    expect(doctor.stdout).toMatch(/^ok {4}config: from the kept copy of https:\S+ \(fetched [^)]+\) over /m);

    // The server away at the next start: the last good copy, said so.
    await server.close();
    lampfield = start();
    await showing(lampfield, 2, '213', 'idle');
    expect(lampfield.output()).toMatch(/config: cannot fetch https:\S+: connect ECONNREFUSED/);
    expect(lampfield.output()).toContain('the kept copy of https://');
  });
});
