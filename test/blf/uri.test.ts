import { describe, expect, it } from 'vitest';
import { normalizePartnerUri, onPbxPort, uriHost, uriUser } from '../../src/blf/uri.ts';

describe('partner URIs', () => {
  it('takes the URI out of a From header, dropping parameters and the tag', () => {
    expect(normalizePartnerUri('<sip:207@172.16.16.180;user=phone>;tag=2870350033')).toBe(
      'sip:207@172.16.16.180',
    );
    expect(normalizePartnerUri('"Front Desk" <SIP:207@PBX.Example.com:5060>')).toBe(
      'sip:207@pbx.example.com:5060',
    );
  });

  it('adds sip: when the scheme is missing and keeps sips: and tel:', () => {
    expect(normalizePartnerUri('thomson4@as.iop1.broadworks.net')).toBe(
      'sip:thomson4@as.iop1.broadworks.net',
    );
    expect(normalizePartnerUri('sips:bob@biloxi.example.com')).toBe('sips:bob@biloxi.example.com');
    expect(normalizePartnerUri('tel:+15551234004;ext=4004')).toBe('tel:+15551234004');
  });

  it('keeps leading zeros in the user part', () => {
    expect(uriUser('sip:012@10.2.1.48:5060')).toBe('012');
    expect(uriHost('sip:012@10.2.1.48:5060')).toBe('10.2.1.48:5060');
  });

  it('gives null for nothing usable', () => {
    for (const value of [null, undefined, '', '   ', '<>', 'sip:', 'sip:a b@c'])
      expect(normalizePartnerUri(value)).toBeNull();
  });
});

describe('URIs that are none', () => {
  it('refuses a partner with a control character (a NUL, a line break)', () => {
    expect(normalizePartnerUri('sip:207\u0000@pbx')).toBeNull();
    expect(normalizePartnerUri('sip:207@pbx\r\nVia: x')).toBeNull();
    expect(normalizePartnerUri(' sip:207@pbx ')).toBe('sip:207@pbx');
  });
});

describe('onPbxPort', () => {
  const pbx = { hosts: ['10.0.0.5', 'pbx.example.com'], port: 5070 };
  it.each([
    ['sip:207@10.0.0.5', 'sip:207@10.0.0.5:5070'],
    ['sip:207@PBX.example.com;user=phone', 'sip:207@PBX.example.com:5070;user=phone'],
    ['sip:211@10.0.0.5?Replaces=a%3Bb', 'sip:211@10.0.0.5:5070?Replaces=a%3Bb'],
    ['sips:207@pbx.example.com', 'sips:207@pbx.example.com:5070'],
    ['sip:207@10.0.0.5:5092', 'sip:207@10.0.0.5:5092'],
    ['sip:207@10.0.0.6', 'sip:207@10.0.0.6'],
    ['tel:+4930123', 'tel:+4930123'],
  ])('%s → %s', (uri, expected) => {
    expect(onPbxPort(uri, pbx)).toBe(expected);
  });

  it('leaves every URI as it is for a PBX on 5060', () => {
    expect(onPbxPort('sip:207@10.0.0.5', { ...pbx, port: 5060 })).toBe('sip:207@10.0.0.5');
  });
});
