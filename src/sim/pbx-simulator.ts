/**
 * A PBX simulator speaking real SIP over UDP on our own stack (issue 6, in progress): extensions whose
 * calls ring, are answered, held and hung up on request, `Event: dialog` subscriptions answered with
 * NOTIFYs written as the chosen PBX family writes them (src/sim/dialog-info-writer.ts), OPTIONS and
 * REGISTER answered. innovaphone's NOTIFYs go, unsolicited, to every watcher that registered.
 *
 * Not yet: generated calls, digest authentication, the virtual desk phone (REFER, Replaces).
 */
import type { DialectName } from '../blf/dialects.ts';
import { contactUri, headerText, tagOf, type SipMessage } from '../sip/message.ts';
import { localTag, type IncomingRequest, type SipRemote, type SipStack } from '../sip/stack.ts';
import {
  innovaphoneAnswer,
  renderDialogInfo,
  type RenderContext,
  type SimCall,
} from './dialog-info-writer.ts';

interface Watch {
  /** The extension watched. */
  number: string;
  callId: string;
  /** Our tag (the To tag we gave) and the watcher's. */
  tag: string;
  watcherTag: string | null;
  watcherUri: string;
  target: string;
  remote: SipRemote;
  seq: number;
  version: number;
  expiresAt: number;
}

export interface SimulatorOptions {
  dialect: DialectName;
  host: string;
  now?: () => number;
}

export class PbxSimulator {
  private readonly calls = new Map<string, SimCall[]>();
  private readonly watches = new Map<string, Watch>();
  private readonly registered = new Map<string, { contact: string; remote: SipRemote }>();
  private sequence = 0;

  constructor(
    private readonly stack: SipStack,
    private readonly options: SimulatorOptions,
  ) {
    stack.onRequests((request) => this.handle(request));
  }

  /** `from` calls `to`: `to` rings (its side of the call is an incoming early dialog). */
  ring(from: string, to: string): string {
    const id = `sim${++this.sequence}`;
    const callId = `${id}-${localTag()}@sim`;
    const fromTag = `${from}-${localTag()}`;
    const toTag = `${to}-${localTag()}`;
    this.update(to, (calls) => [...calls, this.call(id, callId, toTag, fromTag, 'recipient', from)]);
    this.update(from, (calls) => [...calls, this.call(id, callId, fromTag, toTag, 'initiator', to)]);
    return id;
  }

  answer(id: string): void {
    for (const [number, calls] of this.calls) {
      const call = calls.find((candidate) => candidate.id === id);
      if (call == null || call.phase !== 'early') continue;
      if (this.options.dialect === 'innovaphone') this.innovaphoneAnswer(number, call);
      this.update(number, (list) =>
        list.map((candidate) => (candidate.id === id ? { ...candidate, phase: 'confirmed' } : candidate)),
      );
    }
  }

  hold(id: string, number: string, held: boolean): void {
    this.update(number, (calls) => calls.map((call) => (call.id === id ? { ...call, held } : call)));
  }

  hangUp(id: string): void {
    for (const number of [...this.calls.keys()]) {
      if (!this.calls.get(number)!.some((call) => call.id === id)) continue;
      this.update(number, (calls) =>
        calls.map((call) => (call.id === id ? { ...call, phase: 'terminated' } : call)),
      );
      // Terminated dialogs are reported once, then forgotten (Kamailio keeps them a while; so does the writer).
      this.calls.set(
        number,
        this.calls.get(number)!.filter((call) => call.phase !== 'terminated'),
      );
    }
  }

  private call(
    id: string,
    callId: string,
    localTag: string,
    remoteTag: string,
    direction: 'initiator' | 'recipient',
    other: string,
  ): SimCall {
    return {
      id,
      callId,
      localTag,
      remoteTag,
      direction,
      phase: 'early',
      remote: { uri: `sip:${other}@${this.options.host}`, display: other },
      held: false,
    };
  }

  private update(number: string, change: (calls: SimCall[]) => SimCall[]): void {
    const calls = change(this.calls.get(number) ?? []);
    this.calls.set(number, calls);
    this.notifyAll(number, calls);
  }

  private context(number: string, version: number): RenderContext {
    return { entity: `sip:${number}@${this.options.host}`, number, host: this.options.host, version };
  }

  private notifyAll(number: string, calls: readonly SimCall[]): void {
    for (const watch of this.watches.values()) {
      if (watch.number === number)
        this.notify(
          watch,
          renderDialogInfo(this.options.dialect, calls, this.context(number, watch.version++)),
        );
    }
    if (this.options.dialect === 'innovaphone') {
      for (const [, watcher] of this.registered)
        this.unsolicited(
          number,
          watcher,
          renderDialogInfo('innovaphone', calls, this.context(number, this.sequence++)),
        );
    }
  }

  private innovaphoneAnswer(number: string, call: SimCall): void {
    for (const [, watcher] of this.registered) {
      const [ended] = innovaphoneAnswer(call, this.context(number, this.sequence++));
      this.unsolicited(number, watcher, ended);
    }
  }

  // --- SIP -----------------------------------------------------------------------------------------

  private handle(request: IncomingRequest): void {
    const { message } = request;
    switch (message.method) {
      case 'OPTIONS':
        request.respond(200);
        return;
      case 'REGISTER': {
        const contact = contactUri(message);
        const user = /^sips?:([^@;]+)@/.exec(message.headers.to?.uri ?? '')?.[1];
        if (contact != null && user != null) this.registered.set(user, { contact, remote: request.remote });
        request.respond(200, 'OK', { headers: { expires: headerText(message, 'expires') ?? '3600' } });
        return;
      }
      case 'SUBSCRIBE':
        this.subscribe(request);
        return;
      default:
        request.respond(501, 'Not Implemented');
    }
  }

  private subscribe(request: IncomingRequest): void {
    const { message } = request;
    const event = (headerText(message, 'event') ?? '').split(';')[0]?.trim();
    if (event !== 'dialog') {
      request.respond(489, 'Bad Event');
      return;
    }
    const number = /^sips?:([^@;]+)@/.exec(message.uri ?? '')?.[1];
    if (number == null) {
      request.respond(404);
      return;
    }
    const callId = message.headers['call-id']!;
    const expires = Number.parseInt(headerText(message, 'expires') ?? '600', 10);
    const existing = this.watches.get(callId);
    const tag = existing?.tag ?? tagOf(message.headers.to) ?? localTag();
    if (tagOf(message.headers.to) != null && existing == null) {
      request.respond(481); // a refresh of a subscription this PBX does not know (a restart)
      return;
    }
    request.respond(200, 'OK', {
      headers: {
        to: { ...message.headers.to!, params: { ...message.headers.to!.params, tag } },
        expires: String(expires),
        contact: [{ uri: `sip:${this.stack.hostPort}`, params: {} }],
      },
    });
    if (expires <= 0) {
      this.watches.delete(callId);
      return;
    }
    const watch: Watch = existing ?? {
      number,
      callId,
      tag,
      watcherTag: tagOf(message.headers.from),
      watcherUri: message.headers.from!.uri,
      target: contactUri(message) ?? message.headers.from!.uri,
      remote: request.remote,
      seq: 0,
      version: 0,
      expiresAt: 0,
    };
    watch.expiresAt = (this.options.now ?? Date.now)() + expires * 1000;
    this.watches.set(callId, watch);
    this.notify(
      watch,
      renderDialogInfo(
        this.options.dialect,
        this.calls.get(number) ?? [],
        this.context(number, watch.version++),
      ),
    );
  }

  private notify(watch: Watch, body: string): void {
    const request: SipMessage = {
      method: 'NOTIFY',
      uri: watch.target,
      headers: {
        to: { uri: watch.watcherUri, params: watch.watcherTag == null ? {} : { tag: watch.watcherTag } },
        from: { uri: `sip:${watch.number}@${this.options.host}`, params: { tag: watch.tag } },
        'call-id': watch.callId,
        cseq: { seq: ++watch.seq, method: 'NOTIFY' },
        contact: [{ uri: `sip:${this.stack.hostPort}`, params: {} }],
        event: 'dialog',
        'subscription-state': `active;expires=${Math.max(0, Math.round((watch.expiresAt - (this.options.now ?? Date.now)()) / 1000))}`,
        'content-type': 'application/dialog-info+xml',
      },
      content: body,
    };
    void this.stack.request(request, watch.remote, { timeoutMs: 8000 });
  }

  private unsolicited(number: string, watcher: { contact: string; remote: SipRemote }, body: string): void {
    const request: SipMessage = {
      method: 'NOTIFY',
      uri: watcher.contact,
      headers: {
        to: { uri: watcher.contact, params: { tag: 'sim-watcher' } },
        from: { uri: `sip:${number}@${this.options.host};user=phone`, params: { tag: `sim-${number}` } },
        'call-id': `sim-unsolicited-${number}@${this.options.host}`,
        cseq: { seq: ++this.sequence, method: 'NOTIFY' },
        event: 'dialog',
        'subscription-state': 'active',
        'content-type': 'application/dialog-info+xml',
      },
      content: body,
    };
    void this.stack.request(request, watcher.remote, { timeoutMs: 8000 });
  }
}
