/**
 * The requests a stack receives, answered once each (stack.ts hands them here once they are read and
 * checked): a non-INVITE in our lean transactions (server-transactions.ts: a retransmission gets the
 * kept answer again), an INVITE, ACK or CANCEL in the npm `sip` package's server transaction; either
 * answered 500 when the application leaves it unanswered too long (the package would keep it for ever)
 * or throws, and 503 when the table of transactions is full.
 */
import { createHash } from 'node:crypto';
import sip from 'sip';
import type { Clock } from '../util/clock.ts';
import { encodeOutgoing, responseTo, type SipHeaders, type SipMessage } from './message.ts';
import { NonInviteServerTransactions } from './server-transactions.ts';
import type { SipRemote, Transport } from './transports.ts';

/** A request received, with the one way to answer it. */
export interface IncomingRequest {
  readonly message: SipMessage;
  readonly remote: SipRemote;
  /** Answers the request; later answers after a final one are ignored. */
  respond(status: number, reason?: string, extra?: { headers?: SipHeaders; content?: string }): void;
}

export interface IncomingSetup {
  clock: Clock;
  /** A request the application leaves unanswered this long is answered 500. */
  unansweredMs: number;
  /** The Server header of every response without one of its own (RFC 3261 §20.35). */
  signature?: string | undefined;
  trace?: ((direction: 'in' | 'out', text: string, remote: SipRemote) => void) | undefined;
  /** Whether the stack is closed: nothing is answered any more. */
  closed(): boolean;
}

type Respond = IncomingRequest['respond'];

export class IncomingRequests {
  onRequest: (request: IncomingRequest) => void = () => undefined;
  onAck: (message: SipMessage, remote: SipRemote) => void = () => undefined;
  private readonly nonInvite: NonInviteServerTransactions;

  constructor(private readonly setup: IncomingSetup) {
    this.nonInvite = new NonInviteServerTransactions(setup.clock, setup.unansweredMs);
  }

  /** Answers a request (never an ACK) without a transaction: a retransmission is answered again. */
  refuse(message: SipMessage, remote: SipRemote, transport: Transport, status: number): void {
    if (message.method === 'ACK') return;
    const response = responseTo(message, status, undefined, undefined);
    transport.sendBytes(remote, Buffer.from(sip.stringify(encodeOutgoing(response)), 'binary'));
  }

  /** Non-INVITE requests: our lean transactions (server-transactions.ts). */
  nonInviteRequest(message: SipMessage, remote: SipRemote, transport: Transport): void {
    const via = message.headers.via![0]!;
    // RFC 3261 §17.2.3 matches on branch, sent-by and method; the CSeq number is added because some
    // peers' branches are weak (the npm `sip` package's own have a million values): a retransmission
    // repeats its CSeq, a new request with a colliding branch does not.
    const { method, seq } = message.headers.cseq!;
    const key = transactionKey(
      `${method} ${seq} ${message.headers['call-id']} ${via.params['branch']} ${via.host}:${via.port}`,
    );
    let answered = false;
    const respond: Respond = (status, reason, extra) => {
      if (answered || this.setup.closed()) return;
      if (status >= 200) answered = true;
      const text = sip.stringify(encodeOutgoing(responseTo(message, status, reason, this.signed(extra))));
      this.setup.trace?.('out', text, remote);
      const bytes = Buffer.from(text, 'binary');
      transport.sendBytes(remote, bytes);
      if (status >= 200) this.nonInvite.complete(key, bytes, remote.protocol !== 'UDP');
    };
    const begun = this.nonInvite.begin(key, resendTo(transport, remote), () =>
      respond(500, 'Request Not Handled'),
    );
    if (begun === 'retransmission') return;
    if (begun === 'full') {
      respond(503, 'Service Unavailable', { headers: { 'retry-after': '5' } });
      return;
    }
    this.hand({ message, remote, respond }, respond);
  }

  /** An INVITE (or ACK, CANCEL) in its new server transaction of the package's. */
  inviteRequest(message: SipMessage, remote: SipRemote, transaction: sip.ServerTransaction): void {
    let answered = false;
    const respond: Respond = (status, reason, extra) => {
      if (answered || this.setup.closed()) return;
      if (status >= 200) {
        answered = true;
        cancelGuard();
      }
      transaction.send(encodeOutgoing(responseTo(message, status, reason, this.signed(extra))));
    };
    const cancelGuard = this.setup.clock.after(this.setup.unansweredMs, () =>
      respond(500, 'Request Not Handled'),
    );
    this.hand({ message, remote, respond }, respond);
  }

  close(): void {
    this.nonInvite.close();
  }

  /** Hands the request to the application; one that throws is answered 500. */
  private hand(request: IncomingRequest, respond: Respond): void {
    try {
      this.onRequest(request);
    } catch {
      respond(500);
    }
  }

  /** A response's extra headers, with the stack's Server header unless it has its own. */
  private signed(extra?: { headers?: SipHeaders; content?: string }): typeof extra {
    const { signature } = this.setup;
    if (signature == null) return extra;
    return { ...extra, headers: { server: signature, ...extra?.headers } };
  }
}

/**
 * Sends kept response bytes again to `remote`. Made apart from the request's scope, so that a completed
 * transaction (kept 32 s) keeps no reference to the request it answered (a 60 KB NOTIFY).
 */
function resendTo(transport: Transport, remote: SipRemote): (bytes: Buffer) => void {
  return (bytes) => transport.sendBytes(remote, bytes);
}

/**
 * A transaction's key, as a string of its own: the parts of a parsed request are slices of the whole
 * datagram's text, and a key built from them would keep that text (a 60 KB NOTIFY) alive as long as
 * the completed transaction is kept. A digest is small, of fixed size, and refers to nothing.
 */
function transactionKey(parts: string): string {
  return createHash('sha1').update(parts).digest('base64');
}
