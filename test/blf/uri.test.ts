import { describe, expect, it } from 'vitest';
import { normalizePartnerUri, uriHost, uriUser } from '../../src/blf/uri.ts';

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
