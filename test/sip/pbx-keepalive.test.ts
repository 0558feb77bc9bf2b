/**
 * The PBX watchdog on its own: OPTIONS to a scripted PBX over real UDP, on a fake clock. Any answer
 * keeps the PBX up; two misses in a row say it has gone (once), and its first answer after that says it
 * is back (once).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PbxKeepalive } from '../../src/sip/pbx-keepalive.ts';
import { SipStack } from '../../src/sip/stack.ts';
import { UserAgent } from '../../src/sip/user-agent.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { closeScriptedPbxs, ScriptedPbx } from '../support/scripted-pbx.ts';

const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
  await closeScriptedPbxs();
});

/** Waits until the keepalive has taken its OPTIONS' outcome: its next probe is then `ms` away. */
const nextProbeIn = (clock: FakeClock, ms: number) =>
  vi.waitFor(() => expect(clock.nextDueIn()).toBe(ms), { timeout: 3000, interval: 5 });

async function setup() {
  const pbx = await ScriptedPbx.open();
  pbx.answer = (request) => request.respond(404); // any answer, even a 4xx, proves it is there
  const clock = new FakeClock();
  const stack = await SipStack.open({ address: '127.0.0.1', port: 0, clock });
  closing.push(() => stack.close());
  const ua = new UserAgent(
    stack,
    { user: '900', password: '', domain: '127.0.0.1' },
    { protocol: 'UDP', address: '127.0.0.1', port: pbx.stack.port },
  );
  const told: string[] = [];
  const log = new MemoryLogger();
  const keepalive = new PbxKeepalive(ua, 5, clock, log, {
    gone: () => told.push('gone'),
    back: () => told.push('back'),
  });
  keepalive.start();
  closing.push(() => Promise.resolve(keepalive.stop()));
  return { pbx, clock, keepalive, told, log };
}

describe('PBX keepalive', () => {
  it('sends OPTIONS every interval and says nothing while the PBX answers', async () => {
    const s = await setup();
    for (let round = 1; round <= 3; round++) {
      s.clock.advance(5000);
      await vi.waitFor(() => expect(s.pbx.requests).toHaveLength(round));
      await nextProbeIn(s.clock, 5000);
    }
    expect(s.pbx.requests.map((request) => request.message.method)).toEqual([
      'OPTIONS',
      'OPTIONS',
      'OPTIONS',
    ]);
    expect(s.told).toEqual([]);
    expect(s.keepalive.pbxUp).toBe(true);
  });

  it('says the PBX has gone after two misses in a row, and that it is back at its first answer', async () => {
    const s = await setup();
    s.pbx.answer = () => undefined; // silent
    s.clock.advance(5000); // first OPTIONS
    await vi.waitFor(() => expect(s.pbx.requests).toHaveLength(1));
    s.clock.advance(2000); // unanswered: a miss, checked again a second later
    await nextProbeIn(s.clock, 1000);
    expect(s.told).toEqual([]);
    s.clock.advance(1000); // second OPTIONS
    await vi.waitFor(() => expect(s.pbx.requests).toHaveLength(2));
    s.clock.advance(2000); // unanswered again
    await vi.waitFor(() => expect(s.told).toEqual(['gone']));
    expect(s.keepalive.pbxUp).toBe(false);
    expect(s.log.lines.map((line) => line.message)).toContain(
      'PBX does not answer; every partner is unknown until it does',
    );

    s.clock.advance(5000); // still silent: said once only
    await vi.waitFor(() => expect(s.pbx.requests).toHaveLength(3));
    s.clock.advance(2000);
    await nextProbeIn(s.clock, 5000);
    expect(s.told).toEqual(['gone']);

    s.pbx.answer = (request) => request.respond(200);
    s.clock.advance(5000);
    await vi.waitFor(() => expect(s.told).toEqual(['gone', 'back']));
    expect(s.keepalive.pbxUp).toBe(true);
  });
});
