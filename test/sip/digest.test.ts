/** Digest responses against the published vectors of RFC 2617 §3.5 and RFC 7616 §3.9.1. */
import { describe, expect, it } from 'vitest';
import {
  chooseChallenge,
  digestAuthorization,
  digestResponse,
  parseAuthParams,
  readChallenge,
} from '../../src/sip/digest.ts';

const RFC7616 = (algorithm: string) =>
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
const MUFASA = { username: 'Mufasa', password: 'Circle of Life' };
const CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

describe('digest authentication', () => {
  it('computes RFC 7616 §3.9.1’s MD5 and SHA-256 responses', () => {
    for (const [algorithm, expected] of [
      ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
      ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
    ] as const) {
      const challenge = readChallenge(RFC7616(algorithm))!;
      expect(
        digestResponse({
          challenge,
          credentials: MUFASA,
          method: 'GET',
          uri: '/dir/index.html',
          cnonce: CNONCE,
        }),
      ).toBe(expected);
    }
  });

  it('computes RFC 2617 §3.5’s response', () => {
    const challenge = readChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    const response = digestResponse({
      challenge,
      // RFC 2617's password differs from RFC 7616's by one capital letter.
      credentials: { username: 'Mufasa', password: 'Circle Of Life' },
      method: 'GET',
      uri: '/dir/index.html',
      cnonce: '0a4f113b',
    });
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('writes an Authorization value a server can read back', () => {
    const challenge = readChallenge(RFC7616('SHA-256'))!;
    const header = digestAuthorization({
      challenge,
      credentials: MUFASA,
      method: 'REGISTER',
      uri: 'sip:pbx',
      cnonce: CNONCE,
    });
    const { scheme, params } = parseAuthParams(header);
    expect(scheme).toBe('Digest');
    expect(params).toMatchObject({
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      uri: 'sip:pbx',
      algorithm: 'SHA-256',
      qop: 'auth',
      nc: '00000001',
      cnonce: CNONCE,
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    });
    expect(params['response']).toBe(
      digestResponse({ challenge, credentials: MUFASA, method: 'REGISTER', uri: 'sip:pbx', cnonce: CNONCE }),
    );
  });

  it('answers without qop when none is offered (RFC 2069 form)', () => {
    const challenge = readChallenge('Digest realm="r", nonce="n"')!;
    expect(challenge.qop).toBeNull();
    expect(
      digestAuthorization({ challenge, credentials: MUFASA, method: 'SUBSCRIBE', uri: 'sip:207@pbx' }),
    ).not.toContain('qop=');
  });

  it('takes the topmost challenge it supports (RFC 8760 §2.4), skipping unknown algorithms', () => {
    expect(chooseChallenge([RFC7616('SHA-512'), RFC7616('SHA-256'), RFC7616('MD5')])?.algorithm).toBe(
      'SHA-256',
    );
    expect(chooseChallenge(['Basic realm="x"', 'Digest realm="x", nonce="y", qop="auth-int"'])).toBeNull();
    expect(readChallenge('Digest realm="r", nonce="n", algorithm=sha-256-sess, stale=TRUE')).toMatchObject({
      algorithm: 'SHA-256-sess',
      stale: true,
    });
  });
});
