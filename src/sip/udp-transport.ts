/**
 * SIP over UDP for the stack (transports.ts): one socket, a datagram a message, large receive buffers so
 * that a burst of NOTIFYs is not dropped, and nothing thrown after close.
 */
import dgram from 'node:dgram';
import sip from 'sip';
import type { SipMessage } from './message.ts';
import { bindError, write, type SipRemote, type Transport, type TransportReceive } from './transports.ts';

const UDP_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpTransport implements Transport {
  readonly protocol = 'UDP';
  dropped = 0;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
  ) {}

  static bind(address: string, port: number, receive: TransportReceive): Promise<UdpTransport> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket('udp4');
      let transport: UdpTransport | null = null;
      socket.once('error', (error) => reject(bindError(error, `UDP ${address}:${port}`)));
      socket.on('message', (data, rinfo) => {
        if (transport == null) return;
        let message: SipMessage | undefined;
        try {
          message = sip.parse(data.toString('binary'));
        } catch {
          message = undefined;
        }
        if (message == null) {
          transport.dropped++;
          return;
        }
        receive(message, { protocol: 'UDP', address: rinfo.address, port: rinfo.port });
      });
      socket.bind(port, address, () => {
        socket.removeAllListeners('error');
        // After binding, a send error (e.g. ICMP unreachable) must not take the process down.
        socket.on('error', () => undefined);
        // A burst of NOTIFYs (every partner's PBX event at once, a PBX restart) must not overflow the
        // kernel's default 208 KiB receive buffer: a dropped NOTIFY costs a 500 ms retransmission.
        // The kernel caps this at net.core.rmem_max.
        try {
          socket.setRecvBufferSize(UDP_BUFFER_BYTES);
          socket.setSendBufferSize(UDP_BUFFER_BYTES);
        } catch {
          // Keep the default size.
        }
        transport = new UdpTransport(socket, socket.address().port);
        resolve(transport);
      });
    });
  }

  open(target: SipRemote): sip.Connection {
    return {
      protocol: 'UDP',
      send: (message) => this.sendBytes(target, write(message)),
      release: () => undefined,
    };
  }

  get(remote: SipRemote): sip.Connection {
    return this.open(remote);
  }

  /**
   * Sends a datagram. After close, nothing is sent: a retransmission timer of the package's that fires
   * later must not throw (ERR_SOCKET_DGRAM_NOT_RUNNING) out of a timer and end the process.
   */
  sendBytes(remote: SipRemote, bytes: Buffer): void {
    if (this.closed) return;
    try {
      this.socket.send(bytes, remote.port, remote.address);
    } catch {
      this.dropped++;
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private closed = false;
}
