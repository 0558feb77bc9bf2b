/**
 * A module (the firmware simulator, or the real firmware on the emulated RP2040) on a link: a TCP port (one host at a time, the newest, as a USB port has one) or a serial
 * device such as one end of a socat pty pair. `unplug()` drops the link as pulling the cable would; the
 * firmware runs on.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import { UserError } from '../../src/util/user-error.ts';
import type { ModuleLinkEnd } from './module-device.ts';

export type ModuleServerErrorCode = 'cannot-listen' | 'cannot-open';

export class ModuleServerError extends UserError<ModuleServerErrorCode> {
  override readonly name = 'ModuleServerError';
}

export interface ModuleEndpoint {
  /** The TCP port, or 0 for a serial device. */
  readonly port: number;
  /** Drops the current link (the host sees the cable pulled); `plugBackAfterMs` later, links are taken again. */
  unplug(plugBackAfterMs?: number): void;
  close(): Promise<void>;
}

export function serveOverTcp(
  firmware: ModuleLinkEnd,
  port: number,
  address = '127.0.0.1',
): Promise<ModuleEndpoint> {
  let current: net.Socket | null = null;
  let unpluggedUntil = 0;
  const server = net.createServer((socket) => {
    if (Date.now() < unpluggedUntil) {
      socket.destroy(); // none while "unplugged"
      return;
    }
    // One host at a time, the newest: a host that closed and came back at once may be seen before its
    // old connection's close (EOF) is; the old one is let go, as a cable plugged into another host.
    if (current != null) {
      const old = current;
      current = null;
      firmware.disconnect();
      old.destroy();
    }
    current = socket;
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => firmware.receive(data));
    socket.on('error', () => undefined);
    // The host's close (EOF) frees the module at once, before this side's socket has closed too.
    const gone = () => {
      if (current !== socket) return;
      current = null;
      firmware.disconnect();
    };
    socket.on('end', gone);
    socket.on('close', gone);
    firmware.connect((bytes) => socket.write(bytes));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(new ModuleServerError('cannot-listen', `cannot listen on tcp port ${port}: ${error.message}`)),
    );
    server.listen(port, address, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        unplug(plugBackAfterMs = 0) {
          unpluggedUntil = Date.now() + plugBackAfterMs;
          current?.destroy();
        },
        close: () =>
          new Promise<void>((done) => {
            current?.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

export function serveOverSerial(firmware: ModuleLinkEnd, path: string): Promise<ModuleEndpoint> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  port.on('data', (data: Buffer) => firmware.receive(data));
  port.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    port.open((error) => {
      if (error != null) {
        reject(new ModuleServerError('cannot-open', `cannot open ${path}: ${error.message}`));
        return;
      }
      firmware.connect((bytes) => port.write(Buffer.from(bytes)));
      resolve({
        port: 0,
        unplug: () => firmware.disconnect(),
        close: () => new Promise<void>((done) => port.close(() => done())),
      });
    });
  });
}
