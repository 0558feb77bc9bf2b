/**
 * SIP digest authentication, client side (RFC 3261 §22.4, RFC 8760 for SHA-256 and SHA-512/256, the
 * computation of RFC 7616 §3.4.1). Ours because the npm `sip` package knows only MD5 and signs a SHA-256
 * challenge as if it were MD5 (BRIEF §7).
 */
import { createHash, randomBytes } from 'node:crypto';

export type DigestAlgorithm =
  'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const HASHES: Readonly<Record<string, string>> = {
  md5: 'md5',
  'sha-256': 'sha256',
  'sha-512-256': 'sha512-256',
};

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** `auth` when offered (the only protection level used: `auth-int` is not needed for our requests). */
  qop: 'auth' | null;
  opaque: string | null;
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

function unquote(value: string | undefined): string | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).replace(/\\(.)/g, '$1')
    : trimmed;
}

/** Splits `Digest realm="a", nonce="b", qop="auth,auth-int"` into its parameters (RFC 7616 §3.3). */
export function parseAuthParams(header: string): { scheme: string; params: Record<string, string> } {
  const match = /^\s*(\S+)\s*/.exec(header);
  const scheme = match?.[1] ?? '';
  const params: Record<string, string> = {};
  const pattern = /([\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*(?:,|$)/g;
  const rest = header.slice(match?.[0].length ?? 0);
  for (let found = pattern.exec(rest); found != null; found = pattern.exec(rest)) {
    params[found[1]!.toLowerCase()] = unquote(found[2]) ?? '';
  }
  return { scheme, params };
}

/** A challenge we can answer, or null (another scheme, an unknown algorithm, only auth-int). */
export function readChallenge(header: string): DigestChallenge | null {
  const { scheme, params } = parseAuthParams(header);
  if (scheme.toLowerCase() !== 'digest' || params['realm'] == null || params['nonce'] == null) return null;
  const algorithm = normalizeAlgorithm(params['algorithm'] ?? 'MD5');
  if (algorithm == null) return null;
  const qops = (params['qop'] ?? '').split(',').map((qop) => qop.trim().toLowerCase());
  if (params['qop'] != null && !qops.includes('auth')) return null;
  return {
    realm: params['realm'],
    nonce: params['nonce'],
    algorithm,
    qop: qops.includes('auth') ? 'auth' : null,
    opaque: params['opaque'] ?? null,
    stale: params['stale']?.toLowerCase() === 'true',
  };
}

function normalizeAlgorithm(value: string): DigestAlgorithm | null {
  const lower = value.trim().toLowerCase();
  const sess = lower.endsWith('-sess');
  const base = sess ? lower.slice(0, -5) : lower;
  const names: Readonly<Record<string, DigestAlgorithm>> = {
    md5: 'MD5',
    'sha-256': 'SHA-256',
    'sha-512-256': 'SHA-512-256',
  };
  const name = names[base];
  if (name == null) return null;
  return sess ? (`${name}-sess` as DigestAlgorithm) : name;
}

/**
 * RFC 8760 §2.4: with several challenges, the UAC uses the topmost one whose algorithm it supports;
 * the server lists them in its order of preference.
 */
export function chooseChallenge(headers: readonly string[]): DigestChallenge | null {
  for (const header of headers) {
    const challenge = readChallenge(header);
    if (challenge != null) return challenge;
  }
  return null;
}

export interface DigestInput {
  challenge: DigestChallenge;
  credentials: DigestCredentials;
  method: string;
  uri: string;
  /** Nonce count: 1 for the first use of a nonce (RFC 7616 §3.4). */
  nonceCount?: number;
  /** Client nonce; random when not given (tests give one to compare with RFC vectors). */
  cnonce?: string;
}

/** The `response` value (RFC 7616 §3.4.1). */
export function digestResponse(input: DigestInput): string {
  const { challenge, credentials } = input;
  const hashName = HASHES[challenge.algorithm.replace(/-sess$/i, '').toLowerCase()]!;
  const hash = (text: string) => createHash(hashName).update(text, 'utf8').digest('hex');
  const cnonce = input.cnonce ?? '';
  const nc = (input.nonceCount ?? 1).toString(16).padStart(8, '0');
  let ha1 = hash(`${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (challenge.algorithm.endsWith('-sess')) ha1 = hash(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = hash(`${input.method}:${input.uri}`);
  return challenge.qop == null
    ? hash(`${ha1}:${challenge.nonce}:${ha2}`)
    : hash(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:${challenge.qop}:${ha2}`);
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** The Authorization (or Proxy-Authorization) header value answering `challenge`. */
export function digestAuthorization(input: DigestInput): string {
  const { challenge } = input;
  const cnonce = input.cnonce ?? randomBytes(12).toString('base64url');
  const nc = (input.nonceCount ?? 1).toString(16).padStart(8, '0');
  const response = digestResponse({ ...input, cnonce });
  const parts = [
    `username=${quote(input.credentials.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.qop != null) parts.push(`qop=${challenge.qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (challenge.opaque != null) parts.push(`opaque=${quote(challenge.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * The npm `sip` package parses WWW-Authenticate, Authorization and their proxy forms into objects
 * (quoted values keep their quotes); this gives the header text back for the functions above.
 */
export function authHeaderText(parsed: { [name: string]: string | undefined } | string): string {
  if (typeof parsed === 'string') return parsed;
  const { scheme, ...params } = parsed;
  return `${scheme ?? ''} ${Object.entries(params)
    .filter(([, value]) => value != null)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ')}`;
}
