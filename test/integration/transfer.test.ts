/**
 * A press while the desk phone is in a call transfers that call to the partner (RFC 5589 blind
 * transfer), through Kamailio, with baresip as the desk phone, ringing until a person answers (so that
 * Kamailio's early dialog state gives the call's tags): lampfield watches the desk phone's own dialogs
 * (phone.watch) to know its call. The far side is asked to call the partner (REFER out of dialog, with
 * Target-Dialog, RFC 4538), or, on a call lampfield keeps as controller, in its own dialog.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import type { MemoryLogger } from '../../src/util/log.ts';
import { Baresip } from '../support/baresip.ts';
import { Kamailio } from '../support/kamailio.ts';
import { killAll } from '../support/processes.ts';
import { expectCall, hangUpAll, registerPhone, transferableCall } from '../support/sipp.ts';
import { PARTNER_207, until, watch207 } from '../support/watcher-rig.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

const said = (log: MemoryLogger) => log.lines.map((line) => `${line.level} ${line.message}`).join('\n');
const DESK = 'sip:201@127.0.0.1';
const PARTNER_211 = 'sip:211@127.0.0.1';

/** Kamailio, the desk phone (baresip, answered by hand), 207 waiting for a call, lampfield watching. */
async function setup(config: Record<string, unknown> = {}) {
  const kamailio = await Kamailio.start();
  cleanup.push(() => kamailio.close());
  const desk = await Baresip.start(kamailio, '201', 'manual');
  cleanup.push(() => desk.stop());
  const partner = await registerPhone(kamailio, '207');
  cleanup.push(() => hangUpAll([partner]));
  const rig = await watch207(kamailio.port, {
    phone: { uri: '201', watch: true },
    keys: [
      { key: 1, partner: '207' },
      { key: 2, partner: '211' },
    ],
    ...config,
  });
  cleanup.push(() => rig.watcher.stop());
  await until(() => rig.watcher.partner(PARTNER_207)?.situation === 'idle', 'partner 207 idle');
  await until(() => rig.watcher.partner(DESK)?.situation === 'idle', 'the desk phone idle');
  return { kamailio, desk, partner, ...rig };
}

/** The person at the desk phone answers the call ringing on it. */
async function answerAtDesk(rig: Awaited<ReturnType<typeof setup>>): Promise<void> {
  await until(() => rig.watcher.partner(DESK)?.situation === 'ringing', 'the desk phone ringing');
  await rig.desk.answer();
  await until(() => rig.watcher.partner(DESK)?.situation === 'busy', 'the desk phone in the call');
}

/** A press on 207's key hands the desk phone's call to 207: 211 ends up talking to 207. */
async function transferTo207({ watcher, log }: Awaited<ReturnType<typeof setup>>): Promise<void> {
  expect(await watcher.press(1, 'short'), said(log)).toMatchObject({ kind: 'transfer', action: 'transfer' });
  await until(() => watcher.partner(PARTNER_207)?.situation === 'busy', 'partner 207 busy');
  expect(watcher.partner(PARTNER_207)?.view.focus?.remote.identity).toMatch(/^sip:211@/);
}

describe('transfer while the desk phone is in a call', { timeout: 60_000 }, () => {
  it("211's call on the desk phone goes to 207: 211 calls 207 and hangs up on the desk phone", async () => {
    const rig = await setup();
    const { kamailio, desk, partner, watcher, log } = rig;
    const answered = expectCall(kamailio, partner, 100).exited;
    const call = await transferableCall(kamailio, '211', '201', 1500);
    await answerAtDesk(rig);
    const before = desk.output().length;

    await transferTo207(rig);
    // And the desk phone is free.
    await desk.waitFor(/^BYE sip:/m, "211's BYE", before);
    await until(() => watcher.partner(DESK)?.situation === 'idle', 'the desk phone idle again');
    const transferee = await call.transferee;
    expect(transferee.code, transferee.errors).toBe(0);
    expect((await call.caller).code).toBe(0);
    expect(await answered).toBe(0);
    // The REFER named the very call as 211 sees it: its Call-ID, 211's own tag as the local one, the
    // desk phone's as the remote one (RFC 4538 §3).
    const messages = call.callerMessages();
    const callId = /^Call-ID: *(\S+)/m.exec(messages)![1];
    const callerTag = /^From: .*;tag=(\S+)/m.exec(messages)![1];
    const deskTag = /^SIP\/2\.0 200 OK[\s\S]*?^To: .*;tag=(\S+)/m.exec(messages)![1];
    expect(transferee.errors).toContain(
      `Target-Dialog: ${callId};local-tag=${callerTag};remote-tag=${deskTag}`,
    );
    expect(transferee.errors).toContain('Refer-To: sip:207@127.0.0.1');
    expect(said(log)).toContain('info key 1: transfer sip:207@127.0.0.1');
  });

  it('a phone that cannot take the transfer: the key flashes the error lamp, the log says why, nothing else changes', async () => {
    const rig = await setup();
    const { kamailio, watcher, log, panel } = rig;
    const caller = await Baresip.start(kamailio, '211');
    cleanup.push(() => caller.stop());
    await caller.dial(`sip:201@127.0.0.1:${kamailio.port}`);
    await answerAtDesk(rig);

    expect(await watcher.press(1, 'short')).toEqual({
      kind: 'failed',
      action: 'transfer',
      reason: "211's phone refused the transfer: 501 Not Implemented",
    });
    expect(log.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      "key 1: transfer sip:207@127.0.0.1 failed: 211's phone refused the transfer: 501 Not Implemented",
    ]);
    expect(panel.lamps.get(1)).toEqual(lampFor('error', DEFAULT_LAMPS, 'rgb'));
    // The call goes on on the desk phone.
    expect(watcher.partner(DESK)?.situation).toBe('busy');
    expect(watcher.partner(PARTNER_207)?.situation).toBe('idle');
  });

  it('a call lampfield keeps as controller: REFER in its own dialog to 211, which calls 207; lampfield leaves', async () => {
    const rig = await setup({ phone: { uri: '201', mode: 'controller', watch: true } });
    const { kamailio, desk, partner, watcher, log } = rig;
    const far = await Baresip.start(kamailio, '211');
    cleanup.push(() => far.stop());
    await until(() => watcher.partner(PARTNER_211)?.situation === 'idle', 'partner 211 idle');
    // The receptionist calls 211 (key 2): the desk phone rings, is answered, lampfield calls 211.
    const calling = watcher.press(2, 'short');
    await until(() => watcher.partner(DESK)?.situation === 'ringing', 'the desk phone ringing');
    await desk.answer();
    expect(await calling, said(log)).toMatchObject({ kind: 'call', action: 'dial' });
    await until(() => watcher.controlledCalls() === 1, 'the call kept by lampfield');
    const answered = expectCall(kamailio, partner, 100).exited;
    const before = desk.output().length;

    await transferTo207(rig);
    await until(() => watcher.controlledCalls() === 0, 'lampfield out of the call');
    await desk.waitFor(/^BYE sip:/m, "lampfield's BYE", before);
    await far.hangUp();
    expect(await answered).toBe(0);
  });
});
