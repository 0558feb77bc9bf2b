/**
 * FreeSWITCH's event socket (mod_event_socket, "inbound" mode), for the one thing SIP cannot do there:
 * transfer the call the desk phone is in (a press during a call, README "FreeSWITCH"). FreeSWITCH's
 * dialog-info names no SIP call (no call-id, no tags), only its channel: the dialog's id is the uuid of
 * the desk phone's channel (sofia_presence.c). The channel bridged to it (its `bridge_to`), the far
 * side, is sent to the partner's extension (`uuid_transfer`, mod_commands.c transfer_function), and the
 * desk phone's channel, left alone, is hung up (a channel that was called ends with its bridge; one that
 * called, with `hangup_after_bridge`, which FreeSWITCH's default dialplan sets).
 *
 * One TCP connection per transfer (src/sip/control-link.ts), each step answered within STEP_MS:
 *
 *   auth/request ─▶ auth <password> ─▶ api uuid_getvar <uuid> bridge_to ─▶ api uuid_transfer … ─▶ exit
 *
 * Its messages are `Key: Value` lines ended by a blank line, then as many characters of body as
 * Content-Length says (FreeSWITCH counts bytes: its answers to these commands are ASCII).
 */
import {
  ControlLink,
  controlSession,
  MAX_BUFFER,
  type ControlEndpoint,
  type ControlOutcome,
} from './control-link.ts';

export interface EventSocketSetup extends ControlEndpoint {
  password: string;
  /** The dialplan context the caller is sent to; null: its channel's own (switch_ivr_session_transfer). */
  context: string | null;
}

export interface EslMessage {
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** A uuid or an extension as one word of a command: no space, no line end. */
const WORD = /^[^\s]+$/;

/**
 * Sends the channel bridged to the desk phone's channel `channel` (the far side of its call) to extension
 * `exten`. The far side is named by the desk phone's `bridge_to`, not by `uuid_transfer -bleg`: with no
 * bridge yet (a call still ringing), -bleg moves the channel given itself, the desk phone's.
 */
export function transferCall(
  setup: EventSocketSetup,
  channel: string,
  exten: string,
): Promise<ControlOutcome> {
  return session(setup, async (link, where) => {
    if (!WORD.test(channel) || !WORD.test(exten))
      return { ok: false, reason: `cannot name the call to ${where}: "${channel}" to "${exten}"` };
    const peer = (await link.command(`api uuid_getvar ${channel} bridge_to`)).body.trim();
    // uuid_getvar says `_undef_` for a variable not set, `-ERR …` for a channel that is gone.
    if (!WORD.test(peer) || peer === '_undef_' || peer.startsWith('-'))
      return {
        ok: false,
        reason: `${where} shows the desk phone's call connected to nobody yet (${peer || 'no answer'}): nothing to transfer`,
      };
    const context = setup.context == null ? '' : ` XML ${setup.context}`;
    const answer = (await link.command(`api uuid_transfer ${peer} ${exten}${context}`)).body.trim();
    if (!answer.startsWith('+OK'))
      return {
        ok: false,
        reason: `${where} could not transfer the desk phone's call: ${answer || 'no reason'}`,
      };
    return { ok: true };
  });
}

/** Whether the event socket takes lampfield's password (`lampfield doctor`). */
export function checkEventSocket(setup: EventSocketSetup): Promise<ControlOutcome> {
  return session(setup, () => Promise.resolve({ ok: true }));
}

/** A connection, authenticated, for `work`; said goodbye to and closed after, whatever happened. */
function session(
  setup: EventSocketSetup,
  work: (link: EventSocketLink, where: string) => Promise<ControlOutcome>,
): Promise<ControlOutcome> {
  const where = `FreeSWITCH's event socket at ${setup.host}:${setup.port}`;
  return controlSession(
    where,
    () => EventSocketLink.open(setup),
    async (link) => {
      const greeting = await link.next();
      if (greeting.headers['Content-Type'] !== 'auth/request')
        return {
          ok: false,
          reason: `${where} is no FreeSWITCH event socket (it did not ask for a password)`,
        };
      const auth = await link.command(`auth ${setup.password.replace(/[\r\n]/g, ' ')}`);
      if (!(auth.headers['Reply-Text'] ?? '').startsWith('+OK'))
        return {
          ok: false,
          reason: `${where} refused the password (${auth.headers['Reply-Text'] ?? 'no reason'}): check pbx.freeswitch.eventSocket`,
        };
      const outcome = await work(link, where);
      link.write('exit\n\n');
      return outcome;
    },
  );
}

/** Reads event socket messages from text as it comes: headers to a blank line, then a Content-Length body. */
export class EslReader {
  private buffer = '';
  private pending: Record<string, string> | null = null;

  /** The messages `chunk` completes; throws when the socket sends past the cap without ending one. */
  push(chunk: string): EslMessage[] {
    this.buffer += chunk;
    if (this.buffer.length > MAX_BUFFER) throw new Error('sent more than 1 MiB without ending a message');
    const messages: EslMessage[] = [];
    for (;;) {
      if (this.pending == null) {
        const end = /\r?\n\r?\n/.exec(this.buffer);
        if (end == null) return messages;
        const headers: Record<string, string> = {};
        for (const line of this.buffer.slice(0, end.index).split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
        }
        this.buffer = this.buffer.slice(end.index + end[0].length);
        if (Object.keys(headers).length === 0) continue;
        this.pending = headers;
      }
      const length = Number(this.pending['Content-Length'] ?? 0);
      if (!Number.isSafeInteger(length) || length < 0 || length > MAX_BUFFER)
        throw new Error(`sent a Content-Length of "${this.pending['Content-Length']}"`);
      if (this.buffer.length < length) return messages;
      messages.push({ headers: this.pending, body: this.buffer.slice(0, length) });
      this.buffer = this.buffer.slice(length);
      this.pending = null;
    }
  }
}

/** One event socket connection: commands sent one at a time, each answered by the next reply. */
class EventSocketLink {
  private constructor(private readonly link: ControlLink<EslMessage>) {}

  static async open(setup: EventSocketSetup): Promise<EventSocketLink> {
    return new EventSocketLink(await ControlLink.open(setup, new EslReader()));
  }

  next(): Promise<EslMessage> {
    return this.link.next();
  }

  /** Sends a command and resolves with its reply (`command/reply`, or `api/response` for an api). */
  async command(text: string): Promise<EslMessage> {
    this.link.write(`${text}\n\n`);
    for (;;) {
      const message = await this.link.next();
      const type = message.headers['Content-Type'];
      if (type === 'command/reply' || type === 'api/response') return message;
    }
  }

  write(text: string): void {
    this.link.write(text);
  }

  close(): void {
    this.link.close();
  }
}
