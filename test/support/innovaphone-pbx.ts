/**
 * A PBX that sends innovaphone's NOTIFYs (the seed's real capture, test/vectors/innovaphone) without a
 * subscription, as innovaphone does, and refuses SUBSCRIBE (489): keys it does not notify about stay
 * `refused`. On 127.0.0.1, closed by the caller.
 */
import dgram from 'node:dgram';
import { LampfieldProcess } from './lampfield-process.ts';
import { freePort } from './ports.ts';
import { readVector } from './vectors.ts';

export interface InnovaphonePbx {
  port: number;
  /** Sends the seed's NOTIFY `n` (1 ringing, 2 answered, 3 connected, 4 hung up) to lampfield's port. */
  notify(n: number, to: number): void;
  close(): Promise<void>;
}

export async function innovaphonePbx(): Promise<InnovaphonePbx> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (data, rinfo) => {
    const text = data.toString('latin1');
    if (text.startsWith('SIP/2.0')) return;
    const headers = text.split('\r\n').filter((line) => /^(Via|From|To|Call-ID|CSeq):/i.test(line));
    const status = text.startsWith('SUBSCRIBE') ? '489 Bad Event' : '200 OK';
    socket.send(
      [`SIP/2.0 ${status}`, ...headers, 'Content-Length: 0', '', ''].join('\r\n'),
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    notify(n, to) {
      const text = readVector(`innovaphone/seed-${n}.sip`).replace(/\r?\n/g, '\r\n');
      const [head, body] = text.split('\r\n\r\n') as [string, string];
      const bytes = Buffer.from(body.replace(/\r\n$/, ''));
      const fixed = head.replace(/Content-Length: \d+/, `Content-Length: ${bytes.length}`);
      socket.send(Buffer.concat([Buffer.from(`${fixed}\r\n\r\n`), bytes]), to, '127.0.0.1');
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * `lampfield run` on that PBX (innovaphone's dialect, account `snom`), driving `board` at `panel` with
 * `keys`; `close` stops lampfield, then the PBX.
 */
export async function lampfieldOnInnovaphone(
  board: string,
  panel: string,
  keys: readonly object[],
): Promise<{ pbx: InnovaphonePbx; port: number; lampfield: LampfieldProcess; close: () => Promise<void> }> {
  const pbx = await innovaphonePbx();
  const port = await freePort();
  const lampfield = LampfieldProcess.start({
    pbx: { host: '127.0.0.1', port: pbx.port, dialect: 'innovaphone' },
    account: { user: 'snom' },
    local: { address: '127.0.0.1', port },
    board,
    panel: { port: panel },
    keys,
  });
  const close = async () => {
    await lampfield.stop();
    await pbx.close();
  };
  return { pbx, port, lampfield, close };
}
