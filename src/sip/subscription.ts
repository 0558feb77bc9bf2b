/**
 * One partner's subscription (RFC 6665 §4.1) to the dialog event package (RFC 4235 §3) or the
 * registration one (RFC 3680): its state machine, its dialog and its timers. Every NOTIFY it gets goes to
 * its intake (`NotifyIntake`: src/blf/dialog-intake.ts, src/blf/reginfo.ts), the code that turns a
 * NOTIFY into partner state; what RFC 6665 asks of each answer and each termination is in
 * subscription-rules.ts, what it is given in subscription-context.ts. The set of them, and the routing
 * of NOTIFYs to them, is partner-watch.ts (a subscription per partner, or one to a resource list).
 *
 * The state (`SubscriptionState`), moved by SUBSCRIBE answers, NOTIFYs, timers and the PBX keepalive:
 *
 *   pending ──NOTIFY active──▶ active ──refresh 2xx / NOTIFY active──▶ active
 *     ▲  │ ▲                     │ 481 to a refresh, NOTIFY terminated ─▶ pending (new dialog, at once)
 *     │  │ └─ NOTIFY pending     │ 408/5xx/timeout, NOTIFY terminated;probation ─▶ lost
 *     │  │ 403/404/489…          │ expiry passes without a refresh ─▶ lost (new dialog, at once)
 *     │  ▼                       │ PBX gone (keepalive) ─▶ lost; PBX back: refresh
 *     │ refused ◀── NOTIFY terminated;rejected|noresource ─┘
 *     │  │ after 10 min, or Retry-After                lost ──backoff 2 s … 60 s──▶ (SUBSCRIBE again)
 *     └──┴── a later NOTIFY active makes any of them active again
 *
 * Apart from that state, the next SUBSCRIBE is in an outbox (`Outbox`): `idle`, `queued` (waiting its
 * turn at the pacer), `sending`, or `sending, again` (a refresh was asked for while one was on the
 * wire: it follows the answer).
 */
import type { NotifyResult, PartnerView } from '../blf/dialog-intake.ts';
import { contactUri, headerText, localTag, parameterOf, tagOf, type SipMessage } from './message.ts';
import { partnerUpdate, type PartnerUpdate, type SubscriptionState } from './partner-update.ts';
import type { IncomingRequest } from './stack.ts';
import type { SubscriptionContext } from './subscription-context.ts';
import {
  backoffMs,
  readSubscribeAnswer,
  readTermination,
  refreshAfterMs,
  subscribeHeaders,
} from './subscription-rules.ts';
import type { DialogState } from './user-agent.ts';

type Outbox = 'idle' | 'queued' | 'sending' | 'sending, again';

/** A NOTIFY of another event package than the subscription's: answered 489 (RFC 6665 §4.1.3). */
const WRONG_EVENT = new Set(['not-dialog-event', 'not-reg-event']);

const NOOP = () => undefined;

export class Subscription {
  state: SubscriptionState = { status: 'pending', reason: 'not subscribed yet' };
  private outbox: Outbox = 'idle';
  /** The subscription dialog: null before the first SUBSCRIBE and after the subscription ended. */
  private dialog: DialogState | null = null;
  /**
   * The PBX sends this partner's state unsolicited (innovaphone): that state holds as long as the
   * NOTIFYs come and the PBX answers its keepalive, whatever becomes of the SUBSCRIBE.
   */
  private unsolicited = false;
  /** Failed SUBSCRIBEs in a row, for the backoff. */
  private failures = 0;
  /** The next SUBSCRIBE's timer (refresh, backoff or retry), and the subscription's expiry. */
  private cancelTimer: () => void = NOOP;
  private cancelDeadline: () => void = NOOP;
  /** The partner as the last NOTIFY left it: read once per NOTIFY, by the intake. */
  private view: PartnerView;
  /** Ended (`end`): no key watches the partner any more, or the watcher stops. */
  private ended = false;

  constructor(
    readonly partner: string,
    private readonly context: SubscriptionContext<Subscription>,
  ) {
    this.view = context.intake.view(partner);
  }

  /** Asks for a SUBSCRIBE: a refresh in the dialog when there is one, else a new subscription. */
  ask(): void {
    if (this.ended || this.context.stopped()) return;
    switch (this.outbox) {
      case 'sending':
        this.outbox = 'sending, again';
        return;
      case 'sending, again':
      case 'queued':
        return;
      case 'idle':
        this.cancelTimer();
        this.outbox = 'queued';
        this.context.pacer.push(() => void this.subscribe());
    }
  }

  /** Whether a NOTIFY with these Call-ID and To tag belongs to this subscription's dialog. */
  owns(callId: string, toTag: string | null): boolean {
    return this.dialog?.callId === callId && this.dialog.localTag === toTag;
  }

  /** A NOTIFY in this subscription's dialog (RFC 6665 §4.1.3). */
  notify(request: IncomingRequest): void {
    if (this.ended) {
      // The NOTIFY that ends it (RFC 6665 §4.1.2.3: one follows an unsubscribe): taken, nothing changes.
      request.respond(200);
      return;
    }
    const dialog = this.dialog!;
    const { message } = request;
    const result = this.read(request);
    if (!result.accepted && WRONG_EVENT.has(result.error.code)) {
      request.respond(489);
      return;
    }
    request.respond(200);
    dialog.remoteTag ??= tagOf(message.headers.from);
    // RFC 6665 §4.1.3: a NOTIFY's Contact is the new remote target of the subscription dialog.
    dialog.remoteTarget = contactUri(message) ?? dialog.remoteTarget;
    this.followUp(result);

    const state = headerText(message, 'subscription-state');
    const value = state?.split(';')[0]?.trim().toLowerCase() ?? 'active';
    if (value === 'terminated') {
      this.terminated(state ?? 'terminated');
      return;
    }
    this.state =
      value === 'pending'
        ? { status: 'pending', reason: 'the PBX has not authorized the subscription yet' }
        : { status: 'active' };
    const expires = Number.parseInt(parameterOf(state, 'expires') ?? '', 10);
    if (Number.isFinite(expires) && expires > 0) this.keepFor(expires);
    this.context.changed(this);
  }

  /** A NOTIFY the PBX sent without a subscription (innovaphone), naming this partner. */
  notifyUnsolicited(request: IncomingRequest): void {
    const result = this.read(request);
    const code = result.accepted ? null : result.error.code;
    const wrongEvent = code != null && WRONG_EVENT.has(code);
    request.respond(wrongEvent ? 489 : 200);
    if (wrongEvent || code === 'unsupported-content-type') return;
    // Unsolicited NOTIFYs need no subscription: they are the state as long as they come and the PBX
    // answers its keepalive.
    this.unsolicited = true;
    this.state = { status: 'active' };
    this.followUp(result);
    this.context.changed(this);
  }

  /** The PBX stopped answering: nothing it said can be trusted until it is back. */
  pbxGone(): void {
    if (this.ended || this.state.status === 'refused') return;
    this.unsolicited = false;
    this.state = { status: 'lost', reason: 'the PBX does not answer' };
    this.context.changed(this);
  }

  /**
   * Stops the timers; an active subscription is ended (Expires: 0, RFC 6665 §4.1.2.3). Its dialog is
   * forgotten once the PBX has answered: the NOTIFY that ends it is taken (200) before that, and answered
   * 481 after it (RFC 6665 §4.1.3), which ends nothing that is not ending already.
   */
  async end(): Promise<void> {
    this.ended = true;
    this.cancelTimer();
    this.cancelDeadline();
    const dialog = this.dialog;
    if (dialog?.remoteTag != null && this.state.status === 'active') {
      const request = this.context.ua.inDialog(
        'SUBSCRIBE',
        dialog,
        subscribeHeaders(0, this.context.intake.event),
      );
      await this.context.ua.send(request, { timeoutMs: 2000 });
    }
    this.forgetDialog();
  }

  describe(): PartnerUpdate {
    return partnerUpdate(this.partner, this.state, this.view);
  }

  /** The intake reads the partner another way now (the dialect was chosen): its state read again. */
  reread(): void {
    this.view = this.context.intake.view(this.partner);
    this.context.changed(this);
  }

  // --- SUBSCRIBE -----------------------------------------------------------------------------------

  private async subscribe(): Promise<void> {
    const { ua } = this.context;
    // Queued before it ended (the pacer keeps its place in line).
    if (this.ended) {
      this.outbox = 'idle';
      return;
    }
    const refresh = this.dialog?.remoteTag != null;
    let dialog = this.dialog;
    let request: SipMessage;
    if (refresh && dialog != null) {
      request = ua.inDialog(
        'SUBSCRIBE',
        dialog,
        subscribeHeaders(this.context.expires, this.context.intake.event),
      );
    } else {
      this.forgetDialog();
      dialog = {
        callId: ua.newCallId(),
        localTag: localTag(),
        remoteTag: null,
        remoteTarget: this.partner,
        remoteUri: this.partner,
        routeSet: [],
        localSeq: 1,
      };
      this.dialog = dialog;
      this.context.route(dialog.callId, this);
      request = ua.outOfDialog(
        'SUBSCRIBE',
        this.partner,
        dialog.callId,
        dialog.localTag,
        1,
        subscribeHeaders(this.context.expires, this.context.intake.event),
      );
    }
    this.outbox = 'sending';
    const response = await ua.send(request, { timeoutMs: this.context.requestTimeoutMs });
    // A refresh asked for meanwhile made it `sending, again`.
    const again = this.outbox !== 'sending';
    this.outbox = 'idle';
    if (this.ended || this.context.stopped()) return;
    // An answer to a dialog since given up (a NOTIFY ended it meanwhile) changes nothing.
    if (this.dialog === dialog) {
      dialog.localSeq = Math.max(dialog.localSeq, response.headers.cseq?.seq ?? 0);
      this.answered(dialog, response, refresh);
    }
    if (again) this.ask();
  }

  private answered(dialog: DialogState, response: SipMessage, refresh: boolean): void {
    const answer = readSubscribeAnswer(response, refresh, this.context.expires);
    switch (answer.kind) {
      case 'granted':
        if (!refresh) {
          dialog.remoteTag = tagOf(response.headers.to) ?? dialog.remoteTag;
          dialog.remoteTarget = contactUri(response) ?? dialog.remoteTarget;
          // RFC 3261 §12.1.2: the route set is the Record-Route of the response, reversed.
          dialog.routeSet = (response.headers['record-route'] ?? []).map((route) => route.uri).reverse();
        }
        this.failures = 0;
        if (answer.expires <= 0) this.lose('the PBX granted the subscription for 0 s', true);
        else this.keepFor(answer.expires);
        return;
      case 'gone':
        this.context.log.info('subscription gone at the PBX, subscribing again', { partner: this.partner });
        this.forgetDialog();
        this.state = { status: 'pending', reason: `refresh answered ${answer.what}` };
        this.context.changed(this);
        this.ask();
        return;
      case 'too-brief':
        this.context.expires = answer.minimum;
        this.ask();
        return;
      case 'refused':
        this.forgetDialog();
        this.refuse(answer.reason);
        return;
      case 'failed':
        this.forgetDialog();
        this.lose(answer.reason, false, answer.retryMs);
    }
  }

  // --- NOTIFY --------------------------------------------------------------------------------------

  /** The NOTIFY, read by the one intake as this partner's; the partner as it left it is kept. */
  private read(request: IncomingRequest): NotifyResult {
    const { message } = request;
    const result = this.context.intake.notify(
      { header: (name) => headerText(message, name), body: message.content ?? '' },
      this.partner,
    );
    this.view = result.view;
    return result;
  }

  /** What a NOTIFY the intake did not apply asks of the subscription. */
  private followUp(result: NotifyResult): void {
    if (result.accepted) return;
    const { code, message } = result.error;
    const { log } = this.context;
    if (result.resubscribe) {
      // RFC 4235 §4.3: state was lost; a refresh brings a full document.
      log.info('dialog-info versions skipped, asking for full state', { partner: this.partner });
      this.ask();
    } else if (code === 'stale-version') {
      log.debug('stale dialog-info dropped', { partner: this.partner, reason: message });
    } else if (code === 'not-a-list') {
      // Said once, for every key, by the list subscription (resource-list-subscription.ts).
      log.debug('NOTIFY of a list subscription without a list', { list: this.partner, reason: message });
    } else {
      log.warn('NOTIFY body refused', { partner: this.partner, code, reason: message });
    }
  }

  /** RFC 6665 §4.1.3: what a terminated subscription's reason asks of the subscriber. */
  private terminated(state: string): void {
    const termination = readTermination(state);
    this.forgetDialog();
    switch (termination.kind) {
      case 'refused':
        this.refuse(termination.reason, termination.retryMs);
        return;
      case 'lost':
        this.lose(termination.reason, false, termination.retryMs);
        return;
      case 'again':
        // The lamp keeps the state the last NOTIFY gave until the new subscription answers, so that a
        // routine renewal does not blink.
        this.state = { status: 'pending', reason: termination.reason };
        this.ask();
    }
  }

  // --- states and timers ---------------------------------------------------------------------------

  /** The subscription holds for `expires` seconds: refresh before, and distrust after. */
  private keepFor(expires: number): void {
    const { clock } = this.context;
    this.cancelTimer();
    this.cancelTimer = clock.after(refreshAfterMs(expires), () => this.ask());
    this.cancelDeadline();
    this.cancelDeadline = clock.after(expires * 1000, () => {
      this.forgetDialog();
      this.lose('the subscription expired without a refresh', true);
    });
  }

  private lose(reason: string, immediately: boolean, retryMs?: number): void {
    this.downgrade({ status: 'lost', reason }, 'partner state unknown');
    if (immediately) {
      this.ask();
      return;
    }
    this.failures += 1;
    this.retryAfter(retryMs ?? backoffMs(this.failures, this.context.random()));
  }

  private refuse(reason: string, retryMs?: number): void {
    this.downgrade({ status: 'refused', reason }, 'subscription refused');
    this.retryAfter(retryMs ?? this.context.refusedRetryMs);
  }

  /** A failed subscription; unsolicited NOTIFYs (innovaphone) still give the state, so they keep it. */
  private downgrade(state: SubscriptionState & { status: 'lost' | 'refused' }, message: string): void {
    const fields = { partner: this.partner, reason: state.reason };
    if (this.unsolicited) {
      this.context.log.debug(`${message}; unsolicited NOTIFYs still give the state`, fields);
      return;
    }
    this.state = state;
    if (state.status === 'refused' && this.context.quietRefusals) this.context.log.debug(message, fields);
    else this.context.log.warn(message, fields);
    this.context.changed(this);
  }

  private retryAfter(ms: number): void {
    this.cancelTimer();
    this.cancelTimer = this.context.clock.after(ms, () => this.ask());
  }

  private forgetDialog(): void {
    if (this.dialog != null) this.context.route(this.dialog.callId, null);
    this.dialog = null;
    this.cancelDeadline();
    this.cancelDeadline = NOOP;
  }
}
