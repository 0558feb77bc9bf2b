/**
 * The composition root: the one place that picks every real thing the application runs on (BRIEF §5:
 * the board "chosen once at start"; the clock, BRIEF §11): the system clock, SIP stacks on real sockets,
 * the config's board on its real hardware, DNS, files and the system's trust store, pino on standard
 * error, the terminal and the process's signals. Only the entry (src/main.ts) asks for it; every layer
 * below is handed what it needs (src/app/platform.ts), so that a test can hand it a fake clock or a board
 * in memory instead.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import tls from 'node:tls';
import { openBoard, type Screen, type Terminal } from '../hw/open-board.ts';
import { systemProbe } from './app/board-checks.ts';
import { dhcpDiscover, readDhcpAnswer } from './app/dhcp-provision.ts';
import type { Fetched, FetchOptions, MachineNames, Platform } from './app/platform.ts';
import { SipStack } from './sip/stack.ts';
import { systemClock } from './util/clock.ts';
import { stderrLogger } from './util/log.ts';

/** Debian's CA store (ca-certificates, with any company CA `update-ca-certificates` added). */
const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

export function realPlatform(): Platform {
  // SIGHUP is a reload where something takes it so (a service), else a hang-up (platform.ts).
  const reloaders = new Set<() => void>();
  const hangUpIsReload = () => reloaders.size > 0;
  let machine: MachineNames | null = null;
  const terminal: Terminal = {
    write: (line) => process.stdout.write(`${line}\n`),
    input: process.stdin,
    ...(process.stdout.isTTY ? { screen: ttyScreen(process.stdout) } : {}),
  };
  return {
    clock: systemClock,
    openStack: (options) => SipStack.open(options),
    connect: (host, port) => net.connect({ host, port }),
    openBoard: (config, log, clock) => openBoard(config, terminal, log, clock),
    boardProbe: systemProbe,
    resolveHost: async (host) => (net.isIP(host) ? host : (await lookup(host, { family: 4 })).address),
    readText: (path) => readFileSync(path, 'utf8'),
    // Node 20 trusts only its own roots by default; the system's store holds what the admin added.
    trustedCertificates: () => {
      try {
        return [...tls.rootCertificates, readFileSync(SYSTEM_CA_FILE, 'utf8')];
      } catch {
        return null;
      }
    },
    logger: (level, options) =>
      stderrLogger(
        level,
        options?.json === true || process.stderr.isTTY !== true
          ? 'json'
          : process.stderr.hasColors()
            ? 'colored'
            : 'readable',
      ),
    terminal,
    stopRequested: () =>
      new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        // The terminal it was started from went away (an ssh session closed): stop cleanly, unsubscribed,
        // rather than die by the default action.
        const hangUp = () => {
          if (hangUpIsReload()) return;
          process.off('SIGHUP', hangUp);
          resolve();
        };
        process.on('SIGHUP', hangUp);
      }),
    onReload: (reload) => {
      const hangUp = () => {
        if (hangUpIsReload()) reload();
      };
      reloaders.add(reload);
      process.on('SIGHUP', hangUp);
      return () => {
        reloaders.delete(reload);
        process.off('SIGHUP', hangUp);
      };
    },
    fetchText,
    get machine() {
      return (machine ??= machineNames());
    },
    askDhcpOption66: (ms) => askDhcpOption66((machine ??= machineNames()).mac, ms),
    writeWhole,
  };
}

const FETCH_MS = 15_000;
const FETCH_MAX_BYTES = 1024 * 1024;

function fetchText(url: string, { ca, etag }: FetchOptions): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      request.destroy();
      reject(new Error(why));
    };
    const request = https.get(
      url,
      {
        ...(ca == null ? {} : { ca }),
        headers: {
          accept: 'application/yaml, text/yaml, text/plain',
          ...(etag == null ? {} : { 'if-none-match': etag }),
        },
        timeout: FETCH_MS,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status === 304) {
          response.resume();
          resolve({ changed: false });
          return;
        }
        if (status !== 200) {
          response.resume();
          const where =
            status >= 300 && status < 400 ? ` to ${response.headers.location ?? '?'} (not followed)` : '';
          fail(`HTTP ${status} ${response.statusMessage ?? ''}`.trim() + where);
          return;
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > FETCH_MAX_BYTES) fail(`more than ${FETCH_MAX_BYTES / 1024} KiB`);
          else chunks.push(chunk);
        });
        response.on('end', () => {
          const tag = response.headers.etag;
          resolve({ changed: true, text: Buffer.concat(chunks).toString('utf8'), etag: tag ?? null });
        });
        response.on('error', (error) => fail(error.message));
      },
    );
    request.on('timeout', () => fail(`no answer in ${FETCH_MS / 1000} s`));
    request.on('error', (error) => reject(new Error(error.message)));
  });
}

/**
 * A DHCPDISCOVER for option 66 from port 68 to the network's broadcast address, and the first answer
 * to it (dhcp-provision.ts). Port 68 is a privileged port: the service is given CAP_NET_BIND_SERVICE.
 */
function askDhcpOption66(mac: string, ms: number): Promise<string | null> {
  const address = Object.values(os.networkInterfaces())
    .flatMap((each) => each ?? [])
    .find((each) => each.family === 'IPv4' && each.mac.replace(/:/g, '').toLowerCase() === mac)?.address;
  const xid = Math.floor(Math.random() * 0xffffffff);
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  return new Promise<string | null>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no DHCP server answered in ${ms / 1000} s`))),
      ms,
    );
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      settle();
    };
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          new Error(
            error.code === 'EACCES'
              ? 'cannot ask DHCP: port 68 needs root or CAP_NET_BIND_SERVICE'
              : `cannot ask DHCP: ${error.message}`,
          ),
        ),
      ),
    );
    socket.on('message', (datagram) => {
      const answer = readDhcpAnswer(datagram, xid, mac);
      if (answer != null) finish(() => resolve(answer.option66));
    });
    // RFC 2131 §4.1: the client sends again until an answer comes (here each second, until `ms`).
    const discover = dhcpDiscover(mac, xid, address ?? null);
    const send = () => {
      if (done) return;
      socket.send(discover, 67, '255.255.255.255');
      setTimeout(send, 1000).unref();
    };
    socket.bind(68, () => {
      socket.setBroadcast(true);
      send();
    });
  });
}

/** The Pi's serial number (its device tree, else /proc/cpuinfo, else the machine id), its MAC and host name. */
function machineNames(): MachineNames {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const serial =
    read('/sys/firmware/devicetree/base/serial-number').replace(/\0/g, '').trim() ||
    (/^Serial\s*:\s*(\S+)/m.exec(read('/proc/cpuinfo'))?.[1] ?? '') ||
    read('/etc/machine-id').trim() ||
    'unknown';
  const cards = Object.entries(os.networkInterfaces())
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([, addresses]) => addresses ?? [])
    .filter((address) => !address.internal && address.mac !== '00:00:00:00:00:00');
  return {
    serial: serial.toLowerCase(),
    mac: (cards[0]?.mac ?? '00:00:00:00:00:00').replace(/:/g, '').toLowerCase(),
    hostname: os.hostname(),
  };
}

/** `text` into `path` whole or not at all (platform.ts): readable by its owner alone (it holds passwords). */
function writeWhole(path: string, text: string): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
  const temporary = join(folder, `.${basename(path)}.${process.pid}.tmp`);
  const file = openSync(temporary, 'w', 0o600);
  try {
    writeSync(file, text);
    fsyncSync(file);
  } finally {
    closeSync(file);
  }
  renameSync(temporary, path);
  const dir = openSync(folder, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function ttyScreen(out: NodeJS.WriteStream): Screen {
  return {
    write: (text) => out.write(text),
    size: () => ({ columns: out.columns, rows: out.rows }),
    onResize: (listener) => {
      out.on('resize', listener);
      return () => out.off('resize', listener);
    },
    colors: out.hasColors(),
  };
}
