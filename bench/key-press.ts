/**
 * Key press to the first SIP request on the wire (BRIEF §9): `press 1` typed on a running
 * `lampfield run`'s console board until its INVITE to the desk phone reaches the PBX's socket. The
 * "PBX" is a plain UDP socket that answers the INVITE 486, so that every press ends at once. Presses come
 * as a person's would, within the press gate (src/blf/key-actions.ts PressGate: a key 250 ms apart, 8
 * presses a second): four keys in turn, one every 130 ms. A press with no INVITE within 2 s ends the row
 * with what happened. Target: p99 under 2 ms.
 */
import dgram from 'node:dgram';
import { LampfieldProcess } from '../test/support/lampfield-process.ts';
import { freePort } from '../test/support/ports.ts';
import type { BenchRow } from './table.ts';

const PRESSES = 100;
const WARM_UP = 10;
const KEYS = 4;
/** Above PressGate's 8 presses a second, and each key 4 × 130 ms = 520 ms apart (over its 250 ms). */
const EVERY_MS = 130;
const INVITE_WITHIN_MS = 2000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchKeyPress(): Promise<BenchRow[]> {
  const pbx = dgram.createSocket('udp4');
  let onInvite: (() => void) | null = null;
  pbx.on('message', (data, rinfo) => {
    const text = data.toString('latin1');
    const method = /^([A-Z]+) /.exec(text)?.[1];
    if (method == null || method === 'ACK') return;
    if (method === 'INVITE') onInvite?.();
    const headers = text.split('\r\n').filter((line) => /^(Via|From|To|Call-ID|CSeq):/i.test(line));
    const status =
      method === 'INVITE' ? '486 Busy Here' : method === 'SUBSCRIBE' ? '489 Bad Event' : '200 OK';
    pbx.send(
      [`SIP/2.0 ${status}`, ...headers, 'Content-Length: 0', '', ''].join('\r\n'),
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>((resolve) => pbx.bind(0, '127.0.0.1', resolve));
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: pbx.address().port, keepaliveSeconds: 0 },
    account: { user: '900' },
    local: { address: '127.0.0.1', port: await freePort() },
    phone: { uri: '201' },
    errorFlashMs: 0,
    log: { level: 'error' },
    keys: Array.from({ length: KEYS }, (_, i) => ({ key: i + 1, partner: String(207 + i) })),
  });
  await lampfield.waitForState(1, 'refused');
  const times: number[] = [];
  for (let press = 0; press < PRESSES + WARM_UP; press++) {
    const arrived = new Promise<number | null>((resolve) => {
      onInvite = () => resolve(performance.now());
      setTimeout(() => resolve(null), INVITE_WITHIN_MS);
    });
    const started = performance.now();
    lampfield.type(`press ${(press % KEYS) + 1}`);
    const at = await arrived;
    if (at == null) {
      await lampfield.stop();
      pbx.close();
      const why = `did not finish: press ${press + 1} (key ${(press % KEYS) + 1}) sent no INVITE within ${INVITE_WITHIN_MS} ms`;
      return [{ figure: 'key press → first SIP request (INVITE)', value: why, unit: '' }];
    }
    if (press >= WARM_UP) times.push(at - started); // the first presses warm the JIT
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, EVERY_MS - (performance.now() - started))),
    );
  }
  await lampfield.stop();
  pbx.close();
  return [
    {
      figure: `key press → first SIP request (INVITE), p50 of ${PRESSES}`,
      value: percentile(times, 50).toFixed(2),
      unit: 'ms',
    },
    { figure: '  p99 (target < 2 ms)', value: percentile(times, 99).toFixed(2), unit: 'ms' },
  ];
}
