/**
 * SIP messages as the stack hands them to lampfield, and the repairs made to what the npm `sip` package
 * parses and writes (BRIEF §7). Pure: no sockets.
 *
 * Repairs, each covered in test/sip/stack.test.ts:
 * - compact `o` (Event) is not known to the package and `e` is read as "contact-encoding": both, and the
 *   other compact forms of RFC 3261 §7.3.3 and RFC 6665 §8.2.1 the package lacks, are renamed here;
 * - folded header lines (RFC 3261 §7.3.1) keep their CRLF inside the value: unfolded here;
 * - the package works on binary strings (one character per byte) and counts Content-Length in
 *   characters: bodies and header text are decoded from UTF-8 on the way in, and encoded to UTF-8 bytes
 *   (one character per byte) on the way out, so that Content-Length counts bytes (RFC 3261 §20.14).
 */
import { randomBytes } from 'node:crypto';
import sip from 'sip';

export type SipMessage = sip.Message;
export type SipHeaders = sip.Headers;
export type NameAddr = sip.NameAddr;

/** Compact header names the package does not map, or maps wrongly. */
const COMPACT_REPAIRS: Readonly<Record<string, string>> = {
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  y: 'identity',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  n: 'identity-info',
  'contact-encoding': 'content-encoding',
};

function fromBinary(text: string): string {
  // Only text with bytes above 0x7f needs decoding; most SIP is ASCII.
  return /[\x80-\xff]/.test(text) ? Buffer.from(text, 'binary').toString('utf8') : text;
}

function toBinary(text: string): string {
  return /[\u0080-\uffff]/.test(text) ? Buffer.from(text, 'utf8').toString('binary') : text;
}

function unfold(text: string): string {
  return text.replace(/\r?\n[ \t]+/g, ' ');
}

function mapNameAddr(value: NameAddr, map: (text: string) => string): NameAddr {
  return value.name == null ? value : { ...value, name: map(value.name) };
}

/** Repairs a message as parsed by the package (binary strings) into lampfield's form. */
export function repairIncoming(message: SipMessage): SipMessage {
  const headers: SipHeaders = {};
  for (const [name, value] of Object.entries(message.headers)) {
    const repairedName = COMPACT_REPAIRS[name] ?? name;
    let repaired: unknown = value;
    if (typeof value === 'string') repaired = fromBinary(unfold(value));
    else if (name === 'from' || name === 'to') repaired = mapNameAddr(value as NameAddr, fromBinary);
    const existing = headers[repairedName];
    // A compact and a long form of one header in one message join like repeated headers (RFC 3261 §7.3).
    headers[repairedName] =
      typeof existing === 'string' && typeof repaired === 'string' ? `${existing},${repaired}` : repaired;
  }
  return { ...message, headers, content: fromBinary(message.content ?? '') };
}

/** Encodes a message for the package's writer: UTF-8 bytes as binary strings. */
export function encodeOutgoing(message: SipMessage): SipMessage {
  const headers: SipHeaders = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (typeof value === 'string') headers[name] = toBinary(value);
    else if (name === 'from' || name === 'to') headers[name] = mapNameAddr(value as NameAddr, toBinary);
    else headers[name] = value;
  }
  return { ...message, headers, content: toBinary(message.content ?? '') };
}

/** What RFC 3261 §8.1.1 requires of every message; the package's own check, kept for our transports. */
export function isCompleteMessage(message: SipMessage): boolean {
  const { headers } = message;
  const hasStart =
    message.method != null || (message.status != null && message.status >= 100 && message.status <= 699);
  return (
    hasStart &&
    Array.isArray(headers.via) &&
    headers.via.length > 0 &&
    typeof headers['call-id'] === 'string' &&
    headers.to != null &&
    headers.from != null &&
    headers.cseq != null
  );
}

/** A header's text, for headers the package keeps as strings. */
export function headerText(message: SipMessage, name: string): string | null {
  const value = message.headers[name.toLowerCase()];
  return typeof value === 'string' ? value : null;
}

/** The `tag` parameter of From or To. */
export function tagOf(value: NameAddr | undefined): string | null {
  const tag = value?.params['tag'];
  return tag == null || tag === '' ? null : tag;
}

/** The first Contact URI. */
export function contactUri(message: SipMessage): string | null {
  const contact = message.headers.contact;
  return Array.isArray(contact) && contact[0] != null ? contact[0].uri : null;
}

/** `expires` of a header such as Subscription-State or Expires (RFC 6665 §8.2.3). */
export function parameterOf(value: string | null, name: string): string | null {
  if (value == null) return null;
  for (const part of value.split(';').slice(1)) {
    const [key, ...rest] = part.split('=');
    if (key?.trim().toLowerCase() === name) return rest.join('=').trim() || '';
  }
  return null;
}

/** The Refer-To URI (RFC 3515 §2.1), which the package parses as a name-addr or leaves as text. */
export function referToUri(message: SipMessage): string | null {
  const value = message.headers['refer-to'];
  if (typeof value === 'string') return /<([^>]+)>/.exec(value)?.[1] ?? (value.trim() || null);
  const uri = (value as NameAddr | undefined)?.uri;
  return uri == null || uri === '' ? null : uri;
}

/** Hides credentials in a message trace (BRIEF §10: SIP passwords never in logs). */
export function redactCredentials(text: string): string {
  return text.replace(/^((?:Proxy-)?Authorization)[ \t]*:.*$/gim, '$1: [redacted]');
}

/**
 * The CANCEL of an INVITE (RFC 3261 §9.1): its Request-URI, To, From, Call-ID and CSeq number, and its
 * own top Via, branch included, so that it matches the INVITE's transaction. Null for an INVITE not yet
 * sent (no branch).
 */
export function cancelOf(invite: SipMessage): SipMessage | null {
  const via = invite.headers.via?.[0];
  if (via?.params['branch'] == null) return null;
  return {
    method: 'CANCEL',
    uri: invite.uri!,
    headers: {
      via: [{ ...via, params: { ...via.params } }],
      to: invite.headers.to!,
      from: invite.headers.from!,
      'call-id': invite.headers['call-id']!,
      cseq: { seq: invite.headers.cseq!.seq, method: 'CANCEL' },
      'max-forwards': 70,
    },
  };
}

/** A random token for tags and Call-IDs (RFC 3261 §19.3: at least 32 bits of randomness). */
export function localTag(): string {
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4);
}

/** Reason phrases of the statuses lampfield answers with (RFC 3261 §21). */
const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  481: 'Call/Transaction Does Not Exist',
  489: 'Bad Event',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
};

/** RFC 3261 §8.2.6: a response to `request`, with a To tag of ours when the request had none. */
export function responseTo(
  request: SipMessage,
  status: number,
  reason: string | undefined,
  extra: { headers?: SipHeaders; content?: string } | undefined,
): SipMessage {
  // We speak SIP/2.0 whatever the request's version (the package copies it).
  const response = { ...sip.makeResponse(request, status, reason ?? REASONS[status] ?? ''), version: '2.0' };
  const to = request.headers.to;
  if (to != null && status > 100 && to.params['tag'] == null) {
    response.headers.to = { ...to, params: { ...to.params, tag: localTag() } };
  }
  if (extra?.headers != null) Object.assign(response.headers, extra.headers);
  if (extra?.content != null) response.content = extra.content;
  return response;
}

/** A Via branch (RFC 3261 §8.1.1.7): the magic cookie and 72 random bits. */
export function strongBranch(): string {
  return `z9hG4bK${randomBytes(9).toString('base64url')}`;
}

/**
 * RFC 3261 §8.1.1.7: a branch unique in space and time. The package sets its own (a million values)
 * on every client transaction's request; the request's Via keeps ours instead, so that the transaction
 * and the wire both carry it. A CANCEL keeps the branch of its INVITE (RFC 3261 §9.1).
 */
export function keepStrongBranch(request: SipMessage): void {
  const params = request.headers.via?.[0]?.params;
  if (params == null || request.method === 'CANCEL') return;
  const branch = strongBranch();
  Object.defineProperty(params, 'branch', {
    get: () => branch,
    set: () => undefined,
    enumerable: true,
    configurable: true,
  });
}
