/**
 * Pickup targets checked against the reference INVITEs printed in the RFCs: the Replaces value lampfield
 * builds from the partner's dialog-info must name the same dialog, with the same tag orientation.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/blf/dialects.ts';
import type { DialogInfoDialog } from '../../src/blf/dialog-info.ts';
import { readDialogInfo } from '../../src/blf/dialog-info-reader.ts';
import { planPickup } from '../../src/blf/pickup.ts';
import { dialog } from '../support/dialogs.ts';
import { readVector } from '../support/vectors.ts';

/** The Replaces header of a reference INVITE as printed (folded lines joined), split into its parts. */
function replacesOf(file: string): { callId: string; params: Set<string> } {
  const lines = readVector(file).split(/\r?\n/);
  const start = lines.findIndex((line) => /^Replaces:/i.test(line));
  let value = lines[start]!.replace(/^Replaces:/i, '');
  for (let i = start + 1; i < lines.length && /^[ \t]/.test(lines[i]!); i++) value += lines[i]!.trim();
  const [callId, ...params] = value.replace(/\s+/g, '').split(';');
  return { callId: callId!, params: new Set(params) };
}

function split(replaces: string) {
  const [callId, ...params] = replaces.split(';');
  return { callId: callId!, params: new Set(params) };
}

function ringing(extra: Partial<DialogInfoDialog>): DialogInfoDialog {
  return dialog('1', 'early', { direction: 'recipient', ...extra });
}

describe('Replaces pickup', () => {
  it('matches RFC 3891 §7.1 message *3: to-tag is the caller’s (remote) tag, from-tag the partner’s (local)', () => {
    // Bob's desk rings with an early dialog from Alice: call-id 425928@phone.example.org, Alice's tag 7743,
    // the desk's tag 6472. From the desk's (the partner's) dialog-info, Alice is remote.
    const dialog = ringing({
      callId: '425928@phone.example.org',
      localTag: '6472',
      remoteTag: '7743',
      remote: {
        identity: 'sip:alice@example.org',
        display: null,
        target: 'sip:alice@phone.example.org',
        rendering: null,
      },
    });
    const plan = planPickup(dialog, 'sip:bob@example.org', DIALECTS.generic);
    expect(plan.ok && plan.target.uri).toBe('sip:alice@phone.example.org');
    expect(plan.ok && split(plan.target.replaces!)).toEqual(
      replacesOf('dialog-info/rfc3891-7.1-msg3-invite-replaces-early-only.sip'),
    );
  });

  it('matches RFC 5359 §2.16 F7 from the F5 NOTIFY body (the RFC drops a digit of the from-tag)', () => {
    const read = readDialogInfo(readVector('dialog-info/rfc5359-2.16-F5-pickup-early.xml'));
    if (!read.ok) throw new Error(read.error.message);
    const plan = planPickup(read.document.dialogs[0]!, read.document.entity, DIALECTS.generic);
    if (!plan.ok) throw new Error(plan.reason);
    const printed = replacesOf('dialog-info/rfc5359-2.16-F7-invite-replaces-pickup.sip');
    const ours = split(plan.target.replaces!);
    expect(ours.callId).toBe(printed.callId);
    expect(printed.params).toContain('from-tag=314578');
    expect(ours.params).toEqual(
      new Set([...printed.params].map((p) => (p === 'from-tag=314578' ? 'from-tag=3145678' : p))),
    );
    // F7's Request-URI is the caller's contact: the dialog's remote target.
    expect(plan.target.uri).toBe('sips:a8342043@atlanta.example.com;gr');
  });

  it('goes to the remote identity when there is no remote target, else to the partner', () => {
    const tags = { callId: 'c', localTag: 'l', remoteTag: 'r' };
    const withIdentity = ringing({
      ...tags,
      remote: { identity: 'sip:211@pbx', display: null, target: null, rendering: null },
    });
    expect(planPickup(withIdentity, 'sip:207@pbx', DIALECTS.generic)).toMatchObject({
      ok: true,
      target: { uri: 'sip:211@pbx' },
    });
    expect(planPickup(ringing(tags), 'sip:207@pbx', DIALECTS.generic)).toMatchObject({
      ok: true,
      target: { uri: 'sip:207@pbx' },
    });
  });

  it('refuses an exclusive dialog (RFC 7463 §5.2.2) and says why no method is possible', () => {
    const plan = planPickup(
      ringing({ callId: 'c', localTag: 'l', remoteTag: 'r', exclusive: true }),
      'sip:207@pbx',
      DIALECTS.kamailio,
    );
    expect(plan).toEqual({
      ok: false,
      reason:
        'no pickup method possible (replaces: the dialog is exclusive; code: no pickup feature code configured)',
    });
  });
});

describe('target and code pickup', () => {
  it('never dials a remote target that is the caller’s own contact', () => {
    const dialog = ringing({
      remote: { identity: null, display: null, target: 'sip:211@10.0.0.5', rendering: null },
    });
    expect(planPickup(dialog, 'sip:207@pbx', DIALECTS.generic)).toMatchObject({ ok: false });
  });

  it('uses the key’s own order and code when given', () => {
    const dialog = ringing({ callId: 'c', localTag: 'l', remoteTag: 'r' });
    const partner = 'sip:207@pbx.example.com:5060';
    const directed = planPickup(dialog, partner, DIALECTS.generic, { order: ['code'], code: '*97{number}#' });
    expect(directed).toEqual({
      ok: true,
      target: { method: 'code', uri: 'sip:*97207#@pbx.example.com:5060', replaces: null },
      fallbacks: [],
    });
    // Group pickup takes no number.
    const group = planPickup(dialog, partner, DIALECTS.generic, { order: ['code'], code: '*8' });
    expect(group).toMatchObject({ ok: true, target: { uri: 'sip:*8@pbx.example.com:5060' } });
  });
});
