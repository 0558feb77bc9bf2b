/**
 * NOTIFY to lamp (BRIEF §9): a scripted PBX sends a NOTIFY each millisecond into lampfield's
 * subscription, each changing the partner between ringing and busy; the time from the NOTIFY's send to
 * the panel's new lamp, p50 and p99 (target p99 < 1 ms). Both in this process, over UDP on 127.0.0.1.
 */
import type { Lamp } from '../firmware-sim/protocol/lamp.ts';
import type { KeyInfo } from '../src/panel/panel.ts';
import { closeScriptedPbxs, ScriptedPbx, watcherPort } from '../test/support/scripted-pbx.ts';
import { until, watch207 } from '../test/support/watcher-rig.ts';
import type { BenchRow } from './table.ts';

const NOTIFIES = 2000;
const DIALOG = (version: number, state: string) => `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="sip:207@127.0.0.1">
  <dialog id="d1" call-id="c1" local-tag="l1" remote-tag="r1" direction="recipient"><state>${state}</state></dialog>
</dialog-info>`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchNotifyToLamp(): Promise<BenchRow[]> {
  const pbx = await ScriptedPbx.open();
  pbx.answer = (request) =>
    request.message.method === 'SUBSCRIBE' ? pbx.accept(request) : request.respond(200);
  const { watcher, panel } = await watch207(pbx.stack.port, {
    pbx: { keepaliveSeconds: 0 },
    phone: undefined,
    log: { level: 'error' },
  });
  let shown: ((at: number) => void) | null = null;
  const setLamp = panel.setLamp.bind(panel);
  panel.setLamp = (key: number, lamp: Lamp, info: KeyInfo) => {
    if (info.state === 'ringing' || info.state === 'busy') shown?.(performance.now());
    setLamp(key, lamp, info);
  };
  try {
    await until(() => pbx.subscribes().length === 1, 'the SUBSCRIBE');
    const subscribe = pbx.subscribes()[0]!.message;
    const port = watcherPort(subscribe);
    const latencies: number[] = [];
    let lost = 0;
    const next = performance.now();
    for (let n = 0; n < NOTIFIES; n++) {
      // One NOTIFY each millisecond, each waited for: it changes the partner between ringing and busy.
      while (performance.now() < next + n) await new Promise((resolve) => setImmediate(resolve));
      const lit = new Promise<number | null>((resolve) => {
        shown = resolve;
        setTimeout(() => resolve(null), 1000); // a NOTIFY lost on the way: counted, not waited for
      });
      const sent = performance.now();
      void pbx.notify(subscribe, port, DIALOG(n + 1, n % 2 === 0 ? 'early' : 'confirmed'));
      const at = await lit;
      if (at == null) lost++;
      else latencies.push(at - sent);
    }
    return [
      {
        figure: `NOTIFY → lamp at ~1,000 NOTIFY/s, p50 of ${NOTIFIES}`,
        value: percentile(latencies, 50).toFixed(2),
        unit: 'ms',
      },
      { figure: '  p99 (target < 1 ms)', value: percentile(latencies, 99).toFixed(2), unit: 'ms' },
      { figure: '  NOTIFYs that lit no lamp', value: String(lost), unit: '' },
    ];
  } finally {
    await watcher.stop();
    await closeScriptedPbxs();
  }
}
