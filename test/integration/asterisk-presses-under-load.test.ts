/**
 * 50 presses in a row through Asterisk while `stress-ng --cpu 2` loads the machine: every one ends in the
 * right call. A press on idle 207 connects the desk phone (baresip, 201) to 207; a press while 211's
 * call rings at 207 connects the desk phone to 211 (`**207`, Pickup()). Under load Asterisk is slowest to
 * bridge lampfield's call to the desk phone, and a REFER sent into that moment is refused with a sipfrag
 * 400 (res_pjsip_refer.c): lampfield sends it again (the asterisk dialect's sipfrag table). Skipped, with
 * one line, without an Asterisk build (test/support/asterisk.ts).
 */
import { afterAll, expect, it } from 'vitest';
import type { MemoryLogger } from '../../src/util/log.ts';
import { Asterisk, describeOnAsterisk } from '../support/asterisk.ts';
import { Baresip } from '../support/baresip.ts';
import { killAll, startProcess, stopProcess } from '../support/processes.ts';
import { call, expectCall, hangUpAll, registerPhone } from '../support/sipp.ts';
import { PARTNER_207, until as waitUntil, watch207 } from '../support/watcher-rig.ts';

afterAll(() => killAll());

const PRESSES = 50;
const DESK = 'sip:201@127.0.0.1';
const said = (log: MemoryLogger) => log.lines.map((line) => `${line.level} ${line.message}`).join('\n');

describeOnAsterisk()('Asterisk under load', () => {
  it(
    `${PRESSES} presses in a row, beside stress-ng --cpu 2: each ends in the right call`,
    { timeout: 300_000 },
    async () => {
      const pbx = await Asterisk.start();
      const desk = await Baresip.start(pbx, '201');
      const partner = await registerPhone(pbx, '207');
      const rig = await watch207(pbx.port, {
        pbx: { dialect: 'asterisk' },
        account: { user: '900', password: 'watch900' },
        phone: { uri: '201', watch: true },
      });
      // The load: stress-ng --cpu 2 of its own, or the one `npm run test:stress` runs beside the whole
      // suite (LAMPFIELD_LOADED), not a second on top of it.
      const load =
        process.env['LAMPFIELD_LOADED'] == null
          ? startProcess('stress-ng', ['--cpu', '2', '--timeout', '600s', '--quiet'], { group: true })
          : null;
      const state = (uri: string) => rig.watcher.partner(uri)?.situation;
      // A wait that did not end says what lampfield logged meanwhile.
      const until = (check: () => boolean, what: string) =>
        waitUntil(check, what).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}\n${said(rig.log)}`);
        });
      try {
        await until(
          () => state(PARTNER_207) === 'idle' && state(DESK) === 'idle',
          '207 and the desk phone idle',
        );
        for (let press = 1; press <= PRESSES; press++) {
          const what = `press ${press}`;
          if (press % 2 === 1) {
            // 207 is idle: the desk phone calls 207, 207 answers; the desk phone hangs up, 207 gets the BYE.
            const answered = expectCall(pbx, partner, 50).exited;
            expect(await rig.watcher.press(1, 'short'), `${what}\n${said(rig.log)}`).toMatchObject({
              kind: 'call',
              action: 'dial',
            });
            await until(
              () => state(PARTNER_207) === 'busy' && state(DESK) === 'busy',
              `${what}: 207 on the desk phone`,
            );
            await desk.hangUp();
            expect(await answered, what).toBe(0);
          } else {
            // 211 calls 207, which rings; the desk phone picks it up: 207 stops ringing, 211 talks to the
            // desk phone and hangs up.
            const ringing = expectCall(pbx, partner, 30_000).exited;
            const caller = call(pbx, '211', '207', { talkMs: 300 });
            await until(() => state(PARTNER_207) === 'ringing', `${what}: 207 ringing`);
            expect(await rig.watcher.press(1, 'short'), `${what}\n${said(rig.log)}`).toMatchObject({
              kind: 'call',
              action: 'pickup',
            });
            expect(await ringing, what).toBe(0);
            expect(await caller, what).toBe(0);
          }
          await until(
            () => state(PARTNER_207) === 'idle' && state(DESK) === 'idle',
            `${what}: both idle again`,
          );
        }
        // No press failed (a keepalive Asterisk answers late on a starved machine may be said: not a press).
        expect(
          rig.log.lines.filter((line) => line.level === 'warn' && line.message.startsWith('key ')),
        ).toEqual([]);
        const retried = rig.log.lines.filter((line) => /sent again/.test(line.message)).length;
        console.log(
          `${PRESSES} presses under load on Asterisk: REFERs sent again after a sipfrag 400: ${retried}`,
        );
      } finally {
        if (load != null) await stopProcess(load);
        await rig.watcher.stop();
        await hangUpAll([partner]);
        await desk.stop();
        await pbx.close();
      }
    },
  );
});
