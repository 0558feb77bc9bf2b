/**
 * The one NOTIFY intake: a dialog-event NOTIFY's headers and body in, partner state out. Pure (no I/O):
 * it joins the NOTIFY reader, the dialog-info reader, the reducer, partner state and pickup planning.
 * `lampfield decode` and the live subscriptions (src/sip/partner-watch.ts) both feed it, so what
 * decode shows is what run does.
 *
 * A NOTIFY that belongs to a subscription names its partner: the subscription's. Otherwise (decode) a
 * document names its partner by `entity`; when it has none (innovaphone, RFC 4235 §4.2's sample), the
 * NOTIFY's From names it, else the first dialog's local identity, else the partner last seen.
 */
import type { DialogInfoDialog, ReadErrorCode, ReadResult } from './dialog-info.ts';
import { readDialogNotify, type DialogNotifyErrorCode, type NotifyParts } from './dialog-notify.ts';
import { readDialogInfo } from './dialog-info-reader.ts';
import { ChosenDialect } from './dialect-choice.ts';
import type { Dialect } from './dialects.ts';
import { applyDocument, FRESH_RECORD, type PartnerRecord } from './partner-record.ts';
import { DEFAULT_PRIORITY, readPartnerState, type LiveState, type PartnerState } from './partner-state.ts';
import { planPickup, type PickupOptions, type PickupPlan } from './pickup.ts';
import { normalizePartnerUri, uriUser } from './uri.ts';

export interface NotifyInput {
  /** The NOTIFY body; empty for a NOTIFY without one (Kamailio's first: no dialogs). */
  body: string;
  /** The NOTIFY's From URI, naming the partner when the body does not. */
  from?: string | null;
  /** The subscription dialog's Call-ID: versions count per subscription. */
  subscription?: string | null;
  /** The partner the NOTIFY's subscription watches; it names the state, whatever the body says. */
  partner?: string | null;
  /** The body already read, where one document serves several partners (a resource list's shared part). */
  read?: ReadResult;
}

export interface PartnerView {
  entity: string | null;
  version: number | null;
  state: PartnerState;
  dialogs: DialogInfoDialog[];
  /** When ringing: how to pick the call up, or why it cannot be; null otherwise. */
  pickup: PickupPlan | null;
  /** The dialog that decided the state (the ringing one), for a pickup planned per key. */
  focus: DialogInfoDialog | null;
}

/** `not-reg-event` and `not-reginfo` are the registration intake's (src/blf/reginfo.ts). */
export type NotifyErrorCode =
  | DialogNotifyErrorCode
  | ReadErrorCode
  | 'stale-version'
  | 'version-gap'
  | 'not-reg-event'
  | 'not-reginfo'
  /** The presence intake's (src/blf/presence.ts). */
  | 'not-presence-event'
  | 'not-pidf'
  /** A list subscription answered with a single resource's document (src/blf/resource-list-intake.ts). */
  | 'not-a-list'
  /** A resource list NOTIFY that cannot be read: its multipart framing or its RLMI. */
  | 'bad-list';

export type NotifyResult =
  | { accepted: true; view: PartnerView }
  | {
      accepted: false;
      /** The partner's state as it was: a refused document changes nothing. */
      view: PartnerView;
      error: { code: NotifyErrorCode; message: string };
      /** True when the subscriber must ask for full state again (RFC 4235 §4.3: re-SUBSCRIBE). */
      resubscribe: boolean;
    };

export interface IntakeOptions {
  priority?: readonly LiveState[];
  pickup?: PickupOptions;
}

export class DialogIntake {
  /** The event package its NOTIFYs are of (RFC 4235 §3), for the SUBSCRIBE. */
  readonly event = { name: 'dialog', accept: 'application/dialog-info+xml' } as const;
  private readonly records = new Map<string, PartnerRecord>();
  private lastEntity: string | null = null;
  /** How the documents read; with `pbx.dialect: auto`, the family once the PBX shows it (dialect-choice.ts). */
  private readonly dialect: ChosenDialect;

  constructor(
    dialect: Dialect | ChosenDialect,
    private readonly options: IntakeOptions = {},
  ) {
    this.dialect = ChosenDialect.of(dialect);
  }

  /** Whether the PBX sends NOTIFYs without a subscription (innovaphone). */
  get unsolicited(): boolean {
    return this.dialect.current.unsolicitedNotify;
  }

  /**
   * A whole NOTIFY (RFC 6665 §8.2, RFC 4235 §3): its Event and Content-Type are checked, then its body
   * applied with its From and Call-ID. `partner` is the partner of the subscription it came in.
   */
  notify(parts: NotifyParts, partner: string | null = null): NotifyResult {
    const notify = readDialogNotify(parts);
    if (!notify.ok) {
      const error = { code: notify.code, message: notify.message };
      return { accepted: false, view: this.view(partner), error, resubscribe: false };
    }
    return this.apply({ body: notify.body, from: notify.from, subscription: notify.subscription, partner });
  }

  /** A NOTIFY body (dialog-info, or empty), with what the NOTIFY's headers said of it. */
  apply(input: NotifyInput): NotifyResult {
    const read = input.read ?? readDialogInfo(input.body);
    const named = input.partner ?? null;
    const from = normalizePartnerUri(input.from);
    if (!read.ok) {
      const entity = named ?? from ?? this.lastEntity;
      return { accepted: false, view: this.view(entity), error: read.error, resubscribe: false };
    }
    const document = read.document;
    const entity =
      named ??
      normalizePartnerUri(document.entity) ??
      from ??
      normalizePartnerUri(document.dialogs[0]?.local.identity) ??
      this.lastEntity;
    if (named == null) this.lastEntity = entity;
    const key = entity ?? '';
    const outcome = applyDocument(
      this.records.get(key) ?? FRESH_RECORD,
      document,
      input.subscription ?? null,
    );
    if (outcome.kind !== 'applied') {
      return {
        accepted: false,
        view: this.view(entity),
        error: { code: outcome.kind === 'stale' ? 'stale-version' : 'version-gap', message: outcome.message },
        resubscribe: outcome.kind === 'gap',
      };
    }
    this.records.set(key, outcome.record);
    return { accepted: true, view: this.view(entity) };
  }

  /** What the intake knows of a partner now; `unknown` before any document about it. */
  view(entity: string | null): PartnerView {
    const record = this.records.get(entity ?? '') ?? FRESH_RECORD;
    return partnerView(record, entity, this.dialect.current, this.options);
  }
}

/** A partner's state, dialogs and pickup as one record of them reads (`unknown` before any document). */
export function partnerView(
  record: PartnerRecord,
  entity: string | null,
  dialect: Dialect,
  options: IntakeOptions = {},
): PartnerView {
  const dialogs = [...record.dialogs.values()];
  if (!record.informed)
    return { entity, version: record.version, state: 'unknown', dialogs, pickup: null, focus: null };
  const reading = readPartnerState(dialogs, dialect, options.priority ?? DEFAULT_PRIORITY);
  const pickup =
    reading.state === 'ringing' && reading.dialog != null
      ? planPickup(reading.dialog, entity, dialect, options.pickup)
      : null;
  return { entity, version: record.version, state: reading.state, dialogs, pickup, focus: reading.dialog };
}

/**
 * Who is calling a ringing partner, in the one form every board, the page and the console show: the
 * caller's display name (RFC 4235 §4.1.6 `display` of `identity`), else their number (the user part of
 * the identity or target URI), else the URI as given. Dialects differ in which of these they send; the
 * caller must read the same whichever sent it.
 */
export function callerOf(view: PartnerView): string | null {
  if (view.state !== 'ringing' || view.focus == null) return null;
  const { remote } = view.focus;
  const display = remote.display?.trim();
  if (display != null && display !== '') return display;
  const uri = remote.identity ?? remote.target;
  if (uri == null) return null;
  return uriUser(uri) ?? uri;
}
