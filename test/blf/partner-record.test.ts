/** Version rules of BRIEF §3 (RFC 4235 §4.1, §4.3), per subscription. */
import { describe, expect, it } from 'vitest';
import {
  applyDocument,
  FRESH_RECORD,
  MAX_DIALOGS,
  type PartnerRecord,
} from '../../src/blf/partner-record.ts';
import type { DialogInfoDialog, DialogInfoDocument } from '../../src/blf/dialog-info.ts';
import { dialog } from '../support/dialogs.ts';

function doc(
  version: number | null,
  state: 'full' | 'partial',
  ...dialogs: DialogInfoDialog[]
): DialogInfoDocument {
  return { entity: 'sip:207@pbx', version, state, dialogs };
}

function applied(record: PartnerRecord, document: DialogInfoDocument, subscription = 's1'): PartnerRecord {
  const outcome = applyDocument(record, document, subscription);
  if (outcome.kind !== 'applied') throw new Error(outcome.message);
  return outcome.record;
}

const ids = (record: PartnerRecord) => [...record.dialogs.values()].map((d) => `${d.id}:${d.state}`);

describe('versions', () => {
  it('drops a lower version and leaves the record as it was', () => {
    const record = applied(FRESH_RECORD, doc(5, 'full', dialog('a', 'confirmed')));
    const outcome = applyDocument(record, doc(4, 'full'), 's1');
    expect(outcome.kind).toBe('stale');
    expect(outcome.record).toBe(record);
  });

  it('applies an equal version (RFC 5359 §2.17 repeats version 0 with new content)', () => {
    const record = applied(FRESH_RECORD, doc(0, 'full', dialog('a', 'confirmed')));
    expect(ids(applied(record, doc(0, 'full', dialog('a', 'terminated'))))).toEqual(['a:terminated']);
  });

  it('asks for full state on a partial that skips a version, applying nothing', () => {
    const record = applied(FRESH_RECORD, doc(2, 'full', dialog('a', 'confirmed')));
    const outcome = applyDocument(record, doc(4, 'partial', dialog('a', 'terminated')), 's1');
    expect(outcome.kind).toBe('gap');
    expect(outcome.record).toBe(record);
  });

  it('applies a full document that skips versions: it replaces everything anyway', () => {
    const record = applied(FRESH_RECORD, doc(2, 'full', dialog('a', 'confirmed')));
    expect(applied(record, doc(9, 'full')).version).toBe(9);
  });

  it('starts afresh on a new subscription: a low version is applied and old dialogs are gone', () => {
    const record = applied(FRESH_RECORD, doc(40, 'full', dialog('a', 'confirmed')));
    const next = applied(record, doc(0, 'partial', dialog('b', 'early')), 's2');
    expect(next).toMatchObject({ subscription: 's2', version: 0 });
    expect(ids(next)).toEqual(['b:early']);
  });

  it('applies a document without a version and keeps the last version', () => {
    const record = applied(FRESH_RECORD, doc(3, 'full'));
    expect(applied(record, doc(null, 'full', dialog('a', 'confirmed'))).version).toBe(3);
  });
});

describe('full and partial state', () => {
  it('a full document replaces every dialog', () => {
    const record = applied(FRESH_RECORD, doc(1, 'full', dialog('a', 'confirmed'), dialog('b', 'early')));
    expect(ids(applied(record, doc(2, 'full', dialog('c', 'trying'))))).toEqual(['c:trying']);
  });

  it('a partial merges by id, removes terminated dialogs and carries identities forward', () => {
    const bob = { identity: 'sip:bob@example.net', display: 'Bob', target: null, rendering: null };
    let record = applied(
      FRESH_RECORD,
      doc(1, 'full', dialog('a', 'trying', { remote: bob, callId: 'c1' }), dialog('b', 'confirmed')),
    );
    record = applied(
      record,
      doc(
        2,
        'partial',
        dialog('a', 'early', { remote: { ...bob, identity: null, display: null, target: 'sip:bobster@h2' } }),
        dialog('b', 'terminated'),
      ),
    );
    expect(ids(record)).toEqual(['a:early']);
    expect(record.dialogs.get('id:a')).toMatchObject({
      callId: 'c1',
      remote: { identity: 'sip:bob@example.net', display: 'Bob', target: 'sip:bobster@h2' },
    });
  });

  it('does not carry a hold forward: an update without it means the call was resumed', () => {
    const held = { identity: null, display: null, target: 'sip:a@h', rendering: 'no' as const };
    let record = applied(FRESH_RECORD, doc(1, 'full', dialog('a', 'confirmed', { local: held })));
    record = applied(record, doc(2, 'partial', dialog('a', 'confirmed')));
    expect(record.dialogs.get('id:a')!.local.rendering).toBeNull();
  });

  it('keeps at most MAX_DIALOGS dialogs against a notifier that never ends any', () => {
    let record = FRESH_RECORD;
    for (let version = 0; version < MAX_DIALOGS + 10; version++) {
      record = applied(record, doc(version, 'partial', dialog(`d${version}`, 'confirmed')));
    }
    expect(record.dialogs.size).toBe(MAX_DIALOGS);
    expect(record.dialogs.has(`id:d${MAX_DIALOGS + 9}`)).toBe(true);
  });
});
