/**
 * Asterisk's manager interface (AMI), for the one thing SIP cannot do on a stock Asterisk: transfer the
 * call the desk phone is in (a press during a call, README "Asterisk and FreePBX"). Asterisk's
 * dialog-info names no call (no call-id, no tags: res_pjsip_dialog_info_body_generator.c) and res_pjsip
 * takes no REFER with Target-Dialog (RFC 4538), so lampfield asks Asterisk itself: `BlindTransfer` of
 * the desk phone's channel (manager.c action_blind_transfer: the channel's peer, the caller, goes to the
 * partner's extension, and the desk phone's channel is hung up), the channel found by `CoreShowChannels`.
 *
 * One TCP connection per transfer (src/sip/control-link.ts), each step answered within STEP_MS:
 *
 *   banner "Asterisk Call Manager/…" ─▶ Login (Events: off) ─▶ CoreShowChannels ─▶ BlindTransfer ─▶ Logoff
 *
 * AMI messages are `Key: Value` lines ended by a blank line; the banner is one line. What Asterisk sends
 * is read under a cap (MAX_BUFFER): a peer that floods is cut off, never kept in memory.
 */
import {
  ControlLink,
  controlSession,
  MAX_BUFFER,
  type ControlEndpoint,
  type ControlOutcome,
} from './control-link.ts';

export interface ManagerSetup extends ControlEndpoint {
  user: string;
  secret: string;
  /** The dialplan context the call goes to; null: the desk phone's channel's own (manager.c). */
  context: string | null;
}

type AmiMessage = Readonly<Record<string, string>>;

/** Moves the desk phone's call (its channel, of the endpoint `deskUser`) to extension `exten`. */
export function blindTransfer(setup: ManagerSetup, deskUser: string, exten: string): Promise<ControlOutcome> {
  return session(setup, async (link, where) => {
    const { events } = await link.action({ Action: 'CoreShowChannels' }, 'CoreShowChannelsComplete');
    const channel = deskChannel(events, deskUser);
    if (channel == null)
      return { ok: false, reason: `${where} shows no call of the desk phone (${deskUser}) in a bridge` };
    const { response } = await link.action({
      Action: 'BlindTransfer',
      Channel: channel,
      Exten: exten,
      ...(setup.context == null ? {} : { Context: setup.context }),
    });
    if (response['Response'] !== 'Success')
      return {
        ok: false,
        reason: `${where} could not transfer ${channel}: ${response['Message'] ?? 'no reason'}`,
      };
    return { ok: true };
  });
}

/** Whether the manager takes lampfield's login (`lampfield doctor`). */
export function checkManager(setup: ManagerSetup): Promise<ControlOutcome> {
  return session(setup, () => Promise.resolve({ ok: true }));
}

/** A connection, logged in, for `work`; logged off and closed after, whatever happened. */
function session(
  setup: ManagerSetup,
  work: (link: ManagerLink, where: string) => Promise<ControlOutcome>,
): Promise<ControlOutcome> {
  const where = `Asterisk's manager at ${setup.host}:${setup.port}`;
  return controlSession(
    where,
    () => ManagerLink.open(setup),
    async (link) => {
      const login = await link.action({
        Action: 'Login',
        Username: setup.user,
        Secret: setup.secret,
        Events: 'off',
      });
      if (login.response['Response'] !== 'Success')
        return {
          ok: false,
          reason: `${where} refused the login (${login.response['Message'] ?? 'no reason'}): check pbx.asterisk.manager`,
        };
      const outcome = await work(link, where);
      void link.action({ Action: 'Logoff' }).catch(() => undefined);
      return outcome;
    },
  );
}

/**
 * The desk phone's channel in a call: a channel of its endpoint (`PJSIP/201-…`, chan_sip's `SIP/201-…`)
 * that is up (state 6) and in a bridge; of several, the newest (the call last answered).
 */
export function deskChannel(events: readonly AmiMessage[], deskUser: string): string | null {
  const ours = events.filter(
    (event) =>
      event['Event'] === 'CoreShowChannel' &&
      [`PJSIP/${deskUser}-`, `SIP/${deskUser}-`].some((prefix) => event['Channel']?.startsWith(prefix)) &&
      event['ChannelState'] === '6' &&
      (event['BridgeId'] ?? '') !== '',
  );
  const seconds = (event: AmiMessage) =>
    (event['Duration'] ?? '').split(':').reduce((total, part) => total * 60 + (Number(part) || 0), 0);
  return ours.sort((a, b) => seconds(a) - seconds(b))[0]?.['Channel'] ?? null;
}

/** Reads AMI messages from text as it comes: the banner line first, then blocks ended by a blank line. */
export class AmiReader {
  private buffer = '';
  private banner = false;

  /** The messages `chunk` completes; throws when the manager sends past the cap without ending one. */
  push(chunk: string): AmiMessage[] {
    this.buffer += chunk;
    if (this.buffer.length > MAX_BUFFER) throw new Error('sent more than 1 MiB without ending a message');
    const messages: AmiMessage[] = [];
    if (!this.banner) {
      const end = this.buffer.indexOf('\n');
      if (end < 0) return messages;
      const banner = this.buffer.slice(0, end).trim();
      if (!/^Asterisk Call Manager\//.test(banner))
        throw new Error(`is no Asterisk manager (it said "${banner.slice(0, 60)}")`);
      this.banner = true;
      this.buffer = this.buffer.slice(end + 1);
    }
    for (;;) {
      const end = /\r?\n\r?\n/.exec(this.buffer);
      if (end == null) return messages;
      const block = this.buffer.slice(0, end.index);
      this.buffer = this.buffer.slice(end.index + end[0].length);
      const message: Record<string, string> = {};
      for (const line of block.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon > 0) message[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      if (Object.keys(message).length > 0) messages.push(message);
    }
  }
}

/** One manager connection: actions sent one at a time, each answer matched by its ActionID. */
class ManagerLink {
  private nextId = 1;

  private constructor(private readonly link: ControlLink<AmiMessage>) {}

  /** Connected (the manager's banner comes first, AmiReader checks it). */
  static async open(setup: ManagerSetup): Promise<ManagerLink> {
    return new ManagerLink(await ControlLink.open(setup, new AmiReader()));
  }

  /**
   * Sends an action and resolves with its response and, for a list (`complete` names its last event),
   * the events of the list.
   */
  async action(
    fields: Readonly<Record<string, string>>,
    complete?: string,
  ): Promise<{ response: AmiMessage; events: AmiMessage[] }> {
    const id = `lampfield-${this.nextId++}`;
    const text = Object.entries({ ...fields, ActionID: id })
      .map(([key, value]) => `${key}: ${value.replace(/[\r\n]/g, ' ')}\r\n`)
      .join('');
    this.link.write(`${text}\r\n`);
    let response: AmiMessage | null = null;
    const events: AmiMessage[] = [];
    for (;;) {
      const message = await this.link.next();
      if (message['ActionID'] !== id) continue; // an event of no action of ours
      if (response == null) {
        response = message;
        if (complete == null || message['Response'] !== 'Success') return { response, events };
      } else if (message['Event'] === complete) return { response, events };
      else events.push(message);
    }
  }

  close(): void {
    this.link.close();
  }
}
