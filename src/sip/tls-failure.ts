/**
 * What lampfield says of a TLS connection to the PBX that could not be made, in the words of what to
 * check (pbx.tls, pbx.host, the clock). Pure.
 */

/** The dates a certificate is valid between, as Node's peer certificate gives them. */
export interface CertificateDates {
  valid_from?: string;
  valid_to?: string;
}

/**
 * A TLS connection that could not be made, in the words of what to check (pbx.tls). A certificate out of
 * its dates names them and this machine's clock (`now`): a Pi has no clock battery, and until network
 * time sets it, it believes it is still the time it was switched off.
 */
export function tlsFailure(
  error: Error & { code?: string },
  target: string,
  certificate: CertificateDates | null = {},
  now: Date = new Date(),
): string {
  const code = error.code ?? '';
  const clock = `this machine's clock says ${now.toUTCString()}`;
  if (code === 'CERT_HAS_EXPIRED')
    return `TLS to ${target}: the PBX's certificate expired on ${certificate?.valid_to ?? 'a date past'}, and ${clock}: renew the certificate, or set the clock right (network time, NTP)`;
  if (code === 'CERT_NOT_YET_VALID')
    return `TLS to ${target}: the PBX's certificate is valid only from ${certificate?.valid_from ?? 'a date to come'}, and ${clock}: set the clock right (network time, NTP)`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `TLS to ${target}: the PBX's certificate is not for this name (${error.message}); check pbx.host`;
  if (/CERT|SELF_SIGNED|UNABLE_TO|VERIFY/.test(code))
    return `TLS to ${target}: the PBX's certificate is not trusted (${error.message}); check pbx.tls.ca`;
  return `TLS to ${target}: ${error.message}`;
}
