/**
 * `lampfield run` asked to stop by a signal, as a terminal (SIGHUP: the ssh session that started it
 * closed), Ctrl-C (SIGINT) or a service manager (SIGTERM) asks: it ends its subscriptions at the PBX
 * (SUBSCRIBE with Expires: 0, RFC 6665 §4.1.2.3) and exits 0, never killed halfway.
 */
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../support/cleanup.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';
import { StreamPbx } from '../support/stream-pbx.ts';

const cleanup = cleanupAfterEach();

describe('lampfield run, asked to stop', { timeout: 30_000 }, () => {
  for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
    it(`by ${signal}: unsubscribes, then exits 0`, async () => {
      const pbx = await StreamPbx.start('tcp');
      cleanup(() => pbx.close());
      const lampfield = LampfieldProcess.start({
        pbx: { host: '127.0.0.1', port: pbx.port, transport: 'tcp', dialect: 'generic' },
        account: { user: '900' },
        local: { address: '127.0.0.1', port: await freePort(true) },
        keys: [{ key: 1, partner: '207' }],
      });
      cleanup(() => lampfield.stop());
      await lampfield.waitForState(1, 'idle');
      expect(await lampfield.signal(signal)).toBe(0);
      expect(pbx.requests('SUBSCRIBE').filter((request) => /^Expires: *0\r?$/m.test(request))).toHaveLength(
        1,
      );
    });
  }
});
