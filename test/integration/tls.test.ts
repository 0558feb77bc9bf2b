/**
 * SIP over TLS to Kamailio's tls module, with certificates the test makes (test/support/certificates.ts):
 * lampfield verifies the PBX's certificate against pbx.tls.ca and its name against pbx.host, and the
 * PBX's NOTIFYs come back over lampfield's own connection (RFC 5923 alias). A wrong CA or a wrong name
 * is one clear log line and keys that stay unknown, never a fallback to an unverified or plain link.
 */
import { testPlatform } from '../support/platform.ts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandIo } from '../../src/cli/command-io.ts';
import { doctorCommand } from '../../src/cli/doctor.ts';
import type { MemoryLogger } from '../../src/util/log.ts';
import { makeCa, makeServerCert } from '../support/certificates.ts';
import { Kamailio } from '../support/kamailio.ts';
import { StreamPbx } from '../support/stream-pbx.ts';
import { killAll } from '../support/processes.ts';
import { call, expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

const ca = makeCa('lampfield test CA');
const otherCa = makeCa('another CA');
const server = makeServerCert(ca, ['IP:127.0.0.1', 'DNS:pbx.test']);

async function watchOverTls(pbx: Record<string, unknown>) {
  const kamailio = await Kamailio.start({ tls: server });
  cleanup.push(() => kamailio.close());
  const rig = await watch207(kamailio.port, {
    pbx: { transport: 'tls', port: kamailio.tlsPort, keepaliveSeconds: 1, ...pbx },
    log: { level: 'debug', sipTrace: true },
  });
  cleanup.push(() => rig.watcher.stop());
  return { kamailio, ...rig };
}

const errors = (log: MemoryLogger) =>
  log.lines.filter((line) => line.level === 'error').map((line) => line.message);
const sent = (log: MemoryLogger) => log.lines.filter((line) => line.message === 'SIP out');

describe('SIP over TLS', { timeout: 60_000 }, () => {
  it('with the CA that signed the PBX certificate: keys follow a call, every message over TLS', async () => {
    const { kamailio, watcher, log } = await watchOverTls({ tls: { ca: ca.cert } });
    await until(() => watcher.partner(PARTNER_207)?.situation === 'idle', 'partner 207 idle over TLS');
    const partner = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([partner]));
    const answered = expectCall(kamailio, partner, 1000).exited;
    const talking = call(kamailio, '211', '207', { talkMs: 1000 });
    await until(() => watcher.partner(PARTNER_207)?.situation === 'ringing', 'partner 207 ringing');
    await until(() => watcher.partner(PARTNER_207)?.situation === 'busy', 'partner 207 busy');
    await talking;
    expect(await answered).toBe(0);
    await until(() => watcher.partner(PARTNER_207)?.situation === 'idle', 'partner 207 idle again');
    expect(errors(log)).toEqual([]);
    // Every request went to the TLS port, with a TLS Via that asks the PBX to answer over it.
    const requests = sent(log).filter((line) => !String(line.fields?.['text']).startsWith('SIP/2.0'));
    expect(requests.length).toBeGreaterThan(0);
    for (const line of requests) {
      expect(line.fields?.['remote']).toBe(`127.0.0.1:${kamailio.tlsPort}`);
      expect(String(line.fields?.['text'])).toMatch(/^Via: SIP\/2\.0\/TLS [^\r\n]*;alias/m);
    }
  });

  it('with a CA that did not sign it: one clear line, and the keys stay unknown', async () => {
    const { kamailio, watcher, log } = await watchOverTls({ tls: { ca: otherCa.cert } });
    await until(() => errors(log).length > 0, 'the TLS error');
    await new Promise((resolve) => setTimeout(resolve, 2500)); // keepalives and retries meanwhile
    expect(errors(log)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^TLS to 127\\.0\\.0\\.1:${kamailio.tlsPort}: the PBX's certificate is not trusted \\(.+\\); check pbx\\.tls\\.ca$`,
        ),
      ),
    ]);
    expect(watcher.partner(PARTNER_207)?.situation).toBe('unknown');
  });

  it("without pbx.tls.ca: the system's store (and Node's roots) do not vouch for a private CA", async () => {
    const { kamailio, watcher, log } = await watchOverTls({});
    await until(() => errors(log).length > 0, 'the TLS error');
    expect(errors(log)).toEqual([
      expect.stringMatching(
        new RegExp(`^TLS to 127\\.0\\.0\\.1:${kamailio.tlsPort}: the PBX's certificate is not trusted`),
      ),
    ]);
    expect(watcher.partner(PARTNER_207)?.situation).toBe('unknown');
  });

  it('under a name the certificate does not carry: one clear line, and the keys stay unknown', async () => {
    const { watcher, log } = await watchOverTls({ host: 'localhost', tls: { ca: ca.cert } });
    await until(() => errors(log).length > 0, 'the TLS error');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(errors(log)).toEqual([
      expect.stringMatching(
        /: the PBX's certificate is not for this name \(.*localhost.*\); check pbx\.host$/,
      ),
    ]);
    // Bare numbers are on the PBX's domain, here its host name.
    expect(watcher.partner('sip:207@localhost')?.situation).toBe('unknown');
  });

  it("an expired certificate: the line names its end and this machine's clock (a Pi has no clock battery)", async () => {
    const pbx = await StreamPbx.start('tls', makeServerCert(ca, ['IP:127.0.0.1'], -1));
    cleanup.push(() => pbx.close());
    const rig = await watch207(pbx.port, {
      pbx: { transport: 'tls', keepaliveSeconds: 1, tls: { ca: ca.cert } },
    });
    cleanup.push(() => rig.watcher.stop());
    await until(() => errors(rig.log).length > 0, 'the TLS error');
    expect(errors(rig.log)).toEqual([
      expect.stringMatching(
        /^TLS to 127\.0\.0\.1:\d+: the PBX's certificate expired on \w{3} +\d+ [\d:]+ \d{4} GMT, and this machine's clock says .+ GMT: renew the certificate, or set the clock right \(network time, NTP\)$/,
      ),
    ]);
    expect(rig.watcher.partner(PARTNER_207)?.situation).toBe('unknown');
  });

  it('doctor says over TLS whether the PBX answers, and which certificate check fails, with the fix', async () => {
    const kamailio = await Kamailio.start({ tls: server });
    cleanup.push(() => kamailio.close());
    const doctor = async (ca: string) => {
      const file = join(mkdtempSync(join(tmpdir(), 'lampfield-tls-')), 'lampfield.yaml');
      writeFileSync(
        file,
        `pbx: { host: 127.0.0.1, port: ${kamailio.tlsPort}, transport: tls, tls: { ca: ${ca} } }\n` +
          'account: { user: "900" }\nlocal: { address: 127.0.0.1 }\nkeys: [{ key: 1, partner: "207" }]\n',
      );
      const lines: string[] = [];
      const io: CommandIo = {
        stdout: (line) => lines.push(line),
        stderr: (line) => lines.push(line),
        readFile: () => Promise.reject(new Error('unused')),
        readStdin: () => Promise.resolve(''),
      };
      const code = await doctorCommand(['--config', file], io, testPlatform());
      return { code, text: lines.join('\n') };
    };
    const good = await doctor(ca.cert);
    expect(good.text).toMatch(
      new RegExp(`^ok {4}pbx 127\\.0\\.0\\.1:${kamailio.tlsPort}/tls: answers OPTIONS`, 'm'),
    );
    const wrong = await doctor(otherCa.cert);
    expect(wrong.text).toMatch(/^FAIL {2}pbx .*\/tls: TLS to .*: the PBX's certificate is not trusted/m);
    expect(wrong.text).toMatch(/^ {6}fix: set pbx\.tls\.ca to the CA that signed the PBX certificate/m);
    expect(wrong.code).toBe(1);
  });
});
