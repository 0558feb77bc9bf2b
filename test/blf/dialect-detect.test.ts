/**
 * `pbx.dialect: auto`'s evidence, on its own: product names as each family's source writes them, and
 * the shapes of real documents (Kamailio's captures, Asterisk's test-suite documents) and of the
 * simulator's FreeSWITCH writer.
 */
import { describe, expect, it } from 'vitest';
import { DialectDetector, dialectOfProduct } from '../../src/blf/dialect-detect.ts';
import { readDialogInfo } from '../../src/blf/dialog-info-reader.ts';
import { notifyParts, readFirstRequest } from '../../src/sip/message-text.ts';
import { renderDialogInfo } from '../../src/sim/dialog-info-writer.ts';
import { readVector } from '../support/vectors.ts';

const document = (body: string) => {
  const read = readDialogInfo(body);
  if (!read.ok) throw new Error(read.error.message);
  return read.document;
};

describe('the PBX family from its Server or User-Agent', () => {
  it.each([
    ['Asterisk PBX 18.20.0', 'asterisk'],
    ['Asterisk PBX 1.8.32.3', 'asterisk'],
    ['FreeSWITCH-mod_sofia/1.10.9-release~64bit', 'freeswitch'],
    ['FreeSWITCH(mod_sofia)', 'freeswitch'],
    ['kamailio (5.6.3 (x86_64/linux))', 'kamailio'],
    ['OpenSIPS (3.4.2 (x86_64/linux))', 'kamailio'],
  ])('%s is %s', (value, dialect) => {
    expect(dialectOfProduct('Server', value)?.dialect).toBe(dialect);
  });

  it('knows no family in a phone or an unknown server', () => {
    for (const value of ['Yealink SIP-T54W 96.86.0.70', 'snom D785/10.1.141.13', 'BroadWorks', ''])
      expect(dialectOfProduct('User-Agent', value)).toBeNull();
  });

  it('chooses once: the first evidence holds', () => {
    const detector = new DialectDetector();
    expect(detector.sawProduct(null, 'kamailio (5.6.3 (x86_64/linux))')).toMatchObject({
      dialect: 'kamailio',
      evidence: `the PBX's User-Agent is "kamailio (5.6.3 (x86_64/linux))"`,
    });
    expect(detector.sawProduct('Asterisk PBX 20.5.0', null)).toBeNull();
    expect(detector.sawUnsolicited('<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"/>')).toBeNull();
    expect(detector.chosen?.dialect).toBe('kamailio');
  });
});

describe('innovaphone from a NOTIFY no subscription asked for', () => {
  it("takes a document without an entity (the seed's), not one with", () => {
    const seed = notifyParts(readFirstRequest(readVector('innovaphone/seed-1.sip'))!).body;
    expect(new DialectDetector().sawUnsolicited(seed)?.dialect).toBe('innovaphone');
    const usual = readVector('dialog-info/rfc4235-6.1-v1-early.xml');
    expect(new DialectDetector().sawUnsolicited(usual)).toBeNull();
  });
});

describe('the PBX family from the shape of its first documents', () => {
  it("Kamailio's dialog ids (a captured early NOTIFY)", () => {
    const notify = notifyParts(readFirstRequest(readVector('kamailio/call-answered-2-early.sip'))!);
    expect(new DialectDetector().sawDocument(document(notify.body))?.dialect).toBe('kamailio');
  });

  it("Asterisk res_pjsip's dialog named after the extension, without call-id", () => {
    const body = readVector('dialog-info/asterisk-pjsip-v1-early-recipient.xml');
    expect(new DialectDetector().sawDocument(document(body))?.dialect).toBe('asterisk');
  });

  it("FreeSWITCH's intercept URI as a ringing dialog's target", () => {
    const body = renderDialogInfo(
      'freeswitch',
      [
        {
          id: 'c1',
          callId: 'c1@pbx',
          localTag: 'l1',
          remoteTag: 'r1',
          direction: 'recipient',
          phase: 'early',
          remote: { uri: 'sip:211@pbx', display: null },
          held: false,
        },
      ],
      { entity: 'sip:207@pbx', number: '207', host: 'pbx', version: 1 },
    );
    expect(new DialectDetector().sawDocument(document(body))?.dialect).toBe('freeswitch');
  });

  it('nothing from an RFC 4235 document that any notifier could send', () => {
    const body = readVector('dialog-info/rfc4235-6.1-v1-early.xml');
    expect(new DialectDetector().sawDocument(document(body))).toBeNull();
  });
});
