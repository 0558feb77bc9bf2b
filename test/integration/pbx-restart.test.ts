/**
 * Kamailio stopped for 20 s and started again as a new process that remembers no subscription: every
 * key shows unknown once its state can no longer be trusted, and is right again within 10 s of Kamailio
 * answering, with no human action and no restart of lampfield (BRIEF §10).
 */
import { afterAll, expect, it } from 'vitest';
import { Kamailio } from '../support/kamailio.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';
import { killAll } from '../support/processes.ts';
import { call, expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';

afterAll(() => killAll());

/** How long the PBX stays down: the scenario's length, not a wait for something to happen. */
const OUTAGE_MS = 20_000;

it('converges after a PBX restart without a human', { timeout: 90_000 }, async () => {
  const kamailio = await Kamailio.start();
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio' },
    account: { user: '900' },
    local: { address: '127.0.0.1', port: await freePort() },
    keys: [
      { key: 1, partner: '207' },
      { key: 2, partner: '212' },
    ],
  });
  try {
    await lampfield.waitForState(1, 'idle');
    await lampfield.waitForState(2, 'idle');

    await kamailio.stop();
    const stoppedAt = Date.now();
    await lampfield.waitFor(
      () => lampfield.current(1) === 'unknown' && lampfield.current(2) === 'unknown',
      'every key showing unknown while the PBX is down',
      OUTAGE_MS,
    );
    const unknownAfterMs = Date.now() - stoppedAt;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));

    await kamailio.launch();
    const answeringAt = Date.now();
    await lampfield.waitFor(
      () => lampfield.current(1) === 'idle' && lampfield.current(2) === 'idle',
      'every key right again within 10 s of the PBX answering',
      10_000,
    );
    const convergedAfterMs = Date.now() - answeringAt;
    console.log(
      `PBX restart: unknown ${unknownAfterMs} ms after the stop; right again ${convergedAfterMs} ms after it answered`,
    );

    // The new subscriptions are live: a call after the restart lights the key.
    const phone = await registerPhone(kamailio, '207');
    expectCall(kamailio, phone, 1000);
    await call(kamailio, '211', '207', { talkMs: 500 });
    await lampfield.waitForState(1, 'idle');
    expect(lampfield.states(1)).toEqual(['unknown', 'idle', 'unknown', 'idle', 'ringing', 'busy', 'idle']);
    expect(lampfield.states(2)).toEqual(['unknown', 'idle', 'unknown', 'idle']);
    await hangUpAll([phone]);
  } finally {
    await lampfield.stop();
    await kamailio.close();
  }
});
