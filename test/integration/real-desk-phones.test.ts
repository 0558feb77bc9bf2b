/**
 * Real SIP phones as the desk phone (shared/notes/real-phones.md), registered on Kamailio as 201: key
 * presses end in real calls. baresip follows a REFER but cannot follow one with Replaces, so a pickup
 * on it is made by lampfield as the controller (RFC 3725): the ringing call's caller (211, two twin
 * sipp instances that can be picked up, RFC 3891) gets an INVITE whose Replaces names its own dialog,
 * carrying baresip's offer, and the partner (207) stops ringing. Hanging up on either side ends the other.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../src/app/watcher.ts';
import type { MemoryLogger } from '../../src/util/log.ts';
import { Baresip } from '../support/baresip.ts';
import { Kamailio } from '../support/kamailio.ts';
import { killAll } from '../support/processes.ts';
import { expectCall, hangUpAll, pickableCall, registerPhone } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

const PARTNER = PARTNER_207;

async function setup(): Promise<{
  kamailio: Kamailio;
  phone: Baresip;
  watcher: RunningWatcher;
  log: MemoryLogger;
}> {
  const kamailio = await Kamailio.start();
  cleanup.push(() => kamailio.close());
  const phone = await Baresip.start(kamailio, '201');
  cleanup.push(() => phone.stop());
  const { watcher, log } = await watch207(kamailio.port);
  cleanup.push(() => watcher.stop());
  await until(() => watcher.partner(PARTNER)?.situation === 'idle', 'partner 207 idle');
  return { kamailio, phone, watcher, log };
}

const said = (log: MemoryLogger) => log.lines.map((line) => `${line.level} ${line.message}`).join('\n');

describe('baresip as the desk phone', { timeout: 60_000 }, () => {
  it('a press on an idle partner: baresip calls 207 (REFER), which answers', async () => {
    const { kamailio, phone, watcher, log } = await setup();
    const partner = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([partner]));
    const answered = expectCall(kamailio, partner, 100).exited;
    expect(await watcher.press(1, 'short'), said(log)).toMatchObject({ kind: 'call', action: 'dial' });
    await until(() => watcher.partner(PARTNER)?.situation === 'busy', 'partner 207 busy');
    expect(watcher.controlledCalls()).toBe(0);
    await phone.hangUp();
    expect(await answered).toBe(0);
    await until(() => watcher.partner(PARTNER)?.situation === 'idle', 'partner 207 idle again');
  });

  it('a press on a ringing partner: lampfield picks up as controller; the desk phone hangs up, the caller gets the BYE', async () => {
    const { kamailio, phone, watcher, log } = await setup();
    const partner = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([partner]));
    const ringing = expectCall(kamailio, partner, 30_000).exited;
    const call = await pickableCall(kamailio, '211', '207', 'waits for the BYE');
    await until(() => watcher.partner(PARTNER)?.situation === 'ringing', 'partner 207 ringing');

    expect(await watcher.press(1, 'short'), said(log)).toMatchObject({ kind: 'call', action: 'pickup' });
    expect(said(log)).toContain('lampfield picks up as controller');
    // The caller cancels its own call to 207 (RFC 3891 §3): 207 stops ringing, its key goes idle.
    const caller = await call.caller;
    expect(caller.code, caller.errors).toBe(0);
    expect(await ringing).toBe(0);
    await until(() => watcher.partner(PARTNER)?.situation === 'idle', 'partner 207 idle');
    expect(watcher.controlledCalls()).toBe(1);

    await phone.hangUp();
    const replaced = await call.replaced;
    expect(replaced.code, replaced.errors).toBe(0);
    await until(() => watcher.controlledCalls() === 0, 'no call left in lampfield');
  });

  it('the caller hangs up after the pickup: lampfield ends the desk phone’s side', async () => {
    const { kamailio, phone, watcher, log } = await setup();
    const partner = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([partner]));
    void expectCall(kamailio, partner, 30_000);
    const call = await pickableCall(kamailio, '211', '207', 'hangs up');
    await until(() => watcher.partner(PARTNER)?.situation === 'ringing', 'partner 207 ringing');
    const before = phone.output().length;
    expect(await watcher.press(1, 'short'), said(log)).toMatchObject({ kind: 'call', action: 'pickup' });
    const replaced = await call.replaced;
    expect(replaced.code, replaced.errors).toBe(0);
    await until(() => watcher.controlledCalls() === 0, 'no call left in lampfield');
    // baresip got lampfield's BYE for its side.
    await phone.waitFor(/^BYE sip:/m, 'the BYE from lampfield', before);
  });

  it('the desk phone holds the picked-up call: lampfield passes the re-INVITE to the caller and its answer back', async () => {
    const { kamailio, phone, watcher, log } = await setup();
    const partner = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([partner]));
    void expectCall(kamailio, partner, 30_000);
    const call = await pickableCall(kamailio, '211', '207', 'takes a hold, then waits for the BYE');
    await until(() => watcher.partner(PARTNER)?.situation === 'ringing', 'partner 207 ringing');
    expect(await watcher.press(1, 'short'), said(log)).toMatchObject({ kind: 'call', action: 'pickup' });
    expect((await call.caller).code).toBe(0);
    const before = phone.output().length;
    await phone.hold();
    // baresip's re-INVITE is answered with the caller's answer (recvonly to its sendonly).
    await phone.waitFor(/^SIP\/2\.0 200 OK[\s\S]*a=recvonly/m, 'the answer to its hold', before);
    await phone.hangUp();
    const replaced = await call.replaced;
    expect(replaced.code, replaced.errors).toBe(0);
    await until(() => watcher.controlledCalls() === 0, 'no call left in lampfield');
  });

  it('the call to pick up is gone (481 to the Replaces): one log line, the phone hung up, the key works on', async () => {
    const { kamailio, phone, watcher, log } = await setup();
    const partner = await registerPhone(kamailio, '207');
    cleanup.push(() => hangUpAll([partner]));
    const ringing = expectCall(kamailio, partner, 30_000).exited;
    const call = await pickableCall(kamailio, '211', '207', 'is gone (481)');
    await until(() => watcher.partner(PARTNER)?.situation === 'ringing', 'partner 207 ringing');
    const before = phone.output().length;
    expect(await watcher.press(1, 'short')).toEqual({
      kind: 'failed',
      action: 'pickup',
      reason: 'the call was already answered elsewhere (481 to Replaces)',
    });
    const warnings = log.lines.filter((line) => line.level === 'warn').map((line) => line.message);
    expect(warnings).toEqual([
      'key 1: pickup sip:207@127.0.0.1 failed: the call was already answered elsewhere (481 to Replaces)',
    ]);
    // lampfield leaves the desk phone's call it had made for the pickup.
    await phone.waitFor(/^BYE sip:/m, 'the BYE from lampfield', before);
    expect((await call.replaced).code).toBe(0);
    expect((await call.caller).code).toBe(0);
    expect(await ringing).toBe(0);
    // The key shows its partner again, and its next press works.
    await until(() => watcher.partner(PARTNER)?.situation === 'idle', 'partner 207 idle');
    expect(watcher.controlledCalls()).toBe(0);
    const answering = expectCall(kamailio, partner, 100).exited;
    expect(await watcher.press(1, 'short')).toMatchObject({ kind: 'call', action: 'dial' });
    await until(() => watcher.partner(PARTNER)?.situation === 'busy', 'partner 207 busy');
    await phone.hangUp();
    expect(await answering).toBe(0);
  });
});
