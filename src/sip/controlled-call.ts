/**
 * A call lampfield keeps as its controller (RFC 3725 §4 flow I, and §5: the controller stays in the
 * call): the desk phone's dialog and the far side's (the partner dialled, or a ringing call's caller
 * reached with Replaces, RFC 3891), the media flowing directly between the two from the offer and
 * answer lampfield carried between them. It stays in both dialogs until one side ends:
 *
 *   BYE from one side ──▶ 200 to it, BYE to the other ──▶ ended
 *   re-INVITE (hold, resume) from one side ──▶ re-INVITE to the other with its offer; the answer back
 *     in the 200 (or the other side's refusal, passed back as it came)
 *
 * A re-INVITE without an offer is answered with the other side's last description, as the offer the
 * RFC 3264 §4 way (its ACK's answer is not passed on: the other side's session is unchanged).
 */
import type { Logger } from '../util/log.ts';
import { headerText, type SipMessage } from './message.ts';
import type { IncomingRequest } from './stack.ts';
import type { DialogState, UserAgent } from './user-agent.ts';

interface Leg {
  name: 'desk phone' | 'far side';
  dialog: DialogState;
  /** The last session description this side sent (its offer or answer). */
  sdp: string;
}

export class ControlledCall {
  private readonly legs: [Leg, Leg];
  private over = false;
  private finish: () => void = () => undefined;
  /** Resolves once both sides have left. */
  readonly ended: Promise<void>;

  constructor(
    private readonly ua: UserAgent,
    phone: { dialog: DialogState; sdp: string },
    far: { dialog: DialogState; sdp: string },
    private readonly log: Logger,
  ) {
    this.legs = [
      { name: 'desk phone', ...phone },
      { name: 'far side', ...far },
    ];
    this.ended = new Promise((resolve) => (this.finish = resolve));
  }

  /** The desk phone's dialog and the far side's. */
  get dialogs(): { desk: DialogState; far: DialogState } {
    return { desk: this.legs[0].dialog, far: this.legs[1].dialog };
  }

  /** The Call-IDs of both dialogs: their requests are this call's. */
  get callIds(): [string, string] {
    return [this.legs[0].dialog.callId, this.legs[1].dialog.callId];
  }

  /** A request in one of the two dialogs: BYE and re-INVITE are passed on; false for anything else. */
  handle(request: IncomingRequest): boolean {
    const index = this.legs.findIndex((leg) => leg.dialog.callId === request.message.headers['call-id']);
    if (index < 0) return false;
    const from = this.legs[index]!;
    const to = this.legs[1 - index]!;
    switch (request.message.method) {
      case 'BYE':
        request.respond(200);
        this.log.info(`controlled call: the ${from.name} hung up; ending the ${to.name}'s side`);
        void this.end(to);
        return true;
      case 'INVITE':
        void this.relayInvite(request, from, to);
        return true;
      default:
        return false;
    }
  }

  /** Ends both sides (lampfield stopping). */
  hangUp(): Promise<void> {
    return this.end(...this.legs);
  }

  private async end(...legs: Leg[]): Promise<void> {
    if (this.over) return;
    this.over = true;
    await Promise.all(
      legs.map((leg) => this.ua.send(this.ua.inDialog('BYE', leg.dialog), { timeoutMs: 4000 })),
    );
    this.finish();
  }

  /** RFC 3725 §5: a re-INVITE from one side goes to the other, and its answer comes back. */
  private async relayInvite(request: IncomingRequest, from: Leg, to: Leg): Promise<void> {
    const offer = request.message.content ?? '';
    if (offer === '') {
      request.respond(200, 'OK', this.withSdp(to.sdp));
      return;
    }
    from.sdp = offer;
    const reinvite = this.ua.inDialog('INVITE', to.dialog, { 'content-type': 'application/sdp' });
    const response = await this.ua.send({ ...reinvite, content: offer }, { timeoutMs: 8000 });
    const status = response.status ?? 500;
    if (status >= 200 && status < 300) {
      this.ua.sendAck(to.dialog, response.headers.cseq?.seq ?? to.dialog.localSeq);
      to.sdp = response.content ?? to.sdp;
      request.respond(200, 'OK', this.withSdp(to.sdp));
      return;
    }
    this.log.info(`controlled call: the ${to.name} refused the ${from.name}'s re-INVITE (${status})`);
    request.respond(status, response.reason ?? undefined, retryAfter(response));
  }

  private withSdp(sdp: string): { headers: SipMessage['headers']; content: string } {
    return { headers: { contact: [this.ua.contact], 'content-type': 'application/sdp' }, content: sdp };
  }
}

/** A 491's Retry-After, passed back with it (RFC 3261 §14.1). */
function retryAfter(response: SipMessage): { headers: SipMessage['headers'] } | undefined {
  const value = headerText(response, 'retry-after');
  return value == null ? undefined : { headers: { 'retry-after': value } };
}
