/**
 * A scripted notifier for subscription tests: a SIP stack on 127.0.0.1 that records every request,
 * answers through `answer` as a PBX would, and sends NOTIFYs into a watcher's subscription, over real
 * UDP. Each opened one is closed by `closeScriptedPbxs` (call it in afterEach).
 */
import { systemClock } from '../../src/util/clock.ts';
import { tagOf, type SipMessage } from '../../src/sip/message.ts';
import { SipStack, type IncomingRequest } from '../../src/sip/stack.ts';

const opened: SipStack[] = [];

export async function closeScriptedPbxs(): Promise<void> {
  await Promise.all(opened.splice(0).map((stack) => stack.close()));
}

/** A notifier that records every request and answers through `answer`. */
export class ScriptedPbx {
  readonly requests: IncomingRequest[] = [];
  answer: (request: IncomingRequest) => void = (request) => request.respond(200);
  private notifySeq = 1;
  private readonly tag = `pbx${Math.random().toString(36).slice(2, 8)}`;

  constructor(readonly stack: SipStack) {
    stack.onRequests((request) => {
      this.requests.push(request);
      this.answer(request);
    });
  }

  static async open(address = '127.0.0.1', port = 0): Promise<ScriptedPbx> {
    const stack = await SipStack.open({ address, port, clock: systemClock });
    opened.push(stack);
    return new ScriptedPbx(stack);
  }

  subscribes(): IncomingRequest[] {
    return this.requests.filter((request) => request.message.method === 'SUBSCRIBE');
  }

  /** Accepts a SUBSCRIBE for `expires` seconds, with our tag and Contact. */
  accept(request: IncomingRequest, expires = 600): void {
    request.respond(200, 'OK', {
      headers: {
        expires: String(expires),
        contact: [{ uri: `sip:${this.stack.hostPort}`, params: {} }],
        to: {
          ...request.message.headers.to!,
          params: { tag: tagOf(request.message.headers.to) ?? this.tag },
        },
      },
    });
  }

  /** Sends a NOTIFY in the subscription `subscribe` started, to the watcher. */
  notify(
    subscribe: SipMessage,
    watcherPort: number,
    body: string,
    state = 'active;expires=600',
    event = 'dialog',
  ): Promise<SipMessage> {
    const from = subscribe.headers.from!;
    return this.stack.request(
      {
        method: 'NOTIFY',
        uri: `sip:900@127.0.0.1:${watcherPort}`,
        headers: {
          to: from,
          from: { uri: subscribe.headers.to!.uri, params: { tag: tagOf(subscribe.headers.to) ?? this.tag } },
          'call-id': subscribe.headers['call-id'],
          cseq: { seq: this.notifySeq++, method: 'NOTIFY' },
          contact: [{ uri: `sip:${this.stack.hostPort}`, params: {} }],
          event,
          'subscription-state': state,
          ...(body === '' ? {} : { 'content-type': 'application/dialog-info+xml' }),
        },
        content: body,
      },
      { protocol: 'UDP', address: '127.0.0.1', port: watcherPort },
    );
  }
}

/** The port the watcher that sent `subscribe` listens on: its Contact's (RFC 6665 §4.1.2.1). */
export function watcherPort(subscribe: SipMessage): number {
  const contact = subscribe.headers.contact?.[0];
  const uri = typeof contact === 'string' ? contact : (contact?.uri ?? '');
  return Number(/@[^:;>]+:(\d+)/.exec(uri)?.[1]);
}
