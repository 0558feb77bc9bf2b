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

/** A self-signed CA named `name`. */
export function makeCa(name: string): CertificateAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-ca-'));
  const cert = join(dir, 'ca.pem');
  const key = join(dir, 'ca.key');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return { cert, key, dir };
}

/** A server certificate signed by `ca`, for `altNames` (`IP:127.0.0.1`, `DNS:pbx.test`). */
export function makeServerCert(
  ca: CertificateAuthority,
  altNames: readonly string[],
): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lampfield-cert-'));
  const key = join(dir, 'server.key');
  const request = join(dir, 'server.csr');
  const cert = join(dir, 'server.pem');
  const extensions = join(dir, 'ext.cnf');
  writeFileSync(extensions, `subjectAltName=${altNames.join(',')}\n`);
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    request,
    '-subj',
    '/CN=lampfield test PBX',
  ]);
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
    '2',
    '-extfile',
    extensions,
  ]);
  return { cert, key };
}
