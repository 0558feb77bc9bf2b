/**
 * REFERs and what they came to (RFC 3515): the REFER sent, its 2xx, then the NOTIFYs of its implicit
 * subscription whose sipfrag bodies say how the referred call went (§2.4.5), waited for until a final
 * status (or the subscription's end, or 15 s). A REFER is kept by the Call-ID of its dialog while it is
 * under way, so that its NOTIFYs, and a BYE of the dialog it was sent in, come to it.
 */
import type { SipfragMeaning } from '../blf/dialects.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { CallOutcome } from './call-outcome.ts';
import { contactUri, headerText, tagOf, type SipMessage } from './message.ts';
import type { IncomingRequest } from './stack.ts';
import type { DialogState, UserAgent } from './user-agent.ts';

/** How long a REFER's outcome (its sipfrag NOTIFYs) is waited for before the call is left as started. */
const REFER_OUTCOME_MS = 15_000;
/**
 * How long after a REFER that came too early it is sent again, each time (at most this many times): the
 * PBX's 491 (RFC 3261 §21.4.27, a request of the dialog still pending) or the dialect's `too-early`
 * sipfrag (Asterisk's 400 before its bridge exists; a FreePBX dialplan runs macros on the answer first).
 */
const TOO_EARLY_RETRY_MS = [150, 600];
/**
 * How long a PBX that ends the call a REFER was sent in once it carried the REFER out (`pbxEndsCall`) is
 * given to send that BYE after the sipfrag 200 (FreeSWITCH sends it at once).
 */
const PBX_BYE_MS = 500;

/** Who gets a REFER, what the REFER is, and what it starts, as a failure names them. */
export interface ReferWords {
  who: string;
  request: string;
  started: string;
}

export const DESK_PHONE_CALL: ReferWords = {
  who: 'the desk phone',
  request: 'the REFER',
  started: "the desk phone's call",
};

export const transferWords = (who: string): ReferWords => ({
  who,
  request: 'the transfer',
  started: 'the transfer',
});

interface Referral {
  /** Resolves with the final status line of the sipfrag (RFC 3515 §2.4.5), or null if none came. */
  settle: (status: number | null, line: string) => void;
  dialog: DialogState | null;
  /** Whether the dialog the REFER was sent in was ended by the other side (its BYE came). */
  ended: boolean;
  /** Called on that BYE. */
  onEnded: () => void;
}

export interface ReferSetup {
  /** The Call-ID the REFER is sent with (its dialog's, or a new one). */
  callId: string;
  /** The dialog it is sent in, kept up to date from the NOTIFYs (their Contact and tag); null out of dialog. */
  dialog: DialogState | null;
  /** The Refer-To URI. */
  target: string;
  /** The REFER, with the Refer-To and Referred-By headers given. */
  build: (headers: Record<string, string>) => SipMessage;
  words?: ReferWords;
  /** Done once the REFER is kept, before it is sent (the ACK of the call it is sent in). */
  beforeSend?: () => void;
  /** How long after `beforeSend` the REFER is sent (dialects.ts `referAfterAckMs`). */
  sendAfterMs?: number;
  /** What final sipfrag statuses mean from this PBX where not what RFC 3515 says (dialects.ts `sipfrag`). */
  sipfrag?: Readonly<Record<number, SipfragMeaning>>;
  /**
   * The PBX ends the call the REFER is sent in once it carried the REFER out, and its sipfrag 200 says
   * only that it took it (dialects.ts `referringCallEndedBy`): the 200 counts once that BYE came.
   */
  pbxEndsCall?: boolean;
}

/**
 * One REFER's end: refused (its own final response), its subscription's final sipfrag (or none), or a
 * sipfrag 200 not followed by the PBX's BYE where one was due (`pbxEndsCall`).
 */
type ReferEnd = { refused: SipMessage } | { status: number | null; line: string } | { notCarriedOut: string };

export class Referrals {
  private readonly byCallId = new Map<string, Referral>();

  constructor(
    private readonly ua: UserAgent,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Takes a referral's sipfrag NOTIFY, or a BYE of the dialog it was sent in; false for anything else. */
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
      referral.ended = true;
      referral.onEnded();
      return true;
    }
    return false;
  }

  /**
   * Sends the REFER and waits for the sipfrag that says how the referred call went; sends it again a
   * moment later when it came too early (TOO_EARLY_RETRY_MS). The REFER is kept by its Call-ID all the
   * while, so that its dialog's BYE is seen whenever it comes.
   */
  async refer(setup: ReferSetup): Promise<CallOutcome> {
    const referral: Referral = {
      settle: () => undefined,
      dialog: setup.dialog,
      ended: false,
      onEnded: () => undefined,
    };
    this.byCallId.set(setup.callId, referral);
    try {
      setup.beforeSend?.();
      const after = setup.sendAfterMs ?? 0;
      if (after > 0) await new Promise<void>((resolve) => this.clock.after(after, resolve));
      return await this.referUntilDone(setup, referral);
    } finally {
      this.byCallId.delete(setup.callId);
    }
  }

  private async referUntilDone(setup: ReferSetup, referral: Referral): Promise<CallOutcome> {
    const words = setup.words ?? DESK_PHONE_CALL;
    for (let attempt = 0; ; attempt++) {
      const end = await this.referOnce(setup, referral);
      // The PBX's BYE is what says it carried out a REFER it answered 200 (`pbxEndsCall`), even late.
      const took =
        'notCarriedOut' in end || ('status' in end && (end.status ?? 0) >= 200 && (end.status ?? 0) < 300);
      if (setup.pbxEndsCall === true && took && referral.ended) return { ok: true, via: 'refer' };
      const tooEarly =
        'refused' in end
          ? end.refused.status === 491
          : 'status' in end && end.status != null && setup.sipfrag?.[end.status] === 'too-early';
      // Only a REFER in a dialog is sent again (with the dialog's next CSeq): out of one there is no
      // call for the PBX to be early for.
      const wait = setup.dialog == null ? undefined : TOO_EARLY_RETRY_MS[attempt];
      if (tooEarly && wait != null) {
        const status = 'refused' in end ? end.refused.status : 'status' in end ? end.status : null;
        this.log.info(`${words.request} came too early for the PBX (${status}): sent again in ${wait} ms`);
        await new Promise<void>((resolve) => this.clock.after(wait, resolve));
        continue;
      }
      if ('notCarriedOut' in end) {
        // Not sent again: what the PBX did with it is not known (FreeSWITCH may have carried a pickup
        // out but not ended this call); the calls say whether it went through (call-evidence.ts).
        const reason = `the PBX answered ${words.request} ${end.notCarriedOut} but did not end lampfield's call, as it does when it carries one out`;
        return { ok: false, reason, stage: 'refer', status: null, askTheCalls: true };
      }
      if ('refused' in end) {
        const { status = 0, reason = '' } = end.refused;
        return {
          ok: false,
          reason: `${words.who} refused ${words.request}: ${status} ${reason}`.trim(),
          stage: 'refer',
          status,
        };
      }
      const { status, line } = end;
      if (status == null || (status >= 200 && status < 300)) return { ok: true, via: 'refer' };
      const failure = {
        ok: false,
        reason: targetFailure(status, line, words),
        stage: 'target',
        status,
      } as const;
      return setup.sipfrag?.[status] === 'ask-the-calls' ? { ...failure, askTheCalls: true } : failure;
    }
  }

  /** One REFER, until its subscription's final sipfrag (or REFER_OUTCOME_MS). */
  private async referOnce(setup: ReferSetup, referral: Referral): Promise<ReferEnd> {
    const outcome = new Promise<{ status: number | null; line: string }>((resolve) => {
      referral.settle = (status, line) => resolve({ status, line });
    });
    const request = setup.build({ 'refer-to': `<${setup.target}>`, 'referred-by': `<${this.ua.uri}>` });
    const response = await this.ua.send(request, { timeoutMs: 8000 });
    const status = response.status ?? 0;
    if (status < 200 || status >= 300) return { refused: response };
    const cancel = this.clock.after(REFER_OUTCOME_MS, () => referral.settle(null, ''));
    const end = await outcome;
    cancel();
    const took = end.status != null && end.status >= 200 && end.status < 300;
    if (setup.pbxEndsCall === true && took && !(await this.untilEnded(referral)))
      return { notCarriedOut: end.line.replace(/^SIP\/2\.0\s+/, '') };
    return end;
  }

  /** Whether the other side ends the REFER's dialog (its BYE) within PBX_BYE_MS. */
  private untilEnded(referral: Referral): Promise<boolean> {
    if (referral.ended) return Promise.resolve(true);
    return new Promise((resolve) => {
      const cancel = this.clock.after(PBX_BYE_MS, () => resolve(false));
      referral.onEnded = () => {
        cancel();
        resolve(true);
      };
    });
  }
}

/** Why the call to the target failed, from its final status line. */
export function targetFailure(status: number, line: string, words: ReferWords = DESK_PHONE_CALL): string {
  if (status === 481 && words === DESK_PHONE_CALL)
    return 'the call was already answered elsewhere (481 to Replaces)';
  return `${words.started} failed: ${line}`;
}
