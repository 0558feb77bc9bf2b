/**
 * The reader refuses what it must with a stable code, tolerates what real notifiers send, and never
 * throws or takes long on hostile input.
 */
import { describe, expect, it } from 'vitest';
import { readDialogInfo } from '../../src/blf/dialog-info-reader.ts';
import { MAX_BODY_BYTES } from '../../src/blf/xml-body.ts';
import type { ReadResult } from '../../src/blf/dialog-info.ts';
import { readVector } from '../support/vectors.ts';

const NS = 'xmlns="urn:ietf:params:xml:ns:dialog-info"';

function code(result: ReadResult): string | null {
  return result.ok ? null : result.error.code;
}

function document(body: string) {
  const result = readDialogInfo(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.document;
}

describe('refused, with a stable code', () => {
  it('any DOCTYPE, whatever it declares (billion laughs, external entities)', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><dialog-info ${NS} entity="&c;"/>`;
    const external = `<!doctype dialog-info SYSTEM "file:///etc/passwd"><dialog-info ${NS}/>`;
    expect(code(readDialogInfo(laughs))).toBe('doctype');
    expect(code(readDialogInfo(external))).toBe('doctype');
  });

  it('a body over 1 MiB, counted in bytes', () => {
    const padding = 'é'.repeat(MAX_BODY_BYTES / 2);
    expect(code(readDialogInfo(`<dialog-info ${NS}><!--${padding}--></dialog-info>`))).toBe('too-large');
  });

  it('malformed XML, including RFC 4235 §6.2’s hold document', () => {
    expect(code(readDialogInfo('<dialog-info><dialog id="1"></dialog-info>'))).toBe('malformed-xml');
    expect(code(readDialogInfo('<dialog-info id="1" id="2"/>'))).toBe('malformed-xml');
    expect(code(readDialogInfo('not xml at all'))).toBe('malformed-xml');
    expect(code(readDialogInfo(readVector('dialog-info/rfc4235-6.2-v7-hold-MALFORMED.xml')))).toBe(
      'malformed-xml',
    );
  });

  it('a root that is not dialog-info, or more than one root', () => {
    expect(code(readDialogInfo(`<presence xmlns="urn:ietf:params:xml:ns:pidf"/>`))).toBe('not-dialog-info');
    expect(code(readDialogInfo(`<dialog-info ${NS}/><dialog-info ${NS}/>`))).toBe('not-dialog-info');
    expect(code(readDialogInfo(`<dialog-info ${NS}/><x/>`))).toBe('not-dialog-info');
  });

  it('5,000-deep nesting (the bench times it beside a normal body)', () => {
    const deep = `<dialog-info ${NS}>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</dialog-info>`;
    expect(code(readDialogInfo(deep))).toBe('too-deep');
  });

  it('keys reserved by JavaScript objects without polluting anything', () => {
    const result = readDialogInfo(`<dialog-info ${NS}><__proto__ polluted="yes"/></dialog-info>`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(result.ok ? 'read' : result.error.code).toMatch(/read|malformed-xml/);
  });
});

describe('tolerated', () => {
  it('an empty body and an empty document read as no dialogs, full state', () => {
    expect(document('')).toEqual({ entity: null, version: null, state: 'full', dialogs: [] });
    expect(document('  \r\n')).toMatchObject({ state: 'full', dialogs: [] });
    expect(document(`<dialog-info ${NS} version="4" state="full" entity="sip:a@b"/>`)).toMatchObject({
      entity: 'sip:a@b',
      version: 4,
      dialogs: [],
    });
  });

  it('a 1,000-dialog body, all read', () => {
    const dialogs = Array.from(
      { length: 1000 },
      (_, i) => `<dialog id="d${i}"><state>confirmed</state></dialog>`,
    ).join('');
    expect(
      document(`<dialog-info ${NS} version="1" state="full" entity="sip:a@b">${dialogs}</dialog-info>`)
        .dialogs,
    ).toHaveLength(1000);
  });

  it('refuses a version out of range or no number: it could not be ordered (RFC 4235 §4.1)', () => {
    for (const version of ['99999999999999999999999', '-1', '1e3', '0x10', '...']) {
      expect(code(readDialogInfo(`<dialog-info ${NS} version="${version}" state="full"/>`)), version).toBe(
        'bad-version',
      );
    }
    expect(document(`<dialog-info ${NS} version="007" state="full"/>`).version).toBe(7);
    expect(document(`<dialog-info ${NS} state="full"/>`).version).toBeNull(); // none: tolerated
    expect(document(`<dialog-info ${NS} version="" state="full"/>`).version).toBeNull(); // empty, as none
  });

  it('refuses dialog-info in another namespace, and takes it prefixed or with none declared', () => {
    expect(code(readDialogInfo('<dialog-info xmlns="urn:evil" state="full"/>'))).toBe('not-dialog-info');
    expect(code(readDialogInfo('<e:dialog-info xmlns:e="urn:evil" state="full"/>'))).toBe('not-dialog-info');
    expect(
      document('<di:dialog-info xmlns:di="urn:ietf:params:xml:ns:dialog-info" version="1"/>').version,
    ).toBe(1);
    expect(document('<dialog-info version="2" state="full"/>').version).toBe(2);
  });

  it('reads sip.rendering without the leading + as RFC 4235 §6.2’s example writes it', () => {
    const held = document(`<dialog-info ${NS} version="1" state="full"><dialog id="1"><state>confirmed</state>
      <local><target uri="sip:207@pbx"><param pname="sip.rendering" pval="no"/></target></local></dialog></dialog-info>`);
    expect(held.dialogs[0]!.local.rendering).toBe('no');
  });

  it('whitespace and case in <state>, and numeric character references', () => {
    const doc = document(`<dialog-info ${NS} state="partial"><dialog id="1"><state>
      Confirmed </state></dialog><dialog id="2"><state>&#101;arly</state></dialog></dialog-info>`);
    expect(doc.state).toBe('partial');
    expect(doc.dialogs.map((dialog) => dialog.state)).toEqual(['confirmed', 'early']);
  });

  it('the state attributes event, reason (RFC 4235 §6.2 erratum) and code', () => {
    const doc =
      document(`<dialog-info ${NS}><dialog id="1"><state reason="remote-bye">terminated</state></dialog>
      <dialog id="2"><state event="cancelled" code="487">terminated</state></dialog></dialog-info>`);
    expect(doc.dialogs.map((dialog) => [dialog.event, dialog.code])).toEqual([
      ['remote-bye', null],
      ['cancelled', 487],
    ]);
  });

  it('a target given as text, a param beside its target, and RFC 7463’s identity uri attribute', () => {
    const doc = document(`<dialog-info ${NS}><dialog id="1"><state>confirmed</state>
      <local><target uri="sip:alice@pc33"/><param pname="+sip.rendering" pval="no"/></local>
      <remote><identity uri="sip:carol@example.com"></identity><target>sips:carol@ua3.example.com</target></remote>
      </dialog></dialog-info>`);
    expect(doc.dialogs[0]).toMatchObject({
      local: { target: 'sip:alice@pc33', rendering: 'no' },
      remote: { identity: 'sip:carol@example.com', target: 'sips:carol@ua3.example.com' },
    });
  });

  it('the direction errata receiver and responder as recipient; unknown values as none', () => {
    const doc = document(`<dialog-info ${NS}>
      <dialog id="1" direction="receiver"/><dialog id="2" direction="responder"/><dialog id="3" direction="sideways"/>
      <dialog id="4" direction=" Initiator "/></dialog-info>`);
    expect(doc.dialogs.map((dialog) => dialog.direction)).toEqual([
      'recipient',
      'recipient',
      null,
      'initiator',
    ]);
  });

  it('CRLF line ends read the same as LF (resiprocate’s errata-corrected RFC 4235 §6.2 v5)', () => {
    const crlf = readVector('dialog-info/rfc4235-6.2-v5-errata-corrected-resiprocate.xml');
    expect(crlf).toContain('\r\n');
    expect(document(crlf)).toEqual(document(crlf.replace(/\r\n/g, '\n')));
    expect(document(crlf).dialogs[1]).toMatchObject({
      id: 'sfhjsjk12',
      direction: 'recipient',
      remote: { identity: 'sip:cjones@example.net', display: 'Cathy Jones' },
      local: { rendering: 'yes' },
    });
  });
});
