/**
 * The composition root: the one place that picks every real thing the application runs on (BRIEF §5:
 * the board "chosen once at start"; the clock, BRIEF §11): the system clock, SIP stacks on real sockets,
 * the config's board on its real hardware, DNS, files and the system's trust store, pino on standard
 * error, the terminal and the process's signals. Only the entry (src/main.ts) asks for it; every layer
 * below is handed what it needs (src/app/platform.ts), so that a test can hand it a fake clock or a board
 * in memory instead.
 */
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { openBoard, type Screen, type Terminal } from '../hw/open-board.ts';
import { systemProbe } from './app/board-checks.ts';
import type { Platform } from './app/platform.ts';
import { SipStack } from './sip/stack.ts';
import { systemClock } from './util/clock.ts';
import { stderrLogger } from './util/log.ts';

/** Debian's CA store (ca-certificates, with any company CA `update-ca-certificates` added). */
const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

export function realPlatform(): Platform {
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
        process.once('SIGHUP', resolve);
      }),
  };
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
