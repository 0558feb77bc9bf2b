/**
 * The registration event package (RFC 3680), pure: whether a partner's phone is registered at all.
 * A reginfo document lists the partner's registrations (one per address-of-record) and their contacts;
 * the partner is online while any registration is `active` with an `active` contact (RFC 3680 §5.1),
 * and `offline` otherwise. RegIntake reads each NOTIFY of a `reg` subscription as DialogIntake reads
 * dialog NOTIFYs, into the same view and result shapes, so that one subscription machine
 * (src/sip/subscription.ts) keeps both.
 *
 * Tolerated, because Kamailio's presence_reginfo sends it (test/vectors/kamailio/reg-207-*): every
 * document `state="full"` with `version="0"`, a full document of the same version as the last, an
 * empty first NOTIFY for a partner that never registered (read as offline: the registrar knows no
 * contact), extension attributes on `<contact>`.
 */
import type { NotifyParts } from './dialog-notify.ts';
import type { NotifyResult, PartnerView } from './dialog-intake.ts';
import type { LampSituation } from './lamp-policy.ts';
import { normalizePartnerUri } from './uri.ts';
import {
  attribute,
  children,
  expectedRoot,
  parseXmlBody,
  textOf,
  type XmlBodyErrorCode,
} from './xml-body.ts';

const REGINFO_NS = 'urn:ietf:params:xml:ns:reginfo';

export interface RegContact {
  id: string;
  state: 'active' | 'terminated';
  /** What last changed the contact (RFC 3680 §5.1: registered, created, refreshed, expired, …). */
  event: string | null;
  uri: string | null;
}

export interface RegRegistration {
  id: string;
  aor: string | null;
  state: 'init' | 'active' | 'terminated';
  contacts: RegContact[];
}

export interface ReginfoDocument {
  version: number | null;
  state: 'full' | 'partial';
  registrations: RegRegistration[];
}

export type ReginfoRead =
  | { ok: true; document: ReginfoDocument }
  | { ok: false; error: { code: 'not-reginfo' | 'bad-version' | XmlBodyErrorCode; message: string } };

/** One `application/reginfo+xml` body (RFC 3680 §5.3); an empty body is a document without registrations. */
export function readReginfo(body: string): ReginfoRead {
  if (body.trim() === '') return { ok: true, document: { version: null, state: 'full', registrations: [] } };
  const parsed = parseXmlBody(body);
  if (!parsed.ok) return { ok: false, error: { code: parsed.code, message: parsed.message } };
  const expected = expectedRoot(parsed.roots, 'reginfo', REGINFO_NS, 'RFC 3680');
  if (!expected.ok) return { ok: false, error: { code: 'not-reginfo', message: expected.message } };
  const { root } = expected;
  const versionText = attribute(root, 'version');
  const version = versionText == null ? null : /^\d{1,15}$/.test(versionText) ? Number(versionText) : NaN;
  if (Number.isNaN(version)) {
    const message = `version "${versionText}" is not a non-negative integer (RFC 3680 §5.3)`;
    return { ok: false, error: { code: 'bad-version', message } };
  }
  const registrations = children(root, 'registration').map((registration, index) => {
    const state = attribute(registration, 'state')?.toLowerCase();
    return {
      id: attribute(registration, 'id') ?? `#${index}`,
      aor: normalizePartnerUri(attribute(registration, 'aor')),
      state: state === 'active' || state === 'terminated' ? state : 'init',
      contacts: children(registration, 'contact').map((contact, at) => ({
        id: attribute(contact, 'id') ?? `#${at}`,
        // RFC 3680 §5.3: a contact is active or terminated; anything else is not a usable binding.
        state:
          attribute(contact, 'state')?.toLowerCase() === 'active'
            ? ('active' as const)
            : ('terminated' as const),
        event: attribute(contact, 'event'),
        uri: children(contact, 'uri')[0] == null ? null : textOf(children(contact, 'uri')[0]!) || null,
      })),
    } satisfies RegRegistration;
  });
  const state = attribute(root, 'state')?.toLowerCase() === 'partial' ? 'partial' : 'full';
  return { ok: true, document: { version, state, registrations } };
}

/** What lampfield keeps of one partner's registrations between NOTIFYs. */
interface RegRecord {
  version: number | null;
  registrations: ReadonlyMap<string, RegRegistration>;
}

/** Whether any registration is active with an active contact: the phone can be reached. */
export function registered(registrations: Iterable<RegRegistration>): boolean {
  for (const registration of registrations)
    if (
      registration.state === 'active' &&
      registration.contacts.some((contact) => contact.state === 'active')
    )
      return true;
  return false;
}

/**
 * The reg NOTIFYs of every partner's subscription, each partner's registrations kept: a full document
 * replaces them, a partial one (RFC 3680 §5.3) updates the registrations it names.
 */
export class RegIntake {
  readonly event = { name: 'reg', accept: 'application/reginfo+xml' } as const;
  readonly unsolicited = false;
  private readonly records = new Map<string, RegRecord>();

  notify(parts: NotifyParts, partner: string | null = null): NotifyResult {
    const key = partner ?? '';
    const event = parts.header('event');
    if (event != null && event.split(';')[0]!.trim().toLowerCase() !== 'reg') {
      const error = { code: 'not-reg-event' as const, message: `Event is "${event}", not reg (RFC 3680)` };
      return { accepted: false, view: this.view(partner), error, resubscribe: false };
    }
    const read = readReginfo(parts.body);
    if (!read.ok) return { accepted: false, view: this.view(partner), error: read.error, resubscribe: false };
    const { document } = read;
    const before = this.records.get(key);
    if (before?.version != null && document.version != null) {
      // RFC 3680 §5.3: versions count up by one per document. Kamailio repeats 0 in every full one, so a
      // full document of the same version is taken; a lower one is old, a partial one past a gap asks
      // for full state.
      if (document.version < before.version) {
        const message = `version ${document.version} after ${before.version}: an old or reordered NOTIFY`;
        return {
          accepted: false,
          view: this.view(partner),
          error: { code: 'stale-version', message },
          resubscribe: false,
        };
      }
      if (document.state === 'partial' && document.version !== before.version + 1) {
        const message = `partial version ${document.version} after ${before.version}: updates were lost`;
        return {
          accepted: false,
          view: this.view(partner),
          error: { code: 'version-gap', message },
          resubscribe: true,
        };
      }
    }
    if (document.state === 'partial' && before == null) {
      const message = 'a partial document before any full one: asking for full state';
      return {
        accepted: false,
        view: this.view(partner),
        error: { code: 'version-gap', message },
        resubscribe: true,
      };
    }
    const registrations = new Map(document.state === 'full' ? [] : before!.registrations);
    for (const registration of document.registrations) {
      const kept = registrations.get(registration.id);
      const contacts = new Map(
        (document.state === 'full' ? [] : (kept?.contacts ?? [])).map((c) => [c.id, c]),
      );
      for (const contact of registration.contacts) contacts.set(contact.id, contact);
      registrations.set(registration.id, { ...registration, contacts: [...contacts.values()] });
    }
    this.records.set(key, { version: document.version, registrations });
    return { accepted: true, view: this.view(partner) };
  }

  /** The partner as its registrations show it: `idle` (registered), `offline`, or `unknown` before any NOTIFY. */
  view(partner: string | null): PartnerView {
    const record = this.records.get(partner ?? '');
    const state = record == null ? 'unknown' : registered(record.registrations.values()) ? 'idle' : 'offline';
    return {
      entity: partner,
      version: record?.version ?? null,
      state,
      dialogs: [],
      pickup: null,
      focus: null,
    };
  }
}

/**
 * A partner's situation with what its registrations say (`registration`: the reg subscription's status
 * and situation, null without one): `offline` where dialogs show no call (idle, or nothing known yet)
 * and the registrar knows no contact. Until the reg subscription first answers, an idle partner stays
 * `unknown`, so that a key does not show idle for a moment before offline. A call in progress, a refused
 * dialog subscription, or a reg subscription refused by the PBX or lost leave the dialogs' word standing.
 */
export function withRegistration(
  situation: LampSituation,
  registration: { status: 'pending' | 'active' | 'lost' | 'refused'; situation: LampSituation } | null,
): LampSituation {
  if (registration == null || (situation !== 'idle' && situation !== 'unknown')) return situation;
  if (registration.status === 'pending' && registration.situation === 'unknown') return 'unknown';
  return registration.situation === 'offline' ? 'offline' : situation;
}
