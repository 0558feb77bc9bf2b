/**
 * lampfield's SIP stack: the npm `sip` package's parser, writer and transaction layer (RFC 3261 §17
 * timers and retransmissions), behind our own typed interface, with the package's defects (BRIEF §7)
 * worked around here. Several independent stacks can live in one process.
 *
 * | defect in `sip` 0.0.6                                  | here                                        |
 * |--------------------------------------------------------|---------------------------------------------|
 * | no IPv6 (its URI and Via code has no brackets)         | an IPv6 address is refused with a clear error |
 * | EADDRINUSE crashes the process                         | our transports report `address-in-use`       |
 * | two stacks on one IP cannot reach each other (a request to its own host is taken for a flow token) | requests go to the target we name, never through that lookup |
 * | compact `o`/`e` headers misread; folded lines kept     | repaired (message.ts)                        |
 * | Content-Length counts characters                       | UTF-8 encoded before writing (message.ts)    |
 * | a request never answered keeps its server transaction for ever | answered 500 after `unansweredRequestMs` |
 * | about 5 KB and a timer per non-INVITE server transaction for 32 s | our lean table (server-transactions.ts) |
 * | MD5-only digest, SHA-256 signed wrongly                | our own digest (digest.ts)                   |
 * | TCP destroy leaves sockets open                        | our TCP transport closes every connection    |
 * | TCP stream parser quadratic, drops a message without Content-Length, caps bodies at 590 KB | our stream framer (stream-framer.ts): linear, 1 MiB bodies, 413 past that |
 * | Via branches of a million values: two requests collide within a minute of a busy start (a PBX takes the second for a retransmission) | our own 72-bit branches (keepStrongBranch) |
 */
import net from 'node:net';
import sip from 'sip';
import type { Clock } from '../util/clock.ts';
import { IncomingRequests, type IncomingRequest } from './incoming-requests.ts';
import {
  cancelOf,
  encodeOutgoing,
  isCompleteMessage,
  redactCredentials,
  keepStrongBranch,
  repairIncoming,
  strongBranch,
  type SipMessage,
} from './message.ts';
import { TcpTransport, type FlowLost } from './stream-transport.ts';
import { openTransports, type TlsSetup } from './open-transports.ts';
import {
  TransportError,
  type SipProtocol,
  type ReceiveNotes,
  type SipRemote,
  type Transport,
} from './transports.ts';

export type { SipRemote, SipProtocol } from './transports.ts';
export type { IncomingRequest } from './incoming-requests.ts';

export interface SipStackOptions {
  /** IPv4 address to listen on, e.g. 127.0.0.1 or 0.0.0.0. */
  address: string;
  /** Port for UDP and TCP; 0 picks a free one (UDP's, then TCP on the same number). */
  port: number;
  transports?: readonly ('udp' | 'tcp' | 'tls')[];
  /** For TLS: how the PBX's certificate is checked; `failed` hears why a connection could not be made. */
  tls?: TlsSetup;
  /** The address written in Via and Contact, when `address` is 0.0.0.0 or behind NAT. */
  publicAddress?: string;
  /** Retransmission timers, and how long a request may stay unanswered. */
  clock: Clock;
  /** A request the application leaves unanswered this long is answered 500 (default 8 s). */
  unansweredRequestMs?: number;
  /** Every message sent and received, Authorization redacted (BRIEF §10). */
  trace?: (direction: 'in' | 'out', text: string, remote: SipRemote) => void;
  /** Every well-formed message received, before it is dispatched (what the PBX says it is, …). */
  observe?: (message: SipMessage, remote: SipRemote) => void;
  /**
   * What this stack calls itself (RFC 3261 §20.35, §20.41): the Server header of its responses and the
   * User-Agent of its requests, where they carry none of their own.
   */
  signature?: string;
}

export interface RequestOptions {
  onProvisional?: (response: SipMessage) => void;
  /** Give up waiting after this long (the transaction itself runs on to its own end). */
  timeoutMs?: number;
}

export type StackErrorCode = 'ipv6-unsupported' | 'address-in-use' | 'bind-failed';

export class SipStackError extends Error {
  constructor(
    readonly code: StackErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SipStackError';
  }
}

export class SipStack {
  readonly address: string;
  readonly port: number;
  /** Incoming messages that were not SIP or lacked a mandatory header, counted. */
  dropped = 0;

  private readonly transactions: sip.TransactionLayer;
  private readonly incoming: IncomingRequests;
  private readonly clock: Clock;
  private readonly viaHost: string;
  private closed = false;
  /** Responses that came from the network (not made up by a timer): a flow that gave none may be dead. */
  private readonly heard = new WeakSet<SipMessage>();

  private constructor(
    private readonly options: SipStackOptions,
    private readonly transports: ReadonlyMap<SipProtocol, Transport>,
    port: number,
  ) {
    this.address = options.address;
    this.port = port;
    this.clock = options.clock;
    this.viaHost = options.publicAddress ?? (options.address === '0.0.0.0' ? '127.0.0.1' : options.address);
    this.transactions = sip.makeTransactionLayer({}, (target) => this.connection(target));
    this.incoming = new IncomingRequests({
      clock: options.clock,
      unansweredMs: options.unansweredRequestMs ?? 8000,
      signature: options.signature,
      trace: options.trace,
      closed: () => this.closed,
    });
  }

  static async open(options: SipStackOptions): Promise<SipStack> {
    if (net.isIPv6(options.address) || (options.publicAddress != null && net.isIPv6(options.publicAddress))) {
      throw new SipStackError(
        'ipv6-unsupported',
        `SIP over IPv6 is not supported (address ${options.address}); use an IPv4 address`,
      );
    }
    let stack: SipStack | null = null;
    try {
      const { transports, port } = await openTransports(
        options.address,
        options.port,
        options.transports ?? ['udp'],
        (message, remote, notes) => stack?.receive(message, remote, notes),
        options.clock,
        options.tls,
      );
      stack = new SipStack(options, transports, port);
      return stack;
    } catch (error) {
      const code = error instanceof TransportError ? error.code : 'bind-failed';
      throw new SipStackError(code, error instanceof Error ? error.message : String(error));
    }
  }

  /** Where incoming requests (other than ACK) go. */
  onRequests(handler: (request: IncomingRequest) => void): void {
    this.incoming.onRequest = handler;
  }

  /** Hears of each TCP or TLS connection this stack opened that ended, and why (stream-transport.ts). */
  onFlowLost(handler: FlowLost): void {
    for (const transport of this.transports.values())
      if (transport instanceof TcpTransport) transport.flowLost = handler;
  }

  /** Where ACKs for 2xx responses go (they have no transaction, RFC 3261 §17.2.1). */
  onAcks(handler: (message: SipMessage, remote: SipRemote) => void): void {
    this.incoming.onAck = handler;
  }

  /** Messages dropped by the stack and its transports. */
  get droppedTotal(): number {
    let total = this.dropped;
    for (const transport of this.transports.values()) total += transport.dropped;
    return total;
  }

  /** Open TCP connections (none after close). */
  get openTcpConnections(): number {
    const tcp = this.transports.get('TCP');
    return tcp instanceof TcpTransport ? tcp.openConnections : 0;
  }

  /** The address written in Via and Contact (and in SDP): the public one, or the one listened on. */
  get host(): string {
    return this.viaHost;
  }

  /** The Via sent-by and Contact host:port of this stack. */
  get hostPort(): string {
    return `${this.viaHost}:${this.port}`;
  }

  /**
   * Sends a request in a new client transaction and resolves with its final response: the peer's, or
   * 408 when timer F/B fires (RFC 3261 §17.1) or `timeoutMs` passes first, or 503 when a TCP connection
   * fails. 1xx go to `onProvisional`. A response after the timeout is ignored.
   */
  request(message: SipMessage, target: SipRemote, options: RequestOptions = {}): Promise<SipMessage> {
    return this.transact(this.outgoing(message), target, options);
  }

  /**
   * An INVITE that can be cancelled (RFC 3261 §9.1): `cancel()` sends a CANCEL with the INVITE's own
   * Via branch while no final response has come; the INVITE then ends with 487.
   */
  invite(
    message: SipMessage,
    target: SipRemote,
    options: RequestOptions = {},
  ): { final: Promise<SipMessage>; cancel(): void } {
    const invite = this.outgoing(message);
    let settled = false;
    const final = this.transact(invite, target, options).then((response) => {
      settled = true;
      return response;
    });
    return {
      final,
      cancel: () => {
        if (settled) return;
        const cancel = cancelOf(invite);
        if (cancel == null) return;
        void this.transact(cancel, target, {});
      },
    };
  }

  private outgoing(message: SipMessage): SipMessage {
    const { signature } = this.options;
    return encodeOutgoing({
      ...message,
      headers: {
        'max-forwards': 70,
        ...(signature == null ? {} : { 'user-agent': signature }),
        ...message.headers,
        via: [{ params: {} }],
      },
    });
  }

  /** Runs one client transaction (the package's) for an encoded request. */
  private transact(outgoing: SipMessage, target: SipRemote, options: RequestOptions): Promise<SipMessage> {
    const { onProvisional, timeoutMs } = options;
    return new Promise((resolve) => {
      if (this.closed) {
        resolve(sip.makeResponse(outgoing, 503, 'Stack Closed'));
        return;
      }
      let settled = false;
      let transaction: sip.ClientTransaction | null = null;
      const cancelTimeout =
        timeoutMs == null
          ? () => undefined
          : this.clock.after(timeoutMs, () => {
              if (settled) return;
              settled = true;
              const timedOut = sip.makeResponse(outgoing, 408, 'Request Timeout');
              unanswered(timedOut);
              resolve(timedOut);
            });
      const transport = this.transportFor(target.protocol);
      const sentAt = this.clock.now();
      // A request on a connection that no message answered: the connection is dead (stream-transport.ts).
      const unanswered = (response: SipMessage) => {
        if (this.heard.has(response) || !(transport instanceof TcpTransport)) return;
        transport.retireIfSilent(target, sentAt);
      };
      const connection = this.wrap(
        transport.open(target, () =>
          transaction?.message?.(sip.makeResponse(outgoing, 503, 'Connection Failed')),
        ),
        target,
      );
      keepStrongBranch(outgoing);
      transaction = this.transactions.createClientTransaction(connection, outgoing, (response) => {
        const status = response.status ?? 0;
        if (status < 200) {
          onProvisional?.(response);
        } else if (!settled) {
          settled = true;
          cancelTimeout();
          if (status === 408 || status === 503) unanswered(response);
          resolve(response);
        }
      });
    });
  }

  /** Sends an ACK for a 2xx response directly (outside any transaction, RFC 3261 §13.2.2.4). */
  sendAck(message: SipMessage, target: SipRemote): void {
    const ack = encodeOutgoing({
      ...message,
      headers: {
        'max-forwards': 70,
        ...message.headers,
        via: [{ params: { branch: strongBranch() } }],
      },
    });
    const connection = this.wrap(this.transportFor(target.protocol).open(target), target);
    connection.send(ack);
    connection.release();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transactions.destroy();
    this.incoming.close();
    await Promise.all([...this.transports.values()].map((transport) => transport.close()));
  }

  private transportFor(protocol: SipProtocol): Transport {
    const transport = this.transports.get(protocol) ?? this.transports.values().next().value;
    if (transport == null) throw new Error('the SIP stack has no transport');
    return transport;
  }

  private connection(target: sip.Target): sip.Connection {
    const named = target.protocol.toUpperCase();
    const protocol: SipProtocol = named === 'TCP' || named === 'TLS' ? named : 'UDP';
    const remote: SipRemote = { protocol, address: target.address, port: target.port };
    return this.wrap(this.transportFor(protocol).open(remote), remote);
  }

  /** Fills our Via for requests (as the package's own transport wrapper does) and traces. */
  private wrap(connection: sip.Connection, target: SipRemote): sip.Connection {
    return {
      protocol: connection.protocol,
      release: () => connection.release(),
      send: (message) => {
        const via = message.headers.via?.[0];
        if (message.method != null && via != null) {
          via.host = this.viaHost;
          via.port = this.port;
          via.protocol = connection.protocol;
          // RFC 3581: ask for responses to come back to the port we sent from. Over TLS, RFC 5923 §5:
          // the PBX may send its own requests back over this connection (nothing listens for TLS).
          if (connection.protocol === 'UDP') via.params['rport'] = null;
          if (connection.protocol === 'TLS') via.params['alias'] = null;
        }
        this.options.trace?.('out', redactCredentials(sip.stringify(message)), target);
        connection.send(message);
      },
    };
  }

  private receive(raw: SipMessage, remote: SipRemote, notes?: ReceiveNotes): void {
    if (this.closed) return;
    try {
      const message = repairIncoming(raw);
      if (!isCompleteMessage(message)) {
        this.dropped++;
        return;
      }
      this.options.trace?.('in', redactCredentials(sip.stringify(encodeOutgoing(message))), remote);
      this.options.observe?.(message, remote);
      const via = message.headers.via![0]!;
      if (message.method != null) {
        via.params['received'] = remote.address;
        if ('rport' in via.params) via.params['rport'] = String(remote.port);
      }
      if (notes?.bodyTooLarge != null) {
        // RFC 3261 §21.4.14: a request whose body is larger than we read is answered 413, statelessly (the
        // body was skipped, never kept); such a response is dropped.
        this.dropped++;
        if (message.method != null)
          this.incoming.refuse(message, remote, this.transportFor(remote.protocol), 413);
        return;
      }
      if (message.method == null) {
        this.heard.add(message);
        this.transactions.getClient(message)?.message?.(message, remote);
        return; // a response no transaction wants is dropped
      }
      if (message.version !== '2.0') {
        // RFC 3261 §8.2.1 (RFC 4475 §3.1.2.16): a version we do not speak is answered 505, statelessly.
        this.incoming.refuse(message, remote, this.transportFor(remote.protocol), 505);
        return;
      }
      if (message.method === 'ACK' && this.transactions.getServer(message) == null) {
        this.incoming.onAck(message, remote);
        return;
      }
      const transport = this.transportFor(remote.protocol);
      if (message.method === 'INVITE' || message.method === 'ACK' || message.method === 'CANCEL') {
        const existing = this.transactions.getServer(message);
        if (existing != null) {
          existing.message?.(message, remote);
          return;
        }
        const connection = this.wrap(transport.get(remote) ?? transport.open(remote), remote);
        this.incoming.inviteRequest(
          message,
          remote,
          this.transactions.createServerTransaction(message, connection),
        );
        return;
      }
      this.incoming.nonInviteRequest(message, remote, transport);
    } catch {
      this.dropped++;
    }
  }
}
