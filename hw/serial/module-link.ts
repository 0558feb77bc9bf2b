/**
 * The byte link to an expansion module: a serial port (`/dev/ttyACM0`, a pty) through `serialport`, or
 * a raw TCP byte stream (`tcp://host:port`: ser2net, or the firmware simulator).
 */
import net from 'node:net';
import { createRequire } from 'node:module';
import type { SerialPort as SerialPortClass } from 'serialport';
import { UserError } from '../../src/util/user-error.ts';

const require = createRequire(import.meta.url);

export interface ByteLink {
  write(bytes: Uint8Array): void;
  close(): void;
}

export interface LinkHandlers {
  data(bytes: Uint8Array): void;
  closed(reason: string): void;
}

export type LinkErrorCode = 'cannot-connect' | 'cannot-open';

export class LinkError extends UserError<LinkErrorCode> {
  override readonly name = 'LinkError';
}

/** The host and port of a `tcp://host:port` link address; null for a serial device path. */
export function tcpLinkAddress(address: string): { host: string; port: number } | null {
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(address);
  return tcp == null ? null : { host: tcp[1]!, port: Number(tcp[2]) };
}

/** Opens the link; rejects with a one-line reason when it cannot be opened. */
export function openLink(address: string, handlers: LinkHandlers): Promise<ByteLink> {
  const tcp = tcpLinkAddress(address);
  return tcp == null ? openSerial(address, handlers) : openTcp(tcp.host, tcp.port, handlers);
}

function openTcp(host: string, port: number, handlers: LinkHandlers): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    socket.setNoDelay(true);
    let open = false;
    socket.once('connect', () => {
      open = true;
      resolve({ write: (bytes) => socket.write(bytes), close: () => socket.destroy() });
    });
    socket.on('data', (data: Buffer) => handlers.data(data));
    socket.on('error', (error) => {
      if (!open)
        reject(new LinkError('cannot-connect', `cannot connect to tcp://${host}:${port}: ${error.message}`));
    });
    socket.on('close', () => {
      if (open) handlers.closed('the TCP connection closed');
    });
  });
}

function openSerial(path: string, handlers: LinkHandlers): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    // serialport (a native module and a dozen packages) is loaded only for a module on a serial line.
    const { SerialPort } = require('serialport') as { SerialPort: typeof SerialPortClass };
    // USB CDC-ACM ignores the rate; a real UART module runs at 115200 8N1 (PROTOCOL.md §2).
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    port.on('data', (data: Buffer) => handlers.data(data));
    port.on('error', () => undefined);
    port.on('close', () => handlers.closed(`${path} closed (unplugged?)`));
    port.open((error) => {
      if (error != null) {
        reject(new LinkError('cannot-open', `cannot open ${path}: ${error.message}`));
        return;
      }
      resolve({ write: (bytes) => port.write(Buffer.from(bytes)), close: () => port.close(() => undefined) });
    });
  });
}
