/**
 * The simulated PBX's dialog-event notifier (RFC 6665, RFC 4235): `Event: dialog` SUBSCRIBEs answered,
 * and every change of an extension's calls sent to its watchers as a NOTIFY written as the chosen PBX
 * family writes it (dialog-info-writer.ts). innovaphone's NOTIFYs also go, unsolicited, to every
 * registered user (the seed document), with the extra document innovaphone sends on answer.
 */
import type { DialectName } from '../blf/dialects.ts';
import { uriUser } from '../blf/uri.ts';
import { contactUri, headerText, localTag, type SipMessage, tagOf } from '../sip/message.ts';
import type { IncomingRequest, SipRemote, SipStack } from '../sip/stack.ts';
import type { Clock } from '../util/clock.ts';
import type { CallListener } from './call-book.ts';
import {
  innovaphoneAnswer,
  renderDialogInfo,
  type RenderContext,
  type SimCall,
} from './dialog-info-writer.ts';
import type { Registered, Registrar } from './registrar.ts';

/** One watcher's subscription to one extension. */
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

export interface NotifierOptions {
  dialect: DialectName;
  host: string;
  clock: Clock;
}

export class DialogNotifier implements CallListener {
  private readonly watches = new Map<string, Watch>();
  /** Version and CSeq of innovaphone's unsolicited NOTIFYs, each counting up across extensions. */
  private unsolicitedVersion = 0;
  private unsolicitedCseq = 0;

  constructor(
    private readonly stack: SipStack,
    private readonly options: NotifierOptions,
    private readonly registrar: Registrar,
    /** An extension's calls now, for the first NOTIFY of a subscription. */
    private readonly callsOf: (number: string) => readonly SimCall[],
  ) {}

  subscribe(request: IncomingRequest): void {
    const { message } = request;
    const event = (headerText(message, 'event') ?? '').split(';')[0]?.trim();
    if (event !== 'dialog') {
      request.respond(489, 'Bad Event');
      return;
    }
    // A refresh or an unsubscribe comes in the subscription's dialog, to our Contact (no user part):
    // it is found by its dialog (RFC 6665 §4.1.2.2); only a new subscription names the extension.
    const callId = message.headers['call-id']!;
    const existing = this.watches.get(callId);
    if (tagOf(message.headers.to) != null && existing == null) {
      request.respond(481); // a refresh of a subscription this PBX does not know (a restart)
      return;
    }
    const number = existing?.number ?? uriUser(message.uri ?? null);
    if (number == null) {
      request.respond(404);
      return;
    }
    const expires = Number.parseInt(headerText(message, 'expires') ?? '600', 10);
    const tag = existing?.tag ?? tagOf(message.headers.to) ?? localTag();
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
    watch.expiresAt = this.options.clock.now() + expires * 1000;
    this.watches.set(callId, watch);
    this.notify(watch, this.render(number, this.callsOf(number), watch.version++));
  }

  changed(number: string, calls: readonly SimCall[]): void {
    for (const watch of this.watches.values())
      if (watch.number === number) this.notify(watch, this.render(number, calls, watch.version++));
    if (this.options.dialect === 'innovaphone') {
      for (const watcher of this.registrar.registered())
        this.unsolicited(
          number,
          watcher,
          renderDialogInfo('innovaphone', calls, this.context(number, this.unsolicitedVersion++)),
        );
    }
  }

  answering(number: string, call: SimCall): void {
    if (this.options.dialect !== 'innovaphone') return;
    for (const watcher of this.registrar.registered()) {
      const [ended] = innovaphoneAnswer(call, this.context(number, this.unsolicitedVersion++));
      this.unsolicited(number, watcher, ended);
    }
  }

  private render(number: string, calls: readonly SimCall[], version: number): string {
    return renderDialogInfo(this.options.dialect, calls, this.context(number, version));
  }

  private context(number: string, version: number): RenderContext {
    return { entity: `sip:${number}@${this.options.host}`, number, host: this.options.host, version };
  }

  private notify(watch: Watch, body: string): void {
    const left = Math.max(0, Math.round((watch.expiresAt - this.options.clock.now()) / 1000));
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
        'subscription-state': `active;expires=${left}`,
        'content-type': 'application/dialog-info+xml',
      },
      content: body,
    };
    void this.stack.request(request, watch.remote, { timeoutMs: 8000 });
  }

  private unsolicited(number: string, watcher: Registered, body: string): void {
    const request: SipMessage = {
      method: 'NOTIFY',
      uri: watcher.contact,
      headers: {
        to: { uri: watcher.contact, params: { tag: 'sim-watcher' } },
        from: { uri: `sip:${number}@${this.options.host};user=phone`, params: { tag: `sim-${number}` } },
        'call-id': `sim-unsolicited-${number}@${this.options.host}`,
        cseq: { seq: ++this.unsolicitedCseq, method: 'NOTIFY' },
        event: 'dialog',
        'subscription-state': 'active',
        'content-type': 'application/dialog-info+xml',
      },
      content: body,
    };
    void this.stack.request(request, watcher.remote, { timeoutMs: 8000 });
  }
}
