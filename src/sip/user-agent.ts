/**
 * lampfield's SIP identity toward the PBX: builds requests from its account, sends them to the PBX, and
 * answers digest challenges (RFC 3261 §22.2: the request is sent again with credentials and the next
 * CSeq; a `stale=true` challenge is answered once more with the new nonce).
 */
import { authHeaderText, chooseChallenge, digestAuthorization, type DigestCredentials } from './digest.ts';
import { contactUri, localTag, tagOf, type NameAddr, type SipHeaders, type SipMessage } from './message.ts';
import type { RequestOptions, SipRemote, SipStack } from './stack.ts';

export interface Account {
  user: string;
  password: string;
  authUser?: string;
  displayName?: string;
  /** The PBX's domain, for our own address of record. */
  domain: string;
}

export interface DialogState {
  callId: string;
  localTag: string;
  remoteTag: string | null;
  /** Request-URI of in-dialog requests: the peer's Contact (RFC 3261 §12.1.2). */
  remoteTarget: string;
  /** The remote URI (To of our requests). */
  remoteUri: string;
  /** Route set, from the Record-Route of the response that made the dialog, reversed (§12.1.2). */
  routeSet: string[];
  localSeq: number;
}

export class UserAgent {
  constructor(
    readonly stack: SipStack,
    readonly account: Account,
    /** Where every request goes first (the PBX, or its outbound proxy). */
    readonly pbx: SipRemote,
  ) {}

  /** Our address of record. */
  get uri(): string {
    return `sip:${this.account.user}@${this.account.domain}`;
  }

  /**
   * Our Contact, on the transport we reach the PBX by (RFC 3261 §19.1.1 `transport`): over TLS a `sip:`
   * URI with `transport=tls`, as the PBX's hop to the partners need not be TLS (a `sips:` one would ask
   * for TLS on every hop, §26.2.2).
   */
  get contact(): NameAddr {
    const transport = this.pbx.protocol === 'UDP' ? '' : `;transport=${this.pbx.protocol.toLowerCase()}`;
    return { uri: `sip:${this.account.user}@${this.stack.hostPort}${transport}`, params: {} };
  }

  newCallId(): string {
    return `${localTag()}${localTag()}@lampfield`;
  }

  /** A request that starts a new dialog (or stands alone), from our account to `to`. */
  outOfDialog(
    method: string,
    to: string,
    callId: string,
    tag: string,
    seq: number,
    headers: SipHeaders = {},
  ): SipMessage {
    return {
      method,
      uri: to,
      headers: {
        to: { uri: to, params: {} },
        from: {
          ...(this.account.displayName ? { name: `"${this.account.displayName}"` } : {}),
          uri: this.uri,
          params: { tag },
        },
        'call-id': callId,
        cseq: { seq, method },
        contact: [this.contact],
        'user-agent': 'lampfield',
        ...headers,
      },
    };
  }

  /** A request inside a dialog (RFC 3261 §12.2.1.1); takes the next local CSeq. */
  inDialog(method: string, dialog: DialogState, headers: SipHeaders = {}): SipMessage {
    dialog.localSeq += 1;
    return {
      method,
      uri: dialog.remoteTarget,
      headers: {
        to: { uri: dialog.remoteUri, params: dialog.remoteTag == null ? {} : { tag: dialog.remoteTag } },
        from: { uri: this.uri, params: { tag: dialog.localTag } },
        'call-id': dialog.callId,
        cseq: { seq: dialog.localSeq, method },
        contact: [this.contact],
        ...(dialog.routeSet.length > 0 ? { route: dialog.routeSet.map((uri) => ({ uri, params: {} })) } : {}),
        'user-agent': 'lampfield',
        ...headers,
      },
    };
  }

  /**
   * Sends to the PBX and answers up to two digest challenges. Resolves with the final response; its
   * CSeq is the one the request ended with (a dialog's local CSeq must follow it).
   */
  async send(request: SipMessage, options: RequestOptions = {}): Promise<SipMessage> {
    let current = request;
    let response = await this.stack.request(current, this.pbx, options);
    for (let attempt = 0; ; attempt++) {
      const next = this.answerChallenge(current, response, attempt);
      if (next == null) return response;
      current = next;
      response = await this.stack.request(current, this.pbx, options);
    }
  }

  /**
   * An INVITE through the PBX, its digest challenges answered as `send` answers them, that can be
   * cancelled all along (RFC 3261 §9.1): `cancel()` CANCELs the INVITE on the wire, or, between a
   * challenge and its answer, sends no other (the INVITE then ends as a cancelled one does, 487).
   * `final` resolves with the final response and the INVITE it answers (the one with credentials, after
   * a challenge: the dialog's first CSeq is that one's).
   */
  invite(
    request: SipMessage,
    options: RequestOptions = {},
  ): { final: Promise<{ request: SipMessage; response: SipMessage }>; cancel(): void } {
    let cancelled = false;
    let onWire: { cancel(): void } | null = null;
    const final = (async () => {
      let current = request;
      for (let attempt = 0; ; attempt++) {
        const sent = this.stack.invite(current, this.pbx, options);
        onWire = sent;
        if (cancelled) sent.cancel();
        const response = await sent.final;
        const next = this.answerChallenge(current, response, attempt);
        if (next == null) return { request: current, response };
        if (cancelled)
          return { request: current, response: { ...response, status: 487, reason: 'Request Terminated' } };
        current = next;
      }
    })();
    return {
      final,
      cancel: () => {
        cancelled = true;
        onWire?.cancel();
      },
    };
  }

  /**
   * The request again with credentials for the challenge `response` carries (RFC 3261 §22.2: a new
   * request, its CSeq one higher); null when `response` is no challenge, or one not to answer: the
   * second in a row unless it says the nonce went stale (a wrong password is not tried twice), the
   * third always, or one of an algorithm lampfield cannot answer.
   */
  private answerChallenge(current: SipMessage, response: SipMessage, attempt: number): SipMessage | null {
    if ((response.status !== 401 && response.status !== 407) || attempt >= 2) return null;
    const header = response.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
    const challenges = response.headers[header] ?? [];
    const challenge = chooseChallenge(
      typeof challenges === 'string' ? [challenges] : challenges.map(authHeaderText),
    );
    if (challenge == null || (attempt > 0 && !challenge.stale)) return null;
    const credentials: DigestCredentials = {
      username: this.account.authUser ?? this.account.user,
      password: this.account.password,
    };
    const cseq = current.headers.cseq!;
    return {
      ...current,
      headers: {
        ...current.headers,
        cseq: { seq: cseq.seq + 1, method: cseq.method },
        [response.status === 401 ? 'authorization' : 'proxy-authorization']: digestAuthorization({
          challenge,
          credentials,
          method: current.method!,
          uri: current.uri!,
        }),
      },
    };
  }

  /**
   * The ACK of a 2xx to the INVITE of CSeq `seq` in `dialog` (RFC 3261 §13.2.2.4), carrying `answer`
   * when the 2xx held an offer. It goes to the PBX with the dialog's route set, outside any transaction.
   */
  sendAck(dialog: DialogState, seq: number, answer = ''): void {
    const ack: SipMessage = {
      method: 'ACK',
      uri: dialog.remoteTarget,
      headers: {
        to: { uri: dialog.remoteUri, params: dialog.remoteTag == null ? {} : { tag: dialog.remoteTag } },
        from: { uri: this.uri, params: { tag: dialog.localTag } },
        'call-id': dialog.callId,
        cseq: { seq, method: 'ACK' },
        ...(dialog.routeSet.length > 0 ? { route: dialog.routeSet.map((uri) => ({ uri, params: {} })) } : {}),
        ...(answer === '' ? {} : { 'content-type': 'application/sdp' }),
      },
      content: answer,
    };
    this.stack.sendAck(ack, this.pbx);
  }
}

/** The dialog a 2xx to our INVITE made (RFC 3261 §12.1.2): its tags, remote target and route set. */
export function dialogOf(invite: SipMessage, response: SipMessage): DialogState {
  return {
    callId: invite.headers['call-id']!,
    localTag: tagOf(invite.headers.from) ?? '',
    remoteTag: tagOf(response.headers.to),
    remoteTarget: contactUri(response) ?? invite.uri!,
    remoteUri: invite.headers.to!.uri,
    routeSet: (response.headers['record-route'] ?? []).map((route) => route.uri).reverse(),
    localSeq: response.headers.cseq?.seq ?? invite.headers.cseq!.seq,
  };
}
