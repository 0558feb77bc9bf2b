/**
 * liblinphone (lp-auto-answer) as the desk phone, which can follow a Refer-To with Replaces (its 200
 * says `Supported: replaces`): a press on an idle partner ends in its call to 207; a press on a ringing
 * partner is a REFER with Replaces, and the phone itself takes over the caller's call. As the far side
 * (211) of a call lampfield keeps, it takes a transfer (REFER in that call) and calls 207. It runs in a
 * network namespace with loopback only (test/support/linphone-rig.ts), made by `unshare -rn`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, startProcess } from '../support/processes.ts';

afterAll(() => killAll());

const RIG = fileURLToPath(new URL('../support/linphone-rig.ts', import.meta.url));

/** Runs the rig's `scenario` in a fresh network namespace; its steps, by name. */
async function rig(scenario: string): Promise<Record<string, Record<string, unknown>>> {
  const started = startProcess('unshare', [
    '-rn',
    'sh',
    '-c',
    'ip link set lo up && ip route add default via 127.0.0.2 dev lo && exec "$0" "$@"',
    process.execPath,
    '--import',
    'tsx',
    RIG,
    scenario,
  ]);
  await started.exited;
  const steps: Record<string, Record<string, unknown>> = {};
  for (const line of started.output().split('\n')) {
    if (!line.startsWith('{"step"')) continue;
    const step = JSON.parse(line) as { step: string } & Record<string, unknown>;
    steps[step.step] = step;
  }
  if (steps['error'] != null || steps['done'] == null)
    throw new Error(`the rig failed:\n${started.output()}`);
  return steps;
}

describe('Linphone as the desk phone', { timeout: 90_000 }, () => {
  it('a press on an idle partner: the phone calls 207, which answers', async () => {
    const steps = await rig('dial');
    expect(steps['press']!['outcome']).toMatchObject({ kind: 'call', action: 'dial' });
    expect(steps['busy']).toBeDefined();
    expect(steps['partner']!['code']).toBe(0);
    expect(steps['controlled']!['calls']).toBe(0);
  });

  it('a press on a ringing partner: a REFER with Replaces, and the phone picks the call up itself', async () => {
    const steps = await rig('pickup');
    expect(steps['press']!['outcome']).toMatchObject({ kind: 'call', action: 'pickup' });
    // The phone said it supports Replaces: no controller.
    expect(JSON.stringify(steps['press']!['log'])).not.toContain('controller');
    expect(steps['caller']).toMatchObject({ code: 0 });
    expect(steps['partner']!['code']).toBe(0);
    expect(steps['replaced']).toMatchObject({ code: 0 });
    expect(steps['controlled']!['calls']).toBe(0);
  });

  it('as the far side of a call lampfield keeps, it takes the transfer: it calls 207 and lampfield leaves', async () => {
    const steps = await rig('transfer');
    expect(steps['call']!['outcome']).toMatchObject({ kind: 'call', action: 'dial' });
    expect(steps['press']!['outcome']).toMatchObject({ kind: 'transfer', action: 'transfer' });
    expect(steps['busy']!['with']).toContain(`127.0.0.1:${String(steps['busy']!['linphone'])}`);
    expect(steps['partner']!['code']).toBe(0);
  });
});
