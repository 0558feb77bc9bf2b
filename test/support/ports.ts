/** Free ports on 127.0.0.1 for processes a test starts (free for both UDP and TCP when asked). */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';

async function udpFree(port: number): Promise<number | null> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(null));
    socket.bind(port, '127.0.0.1', () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

async function tcpFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A port free for UDP (and TCP, with `both`), not handed out before in this process. It is taken below
 * the kernel's ephemeral range (32768 and up): a port the kernel hands out is freed here before the
 * process it is for binds it, and in between any socket bound to port 0 (another test's phone, browser,
 * SIP stack) may get it; and a server that is down for a while (a PBX restart) gets its port back.
 */
export async function freePort(both = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await udpFree(20_000 + Math.floor(Math.random() * 10_000));
    if (port == null || handedOut.has(port)) continue;
    if (both && !(await tcpFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found on 127.0.0.1');
}

/**
 * A port free for UDP and TCP whose next one is free for TCP too, both handed out: for a program that
 * listens on the port it is given and on the next one for TLS (baresip 1.0 does, and has no setting
 * against it).
 */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(true);
    if (handedOut.has(port + 1) || !(await tcpFree(port + 1))) continue;
    handedOut.add(port + 1);
    return port;
  }
  throw new Error('no two free ports in a row found on 127.0.0.1');
}

/**
 * Resolves once a process has bound UDP `port` (a phone that is ready to take a call). Read from the
 * kernel's socket table (/proc/net/udp): binding the port to find out would take it from the process
 * at the moment it binds.
 */
export async function untilUdpBound(port: number, ms = 10_000): Promise<void> {
  // The local address column: 0100007F:6C9E (hex, port last).
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const bound = () =>
    ['/proc/net/udp', '/proc/net/udp6'].some((table) => {
      try {
        return readFileSync(table, 'utf8')
          .split('\n')
          .some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex) === true);
      } catch {
        return false;
      }
    });
  const deadline = Date.now() + ms;
  while (!bound()) {
    if (Date.now() > deadline) throw new Error(`nothing bound UDP port ${port} within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
