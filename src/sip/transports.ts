/**
 * The transports of the SIP stack (UDP, TCP and TLS), in the shape the npm `sip` package's transaction
 * layer expects (`open`/`get` returning connections with `send`/`release`): what they share. Ours rather than the package's, because the package's transports
 * crash the process when their port is taken (an 'error' event with no listener), and its TCP transport
 * leaves every connection open after `destroy()` (BRIEF §7). UDP: udp-transport.ts; TCP and TLS, with how
 * a connection that goes wrong is replaced and what peers' connections may hold: stream-transport.ts;
 * the opening of those a stack asks for: open-transports.ts.
 */
import sip from 'sip';
import type { SipMessage } from './message.ts';

export type SipProtocol = 'UDP' | 'TCP' | 'TLS';

/** How lampfield checks the PBX over TLS, and shows itself. */
export interface TlsClientOptions {
  /** PEM CA certificates to trust (pbx.tls.ca, or the system's store with Node's own); null: Node's own. */
  ca: string | readonly string[] | null;
  /** The name the PBX's certificate must carry: pbx.host (a name, or an IP address). */
  serverName: string;
  /** A client certificate and its key (PEM), for PBXs that ask for one. */
  cert?: string;
  key?: string;
}

export interface SipRemote {
  protocol: SipProtocol;
  address: string;
  port: number;
}

/** What the transport knows of a message beyond its text. */
export interface ReceiveNotes {
  /** The body's declared length, over the stream's limit (stream-framer.ts): the body was skipped unread. */
  bodyTooLarge?: number;
}

/**
 * What a transport hands up: a parsed message (package form, binary strings) and where it came from.
 * A UDP message is at most one datagram (65,507 bytes over IPv4); a TCP body up to STREAM_BODY_LIMIT.
 */
export type TransportReceive = (message: SipMessage, remote: SipRemote, notes?: ReceiveNotes) => void;

export interface Transport {
  readonly protocol: SipProtocol;
  readonly port: number;
  /** A connection toward `target`; `onError` hears of a failed TCP connect. */
  open(target: SipRemote, onError?: (error: Error) => void): sip.Connection;
  /** The connection a request came in on, to answer on the same flow. */
  get(remote: SipRemote): sip.Connection | undefined;
  /** Sends bytes already written (a response kept for retransmissions) back to `remote`. */
  sendBytes(remote: SipRemote, bytes: Buffer): void;
  close(): Promise<void>;
  /** Datagrams or stream bytes that did not parse as SIP, counted. */
  readonly dropped: number;
}

export class TransportError extends Error {
  constructor(
    readonly code: 'address-in-use' | 'bind-failed',
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export function bindError(error: NodeJS.ErrnoException, what: string): TransportError {
  return error.code === 'EADDRINUSE'
    ? new TransportError('address-in-use', `${what} is already in use by another program`)
    : new TransportError('bind-failed', `cannot listen on ${what}: ${error.message}`);
}

/** A message as the bytes a transport writes. */
export function write(message: SipMessage): Buffer {
  return Buffer.from(sip.stringify(message), 'binary');
}
