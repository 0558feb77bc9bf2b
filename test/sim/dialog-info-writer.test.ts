/**
 * The simulator's documents, read back by lampfield's own reader in the same dialect: every dialect's
 * rendering of a call's life gives the states and pickup a user expects.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS, DIALECT_NAMES, type DialectName } from '../../src/blf/dialects.ts';
import { callerOf, DialogIntake } from '../../src/blf/dialog-intake.ts';
import { innovaphoneAnswer, renderDialogInfo, type SimCall } from '../../src/sim/dialog-info-writer.ts';

const CONTEXT = { entity: 'sip:207@127.0.0.1', number: '207', host: '127.0.0.1' };
const CALL: SimCall = {
  id: 'c1',
  callId: 'call-1@sim',
  localTag: 'tag207',
  remoteTag: 'tag211',
  direction: 'recipient',
  phase: 'early',
  remote: { uri: 'sip:211@127.0.0.1', display: 'Front & Back <desk>' },
  held: false,
};

function lifecycle(dialect: DialectName): { states: string[]; pickup: unknown } {
  const watcher = new DialogIntake(DIALECTS[dialect]);
  const steps: SimCall[][] = [
    [],
    [CALL],
    [{ ...CALL, phase: 'confirmed' }],
    [{ ...CALL, phase: 'confirmed', held: true }],
    [{ ...CALL, phase: 'confirmed' }],
    [{ ...CALL, phase: 'terminated' }],
  ];
  let pickup: unknown = null;
  const states = steps.map((calls, version) => {
    const result = watcher.apply({
      body: renderDialogInfo(dialect, calls, { ...CONTEXT, version }),
      from: CONTEXT.entity,
    });
    if (!result.accepted)
      throw new Error(`${dialect} v${version}: ${result.error.code} ${result.error.message}`);
    if (version === 1) pickup = result.view.pickup;
    return result.view.state;
  });
  return { states, pickup };
}

describe('simulated dialog-info, read back per dialect', () => {
  it.each(DIALECT_NAMES.filter((name) => name !== 'innovaphone').map((name) => [name]))(
    '%s: idle, ringing, busy, held, busy, idle',
    (dialect) => {
      expect(lifecycle(dialect).states).toEqual(['idle', 'ringing', 'busy', 'held', 'busy', 'idle']);
    },
  );

  it('innovaphone: the seed shows no hold, so a held call stays busy', () => {
    expect(lifecycle('innovaphone').states).toEqual(['idle', 'ringing', 'busy', 'busy', 'busy', 'idle']);
  });

  it('offers the pickup each family offers', () => {
    expect(lifecycle('generic').pickup).toEqual({
      ok: true,
      target: {
        method: 'replaces',
        uri: 'sip:211@127.0.0.1',
        replaces: 'call-1@sim;to-tag=tag211;from-tag=tag207;early-only',
      },
      fallbacks: [],
    });
    expect(lifecycle('kamailio').pickup).toMatchObject({ ok: true, target: { method: 'replaces' } });
    expect(lifecycle('freeswitch').pickup).toEqual({
      ok: true,
      target: { method: 'target', uri: 'sip:**207@127.0.0.1', replaces: null },
      fallbacks: [{ method: 'code', uri: 'sip:**207@127.0.0.1', replaces: null }],
    });
    expect(lifecycle('asterisk').pickup).toEqual({
      ok: true,
      target: { method: 'code', uri: 'sip:**207@127.0.0.1', replaces: null },
      fallbacks: [],
    });
    expect(lifecycle('innovaphone').pickup).toMatchObject({
      ok: true,
      target: { replaces: 'call-1@sim;early-only' },
    });
  });

  it.each(DIALECT_NAMES.map((name) => [name]))(
    '%s: the caller reads as their display name, else their number, never a URI',
    (dialect) => {
      const body = (display: string | null) =>
        renderDialogInfo(dialect, [{ ...CALL, remote: { uri: 'sip:223@127.0.0.1', display } }], {
          ...CONTEXT,
          version: 1,
        });
      const caller = (display: string | null) => {
        const result = new DialogIntake(DIALECTS[dialect]).apply({
          body: body(display),
          from: CONTEXT.entity,
        });
        return result.accepted ? callerOf(result.view) : result.error.code;
      };
      // innovaphone sends no display name: the number is all there is.
      const number = body(null).includes('sip:223@') ? '223' : null;
      const sendsDisplay = body('Anna Berg').includes('display="Anna Berg"');
      // Asterisk names the caller as a real one does (test/vectors/asterisk/dialog-207-3-early-from-211.sip).
      if (dialect === 'asterisk') expect([number, sendsDisplay]).toEqual(['223', true]);
      expect(caller(null)).toBe(number);
      expect(caller('  ')).toBe(number);
      expect(caller('Anna Berg')).toBe(sendsDisplay ? 'Anna Berg' : number);
    },
  );

  it('innovaphone answers with terminated, then proceeding (the pair the idle hold rides over)', () => {
    const watcher = new DialogIntake(DIALECTS.innovaphone);
    const read = (body: string) => {
      const result = watcher.apply({ body, from: '<sip:207@127.0.0.1;user=phone>' });
      return result.accepted ? result.view.state : result.error.code;
    };
    expect(read(renderDialogInfo('innovaphone', [CALL], { ...CONTEXT, version: 9 }))).toBe('ringing');
    const [ended, connected] = innovaphoneAnswer(CALL, { ...CONTEXT, version: 10 });
    expect([read(ended), read(connected)]).toEqual(['idle', 'busy']);
  });

  it('keeps a terminated dialog beside a new ringing one (Kamailio lingering), still ringing', () => {
    const watcher = new DialogIntake(DIALECTS.kamailio);
    const body = renderDialogInfo(
      'kamailio',
      [
        { ...CALL, phase: 'terminated' },
        { ...CALL, id: 'c2', callId: 'call-2@sim', remoteTag: 'tag212' },
      ],
      { ...CONTEXT, version: 4 },
    );
    const result = watcher.apply({ body });
    expect(result.accepted && result.view.state).toBe('ringing');
    expect(result.accepted && result.view.pickup).toMatchObject({
      target: { replaces: 'call-2@sim;to-tag=tag212;from-tag=tag207;early-only' },
    });
  });
});
