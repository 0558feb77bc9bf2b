/**
 * SIP over TCP and TLS for the stack (transports.ts): flows by remote address and port, each message
 * framed from the stream (stream-framer.ts), connections opened as requests need them, and every one
 * closed on `close()`.
 *
 * TLS (RFC 3261 §26.2) is a client only: lampfield opens the connection to the PBX, verifies the PBX's
 * certificate and name (never falling back to an unverified or plain connection), and the PBX sends its
 * requests back over that connection, as the `alias` Via parameter asks (RFC 5923 §5).
 *
 * A connection lampfield opens is replaced when it fails, as RFC 5626 §4.4 keeps a flow: its connect
 * (and TLS handshake) must finish within CONNECT_MS; a request on it followed by no message at all (the
 * stack's `retireIfSilent`, after the PBX keepalive's unanswered OPTIONS) ends it; a message begun on any
 * connection must go on arriving (BYTES_OWED_MS), and one whose Content-Length cannot be honoured
 * (over SKIP_LIMIT) is answered 413 and ends its connection. The stack hears of each ended flow it
 * opened (`flowLost`), so that what was subscribed over it is subscribed again over a new one.
 */
import net from 'node:net';
import tls from 'node:tls';
import sip from 'sip';
import type { Clock } from '../util/clock.ts';
import type { SipMessage } from './message.ts';
import { SipStreamFramer } from './stream-framer.ts';
import { peerCertificateDates, tlsFailure } from './tls-failure.ts';
import {
  bindError,
  write,
  type SipRemote,
  type TlsClientOptions,
  type Transport,
  type TransportReceive,
} from './transports.ts';

/** A connection lampfield opens must be up (and, over TLS, its handshake done) this soon. */
export const CONNECT_MS = 10_000;
/** A message begun on a connection must go on arriving: after this long without a byte, the connection ends. */
export const BYTES_OWED_MS = 10_000;
/** A body declared larger than this is not waited for (it is not skipped either): 413, and the connection ends. */
const SKIP_LIMIT = 16 * 1024 * 1024;
/**
 * One budget for the connections peers open to lampfield (a PBX sends its NOTIFYs over a few): at most
 * MAX_INBOUND at once (a new one beyond takes the place of the one longest without a whole message),
 * each closed after INBOUND_IDLE_MS without a whole message (the PBX opens another when it has one to
 * send), and INBOUND_HELD_BYTES held for unfinished messages across all of them (past it, the connection
 * whose message grows is closed).
 */
export const MAX_INBOUND = 128;
export const INBOUND_IDLE_MS = 300_000;
export const INBOUND_HELD_BYTES = 16 * 1024 * 1024;

interface Flow {
  socket: net.Socket;
  refs: number;
  /** Opened by lampfield (toward the PBX), not accepted from a peer. */
  outbound: boolean;
  /** When the last whole message came in (the clock's time); when it was opened, before any. */
  heardAt: number;
  /** Why lampfield ended it, for the stack's `flowLost`; null while up, or when the peer ended it. */
  endedFor: string | null;
  /** Connected (over TLS, its handshake done): accepted flows are from the start. */
  ready: boolean;
  /** Bytes its framer holds for an unfinished message (counted in the inbound budget). */
  held: number;
  /** Who hears of its failure: each request on it that waits (one listener on the socket for them all). */
  failures: Set<(error: Error) => void>;
}

/** A connection lampfield opened that has ended, and why, in words for the log. */
export type FlowLost = (remote: SipRemote, reason: string) => void;

/**
 * A connection-oriented transport (TCP, TLS): flows by remote address and port, each message framed
 * from the stream (stream-framer.ts), connections opened as requests need them.
 */
export class TcpTransport implements Transport {
  dropped = 0;
  private readonly flows = new Map<string, Flow>();
  private readonly sockets = new Set<net.Socket>();

  /** Hears of each connection lampfield opened that has ended (the stack's). */
  flowLost: FlowLost = () => undefined;
  private closed = false;

  private constructor(
    private readonly server: net.Server | null,
    readonly port: number,
    private readonly receive: TransportReceive,
    private readonly clock: Clock,
    readonly protocol: 'TCP' | 'TLS' = 'TCP',
    private readonly connect: (target: SipRemote) => net.Socket = (target) =>
      net.connect(target.port, target.address),
  ) {}

  /**
   * TLS to the PBX (no listener: its requests come back over lampfield's connection). `port` is the one
   * Via and Contact name; `failed` hears once of each connection that could not be made, and why.
   */
  static tlsClient(
    port: number,
    options: TlsClientOptions,
    receive: TransportReceive,
    clock: Clock,
    failed: (reason: string) => void,
  ): TcpTransport {
    return new TcpTransport(null, port, receive, clock, 'TLS', (target) => {
      const socket = tls.connect({
        host: target.address,
        port: target.port,
        ...(options.ca == null ? {} : { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
        ...(options.cert == null ? {} : { cert: options.cert }),
        ...(options.key == null ? {} : { key: options.key }),
        // SNI carries a name, never an address (RFC 6066 §3); the certificate is checked against pbx.host.
        ...(net.isIP(options.serverName) === 0 ? { servername: options.serverName } : {}),
        checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(options.serverName, certificate),
        rejectUnauthorized: true,
      });
      socket.once('error', (error: Error & { code?: string }) => {
        const where = `${target.address}:${target.port}`;
        if (error.code !== 'CERT_HAS_EXPIRED' && error.code !== 'CERT_NOT_YET_VALID')
          return failed(tlsFailure(error, where));
        // The refused certificate is gone with its socket: its dates are read on a second connection
        // that sends nothing and is closed at once.
        void peerCertificateDates(target, options, clock, CONNECT_MS).then((dates) =>
          failed(tlsFailure(error, where, dates)),
        );
      });
      return socket;
    });
  }

  static listen(
    address: string,
    port: number,
    receive: TransportReceive,
    clock: Clock,
  ): Promise<TcpTransport> {
    return new Promise((resolve, reject) => {
      let transport: TcpTransport | null = null;
      const server = net.createServer((socket) => transport?.accept(socket));
      server.once('error', (error) => reject(bindError(error, `TCP ${address}:${port}`)));
      server.listen(port, address, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        const bound = server.address() as net.AddressInfo;
        transport = new TcpTransport(server, bound.port, receive, clock, 'TCP');
        resolve(transport);
      });
    });
  }

  /** Bytes held for unfinished messages across the connections peers opened. */
  private inboundHeld = 0;

  /** A connection a peer opened: within the budget (MAX_INBOUND), with an idle limit of its own. */
  private accept(socket: net.Socket): void {
    const inbound = [...this.flows.values()].filter((flow) => !flow.outbound);
    if (inbound.length >= MAX_INBOUND) {
      const stalest = inbound.reduce((a, b) => (b.heardAt < a.heardAt ? b : a));
      stalest.socket.destroy();
      this.dropped++;
    }
    this.adopt(socket);
  }

  /** Number of open TCP connections (the stack's close leaves none). */
  get openConnections(): number {
    return this.sockets.size;
  }

  private key(address: string | undefined, port: number | undefined): string {
    return `${address ?? ''}:${port ?? 0}`;
  }

  private adopt(
    socket: net.Socket,
    key = this.key(socket.remoteAddress, socket.remotePort),
    outbound = false,
  ): Flow {
    const flow: Flow = {
      held: 0,
      failures: new Set(),
      socket,
      refs: 0,
      outbound,
      heardAt: this.clock.now(),
      endedFor: null,
      ready: !outbound,
    };
    this.flows.set(key, flow);
    this.sockets.add(socket);
    socket.setEncoding('binary');
    const remote = (): SipRemote => ({
      protocol: this.protocol,
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
    });
    const end = (reason: string) => {
      flow.endedFor ??= reason;
      socket.destroy();
    };
    const framer = new SipStreamFramer();
    let cancelOwed: (() => void) | null = null;
    // A connection a peer opened is closed when no whole message came on it for INBOUND_IDLE_MS.
    let cancelIdle: (() => void) | null = null;
    const idle = () => {
      if (outbound) return;
      cancelIdle?.();
      cancelIdle = this.clock.after(INBOUND_IDLE_MS, () =>
        end(`no message on it for ${INBOUND_IDLE_MS / 1000} s`),
      );
    };
    idle();
    socket.on('data', (data: string) => {
      for (const framed of framer.push(data)) {
        // A whole message is a sign of life; bytes alone are not (they may be a body that never ends).
        flow.heardAt = this.clock.now();
        idle();
        if (framed.kind === 'broken') {
          // Headers past the limit or a length that cannot frame the stream: a flood; drop the connection.
          this.dropped++;
          end(`it sent what cannot be read as SIP (${framed.reason})`);
          return;
        }
        const text = framed.kind === 'message' ? framed.text : framed.head;
        let message: SipMessage | undefined;
        try {
          message = sip.parse(text);
        } catch {
          message = undefined;
        }
        if (message == null) {
          this.dropped++;
          continue;
        }
        if (framed.kind !== 'too-large') {
          this.receive(message, remote());
          continue;
        }
        this.receive(message, remote(), { bodyTooLarge: framed.declared });
        if (framed.declared > SKIP_LIMIT) {
          // RFC 3261 §21.4.14 lets a server close the connection after a 413: a body of gigabytes is not
          // worth waiting for. end() lets the 413 out first.
          flow.endedFor ??= `it announced a body of ${framed.declared} bytes`;
          socket.end();
          return;
        }
      }
      if (!outbound) {
        this.inboundHeld += framer.heldBytes - flow.held;
        flow.held = framer.heldBytes;
        if (this.inboundHeld > INBOUND_HELD_BYTES) {
          end(`the connections to lampfield held over ${INBOUND_HELD_BYTES} bytes of unfinished messages`);
          return;
        }
      }
      // A message begun must go on arriving: a peer that stops mid-way would hold the stream for ever.
      cancelOwed?.();
      cancelOwed = framer.midMessage
        ? this.clock.after(BYTES_OWED_MS, () =>
            end(`a message on it stopped arriving for ${BYTES_OWED_MS / 1000} s`),
          )
        : null;
    });
    // One listener for every request waiting on the connection, however many (a refresh of every key).
    socket.on('error', (error) => {
      for (const failed of [...flow.failures]) failed(error);
      flow.failures.clear();
    });
    socket.on('close', () => {
      cancelOwed?.();
      cancelIdle?.();
      this.inboundHeld -= flow.held;
      flow.held = 0;
      this.sockets.delete(socket);
      if (this.flows.get(key) === flow) this.flows.delete(key);
      if (flow.outbound && !this.closed) {
        const [address = '', port = '0'] = key.split(/:(?=\d+$)/);
        this.flowLost(
          { protocol: this.protocol, address, port: Number(port) },
          flow.endedFor ?? 'the PBX closed it',
        );
      }
    });
    return flow;
  }

  open(target: SipRemote, onError?: (error: Error) => void): sip.Connection {
    const key = this.key(target.address, target.port);
    let flow = this.flows.get(key);
    if (flow == null || flow.socket.destroyed) flow = this.dial(target, key);
    const { socket } = flow;
    if (onError != null) flow.failures.add(onError);
    flow.refs++;
    const current = flow;
    return {
      protocol: this.protocol,
      send: (message) => {
        socket.write(write(message));
      },
      release: () => {
        current.refs--;
        if (onError != null) current.failures.delete(onError);
      },
    };
  }

  /**
   * Ends the connection lampfield opened to `remote` when no message came on it since `since` (the
   * clock's time when a request that went unanswered was sent): the peer stopped answering on it, or its
   * stream lost its framing (a body longer than what was sent eats what follows); the next request opens
   * another.
   */
  retireIfSilent(remote: SipRemote, since: number): void {
    const flow = this.flows.get(this.key(remote.address, remote.port));
    if (flow == null || !flow.outbound || flow.heardAt >= since) return;
    if (flow.ready) {
      flow.endedFor ??= 'a request on it got no answer at all';
      flow.socket.destroy();
    } else {
      // Said as what it is (over TLS, the failure line of tlsClient): the connection never came up.
      const reason = `${this.notReady} while a request waited`;
      flow.endedFor ??= reason;
      flow.socket.destroy(new Error(reason));
    }
  }

  /** What a connection lampfield opens lacks until it is up. */
  private get notReady(): string {
    return this.protocol === 'TLS'
      ? 'the PBX did not finish the TLS handshake'
      : 'the connection was not made';
  }

  /** A new connection toward `target`, given CONNECT_MS to be up (over TLS, with its handshake done). */
  private dial(target: SipRemote, key: string): Flow {
    const socket = this.connect(target);
    const flow = this.adopt(socket, key, true);
    const cancel = this.clock.after(CONNECT_MS, () => {
      const reason = `${this.notReady} within ${CONNECT_MS / 1000} s`;
      flow.endedFor ??= reason;
      socket.destroy(new Error(reason));
    });
    socket.once(this.protocol === 'TLS' ? 'secureConnect' : 'connect', () => {
      flow.ready = true;
      cancel();
    });
    socket.once('close', cancel);
    return flow;
  }

  sendBytes(remote: SipRemote, bytes: Buffer): void {
    this.flows.get(this.key(remote.address, remote.port))?.socket.write(bytes);
  }

  get(remote: SipRemote): sip.Connection | undefined {
    const flow = this.flows.get(this.key(remote.address, remote.port));
    if (flow == null) return undefined;
    return {
      protocol: this.protocol,
      send: (message) => flow.socket.write(write(message)),
      release: () => undefined,
    };
  }

  close(): Promise<void> {
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.flows.clear();
    const { server } = this;
    return server == null ? Promise.resolve() : new Promise((resolve) => server.close(() => resolve()));
  }
}
