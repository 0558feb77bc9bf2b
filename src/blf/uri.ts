/**
 * SIP URI helpers for partner identities, pure.
 *
 * Notifiers write a partner's identity in many shapes: `sip:207@pbx`, `<sip:207@pbx;user=phone>;tag=x`
 * (a From header), `thomson4@as.iop1.broadworks.net` (BroadWorks `entity` without a scheme), or
 * `sip:103@192.168.1.10:5060` (Asterisk, with a port). These helpers bring them to one form.
 */

const SCHEME = /^(sips?|tel):/i;

/**
 * The addr-spec inside a name-addr (RFC 3261 §20.10: `"Name" <uri>;params` or a bare `uri;params`),
 * with URI parameters and headers removed, a `sip:` scheme added when none is given, and the scheme
 * and host lower-cased (RFC 3261 §19.1.4: they compare case-insensitively; the user part does not).
 * Returns null for an empty or unusable value.
 */
export function normalizePartnerUri(value: string | null | undefined): string | null {
  if (value == null) return null;
  // Control characters (a NUL, a line break) belong in no URI (RFC 3986 §2; RFC 3261 §25.1).
  if ([...value.trim()].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) return null;
  let text = value.trim();
  const open = text.indexOf('<');
  if (open >= 0) {
    const close = text.indexOf('>', open + 1);
    text = text.slice(open + 1, close < 0 ? undefined : close).trim();
  }
  if (text === '') return null;
  const schemeMatch = SCHEME.exec(text);
  const scheme = schemeMatch ? schemeMatch[1]!.toLowerCase() : 'sip';
  let rest = schemeMatch ? text.slice(schemeMatch[0].length) : text;
  // URI parameters and headers (RFC 3261 §19.1.1) do not name the partner: `;user=phone` goes.
  const cut = rest.search(/[;?]/);
  if (cut >= 0) rest = rest.slice(0, cut);
  rest = rest.trim();
  if (rest === '' || /\s/.test(rest)) return null;
  if (scheme === 'tel') return `tel:${rest}`;
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : '';
  const host = (at >= 0 ? rest.slice(at + 1) : rest).toLowerCase();
  if (host === '') return null;
  return user === '' ? `${scheme}:${host}` : `${scheme}:${user}@${host}`;
}

/** The user part of a SIP URI (`207` of `sip:207@pbx`), or null when it has none. */
export function uriUser(uri: string | null): string | null {
  if (uri == null) return null;
  const normalized = normalizePartnerUri(uri);
  if (normalized == null) return null;
  const body = normalized.slice(normalized.indexOf(':') + 1);
  const at = body.lastIndexOf('@');
  if (normalized.startsWith('tel:')) return body;
  return at > 0 ? body.slice(0, at) : null;
}

/** The host part (with port, if any) of a SIP URI, or null for tel: URIs. */
export function uriHost(uri: string | null): string | null {
  if (uri == null) return null;
  const normalized = normalizePartnerUri(uri);
  if (normalized == null || normalized.startsWith('tel:')) return null;
  const body = normalized.slice(normalized.indexOf(':') + 1);
  return body.slice(body.lastIndexOf('@') + 1);
}

/** The URI as the notifier wrote it, with a `sip:` scheme added when it had none (FreeSWITCH, BroadWorks). */
export function withScheme(uri: string): string {
  const text = uri.trim();
  return SCHEME.test(text) ? text : `sip:${text}`;
}

/**
 * The partner, of `partners`, that a NOTIFY's From names (`from`), for notifiers that send state
 * unsolicited: the same URI, else the same number on the PBX's address (innovaphone's From names the PBX
 * by IP where the config may use a domain) or on the partner's own host. Null when none is named.
 */
export function partnerNamedBy(
  from: string | null,
  partners: Iterable<string>,
  pbxAddress: string,
): string | null {
  return new PartnerIndex(partners, pbxAddress).find(from);
}

/**
 * `partnerNamedBy` for many look-ups among the same partners (a resource list's resources): the
 * partners indexed once, by URI and by number, so that each look-up costs the same however many keys
 * there are.
 */
export class PartnerIndex {
  private readonly byUri = new Map<string, string>();
  /** Partners by their number, in the order given (the first that fits is the one named). */
  private readonly byNumber = new Map<string, string[]>();

  constructor(
    partners: Iterable<string>,
    private readonly pbxAddress: string,
  ) {
    for (const partner of partners) {
      if (!this.byUri.has(partner)) this.byUri.set(partner, partner);
      const user = uriUser(partner);
      if (user != null) this.byNumber.set(user, [...(this.byNumber.get(user) ?? []), partner]);
    }
  }

  find(from: string | null): string | null {
    const wanted = normalizePartnerUri(from);
    if (wanted == null) return null;
    const exact = this.byUri.get(wanted);
    if (exact != null) return exact;
    const host = uriHost(wanted);
    const user = uriUser(wanted);
    const candidates = user == null ? [] : (this.byNumber.get(user) ?? []);
    return candidates.find((partner) => host === this.pbxAddress || host === uriHost(partner)) ?? null;
  }
}

/** The PBX as the URIs a desk phone is sent must name it: the hosts that are its, and its port. */
export interface PbxPlace {
  /** The PBX's host, its SIP domain and its address, as they may appear in a URI. */
  hosts: readonly string[];
  port: number;
}

/**
 * A URI the desk phone is to call, made to reach the PBX: a SIP URI whose host is the PBX's and that
 * names no port gets the PBX's port, when it is not 5060 (RFC 3263 §4.2: a phone resolving a URI with
 * no port and no SRV record uses 5060; baresip without an outbound proxy does). Other URIs, and
 * URIs that name a port, are returned as they are.
 */
export function onPbxPort(uri: string, pbx: PbxPlace): string {
  if (pbx.port === 5060) return uri;
  const parts = /^(sips?:(?:[^@;?]*@)?)([^:;?@[\]]+)([;?].*)?$/i.exec(uri);
  if (parts == null) return uri;
  const host = parts[2]!;
  if (!pbx.hosts.some((candidate) => candidate.toLowerCase() === host.toLowerCase())) return uri;
  return `${parts[1]!}${host}:${pbx.port}${parts[3] ?? ''}`;
}
