/**
 * liblinphone 5.1's lp-auto-answer (Debian `linphone-cli`) as the desk phone, in a network namespace of
 * its own with loopback only (shared/notes/real-phones.md: it takes its address from the interface of
 * the default route, which must be loopback so that every packet stays on 127.0.0.0/8). This script is
 * started inside that namespace by test/integration/linphone-desk-phone.test.ts; it runs Kamailio,
 * lp-auto-answer registered as 201 (as 211 in `transfer`, with baresip as 201), sipp partners and
 * lampfield's watcher, plays one scenario (`dial`, `pickup` or `transfer`, argv[2]) and prints one JSON
 * line per step for the test to read.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kamailio } from './kamailio.ts';
import { freePort } from './ports.ts';
import { killAll, startProcess, stopProcess } from './processes.ts';
import { Baresip } from './baresip.ts';
import { expectCall, pickableCall, registerPhone } from './sipp.ts';
import { PARTNER_207, until, watch207 } from './watcher-rig.ts';

const PARTNER = PARTNER_207;
const say = (step: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ step, ...fields })}\n`);

async function main(scenario: string): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'lampfield-linphone-'));
  mkdirSync(join(home, '.local/share/linphone'), { recursive: true });
  mkdirSync(join(home, '.config/linphone'), { recursive: true });
  const kamailio = await Kamailio.start();
  const phonePort = await freePort(true);
  const phone = startProcess(
    'lp-auto-answer',
    ['--listening-uri', `sip:127.0.0.1:${phonePort}`, '--max-call-duration', '3', '--verbose'],
    { env: { ...process.env, HOME: home } },
  );
  try {
    // In `transfer`, Linphone is the far side (211) of a call lampfield keeps, baresip the desk phone.
    const transfer = scenario === 'transfer';
    await registerPhone(kamailio, transfer ? '211' : '201', phonePort);
    const desk = transfer ? await Baresip.start(kamailio, '201') : null;
    const { watcher, log } = await watch207(
      kamailio.port,
      transfer
        ? {
            phone: { uri: '201', mode: 'controller' },
            keys: [
              { key: 1, partner: '207' },
              { key: 2, partner: '211' },
            ],
          }
        : {},
    );
    await until(() => watcher.partner(PARTNER)?.situation === 'idle', 'partner 207 idle');
    const partner = await registerPhone(kamailio, '207');
    const said = () => log.lines.map((line) => `${line.level} ${line.message}`);
    if (scenario === 'dial') {
      const answered = expectCall(kamailio, partner, 100).exited;
      say('press', { outcome: await watcher.press(1, 'short'), log: said() });
      await until(() => watcher.partner(PARTNER)?.situation === 'busy', 'partner 207 busy');
      say('busy');
      // lp-auto-answer hangs up after its maximum call duration: 207's phone gets the BYE.
      say('partner', { code: await answered });
    } else if (transfer) {
      // The receptionist calls 211 (key 2, lampfield as controller), then hands the call to 207.
      say('call', { outcome: await watcher.press(2, 'short'), log: said() });
      await until(() => watcher.controlledCalls() === 1, 'the call kept by lampfield');
      const answered = expectCall(kamailio, partner, 100).exited;
      say('press', { outcome: await watcher.press(1, 'short'), log: said() });
      await until(() => watcher.partner(PARTNER)?.situation === 'busy', 'partner 207 busy');
      // 207 talks to Linphone (its From is its bare listening URI, so its Contact says who it is).
      say('busy', { with: watcher.partner(PARTNER)?.view.focus?.remote.target, linphone: phonePort });
      await until(() => watcher.controlledCalls() === 0, 'lampfield out of the call');
      // Linphone hangs up after its maximum call duration: 207's phone gets the BYE.
      say('partner', { code: await answered });
      await desk?.stop();
    } else {
      const ringing = expectCall(kamailio, partner, 30_000).exited;
      const call = await pickableCall(kamailio, '211', '207', 'waits for the BYE');
      await until(() => watcher.partner(PARTNER)?.situation === 'ringing', 'partner 207 ringing');
      say('press', { outcome: await watcher.press(1, 'short'), log: said() });
      say('caller', await call.caller);
      say('partner', { code: await ringing });
      say('replaced', await call.replaced);
    }
    say('controlled', { calls: watcher.controlledCalls() });
    await watcher.stop();
  } catch (error) {
    say('error', {
      message: error instanceof Error ? error.message : String(error),
      phone: phone.output().slice(-4000),
    });
  } finally {
    await stopProcess(phone);
    await kamailio.close();
    killAll();
  }
  say('done');
}

await main(process.argv[2] ?? 'dial');
process.exit(0);
