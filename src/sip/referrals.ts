/**
 * REFERs and what they came to (RFC 3515): the REFER sent, its 2xx, then the NOTIFYs of its implicit
 * subscription whose sipfrag bodies say how the referred call went (§2.4.5), waited for until a final
 * status (or the subscription's end, or 15 s). A REFER is kept by the Call-ID of its dialog while it is
 * under way, so that its NOTIFYs, and a BYE of the dialog it was sent in, come to it.
 */
import type { Clock } from '../util/clock.ts';
import type { CallOutcome } from './call-outcome.ts';
import { contactUri, headerText, tagOf, type SipMessage } from './message.ts';
import type { IncomingRequest } from './stack.ts';
import type { DialogState, UserAgent } from './user-agent.ts';

/** How long a REFER's outcome (its sipfrag NOTIFYs) is waited for before the call is left as started. */
const REFER_OUTCOME_MS = 15_000;

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
}

export class Referrals {
  private readonly byCallId = new Map<string, Referral>();

  constructor(
    private readonly ua: UserAgent,
    private readonly clock: Clock,
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
      return true;
    }
    return false;
  }

  /** Sends the REFER and waits for the sipfrag that says how the referred call went. */
  async refer(setup: ReferSetup): Promise<CallOutcome> {
    const words = setup.words ?? DESK_PHONE_CALL;
    const referral: Referral = { settle: () => undefined, dialog: setup.dialog };
    const outcome = new Promise<{ status: number | null; line: string }>((resolve) => {
      referral.settle = (status, line) => resolve({ status, line });
    });
    this.byCallId.set(setup.callId, referral);
    try {
      setup.beforeSend?.();
      const request = setup.build({ 'refer-to': `<${setup.target}>`, 'referred-by': `<${this.ua.uri}>` });
      const response = await this.ua.send(request, { timeoutMs: 8000 });
      const status = response.status ?? 0;
      if (status < 200 || status >= 300) {
        const reason = `${words.who} refused ${words.request}: ${status} ${response.reason ?? ''}`.trim();
        return { ok: false, reason, stage: 'refer', status };
      }
      const cancel = this.clock.after(REFER_OUTCOME_MS, () => referral.settle(null, ''));
      const { status: final, line } = await outcome;
      cancel();
      if (final == null || (final >= 200 && final < 300)) return { ok: true, via: 'refer' };
      return { ok: false, reason: targetFailure(final, line, words), stage: 'target', status: final };
    } finally {
      this.byCallId.delete(setup.callId);
    }
  }
}

/** Why the call to the target failed, from its final status line. */
export function targetFailure(status: number, line: string, words: ReferWords = DESK_PHONE_CALL): string {
  if (status === 481 && words === DESK_PHONE_CALL)
    return 'the call was already answered elsewhere (481 to Replaces)';
  return `${words.started} failed: ${line}`;
}
