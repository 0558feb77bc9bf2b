/**
 * Call control: a key press becomes a call, or a pickup, on the user's own desk phone (BRIEF §4).
 *
 * `3pcc` (RFC 3725 §4 flow I; click-to-dial as in RFC 5359 §2.18):
 *
 *   lampfield ──INVITE (no offer, auto-answer hints)──▶ desk phone      (CANCEL if unanswered in time)
 *   lampfield ◀──────────────────────── 200 (offer) ──  desk phone
 *   lampfield ──ACK (answer: inactive, no media)──────▶ desk phone
 *   lampfield ──REFER Refer-To: target────────────────▶ desk phone      (RFC 3515)
 *   lampfield ◀── 202; NOTIFY sipfrag 100 … 200 ──────  desk phone      (the phone calls the target)
 *   lampfield ──BYE───────────────────────────────────▶ desk phone      (leaves the call)
 *
 * `refer`: one out-of-dialog REFER to the desk phone, followed the same way.
 * A pickup's target carries the partner's dialog as `?Replaces=` (src/blf/pickup.ts `pickupUri`).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { contactUri, headerText, localTag, type SipMessage, tagOf } from './message.ts';
import { inactiveAnswer } from './sdp-answer.ts';
import type { IncomingRequest } from './stack.ts';
import type { DialogState, UserAgent } from './user-agent.ts';

export interface DeskPhone {
  uri: string;
  mode: '3pcc' | 'refer';
  /** Header lines added to the INVITE so that the phone answers by itself ("Name: value"). */
  autoAnswer: readonly string[];
  /** CANCEL an INVITE the phone has not answered in this time. */
  answerTimeoutMs: number;
}

/** Auto-answer hints most desk phones honour (Yealink, Snom, Polycom, Grandstream). */
export const DEFAULT_AUTO_ANSWER: readonly string[] = [
  'Call-Info: <sip:127.0.0.1>;answer-after=0',
  'Alert-Info: <http://127.0.0.1>;info=alert-autoanswer;delay=0',
];

export type CallOutcome = { ok: true } | { ok: false; reason: string };

/** How long a REFER's outcome (its sipfrag NOTIFYs) is waited for before the call is left as started. */
const REFER_OUTCOME_MS = 15_000;

interface Referral {
  /** Resolves with the final status line of the sipfrag (RFC 3515 §2.4.5), or null if none came. */
  settle: (status: number | null, line: string) => void;
  dialog: DialogState | null;
}

export class CallControl {
  /** Calls and referrals under way, by Call-ID: their NOTIFYs and BYEs come here. */
  private readonly byCallId = new Map<string, Referral>();

  constructor(
    private readonly ua: UserAgent,
    private readonly phone: DeskPhone,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Takes NOTIFY (sipfrag) and BYE of our calls; false for anything else. */
  handleRequest(request: IncomingRequest): boolean {
    const { message } = request;
    const referral = this.byCallId.get(message.headers['call-id'] ?? '');
    if (referral == null) return false;
    if (
      message.method === 'NOTIFY' &&
      (headerText(message, 'event') ?? '').split(';')[0]?.trim().toLowerCase() === 'refer'
    ) {
      request.respond(200);
      if (referral.dialog != null) {
        referral.dialog.remoteTarget = contactUri(message) ?? referral.dialog.remoteTarget;
        referral.dialog.remoteTag ??= tagOf(message.headers.from);
      }
      // RFC 3515 §2.4.5: the body is a sipfrag whose status line says how the referred call went.
      const line = (message.content ?? '').split(/\r?\n/)[0]?.trim() ?? '';
      const status = Number(/^SIP\/2\.0\s+(\d{3})/.exec(line)?.[1]);
      const terminated = (headerText(message, 'subscription-state') ?? '')
        .toLowerCase()
        .startsWith('terminated');
      if (Number.isFinite(status) && status >= 200) referral.settle(status, line);
      else if (terminated) referral.settle(null, line);
      return true;
    }
    if (message.method === 'BYE') {
      request.respond(200);
      if (referral.dialog != null) referral.dialog.remoteTag = null; // the phone left: nothing to end
      return true;
    }
    return false;
  }

  /** Makes the desk phone call `target` (a SIP URI, with `?Replaces=` for a pickup). */
  async call(target: string): Promise<CallOutcome> {
    return this.phone.mode === 'refer' ? this.referOutOfDialog(target) : this.thirdPartyCall(target);
  }

  private async thirdPartyCall(target: string): Promise<CallOutcome> {
    const callId = this.ua.newCallId();
    const tag = localTag();
    const headers: Record<string, string> = {};
    for (const line of this.phone.autoAnswer) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const invite = this.ua.outOfDialog('INVITE', this.phone.uri, callId, tag, 1, {
      ...headers,
      subject: 'lampfield',
    });
    const referral: Referral = { settle: () => undefined, dialog: null };
    this.byCallId.set(callId, referral);
    try {
      const pending = this.ua.stack.invite(invite, this.ua.pbx);
      const cancelTimer = this.clock.after(this.phone.answerTimeoutMs, () => pending.cancel());
      let response = await pending.final;
      cancelTimer();
      // Digest challenge: the same INVITE with credentials (UserAgent answers it for other requests).
      if (response.status === 401 || response.status === 407) response = await this.ua.send(invite);
      const status = response.status ?? 0;
      if (status < 200 || status >= 300) return { ok: false, reason: this.inviteFailure(response) };
      const dialog: DialogState = {
        callId,
        localTag: tag,
        remoteTag: tagOf(response.headers.to),
        remoteTarget: contactUri(response) ?? this.phone.uri,
        remoteUri: this.phone.uri,
        routeSet: (response.headers['record-route'] ?? []).map((route) => route.uri).reverse(),
        localSeq: response.headers.cseq?.seq ?? 1,
      };
      referral.dialog = dialog;
      this.ack(dialog, response);
      const outcome = await this.refer(target, referral, (headers) =>
        this.ua.inDialog('REFER', dialog, headers),
      );
      if (dialog.remoteTag != null) void this.ua.send(this.ua.inDialog('BYE', dialog), { timeoutMs: 4000 });
      return outcome;
    } finally {
      this.byCallId.delete(callId);
    }
  }

  private async referOutOfDialog(target: string): Promise<CallOutcome> {
    const callId = this.ua.newCallId();
    const referral: Referral = { settle: () => undefined, dialog: null };
    this.byCallId.set(callId, referral);
    try {
      return await this.refer(target, referral, (headers) =>
        this.ua.outOfDialog('REFER', this.phone.uri, callId, localTag(), 1, headers),
      );
    } finally {
      this.byCallId.delete(callId);
    }
  }

  /** Sends the REFER and waits for the sipfrag that says how the referred call went. */
  private async refer(
    target: string,
    referral: Referral,
    build: (headers: Record<string, string>) => SipMessage,
  ): Promise<CallOutcome> {
    const outcome = new Promise<{ status: number | null; line: string }>((resolve) => {
      referral.settle = (status, line) => resolve({ status, line });
    });
    const request = build({ 'refer-to': `<${target}>`, 'referred-by': `<${this.ua.uri}>` });
    const response = await this.ua.send(request, { timeoutMs: 8000 });
    const status = response.status ?? 0;
    if (status < 200 || status >= 300) {
      return {
        ok: false,
        reason: `the desk phone refused the REFER: ${status} ${response.reason ?? ''}`.trim(),
      };
    }
    const cancel = this.clock.after(REFER_OUTCOME_MS, () => referral.settle(null, ''));
    const { status: final, line } = await outcome;
    cancel();
    if (final == null || (final >= 200 && final < 300)) return { ok: true };
    if (final === 481)
      return { ok: false, reason: 'the call was already answered elsewhere (481 to Replaces)' };
    return { ok: false, reason: `the desk phone's call failed: ${line}` };
  }

  /** ACK for the 2xx, answering the phone's offer with no media flowing (RFC 3725 §4, sdp-answer.ts). */
  private ack(dialog: DialogState, response: SipMessage): void {
    const answer =
      inactiveAnswer(response.content ?? '', {
        address: this.ua.stack.host,
        sessionId: Math.floor(this.clock.now()) + 1,
        randomBytes,
      }) ?? '';
    const ack: SipMessage = {
      method: 'ACK',
      uri: dialog.remoteTarget,
      headers: {
        to: { uri: dialog.remoteUri, params: dialog.remoteTag == null ? {} : { tag: dialog.remoteTag } },
        from: { uri: this.ua.uri, params: { tag: dialog.localTag } },
        'call-id': dialog.callId,
        cseq: { seq: response.headers.cseq?.seq ?? 1, method: 'ACK' },
        ...(dialog.routeSet.length > 0 ? { route: dialog.routeSet.map((uri) => ({ uri, params: {} })) } : {}),
        ...(answer === '' ? {} : { 'content-type': 'application/sdp' }),
      },
      content: answer,
    };
    this.ua.stack.sendAck(ack, this.ua.pbx);
  }

  private inviteFailure(response: SipMessage): string {
    const status = response.status ?? 0;
    const what = `${status} ${response.reason ?? ''}`.trim();
    if (status === 486 || status === 600) return `the desk phone is busy (${what})`;
    if (status === 487) return `the desk phone did not answer within ${this.phone.answerTimeoutMs / 1000} s`;
    if (status === 404 || status === 480 || status === 408)
      return `the desk phone is not reachable (${what})`;
    return `the desk phone refused the call (${what})`;
  }
}
