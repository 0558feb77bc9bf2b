/**
 * What lampfield says of a TLS connection to the PBX that could not be made, in the words of what to
 * check (pbx.tls, pbx.host, the clock), with the dates of a certificate refused for them.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Clock } from '../util/clock.ts';
import type { SipRemote, TlsClientOptions } from './transports.ts';

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

/**
 * The validity dates of the certificate a TLS server shows, read without trusting it: the connection
 * sends nothing and is closed as soon as the handshake is done (or after `deadlineMs`). Empty when none came.
 */
export function peerCertificateDates(
  target: SipRemote,
  options: TlsClientOptions,
  clock: Clock,
  deadlineMs: number,
): Promise<CertificateDates> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: target.address,
      port: target.port,
      ...(net.isIP(options.serverName) === 0 ? { servername: options.serverName } : {}),
      rejectUnauthorized: false,
    });
    const done = (dates: CertificateDates) => {
      cancel();
      socket.destroy();
      resolve(dates);
    };
    const cancel = clock.after(deadlineMs, () => done({}));
    socket.once('secureConnect', () => {
      const { valid_from, valid_to } = socket.getPeerCertificate() ?? {};
      done({ valid_from, valid_to });
    });
    socket.once('error', () => done({}));
  });
}
