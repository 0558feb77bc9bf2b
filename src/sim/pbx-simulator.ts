/**
 * A PBX simulator speaking real SIP over UDP on our own stack (issue 6, in progress): extensions whose
 * calls ring, are answered, held and hung up on request, `Event: dialog` subscriptions answered with
 * NOTIFYs written as the chosen PBX family writes them (src/sim/dialog-info-writer.ts), OPTIONS and
 * REGISTER answered. innovaphone's NOTIFYs go, unsolicited, to every watcher that registered.
 *
 * The virtual desk phone (`deskPhone`, e.g. 201) auto-answers lampfield's INVITE, follows its REFER,
 * and really takes a ringing call on a pickup (by Replaces or by the `**<number>` code): the partner
 * goes idle and the desk phone is in the call.
 *
 * Not yet: generated calls, digest authentication.
 */
import type { DialectName } from '../blf/dialects.ts';
import { contactUri, headerText, referToUri, tagOf, type SipMessage } from '../sip/message.ts';
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
  /** The number of the virtual desk phone. */
  deskPhone?: string;
  now?: () => number;
}

/** A dialog lampfield has with the desk phone (its 3pcc INVITE, or an out-of-dialog REFER). */
interface DeskDialog {
  callId: string;
  /** The desk phone's tag and lampfield's. */
  tag: string;
  peerTag: string | null;
  peerUri: string;
  peerTarget: string;
  remote: SipRemote;
  seq: number;
}

export class PbxSimulator {
  private readonly calls = new Map<string, SimCall[]>();
  private readonly watches = new Map<string, Watch>();
  private readonly registered = new Map<string, { contact: string; remote: SipRemote }>();
  private readonly deskDialogs = new Map<string, DeskDialog>();
  private sequence = 0;
  /** Who the desk phone is talking to, or null. */
  deskPhoneCall: string | null = null;

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
      case 'INVITE':
        this.deskInvite(request);
        return;
      case 'REFER':
        this.deskRefer(request);
        return;
      case 'BYE':
        request.respond(this.deskDialogs.delete(message.headers['call-id'] ?? '') ? 200 : 481);
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

  // --- the virtual desk phone ----------------------------------------------------------------------

  private isDeskPhone(uri: string | undefined): boolean {
    return (
      this.options.deskPhone != null && /^sips?:([^@;]+)@/.exec(uri ?? '')?.[1] === this.options.deskPhone
    );
  }

  private deskDialog(request: IncomingRequest): DeskDialog {
    const { message } = request;
    const callId = message.headers['call-id']!;
    const known = this.deskDialogs.get(callId);
    if (known != null) return known;
    const dialog: DeskDialog = {
      callId,
      tag: tagOf(message.headers.to) ?? localTag(),
      peerTag: tagOf(message.headers.from),
      peerUri: message.headers.from!.uri,
      peerTarget: contactUri(message) ?? message.headers.from!.uri,
      remote: request.remote,
      seq: 0,
    };
    this.deskDialogs.set(callId, dialog);
    return dialog;
  }

  /** Auto-answer (the hints lampfield sends), with an offer since the INVITE had none (RFC 3725). */
  private deskInvite(request: IncomingRequest): void {
    if (!this.isDeskPhone(request.message.uri)) {
      request.respond(404);
      return;
    }
    const dialog = this.deskDialog(request);
    const offer = [
      'v=0',
      'o=sim 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 40000 RTP/AVP 0',
      '',
    ].join('\r\n');
    request.respond(200, 'OK', {
      headers: {
        to: {
          ...request.message.headers.to!,
          params: { ...request.message.headers.to!.params, tag: dialog.tag },
        },
        contact: [{ uri: `sip:${this.options.deskPhone}@${this.stack.hostPort}`, params: {} }],
        'content-type': 'application/sdp',
      },
      content: offer,
    });
  }

  /** Follows a REFER (RFC 3515): a pickup takes the ringing call, anything else is called. */
  private deskRefer(request: IncomingRequest): void {
    const { message } = request;
    const inDialog = this.deskDialogs.has(message.headers['call-id'] ?? '');
    if (!inDialog && !this.isDeskPhone(message.uri)) {
      request.respond(404);
      return;
    }
    const dialog = this.deskDialog(request);
    const referTo = referToUri(message) ?? '';
    request.respond(202, 'Accepted', {
      headers: { to: { ...message.headers.to!, params: { ...message.headers.to!.params, tag: dialog.tag } } },
    });
    const outcome = this.follow(referTo);
    this.sipfrag(dialog, outcome);
  }

  /** What the desk phone's call to `target` does; the sipfrag status line to report. */
  private follow(target: string): string {
    const [uri, query] = target.split('?') as [string, string | undefined];
    const replaces = /(?:^|&)Replaces=([^&]+)/i.exec(query ?? '')?.[1];
    const number = /^sips?:([^@;]+)@/.exec(uri)?.[1] ?? '';
    let ringing: { number: string; call: SimCall } | null;
    if (replaces != null) {
      const callId = decodeURIComponent(replaces).split(';')[0];
      ringing = this.findRinging((call) => call.callId === callId);
    } else if (number.startsWith('**')) {
      ringing = this.findRinging((_call, owner) => owner === number.slice(2));
    } else {
      this.deskPhoneCall = number;
      this.ring(this.options.deskPhone ?? 'desk', number);
      return '200 OK';
    }
    if (ringing == null) return '481 Call/Transaction Does Not Exist';
    // The pickup: the ringing extension's side ends, the caller is now in a call with the desk phone.
    const caller = /^sips?:([^@;]+)@/.exec(ringing.call.remote.uri)?.[1] ?? '';
    const id = ringing.call.id;
    this.update(ringing.number, (calls) =>
      calls.map((call) => (call.id === id ? { ...call, phase: 'terminated' } : call)),
    );
    this.calls.set(
      ringing.number,
      this.calls.get(ringing.number)!.filter((call) => call.id !== id),
    );
    this.update(caller, (calls) =>
      calls.map((call) =>
        call.id === id
          ? {
              ...call,
              phase: 'confirmed',
              remote: {
                uri: `sip:${this.options.deskPhone}@${this.options.host}`,
                display: this.options.deskPhone ?? null,
              },
            }
          : call,
      ),
    );
    this.deskPhoneCall = caller;
    return '200 OK';
  }

  private findRinging(
    match: (call: SimCall, owner: string) => boolean,
  ): { number: string; call: SimCall } | null {
    for (const [number, calls] of this.calls) {
      const call = calls.find(
        (candidate) =>
          candidate.phase === 'early' && candidate.direction === 'recipient' && match(candidate, number),
      );
      if (call != null) return { number, call };
    }
    return null;
  }

  private sipfrag(dialog: DeskDialog, status: string): void {
    const request: SipMessage = {
      method: 'NOTIFY',
      uri: dialog.peerTarget,
      headers: {
        to: { uri: dialog.peerUri, params: dialog.peerTag == null ? {} : { tag: dialog.peerTag } },
        from: { uri: `sip:${this.options.deskPhone}@${this.options.host}`, params: { tag: dialog.tag } },
        'call-id': dialog.callId,
        cseq: { seq: ++dialog.seq + 100, method: 'NOTIFY' },
        contact: [{ uri: `sip:${this.options.deskPhone}@${this.stack.hostPort}`, params: {} }],
        event: 'refer',
        'subscription-state': 'terminated;reason=noresource',
        'content-type': 'message/sipfrag;version=2.0',
      },
      content: `SIP/2.0 ${status}\r\n`,
    };
    void this.stack.request(request, dialog.remote, { timeoutMs: 8000 });
  }
}
