/**
 * NOTIFYs captured from a real Kamailio 5.6 (test/vectors/README.md), read in arrival order as one
 * subscription: the behaviours of shared/notes/kamailio.md on real documents.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { decodeText, type DecodeLine } from '../../src/app/decode-text.ts';
import { readVector, VECTORS_DIR } from '../support/vectors.ts';

function sequence(prefix: string, dialect: DialectName = 'kamailio'): DecodeLine[] {
  const files = readdirSync(`${VECTORS_DIR}kamailio`)
    .filter((file) => file.startsWith(prefix))
    .sort();
  const watcher = new DialogIntake(DIALECTS[dialect]);
  return files.flatMap((file) => decodeText(watcher, file, readVector(`kamailio/${file}`)));
}

const states = (lines: DecodeLine[]) => lines.map((line) => line.state);

describe('real Kamailio NOTIFYs', () => {
  it('an answered call: the empty first NOTIFY is idle, then ringing, busy, idle', () => {
    const lines = sequence('call-answered-');
    expect(lines.every((line) => line.accepted)).toBe(true);
    expect(states(lines)).toEqual(['idle', 'ringing', 'busy', 'idle']);
  });

  it('builds the Replaces from the early document, the only one with tags', () => {
    const [, early, confirmed] = sequence('call-answered-');
    expect(early!.accepted && early!.pickup).toEqual({
      method: 'replaces',
      uri: 'sip:211@127.0.0.1:5092',
      replaces: '1-9404@127.0.0.1;to-tag=9404a1;from-tag=9391c1;early-only',
    });
    expect(confirmed!.accepted && confirmed!.dialogs[0]).toMatchObject({ localTag: null, remoteTag: null });
  });

  it('a missed call, then a new call while the first still lingers as terminated', () => {
    const lines = sequence('missed-then-answered-207-');
    expect(states(lines)).toEqual(['idle', 'ringing', 'idle', 'ringing', 'busy', 'idle', 'idle']);
    const second = lines[3]!;
    expect(second.accepted && second.dialogs.map((dialog) => dialog.state)).toEqual(['early', 'terminated']);
    expect(second.accepted && second.pickup?.replaces).toBe(
      '1-9725@127.0.0.1;to-tag=9725a1;from-tag=9699c2;early-only',
    );
  });

  it('the caller side: Trying with a capital T is the partner calling out', () => {
    const lines = sequence('caller-211-');
    expect(states(lines)).toEqual(['idle', 'calling', 'busy', 'idle', 'calling', 'busy', 'busy', 'idle']);
  });

  it('reads the same with the generic dialect', () => {
    expect(states(sequence('missed-then-answered-207-', 'generic'))).toEqual(
      states(sequence('missed-then-answered-207-')),
    );
  });
});
