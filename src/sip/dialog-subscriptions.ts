/**
 * The dialog-event subscriptions to every partner (RFC 6665, RFC 4235), kept alive for months: paced at
 * start, refreshed before expiry, re-made after 481, timeouts and PBX restarts, and never trusted
 * beyond what the PBX has confirmed: a partner whose subscription is pending, lost, expired or refused
 * reads `unknown` (or `refused`), never a stale `idle` (BRIEF §10).
 *
 * This is the subscription state machine only. Every NOTIFY goes to the DialogWatcher
 * (src/blf/dialog-watcher.ts), the one code that turns a NOTIFY into partner state; the PBX's silence is
 * told by the keepalive (pbx-keepalive.ts) through `pbxGone` and `pbxBack`.
 *
 * One partner's subscription state (`SubscriptionState`); SUBSCRIBE answers and NOTIFYs move it:
 *
 *   pending ──NOTIFY active──▶ active ──refresh 2xx / NOTIFY active──▶ active
 *     ▲  │ ▲                     │ 481 to a refresh, NOTIFY terminated ─▶ pending (new dialog, at once)
 *     │  │ └─ NOTIFY pending     │ 408/5xx/timeout, NOTIFY terminated;probation ─▶ lost
 *     │  │ 403/404/489…          │ expiry passes without a refresh ─▶ lost (new dialog, at once)
 *     │  ▼                       │ PBX gone (keepalive) ─▶ lost; PBX back: refresh every partner
 *     │ refused ◀── NOTIFY terminated;rejected|noresource ─┘
 *     │  │ after 10 min, or Retry-After                lost ──backoff 2 s … 60 s──▶ (SUBSCRIBE again)
 *     └──┴── a later NOTIFY active makes any of them active again
 *
 * Apart from that state, each partner's next SUBSCRIBE is in an outbox (`Outbox`): `idle`, `queued`
 * (waiting its turn: no more than `subscribeRate` a second), `sending`, or `sending, again` (a refresh
 * was asked for while one was on the wire: it follows the answer).
 */
import type { DialogWatcher, NotifyResult, PartnerView } from '../blf/dialog-watcher.ts';
import type { LampSituation } from '../blf/lamp-policy.ts';
import { normalizePartnerUri, uriHost, uriUser } from '../blf/uri.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { contactUri, headerText, parameterOf, tagOf, type SipMessage } from './message.ts';
import { localTag, type IncomingRequest } from './stack.ts';
import type { DialogState, UserAgent } from './user-agent.ts';

/** What the PBX has confirmed of one partner's subscription (see the diagram above). */
export type SubscriptionState =
  | { status: 'pending'; reason: string }
  | { status: 'active' }
  | { status: 'lost'; reason: string }
  | { status: 'refused'; reason: string };
export type SubscriptionStatus = SubscriptionState['status'];

type Outbox = 'idle' | 'queued' | 'sending' | 'sending, again';

export interface PartnerUpdate {
  partner: string;
  status: SubscriptionStatus;
  /** What the keys show: the partner's state while the subscription is active. */
  situation: LampSituation;
  view: PartnerView;
  /** Why the subscription is not active, for the log and the status page. */
  reason: string | null;
}

export interface SubscriptionOptions {
  /** Where every NOTIFY is read (one per watcher, shared with nothing that keeps other partners). */
  intake: DialogWatcher;
  clock: Clock;
  log: Logger;
  /** Requested subscription duration, seconds (RFC 6665 §4.1.2.1). */
  expires: number;
  /** New SUBSCRIBEs per second at most, so that a PBX is never flooded at start. */
  subscribeRate: number;
  /** The PBX's IP address: the only source of unsolicited NOTIFYs (dialects that send them). */
  pbxAddress: string;
  /** Give up on an unanswered request after this long (default 8 s). */
  requestTimeoutMs?: number;
  /** Retry a refused subscription after this long (default 10 min). */
  refusedRetryMs?: number;
  /** 0..1, for backoff jitter; injectable for tests. */
  random?: () => number;
}

interface Partner {
  readonly uri: string;
  state: SubscriptionState;
  outbox: Outbox;
  /** The subscription dialog: null before the first SUBSCRIBE and after the subscription ended. */
  dialog: DialogState | null;
  /**
   * The PBX sends this partner's state unsolicited (innovaphone): that state holds as long as the
   * NOTIFYs come and the PBX answers its keepalive, whatever becomes of the SUBSCRIBE.
   */
  unsolicited: boolean;
  /** Failed SUBSCRIBEs in a row, for the backoff. */
  failures: number;
  /** The next SUBSCRIBE's timer (refresh, backoff or retry). */
  cancelTimer: () => void;
  /** The subscription's expiry. */
  cancelDeadline: () => void;
  lastReported: string;
}

const NOOP = () => undefined;
/**
 * Responses that mean "this subscription will not be accepted" (RFC 6665 §4.1.2.1, §8.3.2), and a
 * challenge still standing after our credentials were sent (a wrong password).
 */
const REFUSED = new Set([401, 403, 404, 405, 407, 489, 501, 603, 604]);
const BACKOFF_BASE_MS = 2000;
const BACKOFF_MAX_MS = 60_000;

export class DialogSubscriptions {
  private readonly partners = new Map<string, Partner>();
  private readonly byCallId = new Map<string, Partner>();
  private readonly queue: Partner[] = [];
  private cancelPump: () => void = NOOP;
  private lastSent = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly ua: UserAgent,
    partners: readonly string[],
    private readonly options: SubscriptionOptions,
    private readonly onUpdate: (update: PartnerUpdate) => void,
  ) {
    for (const uri of new Set(partners)) {
      this.partners.set(uri, {
        uri,
        state: { status: 'pending', reason: 'not subscribed yet' },
        outbox: 'idle',
        dialog: null,
        unsolicited: false,
        failures: 0,
        cancelTimer: NOOP,
        cancelDeadline: NOOP,
        lastReported: '',
      });
    }
  }

  start(): void {
    for (const partner of this.partners.values()) {
      this.report(partner);
      this.enqueue(partner);
    }
  }

  /** The current state of one partner (null for a partner not watched). */
  update(partner: string): PartnerUpdate | null {
    const found = this.partners.get(partner);
    return found == null ? null : this.describe(found);
  }

  /** Takes NOTIFY requests; returns false for any other request. */
  handleRequest(request: IncomingRequest): boolean {
    if (request.message.method !== 'NOTIFY') return false;
    this.handleNotify(request);
    return true;
  }

  /** The PBX stopped answering (pbx-keepalive.ts): no partner's state can be trusted until it is back. */
  pbxGone(): void {
    for (const partner of this.partners.values()) {
      if (partner.state.status === 'refused') continue;
      partner.unsolicited = false;
      partner.state = { status: 'lost', reason: 'the PBX does not answer' };
      this.report(partner);
    }
  }

  /** The PBX answers again, perhaps as a new process that knows no subscription: refresh every one. */
  pbxBack(): void {
    for (const partner of this.partners.values()) this.enqueue(partner);
  }

  /** Ends every subscription (SUBSCRIBE with Expires: 0, RFC 6665 §4.1.2.3) and stops all timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelPump();
    const endings: Promise<unknown>[] = [];
    for (const partner of this.partners.values()) {
      partner.cancelTimer();
      partner.cancelDeadline();
      if (partner.dialog?.remoteTag != null && partner.state.status === 'active') {
        const request = this.ua.inDialog('SUBSCRIBE', partner.dialog, subscribeHeaders(0));
        endings.push(this.ua.send(request, { timeoutMs: 2000 }));
      }
    }
    await Promise.all(endings);
  }

  // --- sending -------------------------------------------------------------------------------------

  private enqueue(partner: Partner): void {
    if (this.stopped) return;
    switch (partner.outbox) {
      case 'sending':
        partner.outbox = 'sending, again';
        return;
      case 'sending, again':
      case 'queued':
        return;
      case 'idle':
        partner.cancelTimer();
        partner.outbox = 'queued';
        this.queue.push(partner);
        this.pump();
    }
  }

  /** Sends queued SUBSCRIBEs no faster than `subscribeRate` per second. */
  private pump(): void {
    this.cancelPump();
    this.cancelPump = NOOP;
    if (this.queue.length === 0 || this.stopped) return;
    const interval = 1000 / this.options.subscribeRate;
    const wait = this.lastSent + interval - this.options.clock.now();
    if (wait > 0) {
      this.cancelPump = this.options.clock.after(wait, () => this.pump());
      return;
    }
    const partner = this.queue.shift()!;
    this.lastSent = this.options.clock.now();
    void this.subscribe(partner);
    this.pump();
  }

  private async subscribe(partner: Partner): Promise<void> {
    const refresh = partner.dialog?.remoteTag != null;
    let dialog = partner.dialog;
    let request: SipMessage;
    if (refresh && dialog != null) {
      request = this.ua.inDialog('SUBSCRIBE', dialog, subscribeHeaders(this.options.expires));
    } else {
      this.forgetDialog(partner);
      dialog = {
        callId: this.ua.newCallId(),
        localTag: localTag(),
        remoteTag: null,
        remoteTarget: partner.uri,
        remoteUri: partner.uri,
        routeSet: [],
        localSeq: 1,
      };
      partner.dialog = dialog;
      this.byCallId.set(dialog.callId, partner);
      request = this.ua.outOfDialog(
        'SUBSCRIBE',
        partner.uri,
        dialog.callId,
        dialog.localTag,
        1,
        subscribeHeaders(this.options.expires),
      );
    }
    partner.outbox = 'sending';
    const response = await this.ua.send(request, { timeoutMs: this.options.requestTimeoutMs ?? 8000 });
    // A refresh asked for meanwhile made it `sending, again`.
    const again = partner.outbox !== 'sending';
    partner.outbox = 'idle';
    if (this.stopped) return;
    // An answer to a dialog since given up (a NOTIFY ended it meanwhile) changes nothing.
    if (partner.dialog === dialog) {
      dialog.localSeq = Math.max(dialog.localSeq, response.headers.cseq?.seq ?? 0);
      this.onSubscribeResponse(partner, dialog, response, refresh);
    }
    if (again) this.enqueue(partner);
  }

  private onSubscribeResponse(
    partner: Partner,
    dialog: DialogState,
    response: SipMessage,
    refresh: boolean,
  ): void {
    const status = response.status ?? 0;
    const what = `${status} ${response.reason ?? ''}`.trim();
    if (status >= 200 && status < 300) {
      if (!refresh) {
        dialog.remoteTag = tagOf(response.headers.to) ?? dialog.remoteTag;
        dialog.remoteTarget = contactUri(response) ?? dialog.remoteTarget;
        // RFC 3261 §12.1.2: the route set is the Record-Route of the response, reversed.
        dialog.routeSet = (response.headers['record-route'] ?? []).map((route) => route.uri).reverse();
      }
      partner.failures = 0;
      const granted = Number.parseInt(headerText(response, 'expires') ?? '', 10);
      const expires = Number.isFinite(granted) ? granted : this.options.expires;
      if (expires <= 0) {
        this.lose(partner, 'the PBX granted the subscription for 0 s', true);
        return;
      }
      this.keepFor(partner, expires);
      return;
    }
    if (status === 481 && refresh) {
      // RFC 6665 §4.1.2.2: the notifier no longer knows the subscription (a PBX restart): make a new one.
      this.options.log.info('subscription gone at the PBX, subscribing again', { partner: partner.uri });
      this.forgetDialog(partner);
      partner.state = { status: 'pending', reason: `refresh answered ${what}` };
      this.report(partner);
      this.enqueue(partner);
      return;
    }
    if (status === 423) {
      // RFC 6665 §4.1.2.1 / RFC 3261 §10.2.8: Interval Too Brief names the least duration.
      const minimum = Number.parseInt(headerText(response, 'min-expires') ?? '', 10);
      if (Number.isFinite(minimum) && minimum > this.options.expires) {
        this.options.expires = minimum;
        this.enqueue(partner);
        return;
      }
    }
    this.forgetDialog(partner);
    if (REFUSED.has(status)) {
      const hint = status === 401 || status === 407 ? ' (check account.user and account.password)' : '';
      this.refuse(partner, `the PBX refused the subscription: ${what}${hint}`);
      return;
    }
    this.lose(partner, `SUBSCRIBE answered ${what}`, false, retryAfterMs(response));
  }

  // --- NOTIFY --------------------------------------------------------------------------------------

  private handleNotify(request: IncomingRequest): void {
    const { message, remote } = request;
    const callId = message.headers['call-id'] ?? '';
    const partner = this.byCallId.get(callId);
    const dialog = partner?.dialog;
    if (partner != null && dialog != null && tagOf(message.headers.to) === dialog.localTag) {
      this.inSubscription(request, partner, dialog);
      return;
    }
    if (this.options.intake.dialect.unsolicitedNotify && remote.address === this.options.pbxAddress) {
      const unsolicited = this.partnerNamed(message.headers.from?.uri ?? null);
      if (unsolicited != null) {
        this.unsolicited(request, unsolicited);
        return;
      }
    }
    this.options.log.debug('NOTIFY outside any subscription, answered 481', {
      from: message.headers.from?.uri,
      source: `${remote.address}:${remote.port}`,
    });
    request.respond(481);
  }

  private inSubscription(request: IncomingRequest, partner: Partner, dialog: DialogState): void {
    const { message } = request;
    const result = this.read(request, partner);
    if (!result.accepted && result.error.code === 'not-dialog-event') {
      request.respond(489);
      return;
    }
    request.respond(200);
    dialog.remoteTag ??= tagOf(message.headers.from);
    // RFC 6665 §4.1.3: a NOTIFY's Contact is the new remote target of the subscription dialog.
    dialog.remoteTarget = contactUri(message) ?? dialog.remoteTarget;
    this.followUp(partner, result);

    const state = headerText(message, 'subscription-state');
    const value = state?.split(';')[0]?.trim().toLowerCase() ?? 'active';
    if (value === 'terminated') {
      this.terminated(partner, state ?? 'terminated');
      return;
    }
    partner.state =
      value === 'pending'
        ? { status: 'pending', reason: 'the PBX has not authorized the subscription yet' }
        : { status: 'active' };
    const expires = Number.parseInt(parameterOf(state, 'expires') ?? '', 10);
    if (Number.isFinite(expires) && expires > 0) this.keepFor(partner, expires);
    this.report(partner);
  }

  private unsolicited(request: IncomingRequest, partner: Partner): void {
    const result = this.read(request, partner);
    const headersRefused =
      !result.accepted &&
      (result.error.code === 'not-dialog-event' || result.error.code === 'unsupported-content-type');
    request.respond(!result.accepted && result.error.code === 'not-dialog-event' ? 489 : 200);
    if (headersRefused) return;
    // Unsolicited NOTIFYs (innovaphone) need no subscription: they are the state as long as they come
    // and the PBX answers its keepalive.
    partner.unsolicited = true;
    partner.state = { status: 'active' };
    this.followUp(partner, result);
    this.report(partner);
  }

  /** The NOTIFY, read by the one intake as the subscription's partner's. */
  private read(request: IncomingRequest, partner: Partner): NotifyResult {
    const { message } = request;
    return this.options.intake.notify(
      { header: (name) => headerText(message, name), body: message.content ?? '' },
      partner.uri,
    );
  }

  /** What a NOTIFY the intake did not apply asks of the subscription. */
  private followUp(partner: Partner, result: NotifyResult): void {
    if (result.accepted) return;
    const { code, message } = result.error;
    if (result.resubscribe) {
      // RFC 4235 §4.3: state was lost; a refresh brings a full document.
      this.options.log.info('dialog-info versions skipped, asking for full state', { partner: partner.uri });
      this.enqueue(partner);
    } else if (code === 'stale-version') {
      this.options.log.debug('stale dialog-info dropped', { partner: partner.uri, reason: message });
    } else {
      this.options.log.warn('NOTIFY body refused', { partner: partner.uri, code, reason: message });
    }
  }

  /** RFC 6665 §4.1.3: what a terminated subscription's reason asks of the subscriber. */
  private terminated(partner: Partner, state: string): void {
    const reason = parameterOf(state, 'reason')?.toLowerCase() ?? null;
    const retryAfter = Number.parseInt(parameterOf(state, 'retry-after') ?? '', 10);
    const retryMs = Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined;
    this.forgetDialog(partner);
    switch (reason) {
      case 'rejected':
      case 'noresource':
      case 'invariant':
        this.refuse(partner, `the PBX ended the subscription: ${reason}`, retryMs);
        return;
      case 'probation':
      case 'giveup':
        this.lose(partner, `the PBX ended the subscription: ${reason}`, false, retryMs);
        return;
      default:
        // deactivated, timeout, or no reason: subscribe again at once. The lamp keeps the state the
        // last NOTIFY gave until the new subscription answers, so a routine renewal does not blink.
        if (retryMs != null) {
          this.lose(partner, `the PBX ended the subscription: ${reason ?? 'no reason'}`, false, retryMs);
          return;
        }
        partner.state = {
          status: 'pending',
          reason: `the PBX ended the subscription (${reason ?? 'no reason'})`,
        };
        this.enqueue(partner);
    }
  }

  // --- states and timers ---------------------------------------------------------------------------

  /** The subscription holds for `expires` seconds: refresh before, and distrust after. */
  private keepFor(partner: Partner, expires: number): void {
    const refreshIn = Math.max(expires / 2, expires - 60) * 1000;
    partner.cancelTimer();
    partner.cancelTimer = this.options.clock.after(refreshIn, () => this.enqueue(partner));
    partner.cancelDeadline();
    partner.cancelDeadline = this.options.clock.after(expires * 1000, () => {
      this.forgetDialog(partner);
      this.lose(partner, 'the subscription expired without a refresh', true);
    });
  }

  private lose(partner: Partner, reason: string, immediately: boolean, retryMs?: number): void {
    this.downgrade(partner, { status: 'lost', reason }, 'partner state unknown');
    if (immediately) {
      this.enqueue(partner);
      return;
    }
    partner.failures += 1;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (partner.failures - 1));
    const jitter = 0.8 + 0.4 * (this.options.random ?? Math.random)();
    this.retryAfter(partner, retryMs ?? backoff * jitter);
  }

  private refuse(partner: Partner, reason: string, retryMs?: number): void {
    this.downgrade(partner, { status: 'refused', reason }, 'subscription refused');
    this.retryAfter(partner, retryMs ?? this.options.refusedRetryMs ?? 600_000);
  }

  /** A failed subscription; unsolicited NOTIFYs (innovaphone) still give the state, so they keep it. */
  private downgrade(
    partner: Partner,
    state: SubscriptionState & { status: 'lost' | 'refused' },
    message: string,
  ): void {
    if (partner.unsolicited) {
      this.options.log.debug(`${message}; unsolicited NOTIFYs still give the state`, {
        partner: partner.uri,
        reason: state.reason,
      });
      return;
    }
    partner.state = state;
    this.options.log.warn(message, { partner: partner.uri, reason: state.reason });
    this.report(partner);
  }

  private retryAfter(partner: Partner, ms: number): void {
    partner.cancelTimer();
    partner.cancelTimer = this.options.clock.after(ms, () => this.enqueue(partner));
  }

  private forgetDialog(partner: Partner): void {
    if (partner.dialog != null) this.byCallId.delete(partner.dialog.callId);
    partner.dialog = null;
    partner.cancelDeadline();
    partner.cancelDeadline = NOOP;
  }

  private partnerNamed(uri: string | null): Partner | null {
    const wanted = normalizePartnerUri(uri);
    if (wanted == null) return null;
    const exact = this.partners.get(wanted);
    if (exact != null) return exact;
    // innovaphone's From names the PBX by IP where the config may use a domain: match the number on
    // the PBX's host or domain.
    const user = uriUser(wanted);
    const host = uriHost(wanted);
    for (const partner of this.partners.values()) {
      if (
        uriUser(partner.uri) === user &&
        (host === this.options.pbxAddress || host === uriHost(partner.uri))
      ) {
        return partner;
      }
    }
    return null;
  }

  private describe(partner: Partner): PartnerUpdate {
    const view = this.options.intake.view(partner.uri);
    const { state } = partner;
    const situation: LampSituation =
      state.status === 'active' ? view.state : state.status === 'refused' ? 'refused' : 'unknown';
    return {
      partner: partner.uri,
      status: state.status,
      situation,
      view: state.status === 'active' ? view : { ...view, state: 'unknown', pickup: null },
      reason: state.status === 'active' ? null : state.reason,
    };
  }

  private report(partner: Partner): void {
    const update = this.describe(partner);
    const key = JSON.stringify([
      update.status,
      update.situation,
      update.view.pickup,
      update.view.dialogs.length,
    ]);
    if (key === partner.lastReported) return;
    partner.lastReported = key;
    this.onUpdate(update);
  }
}

function subscribeHeaders(expires: number) {
  return {
    event: 'dialog',
    accept: 'application/dialog-info+xml',
    expires: String(expires),
    'allow-events': 'dialog',
  };
}

/** Retry-After (RFC 3261 §20.33) in ms, when given. */
function retryAfterMs(response: SipMessage): number | undefined {
  const seconds = Number.parseInt(headerText(response, 'retry-after') ?? '', 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
