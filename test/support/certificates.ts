/**
 * Certificates made for a test by openssl (Debian `openssl`): a CA, and a server certificate it signs
 * for the names and addresses given, in a temporary folder. Nothing is trusted beyond the test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertificateAuthority {
  cert: string;
  key: string;
  dir: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** `openssl req` with a new unencrypted 2048-bit RSA key at `key`, writing `out` for `subject`. */
function withNewKey(key: string, out: string, subject: string, extra: readonly string[] = []): void {
  openssl(['req', ...extra, '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', out, '-subj', subject]);
}

/** A self-signed CA named `name`. */
export function makeCa(name: string): CertificateAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-ca-'));
  const cert = join(dir, 'ca.pem');
  const key = join(dir, 'ca.key');
  withNewKey(key, cert, `/CN=${name}`, ['-x509', '-days', '2']);
  return { cert, key, dir };
}

/** A server certificate signed by `ca`, for `altNames` (`IP:127.0.0.1`, `DNS:pbx.test`), valid for `days`. */
export function makeServerCert(
  ca: CertificateAuthority,
  altNames: readonly string[],
  /** Valid for this many days from now; -1: it expired yesterday. */
  days = 2,
): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-cert-'));
  const key = join(dir, 'server.key');
  const request = join(dir, 'server.csr');
  const cert = join(dir, 'server.pem');
  const extensions = join(dir, 'ext.cnf');
  writeFileSync(extensions, `subjectAltName=${altNames.join(',')}\n`);
  withNewKey(key, request, '/CN=lampfield test PBX');
  openssl([
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    String(days),
    '-extfile',
    extensions,
  ]);
  return { cert, key };
}
