/**
 * The simulated PBX's virtual desk phone (`deskPhone`, e.g. 201): it auto-answers lampfield's INVITE
 * with an offer (RFC 3725 flow I: the INVITE had none), follows its REFER (RFC 3515) by calling the
 * Refer-To through the PBX, and reports how that went in a sipfrag NOTIFY. Its call reaches what a PBX
 * would route it to: a ringing call taken over by Replaces (RFC 3891) or by the `**<number>` code (the
 * partner goes idle and the desk phone is in the call), or any other extension, which then rings.
 */
import { uriUser } from '../blf/uri.ts';
import { contactUri, headerText, localTag, referToUri, type SipMessage, tagOf } from '../sip/message.ts';
import type { IncomingRequest, SipRemote, SipStack } from '../sip/stack.ts';
import type { CallBook, RingingCall } from './call-book.ts';

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

export class VirtualDeskPhone {
  private readonly dialogs = new Map<string, DeskDialog>();
  /** Who the desk phone is talking to, or null. */
  inCallWith: string | null = null;

  constructor(
    private readonly stack: SipStack,
    /** The desk phone's number, and the PBX's host. */
    private readonly number: string,
    private readonly host: string,
    private readonly calls: CallBook,
  ) {}

  /** Whether `uri` is the desk phone's. */
  is(uri: string | undefined): boolean {
    return uriUser(uri ?? null) === this.number;
  }

  /** An INVITE at the PBX: to the desk phone (auto-answered), or the desk phone's own call (routed). */
  invite(request: IncomingRequest): void {
    const { message } = request;
    if (!this.is(message.uri)) {
      if (this.is(message.headers.from?.uri)) {
        const status = this.reach(message.uri ?? '', headerText(message, 'replaces'));
        request.respond(Number(status.slice(0, 3)), status.slice(4));
        return;
      }
      request.respond(404);
      return;
    }
    const dialog = this.dialog(request);
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
        to: { ...message.headers.to!, params: { ...message.headers.to!.params, tag: dialog.tag } },
        contact: [{ uri: `sip:${this.number}@${this.stack.hostPort}`, params: {} }],
        // It follows a Refer-To with Replaces (RFC 3891 §6.1), and says so.
        supported: 'replaces',
        'content-type': 'application/sdp',
      },
      content: offer,
    });
  }

  /** Follows a REFER (RFC 3515): a pickup takes the ringing call, anything else is called. */
  refer(request: IncomingRequest): void {
    const { message } = request;
    const inDialog = this.dialogs.has(message.headers['call-id'] ?? '');
    if (!inDialog && !this.is(message.uri)) {
      request.respond(404);
      return;
    }
    const dialog = this.dialog(request);
    const referTo = referToUri(message) ?? '';
    request.respond(202, 'Accepted', {
      headers: { to: { ...message.headers.to!, params: { ...message.headers.to!.params, tag: dialog.tag } } },
    });
    void this.place(referTo).then((outcome) => this.sipfrag(dialog, outcome));
  }

  /** BYE: the dialog lampfield had with the desk phone ends. */
  bye(request: IncomingRequest): void {
    request.respond(this.dialogs.delete(request.message.headers['call-id'] ?? '') ? 200 : 481);
  }

  private dialog(request: IncomingRequest): DeskDialog {
    const { message } = request;
    const callId = message.headers['call-id']!;
    const known = this.dialogs.get(callId);
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
    this.dialogs.set(callId, dialog);
    return dialog;
  }

  /**
   * The desk phone places the referred call (RFC 3515 §2.4.4): an INVITE to the Refer-To URI, with its
   * `?Replaces=` as a Replaces header (RFC 3891 §6.1), sent to the PBX over UDP like any phone's.
   */
  private async place(referTo: string): Promise<string> {
    const [uri, query] = referTo.split('?') as [string, string | undefined];
    const replaces = /(?:^|&)Replaces=([^&]+)/i.exec(query ?? '')?.[1];
    const invite: SipMessage = {
      method: 'INVITE',
      uri,
      headers: {
        to: { uri, params: {} },
        from: { uri: `sip:${this.number}@${this.host}`, params: { tag: localTag() } },
        'call-id': `${localTag()}@desk`,
        cseq: { seq: 1, method: 'INVITE' },
        contact: [{ uri: `sip:${this.number}@${this.stack.hostPort}`, params: {} }],
        ...(replaces == null ? {} : { replaces: decodeURIComponent(replaces), require: 'replaces' }),
      },
    };
    const pbx: SipRemote = { protocol: 'UDP', address: this.stack.address, port: this.stack.port };
    const response = await this.stack.request(invite, pbx, { timeoutMs: 8000 });
    const status = response.status ?? 500;
    if (status >= 200 && status < 300) {
      // RFC 3261 §13.2.2.4: the caller acknowledges a 2xx itself.
      this.stack.sendAck(
        {
          ...invite,
          method: 'ACK',
          headers: { ...invite.headers, to: response.headers.to!, cseq: { seq: 1, method: 'ACK' } },
        },
        pbx,
      );
    }
    return `${status} ${response.reason ?? ''}`.trim();
  }

  /** What the desk phone's INVITE to `uri` (with `replaces`, RFC 3891) reaches: its final status line. */
  private reach(uri: string, replaces: string | null): string {
    const number = uriUser(uri) ?? '';
    let ringing: RingingCall | null;
    if (replaces != null) {
      // RFC 3891 §3: the dialog to replace, by its Call-ID (this PBX knows each of its calls by it).
      const callId = replaces.split(';')[0]?.trim();
      ringing = this.calls.findRinging((call) => call.callId === callId);
    } else if (number.startsWith('**')) {
      ringing = this.calls.findRinging((_call, owner) => owner === number.slice(2));
    } else {
      this.inCallWith = number;
      this.calls.ring(this.number, number);
      return '200 OK';
    }
    if (ringing == null) return '481 Call/Transaction Does Not Exist';
    this.inCallWith = this.calls.pickUp(ringing, this.number);
    return '200 OK';
  }

  private sipfrag(dialog: DeskDialog, status: string): void {
    const request: SipMessage = {
      method: 'NOTIFY',
      uri: dialog.peerTarget,
      headers: {
        to: { uri: dialog.peerUri, params: dialog.peerTag == null ? {} : { tag: dialog.peerTag } },
        from: { uri: `sip:${this.number}@${this.host}`, params: { tag: dialog.tag } },
        'call-id': dialog.callId,
        cseq: { seq: ++dialog.seq + 100, method: 'NOTIFY' },
        contact: [{ uri: `sip:${this.number}@${this.stack.hostPort}`, params: {} }],
        event: 'refer',
        'subscription-state': 'terminated;reason=noresource',
        'content-type': 'message/sipfrag;version=2.0',
      },
      content: `SIP/2.0 ${status}\r\n`,
    };
    void this.stack.request(request, dialog.remote, { timeoutMs: 8000 });
  }
}
