/**
 * What lampfield says of a TLS connection to the PBX that failed (src/sip/transports.ts tlsFailure): each
 * failure in the words of what to check, a certificate out of its dates with the dates and this
 * machine's clock (a Pi without network time believes it is the time it was switched off).
 */
import { describe, expect, it } from 'vitest';
import { tlsFailure } from '../../src/sip/tls-failure.ts';

const failure = (code: string) => Object.assign(new Error(`failed: ${code}`), { code });
const NOW = new Date(Date.UTC(2026, 0, 1, 8, 0, 0));
const DATES = { valid_from: 'Dec  6 23:39:15 2026 GMT', valid_to: 'Dec  6 23:39:15 2027 GMT' };

describe('a TLS failure in words', () => {
  it('a certificate not valid yet: its first day and the clock, and what to set right', () => {
    expect(tlsFailure(failure('CERT_NOT_YET_VALID'), 'pbx:5061', DATES, NOW)).toBe(
      "TLS to pbx:5061: the PBX's certificate is valid only from Dec  6 23:39:15 2026 GMT, and this machine's clock says Thu, 01 Jan 2026 08:00:00 GMT: set the clock right (network time, NTP)",
    );
  });

  it('an expired one, even when its dates could not be read', () => {
    expect(tlsFailure(failure('CERT_HAS_EXPIRED'), 'pbx:5061', null, NOW)).toBe(
      "TLS to pbx:5061: the PBX's certificate expired on a date past, and this machine's clock says Thu, 01 Jan 2026 08:00:00 GMT: renew the certificate, or set the clock right (network time, NTP)",
    );
  });

  it('an untrusted one, and one for another name, as before', () => {
    expect(tlsFailure(failure('SELF_SIGNED_CERT_IN_CHAIN'), 'pbx:5061')).toMatch(
      /is not trusted .*check pbx\.tls\.ca$/,
    );
    expect(tlsFailure(failure('ERR_TLS_CERT_ALTNAME_INVALID'), 'pbx:5061')).toMatch(
      /not for this name .*check pbx\.host$/,
    );
  });
});
