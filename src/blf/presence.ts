/**
 * The presence event package (RFC 3856) as lampfield reads it, pure: only whether a partner's phone can
 * take a call at all, for `offline` where a PBX refuses the registration package (src/blf/reginfo.ts).
 * Asterisk is such a PBX: it answers `Event: reg` 489 Bad Event and says, in its PIDF bodies
 * (res_pjsip_pidf_body_generator.c, res_pjsip/presence_xml.c), `<basic>closed</basic>` for an endpoint
 * with no contact (UNAVAILABLE) and `open` for every other state.
 *
 * A PIDF document (RFC 3863 §4) has tuples; each tuple's `<status><basic>` is `open` (can take
 * communication) or `closed` (cannot). The partner is offline when it has tuples and none is open; a
 * document without a tuple says nothing of it (RFC 3863 §4.1.4 makes status optional). Each presence
 * NOTIFY is the whole state (RFC 3856 §6.6: no partial PIDF unless asked for, and lampfield does not ask),
 * so each replaces the last.
 */
import type { NotifyParts } from './dialog-notify.ts';
import type { NotifyResult, PartnerView } from './dialog-intake.ts';
import type { PartnerState } from './partner-state.ts';
import { children, expectedRoot, parseXmlBody, textOf, type XmlBodyErrorCode } from './xml-body.ts';

const PIDF_NS = 'urn:ietf:params:xml:ns:pidf';

export type PidfRead =
  | { ok: true; basics: ('open' | 'closed' | null)[] }
  | { ok: false; error: { code: 'not-pidf' | XmlBodyErrorCode; message: string } };

/** One `application/pidf+xml` body: each tuple's basic status (null where it has none); an empty body has no tuple. */
export function readPidf(body: string): PidfRead {
  if (body.trim() === '') return { ok: true, basics: [] };
  const parsed = parseXmlBody(body);
  if (!parsed.ok) return { ok: false, error: { code: parsed.code, message: parsed.message } };
  const expected = expectedRoot(parsed.roots, 'presence', PIDF_NS, 'RFC 3863');
  if (!expected.ok) return { ok: false, error: { code: 'not-pidf', message: expected.message } };
  const { root } = expected;
  const basics = children(root, 'tuple').map((tuple) => {
    const basic = children(tuple, 'status').flatMap((status) => children(status, 'basic'))[0];
    const value = basic == null ? '' : textOf(basic).trim().toLowerCase();
    return value === 'open' || value === 'closed' ? value : null;
  });
  return { ok: true, basics };
}

/** A partner as its PIDF shows it: `offline` when no tuple is open, `idle` when one is, `unknown` without tuples. */
export function presenceSituation(basics: readonly ('open' | 'closed' | null)[]): PartnerState {
  const known = basics.filter((basic) => basic != null);
  if (known.length === 0) return 'unknown';
  return known.includes('open') ? 'idle' : 'offline';
}

/** The presence NOTIFYs of every partner's subscription, each partner's last document kept. */
export class PresenceIntake {
  readonly event = { name: 'presence', accept: 'application/pidf+xml' } as const;
  readonly unsolicited = false;
  private readonly situations = new Map<string, PartnerState>();

  notify(parts: NotifyParts, partner: string | null = null): NotifyResult {
    const event = parts.header('event');
    if (event != null && event.split(';')[0]!.trim().toLowerCase() !== 'presence') {
      const message = `Event is "${event}", not presence (RFC 3856)`;
      return {
        accepted: false,
        view: this.view(partner),
        error: { code: 'not-presence-event', message },
        resubscribe: false,
      };
    }
    const read = readPidf(parts.body);
    if (!read.ok) return { accepted: false, view: this.view(partner), error: read.error, resubscribe: false };
    this.situations.set(partner ?? '', presenceSituation(read.basics));
    return { accepted: true, view: this.view(partner) };
  }

  /** The partner as its presence shows it: `idle` (it can take a call), `offline`, or `unknown`. */
  view(partner: string | null): PartnerView {
    return {
      entity: partner,
      version: null,
      state: this.situations.get(partner ?? '') ?? 'unknown',
      dialogs: [],
      pickup: null,
      focus: null,
    };
  }
}
