/**
 * One subscription for a whole panel (RFC 4662) against Kamailio's resource list server (rls, the list
 * in its xcap table): lampfield sends one SUBSCRIBE to the list, reads its multipart/related NOTIFYs
 * (RLMI and one dialog-info part per partner) and every key shows what a subscription of its own would.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MemoryLogger } from '../../src/util/log.ts';
import { Kamailio } from '../support/kamailio.ts';
import { killAll } from '../support/processes.ts';
import { call, expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';
import { until, watch207 } from '../support/watcher-rig.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

const LIST = 'sip:blf-reception@127.0.0.1';
const uri = (extension: string) => `sip:${extension}@127.0.0.1`;

/** The SUBSCRIBEs lampfield sent, as its SIP trace shows them. */
const subscribes = (log: MemoryLogger) =>
  log.lines.filter(
    (line) => line.message === 'SIP out' && String(line.fields?.['text']).startsWith('SUBSCRIBE '),
  );

describe('a resource list on Kamailio', { timeout: 60_000 }, () => {
  it('3 partners by one SUBSCRIBE; a partner not in the list shows refused; a call rings and talks', async () => {
    const kamailio = await Kamailio.start({
      lists: [{ owner: '900', uri: LIST, entries: [uri('207'), uri('211'), uri('212')] }],
    });
    cleanup.push(() => kamailio.close());
    const { watcher, log } = await watch207(kamailio.port, {
      pbx: { list: 'blf-reception' },
      log: { level: 'debug', sipTrace: true },
      keys: ['207', '211', '212', '213'].map((partner, index) => ({ key: index + 1, partner })),
    });
    cleanup.push(() => watcher.stop());
    const state = (extension: string) => watcher.partner(uri(extension))?.situation;
    await until(
      () => ['207', '211', '212'].every((extension) => state(extension) === 'idle'),
      `every partner of the list idle (${['207', '211', '212', '213'].map(state).join(', ')})`,
    );
    expect(state('213')).toBe('refused');
    expect(watcher.partner(uri('213'))?.reason).toBe(`not in the resource list ${LIST}`);
    // The log says it, once (README "Large panels").
    expect(
      log.lines
        .filter((line) => /is not in the resource list/.test(line.message))
        .map((line) => line.message),
    ).toEqual([`${uri('213')} is not in the resource list ${LIST}: its key shows refused`]);
    expect(subscribes(log).map((line) => String(line.fields?.['text']).split('\r\n')[0])).toEqual([
      `SUBSCRIBE ${LIST} SIP/2.0`,
    ]);

    const partner = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([partner]));
    const answered = expectCall(kamailio, partner, 1500).exited;
    const talking = call(kamailio, '211', '207', { talkMs: 1500 });
    await until(() => state('207') === 'ringing', 'partner 207 ringing');
    await until(() => state('207') === 'busy', 'partner 207 busy');
    await talking;
    expect(await answered).toBe(0);
    await until(() => state('207') === 'idle', 'partner 207 idle again');
  });

  it('160 partners by one SUBSCRIBE: every key idle, then one rings while the others stay idle', async () => {
    const extensions = [...Array.from({ length: 159 }, (_, i) => String(300 + i)), '207'];
    const kamailio = await Kamailio.start({
      lists: [{ owner: '900', uri: LIST, entries: extensions.map(uri) }],
    });
    cleanup.push(() => kamailio.close());
    const { watcher, log } = await watch207(kamailio.port, {
      pbx: { list: 'blf-reception' },
      log: { level: 'debug', sipTrace: true },
      keys: extensions.map((partner, index) => ({ key: index + 1, partner })),
    });
    cleanup.push(() => watcher.stop());
    const states = () => extensions.map((extension) => watcher.partner(uri(extension))?.situation);
    await until(() => states().every((state) => state === 'idle'), 'all 160 keys idle', 30_000);
    expect(subscribes(log)).toHaveLength(1);

    const partner = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([partner]));
    void expectCall(kamailio, partner, 3000);
    const missed = call(kamailio, '211', '207', { cancelAfterMs: 2000 });
    await until(() => watcher.partner(uri('207'))?.situation === 'ringing', 'partner 207 ringing');
    expect(states().filter((state) => state !== 'idle')).toEqual(['ringing']);
    await missed;
    await until(() => states().every((state) => state === 'idle'), 'all 160 keys idle again');
    expect(subscribes(log)).toHaveLength(1);
  });
});
