/**
 * The transports a stack asks for, opened on one port (transports.ts has what they share).
 */
import type { Clock } from '../util/clock.ts';
import { TcpTransport } from './stream-transport.ts';
import type { SipProtocol, TlsClientOptions, Transport, TransportReceive } from './transports.ts';
import { UdpTransport } from './udp-transport.ts';

/** The TLS client of a stack: how to check the PBX, and who hears of a connection that failed. */
export interface TlsSetup {
  options: TlsClientOptions;
  failed: (reason: string) => void;
}

/** The port Via and Contact name over TLS only, where nothing listens (RFC 3261 §26's default). */
const TLS_ONLY_PORT = 5061;

/**
 * The transports a stack asks for, on one port: UDP first (port 0 picks a free one), then TCP on the
 * same number, then the TLS client. What was opened is closed again when the next cannot be.
 */
export async function openTransports(
  address: string,
  port: number,
  wanted: readonly ('udp' | 'tcp' | 'tls')[],
  receive: TransportReceive,
  clock: Clock,
  tlsSetup?: TlsSetup,
): Promise<{ transports: Map<SipProtocol, Transport>; port: number }> {
  const transports = new Map<SipProtocol, Transport>();
  let bound = port;
  try {
    if (wanted.includes('udp')) {
      const udp = await UdpTransport.bind(address, bound, receive);
      transports.set('UDP', udp);
      bound = udp.port;
    }
    if (wanted.includes('tcp')) {
      const tcp = await TcpTransport.listen(address, bound, receive, clock);
      transports.set('TCP', tcp);
      bound = tcp.port;
    }
    if (wanted.includes('tls') && tlsSetup != null) {
      if (bound === 0) bound = TLS_ONLY_PORT;
      transports.set('TLS', TcpTransport.tlsClient(bound, tlsSetup.options, receive, clock, tlsSetup.failed));
    }
    return { transports, port: bound };
  } catch (error) {
    await Promise.all([...transports.values()].map((transport) => transport.close()));
    throw error;
  }
}
