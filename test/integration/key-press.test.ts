/**
 * Key presses become calls through Kamailio on the user's desk phone (sipp as extension 201):
 * speed dial and pickup in 3pcc and refer mode, a feature code, and every failure seen as the key's
 * error lamp and one log line, followed by a press that works.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Kamailio } from '../support/kamailio.ts';
import { LampfieldProcess } from '../support/lampfield-process.ts';
import { freePort } from '../support/ports.ts';
import { killAll, stopProcess } from '../support/processes.ts';
import { call, deskPhone, expectCall, hangUpAll, registerPhone, type Phone } from '../support/sipp.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => killAll());

const DESK_OK = { __OUTCOME__: '200 OK' };

async function setup(extra: { phone?: object; keys?: object[]; pbx?: object; web?: object } = {}) {
  const kamailio = await Kamailio.start();
  cleanup.push(() => kamailio.close());
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: kamailio.port, dialect: 'kamailio', ...extra.pbx },
    account: { user: '900' },
    local: { address: '127.0.0.1', port: await freePort() },
    phone: { uri: '201', ...extra.phone },
    errorFlashMs: 1500,
    log: { level: 'debug', sipTrace: true },
    keys: extra.keys ?? [{ key: 1, partner: '207' }],
    ...(extra.web == null ? {} : { web: extra.web }),
  });
  cleanup.push(() => lampfield.stop());
  await lampfield.waitForState(1, 'idle');
  return { kamailio, lampfield };
}

/** 211 calls 207, which rings for `ringMs`; resolves once key 1 shows it ringing. */
async function ringing(
  kamailio: Kamailio,
  lampfield: LampfieldProcess,
  ringMs = 12_000,
): Promise<{ over: Promise<number> }> {
  const callee: Phone = await registerPhone(kamailio, '207');
  cleanup.push(() => hangUpAll([callee]));
  expectCall(kamailio, callee, ringMs);
  const caller = call(kamailio, '211', '207', { cancelAfterMs: 8000 }).catch(() => 1);
  await lampfield.waitForState(1, 'ringing');
  return { over: caller }; // not the promise itself: an async function would wait for it
}

async function pressAndExpect(
  lampfield: LampfieldProcess,
  desk: Awaited<ReturnType<typeof deskPhone>>,
): Promise<void> {
  lampfield.type('press 1');
  const { code, errors } = await desk.done;
  if (code !== 0)
    throw new Error(
      `the desk phone's scenario failed (exit ${code}):\n${errors}\nlampfield:\n${lampfield.output()}`,
    );
}

/** The key flashes its error lamp, and the log says why in one line, then shows the partner again. */
async function expectFailure(lampfield: LampfieldProcess, reason: RegExp): Promise<void> {
  await lampfield.waitForState(1, 'error');
  // The log comes on standard error, the lamp on standard output: wait for the log to catch up.
  await lampfield.waitFor(() => reason.test(lampfield.output()), `the log line ${reason}`);
  await lampfield.waitFor(() => lampfield.current(1) !== 'error', 'the error lamp to end');
}

describe('key presses through Kamailio, on the desk phone', { timeout: 60_000 }, () => {
  it('an idle partner: INVITE to the desk phone, then REFER to the partner', async () => {
    const { kamailio, lampfield } = await setup();
    const desk = await deskPhone(kamailio, 'desk-phone', {
      ...DESK_OK,
      __REFER_TO__: `^ *<sip:207@127\\.0\\.0\\.1:${kamailio.port}>$`,
    });
    await pressAndExpect(lampfield, desk);
    await lampfield.waitFor(
      () => /key 1: dial sip:207@127\.0\.0\.1/.test(lampfield.output()),
      'the log line',
    );
  });

  it('a ringing partner: REFER with Replaces built from the early dialog, tags oriented per RFC 3891', async () => {
    const { kamailio, lampfield } = await setup();
    // to-tag is the caller's (sipp 211 tags end in a1), from-tag the partner's (207's end in c1).
    const desk = await deskPhone(kamailio, 'desk-phone', {
      ...DESK_OK,
      __REFER_TO__:
        '^ *<sip:211@127\\.0\\.0\\.1:[0-9]+\\?Replaces=[^%]+%40127\\.0\\.0\\.1%3Bto-tag%3D[0-9]+a1%3Bfrom-tag%3D[0-9]+c1%3Bearly-only>$',
    });
    const caller = await ringing(kamailio, lampfield);
    await pressAndExpect(lampfield, desk);
    await caller.over;
  });

  it('refer mode: one out-of-dialog REFER to the desk phone', async () => {
    const { kamailio, lampfield } = await setup({ phone: { mode: 'refer' } });
    const desk = await deskPhone(kamailio, 'desk-refer', {
      __REFER_TO__: `^ *<sip:207@127\\.0\\.0\\.1:${kamailio.port}>$`,
    });
    await pressAndExpect(lampfield, desk);
  });

  it('a dialect with a feature code (asterisk: **{number}) dials it to pick up', async () => {
    const { kamailio, lampfield } = await setup({
      pbx: { dialect: 'asterisk' },
      keys: [{ key: 1, partner: '207', pickup: ['code'] }],
    });
    const desk = await deskPhone(kamailio, 'desk-phone', {
      ...DESK_OK,
      __REFER_TO__: `^ *<sip:\\*\\*207@127\\.0\\.0\\.1:${kamailio.port}>$`,
    });
    const caller = await ringing(kamailio, lampfield);
    await pressAndExpect(lampfield, desk);
    await caller.over;
  });
});

describe('failed key presses: error lamp, one log line, and the key still works', { timeout: 60_000 }, () => {
  it('the desk phone will not be called without an offer (488)', async () => {
    const { kamailio, lampfield } = await setup();
    const refusing = await deskPhone(kamailio, 'desk-refuses-call', {
      __REFUSAL__: '488 Not Acceptable Here',
    });
    lampfield.type('press 1');
    await expectFailure(
      lampfield,
      /key 1: dial sip:207@127\.0\.0\.1 failed: the desk phone refused the call \(488 Not Acceptable Here\)/,
    );
    await refusing.done;
    await pressAndExpect(
      lampfield,
      await deskPhone(kamailio, 'desk-phone', { ...DESK_OK, __REFER_TO__: 'sip:207@' }),
    );
  });

  it('the desk phone is busy', async () => {
    const { kamailio, lampfield } = await setup();
    const busy = await deskPhone(kamailio, 'desk-refuses-call', { __REFUSAL__: '486 Busy Here' });
    lampfield.type('press 1');
    await expectFailure(
      lampfield,
      /key 1: dial sip:207@127\.0\.0\.1 failed: the desk phone is busy \(486 Busy Here\)/,
    );
    await busy.done;
    await pressAndExpect(
      lampfield,
      await deskPhone(kamailio, 'desk-phone', { ...DESK_OK, __REFER_TO__: 'sip:207@' }),
    );
  });

  it('the desk phone does not answer: CANCEL after the answer time', async () => {
    const { kamailio, lampfield } = await setup({ phone: { answerTimeoutSeconds: 1 } });
    const silent = await deskPhone(kamailio, 'callee', { __RING__: '20000' });
    lampfield.type('press 1');
    await expectFailure(lampfield, /failed: the desk phone did not answer within 1 s/);
    expect((await silent.done).code).toBe(0); // it saw the CANCEL
    await pressAndExpect(
      lampfield,
      await deskPhone(kamailio, 'desk-phone', { ...DESK_OK, __REFER_TO__: 'sip:207@' }),
    );
  });

  it('the desk phone refuses the REFER', async () => {
    const { kamailio, lampfield } = await setup();
    const refusing = await deskPhone(kamailio, 'desk-refuses-refer', {
      __REFER_STATUS__: '403 Forbidden',
      __REFER_TO__: 'sip:207@',
    });
    lampfield.type('press 1');
    await expectFailure(lampfield, /failed: the desk phone refused the REFER: 403 Forbidden/);
    const refused = await refusing.done;
    expect(refused.code, refused.errors).toBe(0); // and lampfield left the call with BYE
    await pressAndExpect(
      lampfield,
      await deskPhone(kamailio, 'desk-phone', { ...DESK_OK, __REFER_TO__: 'sip:207@' }),
    );
  });

  it('the call was already answered elsewhere (481 to the Replaces)', async () => {
    const { kamailio, lampfield } = await setup();
    const late = await deskPhone(kamailio, 'desk-phone', {
      ...DESK_OK,
      __OUTCOME__: '481 Call/Transaction Does Not Exist',
      __REFER_TO__: 'Replaces=',
    });
    const caller = await ringing(kamailio, lampfield);
    lampfield.type('press 1');
    await expectFailure(
      lampfield,
      /key 1: pickup sip:207@127\.0\.0\.1 failed: the call was already answered elsewhere/,
    );
    expect((await late.done).code).toBe(0);
    await caller.over;
    await lampfield.waitForState(1, 'idle');
    await pressAndExpect(
      lampfield,
      await deskPhone(kamailio, 'desk-phone', { ...DESK_OK, __REFER_TO__: 'sip:207@' }),
    );
  });

  it('a press on the status page (web.control): the same call, and the page lists what it did', async () => {
    const token = 'reception-page-token';
    const port = await freePort();
    const { kamailio, lampfield } = await setup({ web: { port, token, control: true } });
    const desk = await deskPhone(kamailio, 'desk-phone', {
      ...DESK_OK,
      __REFER_TO__: `^ *<sip:207@127\\.0\\.0\\.1:${kamailio.port}>$`,
    });
    const page = `http://127.0.0.1:${port}`;
    const press = (query: string) =>
      fetch(`${page}/press${query}`, { method: 'POST', body: JSON.stringify({ key: 1, gesture: 'short' }) });
    expect((await press('')).status).toBe(403); // no token, no press
    // Twenty clicks at once: the panel's gate lets one through (one press per key at a time), as for
    // the panel's own keys; the flood is said once.
    const clicks = await Promise.all(Array.from({ length: 20 }, () => press(`?token=${token}`)));
    expect(clicks.map((click) => click.status)).toEqual(Array.from({ length: 20 }, () => 204));
    const { code, errors } = await desk.done;
    if (code !== 0) throw new Error(`the desk phone's scenario failed (exit ${code}):\n${errors}`);
    // The page's stream starts with everything it shows: the press and how it ended.
    await expect
      .poll(async () => (await firstSnapshot(`${page}/events?token=${token}`)).presses, { timeout: 10_000 })
      .toEqual([expect.objectContaining({ key: 1, stage: 'done', text: 'called 207' })]);
    expect(lampfield.output()).toMatch(/presses on it press keys \(web\.control\)/);
    expect(lampfield.output().match(/presses come faster than lampfield carries them out/g)).toHaveLength(1);
  });

  it('no pickup method is possible', async () => {
    const { kamailio, lampfield } = await setup({ keys: [{ key: 1, partner: '207', pickup: ['target'] }] });
    const caller = await ringing(kamailio, lampfield);
    lampfield.type('press 1');
    await expectFailure(
      lampfield,
      /failed: no pickup method possible \(target: the remote target is not a pickup URI\)/,
    );
    await caller.over;
    await lampfield.waitForState(1, 'idle');
    await pressAndExpect(
      lampfield,
      await deskPhone(kamailio, 'desk-phone', { ...DESK_OK, __REFER_TO__: 'sip:207@' }),
    );
  });
});

void stopProcess;

/** The first snapshot the status page streams (server-sent events, src/web/panel-server.ts). */
async function firstSnapshot(url: string): Promise<{ presses: unknown[] }> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
  controller.abort();
  return JSON.parse(text.slice('data: '.length, text.indexOf('\n\n'))) as { presses: unknown[] };
}
