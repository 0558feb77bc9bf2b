/**
 * One test per PBX behaviour in shared/notes/dialects.md and shared/notes/kamailio.md. The documents are
 * written as each family sends them (element order, attributes, quirks), so that the fact under test is
 * the one the note states.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { DialogIntake, type NotifyInput, type PartnerView } from '../../src/blf/dialog-intake.ts';

const NS = 'xmlns="urn:ietf:params:xml:ns:dialog-info"';

function watch(dialect: DialectName, ...inputs: (string | NotifyInput)[]): PartnerView[] {
  const watcher = new DialogIntake(DIALECTS[dialect]);
  return inputs.map((input) => {
    const result = watcher.apply(typeof input === 'string' ? { body: input } : input);
    if (!result.accepted) throw new Error(`refused: ${result.error.code} ${result.error.message}`);
    return result.view;
  });
}

function only(dialect: DialectName, body: string): PartnerView {
  return watch(dialect, body)[0]!;
}

describe('innovaphone', () => {
  const early = (version: number, state: string) => `<?xml version="1.0"?>
<dialog-info ${NS} state="full" version="${version}">
    <dialog id="1" direction="initiator" call-id="e1b50917e909d311824d0090330200d6">
        <state>${state}</state>
        <local><identity>sip:207@172.16.16.180</identity></local>
        <remote><identity>sip:211@172.16.16.180</identity></remote>
    </dialog>
</dialog-info>`;
  const from = '<sip:207@172.16.16.180;user=phone>;tag=2870350033';

  it('names the partner from the NOTIFY From when the body has no entity', () => {
    const [view] = watch('innovaphone', { body: early(9, 'early'), from, subscription: 'c1' });
    expect(view!.entity).toBe('sip:207@172.16.16.180');
  });

  it('reads an early dialog marked initiator as a call the partner receives', () => {
    expect(only('innovaphone', early(9, 'early')).state).toBe('ringing');
  });

  it("reads an early dialog marked recipient as the partner's own call out: innovaphone writes the PBX's side", () => {
    const out = early(9, 'early').replace('direction="initiator"', 'direction="recipient"');
    expect(only('innovaphone', out).state).toBe('calling');
    // Read the RFC 4235 way, the same document would be the other way round.
    expect(only('generic', out).state).toBe('ringing');
  });

  it('reads proceeding after terminated as connected, not ringing (Snom gets this wrong)', () => {
    const views = watch('innovaphone', early(9, 'early'), early(10, 'terminated'), early(11, 'proceeding'));
    expect(views.map((view) => view.state)).toEqual(['ringing', 'idle', 'busy']);
  });
});

describe('Asterisk chan_sip', () => {
  const ringing = (attributes: string, target = 'sip:211@pbx.example.com') => `<?xml version="1.0"?>
<dialog-info ${NS} version="3" state="full" entity="sip:207@pbx.example.com">
<dialog id="207" ${attributes} direction="recipient">
<remote>
<identity display="Reception">sip:211@pbx.example.com</identity>
<target uri="${target}"/>
</remote>
<local>
<identity>sip:207@pbx.example.com</identity>
<target uri="sip:207@pbx.example.com"/>
</local>
<state>early</state>
</dialog>
</dialog-info>`;

  it('builds Replaces from the invented pickup- call-id and its tags when ringing (notifyringing)', () => {
    const view = only('asterisk', ringing('call-id="pickup-5a2c" local-tag="as1f2e" remote-tag="as9d8c"'));
    expect(view.state).toBe('ringing');
    expect(view.pickup).toEqual({
      ok: true,
      target: {
        method: 'replaces',
        uri: 'sip:211@pbx.example.com',
        replaces: 'pickup-5a2c;to-tag=as9d8c;from-tag=as1f2e;early-only',
      },
      // If the Replaces fails at call time, the directed pickup code is tried next.
      fallbacks: [{ method: 'code', uri: 'sip:**207@pbx.example.com', replaces: null }],
    });
  });

  it('falls back to the directed pickup code when the tags are missing (no pedanticsipchecking)', () => {
    const view = only('asterisk', ringing('call-id="pickup-5a2c"'));
    expect(view.pickup).toEqual({
      ok: true,
      target: { method: 'code', uri: 'sip:**207@pbx.example.com', replaces: null },
      fallbacks: [],
    });
  });

  it('dials a **207 remote target when the PBX offers one', () => {
    const view = only('asterisk', ringing('', 'sip:**207@pbx.example.com'));
    expect(view.pickup).toEqual({
      ok: true,
      target: { method: 'target', uri: 'sip:**207@pbx.example.com', replaces: null },
      fallbacks: [{ method: 'code', uri: 'sip:**207@pbx.example.com', replaces: null }],
    });
  });

  it('reads idle and unavailable, both a terminated dialog, as idle', () => {
    const body = `<?xml version="1.0"?>
<dialog-info ${NS} version="4" state="full" entity="sip:207@pbx.example.com">
<dialog id="207"><state>terminated</state></dialog>
</dialog-info>`;
    expect(only('asterisk', body).state).toBe('idle');
  });
});

describe('Asterisk PJSIP', () => {
  it('reads hold from pvalue (not pval) on the local target', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<dialog-info ${NS} version="3" state="full" entity="sip:103@192.168.1.10:5060">
 <dialog id="103">
  <state>confirmed</state>
  <local>
   <target uri="sip:103@192.168.1.10:5060">
    <param pname="+sip.rendering" pvalue="no" />
   </target>
  </local>
 </dialog>
</dialog-info>`;
    expect(only('asterisk', body).state).toBe('held');
  });

  it('keeps the port of the entity and picks up by feature code (no call-id, no tags)', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<dialog-info ${NS} version="1" state="full" entity="sip:103@192.168.1.10:5060">
 <dialog id="103" direction="recipient">
  <state>early</state>
 </dialog>
</dialog-info>`;
    const view = only('asterisk', body);
    expect(view.entity).toBe('sip:103@192.168.1.10:5060');
    expect(view.pickup).toEqual({
      ok: true,
      target: { method: 'code', uri: 'sip:**103@192.168.1.10:5060', replaces: null },
      fallbacks: [],
    });
  });

  it('reads a confirmed call without a remote identity as busy', () => {
    const body = `<dialog-info ${NS} version="2" state="full" entity="sip:103@pbx"><dialog id="103"><state>confirmed</state></dialog></dialog-info>`;
    expect(only('asterisk', body).state).toBe('busy');
  });
});

describe('FreeSWITCH', () => {
  const ringing = (target: string) => `<?xml version="1.0"?>
<dialog-info ${NS} version="5" state="full" entity="sip:207@192.168.0.10">
<dialog id="1a2b3c4d-5e6f" direction="recipient">
<state>early</state>
<local>
<identity display="207">sip:207@192.168.0.10</identity>
<target uri="sip:207@192.168.0.10">
<param pname="+sip.rendering" pvalue="yes"/>
</target>
</local>
<remote>
<identity display="Front desk">sip:211@192.168.0.10</identity>
<target uri="${target}"/>
</remote>
</dialog>
</dialog-info>`;

  it('dials the intercept URI **207 given as the remote target (no Replaces)', () => {
    const view = only('freeswitch', ringing('sip:**207@192.168.0.10'));
    expect(view.state).toBe('ringing');
    expect(view.pickup).toEqual({
      ok: true,
      target: { method: 'target', uri: 'sip:**207@192.168.0.10', replaces: null },
      fallbacks: [{ method: 'code', uri: 'sip:**207@192.168.0.10', replaces: null }],
    });
  });

  it('adds sip: to an intercept URI written without a scheme', () => {
    const view = only('freeswitch', ringing('**207@192.168.0.10'));
    expect(view.pickup).toMatchObject({
      ok: true,
      target: { method: 'target', uri: 'sip:**207@192.168.0.10' },
    });
  });

  it('reads a full document with no dialog as idle', () => {
    expect(
      only('freeswitch', `<dialog-info ${NS} version="6" state="full" entity="sip:207@192.168.0.10"/>`).state,
    ).toBe('idle');
  });

  it('reads a held call reported as early with rendering no as held, not ringing', () => {
    const body = ringing('sip:211@192.168.0.10').replace('pvalue="yes"', 'pvalue="no"');
    expect(only('freeswitch', body).state).toBe('held');
    expect(only('generic', body).state).toBe('held');
  });

  it('reads the calling side reported as confirmed as a call in progress', () => {
    const body = `<dialog-info ${NS} version="7" state="full" entity="sip:207@192.168.0.10"><dialog id="x" direction="initiator"><state>confirmed</state></dialog></dialog-info>`;
    expect(only('freeswitch', body).state).toBe('busy');
  });
});

describe('Kamailio (pua_dialoginfo, presence_dialoginfo)', () => {
  const doc = (version: number, dialogs: string) => `<?xml version="1.0"?>
<dialog-info ${NS} version="${version}" state="full" entity="sip:207@127.0.0.1">
${dialogs}
</dialog-info>`;
  const early = `<dialog id="padi-a" call-id="c-211-207" local-tag="t207" remote-tag="t211" direction="recipient">
  <state>early</state>
  <local><identity>sip:207@127.0.0.1</identity><target uri="sip:207@127.0.0.1:5091"/></local>
  <remote><identity>sip:211@127.0.0.1</identity><target uri="sip:211@127.0.0.1:5092"/></remote>
</dialog>`;
  const confirmed = `<dialog id="padi-a" call-id="c-211-207" direction="recipient"><state>confirmed</state>
  <local><identity>sip:207@127.0.0.1</identity></local><remote><identity>sip:211@127.0.0.1</identity></remote></dialog>`;
  const terminated = `<dialog id="padi-a" call-id="c-211-207" direction="recipient"><state>terminated</state></dialog>`;

  it('reads the first NOTIFY, with no body at all, as idle', () => {
    expect(watch('kamailio', { body: '', subscription: 's1' })[0]!.state).toBe('idle');
  });

  it('reads Trying with a capital T as the partner calling out', () => {
    const body = doc(
      1,
      `<dialog id="padi-b" call-id="c-207-211" local-tag="x" direction="initiator"><state>Trying</state></dialog>`,
    );
    expect(only('kamailio', body).state).toBe('calling');
  });

  it('builds Replaces from the early document, the only one with tags; later documents have none', () => {
    const views = watch('kamailio', doc(1, early), doc(2, confirmed), doc(3, terminated));
    expect(views.map((view) => view.state)).toEqual(['ringing', 'busy', 'idle']);
    expect(views[0]!.pickup).toEqual({
      ok: true,
      target: {
        method: 'replaces',
        uri: 'sip:211@127.0.0.1:5092',
        replaces: 'c-211-207;to-tag=t211;from-tag=t207;early-only',
      },
      fallbacks: [],
    });
  });

  it('reads a new early dialog beside a terminated one that lingers as ringing', () => {
    const second = early.replace('padi-a', 'padi-c').replace(/c-211-207/g, 'c-212-207');
    const views = watch('kamailio', doc(3, terminated), doc(4, `${terminated}\n${second}`));
    expect(views.map((view) => view.state)).toEqual(['idle', 'ringing']);
    expect(views[1]!.pickup).toMatchObject({
      ok: true,
      target: { replaces: 'c-212-207;to-tag=t211;from-tag=t207;early-only' },
    });
  });

  it('starts counting versions again on a new subscription (PBX restart), rather than dropping it', () => {
    const watcher = new DialogIntake(DIALECTS.kamailio);
    expect(watcher.apply({ body: doc(7, early), subscription: 'before-restart' }).accepted).toBe(true);
    const after = watcher.apply({ body: doc(0, ''), subscription: 'after-restart' });
    expect(after).toMatchObject({ accepted: true, view: { state: 'idle', version: 0 } });
  });

  it('reads a dummy dialog without namespace, version or state attributes as idle', () => {
    const body =
      '<dialog-info>\t<dialog id="615293b33c62dec073e05d9421e9f48b" direction="recipient">\t<state>terminated</state>\t</dialog>\t</dialog-info>';
    expect(only('kamailio', body).state).toBe('idle');
  });

  it('keeps early above confirmed so a second call stays pickable while the first talks', () => {
    const other = confirmed.replace('padi-a', 'padi-z').replace('c-211-207', 'c-207-300');
    const view = only('kamailio', doc(5, `${other}\n${early}`));
    expect(view.state).toBe('ringing');
    expect(view.pickup).toMatchObject({ ok: true, target: { method: 'replaces' } });
  });
});

describe('OpenSIPS', () => {
  it('reads a self-closing root with odd spacing as idle', () => {
    const body = `<?xml version="1.0"?>\n<dialog-info   ${NS}  version="3"   state="full" entity="sip:207@10.0.0.1"   />`;
    expect(only('generic', body).state).toBe('idle');
  });

  it('reads a partial terminated dialog with a synthetic id as a clear signal', () => {
    const ringing = `<dialog-info ${NS} version="1" state="full" entity="sip:207@10.0.0.1"><dialog id="a1" direction="recipient"><state>early</state></dialog></dialog-info>`;
    const clear = `<dialog-info ${NS} version="2" state="partial" entity="sip:207@10.0.0.1"><dialog id="a1"><state>terminated</state></dialog></dialog-info>`;
    expect(watch('generic', ringing, clear).map((view) => view.state)).toEqual(['ringing', 'idle']);
  });
});

describe('BroadWorks', () => {
  const body = `<?xml version="1.0" encoding="UTF-8"?>
<dialog-info ${NS} version="12" state="full" entity="thomson4@as.iop1.broadworks.net">
<dialog id="Y2FsbGhhbGYtNzQyMzk6MA==" call-id="BW1422@10.1.1.1" local-tag="1a2b" remote-tag="3c4d" direction="recipient">
<state>early</state>
<local>
<identity display="Thomson 4">sip:thomson4@as.iop1.broadworks.net</identity>
<identity display="Thomson 4">tel:+15551234004;ext=4004</identity>
</local>
<remote>
<identity display="Smith,
 John">tel:+15557654321</identity>
<identity display="Smith, John">sip:+15557654321@as.iop1.broadworks.net</identity>
</remote>
</dialog>
</dialog-info>`;

  it('adds sip: to an entity written without a scheme', () => {
    expect(only('generic', body).entity).toBe('sip:thomson4@as.iop1.broadworks.net');
  });

  it('keeps base64 dialog ids, prefers the sip: identity and folds line breaks in display names', () => {
    const view = only('generic', body);
    expect(view.state).toBe('ringing');
    expect(view.dialogs[0]).toMatchObject({
      id: 'Y2FsbGhhbGYtNzQyMzk6MA==',
      local: { identity: 'sip:thomson4@as.iop1.broadworks.net' },
      remote: { identity: 'sip:+15557654321@as.iop1.broadworks.net', display: 'Smith, John' },
    });
  });
});

describe('phones as notifiers', () => {
  it('Yealink: merges a partial that mixes a full dialog with a bare terminated entry', () => {
    const full = `<dialog-info ${NS} version="5" state="full" entity="sip:012@10.2.1.48:5060">
<dialog id="0000" direction="recipient"><state>confirmed</state></dialog>
<dialog id="0001" direction="initiator"><state>early</state></dialog></dialog-info>`;
    const partial = `<?xml version="1.0"?>
<dialog-info ${NS} version="6" state="partial" entity="sip:012@10.2.1.48:5060">
<dialog id="0000"><state>terminated</state></dialog>
<dialog id="65603" call-id="0_1756536024@10.10.20.34" local-tag="3408640225" remote-tag="3779921438" direction="recipient">
<state>
  early
</state>
<local><identity>sip:012@10.2.1.48:5060</identity><target uri="sip:012@10.2.1.48:5060"/></local>
<remote><identity>sip:1058@10.2.1.48:5060</identity><target uri="sip:1058@10.2.1.48:5060"/></remote>
</dialog></dialog-info>`;
    const views = watch('generic', full, partial);
    expect(views.map((view) => view.state)).toEqual(['busy', 'ringing']);
    // Leading zeros stay: ids and user parts are strings, never numbers.
    expect(views[1]!.dialogs.map((dialog) => dialog.id)).toEqual(['0001', '65603']);
    expect(views[1]!.entity).toBe('sip:012@10.2.1.48:5060');
  });

  it('Snom: single quotes and pval are read; empty tags never make a Replaces', () => {
    const body = `<?xml version='1.0'?>
<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info' version='2' state='full' entity='sip:207@pbx'>
<dialog id='5' call-id='abc@snom' local-tag='' remote-tag='' direction='recipient'>
<state>early</state>
<local><target uri='sip:207@10.0.0.7'><param pname='x-line-id' pval='0'/></target></local>
<remote><identity>sip:211@pbx</identity></remote>
</dialog></dialog-info>`;
    const view = only('generic', body);
    expect(view.state).toBe('ringing');
    expect(view.dialogs[0]).toMatchObject({ localTag: null, remoteTag: null });
    expect(view.pickup).toMatchObject({ ok: false });
  });

  it('Snom: a documentation template with version="..." is refused: such a version cannot be ordered', () => {
    const body = `<dialog-info ${NS} version="..." state="full" entity="sip:207@pbx"><dialog id="1"><state>confirmed</state></dialog></dialog-info>`;
    const result = new DialogIntake(DIALECTS.generic).apply({ body });
    expect(result).toMatchObject({ accepted: false, error: { code: 'bad-version' } });
  });
});

describe('generic hazards', () => {
  it('reads a document with no version', () => {
    const body = `<dialog-info ${NS} state="full" entity="sip:1@h"><dialog id="1"><state>confirmed</state></dialog></dialog-info>`;
    expect(only('generic', body).state).toBe('busy');
  });

  it('ignores an XML declaration that lies about the encoding, comments and processing instructions', () => {
    const body = `<?xml version="1.0" encoding="ISO-8859-1"?><!-- from a trace --><?pbx build=7?>
<dialog-info ${NS} version="1" state="full" entity="sip:müller@h"><!-- x --><dialog id="1"><state>confirmed</state></dialog></dialog-info>`;
    expect(only('generic', body)).toMatchObject({ state: 'busy', entity: 'sip:müller@h' });
  });

  it('reads CDATA in <state>', () => {
    const body = `<dialog-info ${NS} version="1" state="full" entity="sip:1@h"><dialog id="1" direction="recipient"><state><![CDATA[early]]></state></dialog></dialog-info>`;
    expect(only('generic', body).state).toBe('ringing');
  });

  it('reads a state outside the RFC list as unknown, never ringing', () => {
    for (const token of ['ringing', 'alerting', 'active', '...']) {
      const body = `<dialog-info ${NS} version="1" state="full" entity="sip:1@h"><dialog id="1" direction="recipient"><state>${token}</state></dialog></dialog-info>`;
      expect(only('generic', body).state).toBe('unknown');
    }
  });

  it('reads a prefixed namespace', () => {
    const body = `<di:dialog-info xmlns:di="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:1@h"><di:dialog id="1"><di:state>confirmed</di:state></di:dialog></di:dialog-info>`;
    expect(only('generic', body).state).toBe('busy');
  });
});
