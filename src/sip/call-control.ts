/**
 * Call control: a key press becomes a call, or a pickup, on the user's own desk phone (BRIEF §4).
 *
 * By REFER (`3pcc`, RFC 3725 §4 flow I then RFC 3515; click-to-dial as in RFC 5359 §2.18):
 *
 *   lampfield ──INVITE (no offer, auto-answer hints)──▶ desk phone      (CANCEL if unanswered in time)
 *   lampfield ◀──────────────────────── 200 (offer) ──  desk phone
 *   lampfield ──ACK (answer: inactive, sdp-answer.ts)─▶ desk phone
 *   lampfield ──REFER Refer-To: target────────────────▶ desk phone      (a pickup: ?Replaces=, RFC 3891)
 *   lampfield ◀── 202; NOTIFY sipfrag 100 … 200 ──────  desk phone      (the phone calls the target)
 *   lampfield ──BYE───────────────────────────────────▶ desk phone      (leaves the call)
 *
 * As the controller (`controller`, RFC 3725 §4 flow I, lampfield staying in the call, controlled-call.ts):
 *
 *   lampfield ──INVITE (no offer)──▶ desk phone ──200 (offer O)──▶ lampfield
 *   lampfield ──INVITE (O; Replaces for a pickup)──▶ target ──200 (answer A)──▶ lampfield
 *   lampfield ──ACK──▶ target;  lampfield ──ACK (A)──▶ desk phone;  then BYE and re-INVITE passed between
 *
 * `refer`: one out-of-dialog REFER to the desk phone. `auto` (the default): REFER, and the controller when
 * the phone answers the REFER 405 or 501. Whatever the mode, a pickup by Replaces goes through the
 * controller when the phone cannot follow a Refer-To with Replaces (`replaces: false`, or `auto` and the
 * phone's 2xx has no `Supported: replaces`): baresip, for one, dials such a Refer-To as a plain URI.
 *
 * A transfer of the desk phone's call in progress to a partner (a blind transfer, RFC 5589 §6.1): the
 * far side of that call is asked to call the partner (REFER, RFC 3515: the one who gets the REFER is the
 * one who places the new call), and the desk phone's side ends.
 *
 *   lampfield's own call (controller):  lampfield ──REFER (in the far dialog)──▶ far side; on the
 *     sipfrag 2xx lampfield ends both of its dialogs (the transferor hangs up, RFC 5589 §6.1)
 *   any other call:  lampfield ──REFER, out of dialog, Target-Dialog: the call (RFC 4538)──▶ far side,
 *     which takes it as its own call's transfer, calls the partner and ends its call with the desk phone
 *
 * A REFER to the desk phone itself would make the desk phone call the partner and drop the caller.
 */
import { randomBytes } from 'node:crypto';
import type { DeskCall } from '../blf/desk-phone-calls.ts';
import { ChosenDialect } from '../blf/dialect-choice.ts';
import type { Dialect } from '../blf/dialects.ts';
import { pickupUri } from '../blf/pickup.ts';
import { uriUser } from '../blf/uri.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { CallOutcome, CallTarget, Failure } from './call-outcome.ts';
import { ControlledCall } from './controlled-call.ts';
import { headerText, localTag, type SipMessage } from './message.ts';
import { Referrals, targetFailure, transferWords } from './referrals.ts';
import { answerWithoutMedia } from './sdp-answer.ts';
import type { IncomingRequest } from './stack.ts';
import { dialogOf, type DialogState, type UserAgent } from './user-agent.ts';

export type PhoneMode = '3pcc' | 'refer' | 'controller' | 'auto';

export interface DeskPhone {
  uri: string;
  mode: PhoneMode;
  /** Whether the phone follows a Refer-To with Replaces; `auto`: its 2xx's Supported says. */
  replaces: boolean | 'auto';
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

/** How long the far side of a controlled call may ring (a partner dialled) before it is cancelled. */
const FAR_ANSWER_MS = 60_000;
/** REFER answers that mean the phone does not do REFER at all (RFC 3261 §21.4.6, §21.5.2). */
const NO_REFER = new Set([405, 501]);

/** The desk phone in a call with lampfield: its dialog and its 2xx (with its offer). */
interface PhoneLeg {
  dialog: DialogState;
  response: SipMessage;
}

export class CallControl {
  /** Referrals under way, by Call-ID: their NOTIFYs and BYEs come here. */
  private readonly referrals: Referrals;
  /** Calls lampfield keeps as controller, by the Call-ID of either dialog. */
  private readonly controlled = new Map<string, ControlledCall>();
  /** Desk phone calls whose far side is being called: a BYE from the phone cancels that. */
  private readonly hangUps = new Map<string, () => void>();

  /** The PBX family's ways (dialects.ts): its sipfrag quirks, how it takes the ACK's answer. */
  private readonly dialect: ChosenDialect;

  constructor(
    private readonly ua: UserAgent,
    private readonly phone: DeskPhone,
    dialect: Dialect | ChosenDialect,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.referrals = new Referrals(ua, clock, log);
    this.dialect = ChosenDialect.of(dialect);
  }

  /** Controlled calls lampfield is in now. */
  get activeCalls(): number {
    return new Set(this.controlled.values()).size;
  }

  /** Takes the requests of our calls (sipfrag NOTIFY, BYE, re-INVITE); false for anything else. */
  handleRequest(request: IncomingRequest): boolean {
    const { message } = request;
    const callId = message.headers['call-id'] ?? '';
    // A controlled call's BYE and re-INVITE; its far dialog's NOTIFYs of a transfer are a referral's.
    if (this.controlled.get(callId)?.handle(request) === true) return true;
    const hangUp = this.hangUps.get(callId);
    if (hangUp != null && message.method === 'BYE') {
      request.respond(200);
      hangUp();
      return true;
    }
    return this.referrals.handleRequest(request);
  }

  /** Makes the desk phone call `target`. */
  async call(target: CallTarget): Promise<CallOutcome> {
    if (this.phone.mode === 'refer') {
      if (target.replaces != null && this.phone.replaces === false) return this.viaController(target);
      return this.referOutOfDialog(pickupUri(target));
    }
    const leg = await this.answeredPhone();
    if ('reason' in leg) return leg;
    const replaces =
      this.phone.replaces === 'auto'
        ? (headerText(leg.response, 'supported') ?? '')
            .toLowerCase()
            .split(/\s*,\s*/)
            .includes('replaces')
        : this.phone.replaces;
    if (this.phone.mode === 'controller' || (target.replaces != null && !replaces)) {
      if (target.replaces != null && !replaces)
        this.log.info('the desk phone cannot follow a REFER with Replaces; lampfield picks up as controller');
      return this.control(leg, target);
    }
    const outcome = await this.referInCall(leg, pickupUri(target));
    if (
      outcome.ok ||
      this.phone.mode !== 'auto' ||
      outcome.stage !== 'refer' ||
      !NO_REFER.has(outcome.status ?? 0)
    )
      return outcome;
    this.log.info(`the desk phone does not take REFER (${outcome.status}); lampfield calls as controller`);
    return this.viaController(target);
  }

  /** The desk phone's side of a call lampfield keeps as controller, as a call to transfer; null when none. */
  controlledCall(): DeskCall | null {
    const call = this.controlled.values().next().value;
    if (call == null) return null;
    const { desk, far } = call.dialogs;
    return {
      dialogId: null,
      callId: desk.callId,
      localTag: desk.remoteTag,
      remoteTag: desk.localTag,
      peer: far.remoteUri,
      peerTarget: far.remoteTarget,
      peerName: uriUser(far.remoteUri) ?? far.remoteUri,
    };
  }

  /** Transfers the desk phone's call `call` to `target` (a blind transfer: see the top of this file). */
  async transfer(target: string, call: DeskCall): Promise<CallOutcome> {
    const controlled = call.callId == null ? undefined : this.controlled.get(call.callId);
    if (controlled != null) {
      const { far } = controlled.dialogs;
      const outcome = await this.referrals.refer({
        callId: far.callId,
        dialog: null,
        target,
        build: (headers) => this.ua.inDialog('REFER', far, headers),
        words: transferWords(`${uriUser(far.remoteUri) ?? far.remoteUri}'s phone`),
        sipfrag: this.dialect.current.sipfrag,
      });
      // RFC 5589 §6.1: the transferor ends its call once the transfer succeeded.
      if (outcome.ok) await controlled.hangUp();
      return outcome;
    }
    const peer = call.peerTarget ?? call.peer;
    if (call.callId == null || call.localTag == null || call.remoteTag == null || peer == null) {
      const missing = call.callId == null ? 'call-id, tags' : peer == null ? 'far side' : 'tags';
      // Asterisk and FreeSWITCH never name a SIP call in their dialog-info: only their own interfaces
      // can move one.
      const hints: Partial<Record<string, string>> = {
        asterisk: "; give lampfield Asterisk's manager (pbx.asterisk.manager)",
        freeswitch: "; give lampfield FreeSWITCH's event socket (pbx.freeswitch.eventSocket)",
      };
      const hint = hints[this.dialect.current.name] ?? '';
      const reason = `cannot transfer: the PBX's dialog state does not identify the desk phone's call (${missing})${hint}`;
      return { ok: false, reason, stage: 'refer', status: null };
    }
    const callId = this.ua.newCallId();
    // RFC 4538 §3: the call's identifiers as the recipient (the far side) sees them: its own tag is the
    // local one, the desk phone's the remote one; and Require, so that a phone that cannot tie the REFER
    // to its call refuses it instead of placing a second call.
    return this.referrals.refer({
      callId,
      dialog: null,
      target,
      build: (headers) =>
        this.ua.outOfDialog('REFER', peer, callId, localTag(), 1, {
          ...headers,
          'referred-by': `<${this.phone.uri}>`,
          'target-dialog': `${call.callId};local-tag=${call.remoteTag};remote-tag=${call.localTag}`,
          require: 'tdialog',
        }),
      words: transferWords(`${call.peerName ?? 'the far side'}'s phone`),
      sipfrag: this.dialect.current.sipfrag,
    });
  }

  /** Ends every call lampfield keeps (it is stopping). */
  async stop(): Promise<void> {
    await Promise.all([...new Set(this.controlled.values())].map((call) => call.hangUp()));
  }

  // --- the desk phone's call -----------------------------------------------------------------------

  /** Calls the desk phone without an offer (RFC 3725 §4 flow I); it answers by itself, offering. */
  private async answeredPhone(): Promise<PhoneLeg | Failure> {
    const headers: Record<string, string> = {};
    for (const line of this.phone.autoAnswer) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const invite = this.ua.outOfDialog('INVITE', this.phone.uri, this.ua.newCallId(), localTag(), 1, {
      ...headers,
      subject: 'lampfield',
    });
    // Cancelled when unanswered in time, counted from the first INVITE: a challenge and its answer
    // are part of that time (RFC 3261 §22.2).
    const sent = this.ua.invite(invite);
    const cancelTimer = this.clock.after(this.phone.answerTimeoutMs, () => sent.cancel());
    const { request, response } = await sent.final;
    cancelTimer();
    const status = response.status ?? 0;
    if (status < 200 || status >= 300)
      return { ok: false, reason: this.inviteFailure(response), stage: 'desk-phone', status };
    return { dialog: dialogOf(request, response), response };
  }

  /** ACK for the phone's 2xx, answering its offer with no media of lampfield's (sdp-answer.ts). */
  private ackWithoutMedia(leg: PhoneLeg): void {
    const source = { address: this.ua.stack.host, sessionId: Math.floor(this.clock.now()) + 1, randomBytes };
    const { answerDirection } = this.dialect.current;
    const answer = answerWithoutMedia(leg.response.content ?? '', source, answerDirection) ?? '';
    this.ua.sendAck(leg.dialog, leg.response.headers.cseq?.seq ?? 1, answer);
  }

  private bye(dialog: DialogState): void {
    void this.ua.send(this.ua.inDialog('BYE', dialog), { timeoutMs: 4000 });
  }

  // --- by REFER ------------------------------------------------------------------------------------

  private async referInCall(leg: PhoneLeg, target: string): Promise<CallOutcome> {
    const { dialog } = leg;
    const outcome = await this.referrals.refer({
      callId: dialog.callId,
      dialog,
      target,
      build: (headers) => this.ua.inDialog('REFER', dialog, headers),
      beforeSend: () => this.ackWithoutMedia(leg),
      sipfrag: this.dialect.current.sipfrag,
      sendAfterMs: this.dialect.current.referAfterAckMs,
      pbxEndsCall: this.dialect.current.referringCallEndedBy === 'pbx',
    });
    // The PBX's BYE (Referrals takes it) left nothing to end.
    if (dialog.remoteTag != null) this.bye(dialog);
    return outcome;
  }

  private referOutOfDialog(target: string): Promise<CallOutcome> {
    const callId = this.ua.newCallId();
    return this.referrals.refer({
      callId,
      dialog: null,
      target,
      build: (headers) => this.ua.outOfDialog('REFER', this.phone.uri, callId, localTag(), 1, headers),
      sipfrag: this.dialect.current.sipfrag,
    });
  }

  // --- as the controller ---------------------------------------------------------------------------

  private async viaController(target: CallTarget): Promise<CallOutcome> {
    const leg = await this.answeredPhone();
    return 'reason' in leg ? leg : this.control(leg, target);
  }

  /**
   * The far side gets the desk phone's offer (with Replaces for a pickup, RFC 3891 §6.1; Require so
   * that a caller that cannot replace refuses rather than rings, §6.1), its answer goes to the phone in
   * the ACK, and lampfield stays in both dialogs.
   */
  private async control(leg: PhoneLeg, target: CallTarget): Promise<CallOutcome> {
    const offer = leg.response.content ?? '';
    const invite: SipMessage = {
      ...this.ua.outOfDialog('INVITE', target.uri, this.ua.newCallId(), localTag(), 1, {
        ...(target.replaces == null ? {} : { replaces: target.replaces, require: 'replaces' }),
        'content-type': 'application/sdp',
      }),
      content: offer,
    };
    // The phone may hang up while the far side rings: its BYE cancels the far INVITE.
    let cancelled = false;
    const sent = this.ua.invite(invite);
    this.hangUps.set(leg.dialog.callId, () => {
      cancelled = true;
      sent.cancel();
    });
    const cancelTimer = this.clock.after(FAR_ANSWER_MS, () => sent.cancel());
    const { request, response } = await sent.final.finally(() => {
      cancelTimer();
      this.hangUps.delete(leg.dialog.callId);
    });
    const status = response.status ?? 0;
    if (status < 200 || status >= 300) {
      if (!cancelled) {
        this.ackWithoutMedia(leg);
        this.bye(leg.dialog);
      }
      const what = `${status} ${response.reason ?? ''}`.trim();
      const reason = cancelled ? 'the desk phone hung up first' : targetFailure(status, `SIP/2.0 ${what}`);
      return { ok: false, reason, stage: cancelled ? 'desk-phone' : 'target', status };
    }
    const far = dialogOf(request, response);
    this.ua.sendAck(far, response.headers.cseq?.seq ?? 1);
    this.ua.sendAck(leg.dialog, leg.response.headers.cseq?.seq ?? 1, response.content ?? '');
    const call = new ControlledCall(
      this.ua,
      { dialog: leg.dialog, sdp: offer },
      { dialog: far, sdp: response.content ?? '' },
      this.log,
    );
    for (const callId of call.callIds) this.controlled.set(callId, call);
    void call.ended.then(() => {
      for (const callId of call.callIds) this.controlled.delete(callId);
    });
    if (cancelled) void call.hangUp();
    return { ok: true, via: 'controller' };
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
