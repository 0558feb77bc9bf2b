/**
 * The simulated PBX's registrar (RFC 3261 §10): REGISTER answered, and challenged with digest
 * authentication (RFC 3261 §22.4, SHA-256 as RFC 8760 allows) when it is given passwords. It keeps each
 * registered user's contact: innovaphone's unsolicited NOTIFYs go to every one of them.
 */
import { uriUser } from '../blf/uri.ts';
import { authHeaderText, digestResponse, parseAuthParams, type DigestChallenge } from '../sip/digest.ts';
import { contactUri, headerText, localTag } from '../sip/message.ts';
import type { IncomingRequest, SipRemote } from '../sip/stack.ts';

export interface Registered {
  contact: string;
  remote: SipRemote;
}

const REALM = 'lampfield-sim';

export class Registrar {
  private readonly contacts = new Map<string, Registered>();
  private readonly nonces = new Set<string>();

  /** Passwords by user; without them every REGISTER is accepted. */
  constructor(private readonly passwords?: Readonly<Record<string, string>>) {}

  /** Every registered user's contact. */
  registered(): Iterable<Registered> {
    return this.contacts.values();
  }

  register(request: IncomingRequest): void {
    const { message } = request;
    const user = uriUser(message.headers.to?.uri ?? null) ?? undefined;
    if (this.passwords != null && !this.authorized(request, user)) return;
    const contact = contactUri(message);
    if (contact != null && user != null) this.contacts.set(user, { contact, remote: request.remote });
    request.respond(200, 'OK', { headers: { expires: headerText(message, 'expires') ?? '3600' } });
  }

  /** Whether the REGISTER carries the right credentials; if not, it is answered 401 (or 403). */
  private authorized(request: IncomingRequest, user: string | undefined): boolean {
    const { message } = request;
    const password = user == null ? undefined : this.passwords?.[user];
    const header = message.headers['authorization'] as
      { [name: string]: string | undefined }[] | string | undefined;
    const credentials =
      header == null ? null : authHeaderText(typeof header === 'string' ? header : (header[0] ?? ''));
    const answer = credentials == null ? null : parseAuthParams(credentials).params;
    const challenge: DigestChallenge | null =
      answer?.['nonce'] != null && this.nonces.has(answer['nonce'])
        ? {
            realm: REALM,
            nonce: answer['nonce'],
            algorithm: 'SHA-256',
            qop: 'auth',
            opaque: null,
            stale: false,
          }
        : null;
    const expected =
      challenge == null || password == null || answer == null
        ? null
        : digestResponse({
            challenge,
            credentials: { username: answer['username'] ?? '', password },
            method: 'REGISTER',
            uri: answer['uri'] ?? '',
            nonceCount: Number.parseInt(answer['nc'] ?? '1', 16),
            cnonce: answer['cnonce'] ?? '',
          });
    if (expected != null && expected === answer?.['response'] && answer['username'] === user) return true;
    if (credentials != null && challenge != null) {
      request.respond(403, 'Forbidden');
      return false;
    }
    const nonce = localTag() + localTag();
    this.nonces.add(nonce);
    request.respond(401, 'Unauthorized', {
      headers: {
        'www-authenticate': `Digest realm="${REALM}", nonce="${nonce}", qop="auth", algorithm=SHA-256`,
      },
    });
    return false;
  }
}
