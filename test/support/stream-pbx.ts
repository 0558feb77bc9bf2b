/**
 * A PBX that speaks SIP over TCP or TLS on 127.0.0.1, scripted by the test, for what only a connection can
 * do wrong: it answers SUBSCRIBE 200 and sends the partner's dialog-info (a NOTIFY over the same
 * connection, RFC 5923 alias-style), answers OPTIONS and every other request 200; and, when told, it
 * stalls (stops answering on the connections it has, while it accepts and answers new ones), holds a
 * connection's first TLS handshake, or writes raw bytes on a connection.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { SipStreamFramer } from '../../src/sip/stream-framer.ts';
import { freePort } from './ports.ts';

/** One connection lampfield opened, and what came on it. */
export interface PbxConnection {
  socket: net.Socket;
  received: string[];
  stalled: boolean;
  /** Closed by lampfield (its FIN or RST), as the PBX saw it. */
  ended: boolean;
}

const header = (message: string, name: string) =>
  new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(message)?.[1]?.trim() ?? '';

/** A SIP message as bytes on the wire (binary string), Content-Length counted. */
export function sipText(lines: readonly string[], body = ''): string {
  const bytes = Buffer.byteLength(body, 'utf8');
  return Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: ${bytes}\r\n\r\n${body}`, 'utf8').toString(
    'binary',
  );
}

/** The partner's dialog-info: one dialog in `state`, or none (idle). */
export function dialogInfo(entity: string, version: number, state: 'idle' | 'early' | 'confirmed'): string {
  const dialog =
    state === 'idle'
      ? ''
      : `<dialog id="d1" call-id="c1" local-tag="l1" remote-tag="r1" direction="recipient"><state>${state}</state></dialog>`;
  return `<?xml version="1.0"?><dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${entity}">${dialog}</dialog-info>`;
}

interface Subscription {
  connection: PbxConnection;
  subscribe: string;
  toTag: string;
  cseq: number;
  version: number;
}

export class StreamPbx {
  readonly connections: PbxConnection[] = [];
  /** How many TLS handshakes to leave unanswered (each such connection is accepted, then nothing). */
  holdHandshakes = 0;
  private readonly subscriptions = new Map<string, Subscription>();
  private state: 'idle' | 'early' | 'confirmed' = 'idle';

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    readonly protocol: 'tcp' | 'tls',
  ) {}

  /** On a free port; over TLS with `certificate` (PEM files of a server certificate for 127.0.0.1). */
  static async start(
    protocol: 'tcp' | 'tls',
    certificate?: { cert: string; key: string },
  ): Promise<StreamPbx> {
    const port = await freePort(true);
    let pbx: StreamPbx | null = null;
    const context =
      certificate == null
        ? null
        : tls.createSecureContext({
            cert: readFileSync(certificate.cert),
            key: readFileSync(certificate.key),
          });
    // A plain TCP server either way: over TLS each socket is wrapped here, unless its handshake is held.
    const server = net.createServer((raw) => {
      if (pbx == null) return;
      if (protocol === 'tcp') return pbx.adopt(raw);
      if (pbx.holdHandshakes > 0) {
        pbx.holdHandshakes--;
        pbx.connections.push({ socket: raw, received: [], stalled: true, ended: false });
        raw.on('error', () => undefined);
        return;
      }
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: context! });
      pbx.adopt(secure);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    pbx = new StreamPbx(server, port, protocol);
    return pbx;
  }

  /** The connections lampfield opened that are still up. */
  get live(): PbxConnection[] {
    return this.connections.filter((connection) => !connection.ended && !connection.socket.destroyed);
  }

  /** Stops answering, reading and sending on every connection there is now; new ones are answered. */
  stall(): void {
    for (const connection of this.connections) {
      connection.stalled = true;
      connection.socket.pause();
    }
  }

  /** The partner's state changes: a NOTIFY to every subscription, on its connection. */
  notifyAll(state: 'idle' | 'early' | 'confirmed'): void {
    this.state = state;
    for (const subscription of this.subscriptions.values()) this.notify(subscription);
  }

  /** The requests lampfield sent, on any connection, by method. */
  requests(method: string): string[] {
    return this.connections.flatMap((connection) =>
      connection.received.filter((message) => message.startsWith(`${method} `)),
    );
  }

  /** The responses lampfield sent. */
  responses(): string[] {
    return this.connections.flatMap((connection) =>
      connection.received.filter((message) => message.startsWith('SIP/2.0 ')),
    );
  }

  close(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private adopt(socket: net.Socket): void {
    const connection: PbxConnection = { socket, received: [], stalled: false, ended: false };
    this.connections.push(connection);
    socket.setEncoding('binary');
    socket.on('error', () => undefined);
    socket.on('end', () => (connection.ended = true));
    socket.on('close', () => (connection.ended = true));
    const framer = new SipStreamFramer();
    socket.on('data', (data: string) => {
      for (const framed of framer.push(data)) {
        if (framed.kind !== 'message') continue;
        connection.received.push(framed.text);
        if (!connection.stalled) this.answer(connection, framed.text);
      }
    });
  }

  private answer(connection: PbxConnection, message: string): void {
    if (message.startsWith('SIP/2.0 ')) return;
    const method = message.split(' ', 1)[0]!;
    if (method === 'ACK') return;
    const callId = header(message, 'Call-ID');
    const existing = this.subscriptions.get(callId);
    const toTag = existing?.toTag ?? `pbx${this.subscriptions.size + 1}`;
    const to = /;tag=/.test(header(message, 'To'))
      ? header(message, 'To')
      : `${header(message, 'To')};tag=${toTag}`;
    connection.socket.write(
      sipText([
        'SIP/2.0 200 OK',
        `Via: ${header(message, 'Via')}`,
        `From: ${header(message, 'From')}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        `CSeq: ${header(message, 'CSeq')}`,
        `Contact: <sip:127.0.0.1:${this.port};transport=${this.protocol}>`,
        ...(method === 'SUBSCRIBE' ? [`Expires: ${header(message, 'Expires') || '600'}`] : []),
      ]),
    );
    if (method !== 'SUBSCRIBE') return;
    if (header(message, 'Expires') === '0') {
      this.subscriptions.delete(callId);
      return;
    }
    const subscription: Subscription = existing ?? {
      connection,
      subscribe: message,
      toTag,
      cseq: 1,
      version: 0,
    };
    subscription.connection = connection; // a refresh on a new connection moves the flow (RFC 5626)
    this.subscriptions.set(callId, subscription);
    this.notify(subscription);
  }

  /** Writes raw bytes on the connection `subscription` lives on (the newest subscription's). */
  writeRaw(text: string): void {
    const last = [...this.subscriptions.values()].at(-1);
    last?.connection.socket.write(text);
  }

  private notify(subscription: Subscription): void {
    // A stalled connection carries nothing more, either way.
    if (subscription.connection.stalled) return;
    const { subscribe } = subscription;
    const contact = /<([^>]+)>/.exec(header(subscribe, 'Contact'))?.[1] ?? '';
    const partner = /<([^>]+)>/.exec(header(subscribe, 'To'))?.[1] ?? '';
    const n = subscription.cseq++;
    subscription.connection.socket.write(
      sipText(
        [
          `NOTIFY ${contact} SIP/2.0`,
          `Via: SIP/2.0/${this.protocol.toUpperCase()} 127.0.0.1:${this.port};branch=z9hG4bK-stream-${n}-${subscription.toTag}`,
          `From: ${header(subscribe, 'To').replace(/;tag=.*$/, '')};tag=${subscription.toTag}`,
          `To: ${header(subscribe, 'From')}`,
          `Call-ID: ${header(subscribe, 'Call-ID')}`,
          `CSeq: ${n} NOTIFY`,
          `Contact: <sip:127.0.0.1:${this.port};transport=${this.protocol}>`,
          'Event: dialog',
          'Subscription-State: active;expires=600',
          'Content-Type: application/dialog-info+xml',
        ],
        dialogInfo(partner, subscription.version++, this.state),
      ),
    );
  }
}
