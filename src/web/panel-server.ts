/**
 * The panel page (BRIEF §6), an attendant console: the board drawn as boards.json defines it, page by
 * page, each key its lamp (color and pattern), its label, the caller of a ringing call, how long a call
 * has lasted, the desk phone's state, whether the PBX answers, and the last presses with what came of
 * them, updated live through server-sent events. Where it was given a way to press (the simulator, or
 * `run` with `web.control`), a click is a key press (POST /press); elsewhere the page is read-only. It
 * binds to 127.0.0.1 unless told otherwise, and then needs a token (BRIEF §10); it answers only under
 * a loopback name, or the names it is told (`hosts`), so that no other site's page reads it.
 * No dependencies: node:http and one static page (page.html).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import type { LampSituation } from '../blf/lamp-policy.ts';
import type { Board } from '../config/boards.ts';
import type { KeyView, KeyViewer, PbxReach, PressReport } from '../panel/panel.ts';
import { STATE_MARKS } from '../panel/state-marks.ts';
import type { Clock } from '../util/clock.ts';
import { packageFile } from '../util/package-files.ts';
import { UserError } from '../util/user-error.ts';

const PAGE = readFileSync(packageFile('src/web/page.html'), 'utf8');

export interface PanelServerOptions {
  board: Board;
  address?: string;
  port?: number;
  /** Required when the address is not a loopback address. */
  token?: string;
  /**
   * The names the page is reached by (web.hosts), checked against each request's Host header besides
   * loopback names; without them, a page with a token answers any name, one without only loopback ones.
   */
  hosts?: readonly string[];
  /** Key presses from the page; without it the page is read-only. */
  press?: (key: number, gesture: 'short' | 'long') => void;
  /** The keys the config uses (the others are drawn dimmed, as unused). */
  keys?: readonly number[];
  /** Each state's lamp on this board, for the page's legend. */
  legend?: readonly { state: LampSituation; lamp: Lamp }[];
  /** Times how long each key has been in its state (a call's duration). */
  clock: Clock;
}

/** The page's port unless told otherwise (config.schema.json `web.port` says the same). */
export const DEFAULT_PAGE_PORT = 8080;

/** An event stream that takes nothing this long, while a snapshot waits for it, is dropped. */
const SLOW_CLIENT_MS = 30_000;

/** How many presses the page lists: the last ones, newest first. */
const RECENT_PRESSES = 12;

/** A press as the page lists it: the report, when it was made, and its time of day. */
interface ListedPress extends PressReport {
  at: number;
  time: string;
}

export interface PanelServer extends KeyViewer {
  /** The page's address, without the token it may need (`?token=…`, web.token). */
  readonly url: string;
  pressShown(report: PressReport): void;
  pbxShown(reach: PbxReach): void;
  pageShown(page: number): void;
  keysUsed(keys: readonly number[]): void;
  deskPhone(text: string | null): void;
  /** Shows a config lampfield could not use: its file and each mistake (with its line). */
  configProblems(file: string | null, lines: readonly string[]): void;
  /** Says (or, null, stops saying) that a newer config was refused and lampfield runs on the one before. */
  configNote(text: string | null): void;
  /** Bytes written to the event streams and not yet taken by their clients (bounded: one snapshot each). */
  readonly buffered: number;
  close(): Promise<void>;
}

export type PanelServerErrorCode =
  /** The page on a non-loopback address needs web.token of at least 16 characters. */
  | 'token-needed'
  /** Another program holds the page's port. */
  | 'address-in-use'
  | 'listen-failed';

export class PanelServerError extends UserError<PanelServerErrorCode> {
  override readonly name = 'PanelServerError';
}

/** Compares a token given with the configured one in constant time (of their digests' length). */
function sameToken(given: string | null, token: string): boolean {
  if (given == null) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * Whether a request's Host header names the page as it may be named: a loopback name always, a name of
 * `hosts` where given, any other only on a page with a token and no `hosts` (the token is its guard).
 */
function hostAllowed(
  header: string | undefined,
  options: Pick<PanelServerOptions, 'token' | 'hosts'>,
): boolean {
  if (header == null) return false;
  const name = (/^\[([^\]]+)\](?::\d+)?$/.exec(header)?.[1] ?? header.replace(/:\d+$/, '')).toLowerCase();
  if (isLoopback(name) || name.endsWith('.localhost')) return true;
  if (options.hosts != null) return options.hosts.some((host) => host.toLowerCase() === name);
  return options.token != null;
}

function isLoopback(address: string): boolean {
  return (
    address === '127.0.0.1' || address === '::1' || address === 'localhost' || address.startsWith('127.')
  );
}

export async function startPanelServer(options: PanelServerOptions): Promise<PanelServer> {
  const address = options.address ?? '127.0.0.1';
  if (!isLoopback(address) && (options.token == null || options.token.length < 16)) {
    throw new PanelServerError(
      'token-needed',
      `the page on ${address} needs a token of at least 16 characters (web.token)`,
    );
  }
  const { clock } = options;
  /** Each key as last shown, with the moment its state began (on `clock`). */
  const keys = new Map<number, KeyView & { since: number }>();
  let desk: string | null = null;
  let pbx: PbxReach | null = null;
  /** The page the panel's own keys show (a module's page keys, a Stream Deck's page key). */
  let panelPage: number | null = null;
  let problems: { file: string | null; lines: readonly string[] } | null = null;
  let note: string | null = null;
  const presses = new Map<number, ListedPress>();
  let used = options.keys ?? null;
  /** The event streams open now; `behind`: its last snapshot is not written out yet (it does not read). */
  const clients = new Map<http.ServerResponse, { behind: boolean; since: number }>();
  const { board } = options;
  const snapshot = () =>
    JSON.stringify({
      board: { id: board.id, name: board.name, ...board.grid, lamps: board.lamp.kind },
      interactive: options.press != null,
      used,
      legend: options.legend ?? [],
      marks: STATE_MARKS,
      now: clock.now(),
      keys: [...keys.values()],
      deskPhone: desk,
      pbx,
      panelPage,
      presses: [...presses.values()].reverse(),
      problems,
      configNote: note,
    });
  /**
   * Sends the snapshot to every stream. Each snapshot is the whole state, so a client that does not
   * read keeps one snapshot waiting, never a backlog: it gets the newest once it reads again, and one
   * that reads nothing for SLOW_CLIENT_MS is dropped (a browser connects again by itself).
   */
  const send = (client: http.ServerResponse) => {
    const state = clients.get(client);
    if (state == null) return;
    if (state.behind) {
      if (clock.now() - state.since > SLOW_CLIENT_MS) client.destroy();
      return;
    }
    if (client.write(`data: ${snapshot()}\n\n`)) return;
    state.behind = true;
    state.since = clock.now();
    client.once('drain', () => {
      state.behind = false;
      send(client);
    });
  };
  const broadcast = () => {
    for (const client of clients.keys()) send(client);
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://page');
    if (!hostAllowed(request.headers.host, options)) {
      // A page of another site whose name now resolves to this machine (DNS rebinding) reads nothing.
      response
        .writeHead(421, { 'content-type': 'text/plain' })
        .end('lampfield: not served under this name\n');
      return;
    }
    if (options.token != null && !sameToken(url.searchParams.get('token'), options.token)) {
      response
        .writeHead(403, { 'content-type': 'text/plain' })
        .end('lampfield: a token is needed (?token=…)\n');
      return;
    }
    if (request.method === 'GET' && url.pathname === '/') {
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(PAGE);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      clients.set(response, { behind: false, since: 0 });
      send(response);
      request.on('close', () => clients.delete(response));
      return;
    }
    if (request.method === 'POST' && url.pathname === '/press') {
      if (options.press == null) {
        response.writeHead(403, { 'content-type': 'text/plain' }).end('lampfield: this page is read-only\n');
        return;
      }
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
        if (body.length > 1024) request.destroy();
      });
      request.on('end', () => {
        try {
          const { key, gesture } = JSON.parse(body) as { key: unknown; gesture: unknown };
          if (
            typeof key !== 'number' ||
            !Number.isInteger(key) ||
            (gesture !== 'short' && gesture !== 'long')
          )
            throw new Error();
          options.press!(key, gesture);
          response.writeHead(204).end();
        } catch {
          response
            .writeHead(400, { 'content-type': 'text/plain' })
            .end('lampfield: expected {"key": N, "gesture": "short"|"long"}\n');
        }
      });
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('lampfield: not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new PanelServerError(
          error.code === 'EADDRINUSE' ? 'address-in-use' : 'listen-failed',
          `cannot serve the page on ${address}:${options.port ?? 0}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 0, address, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    // The token is not part of the address said in logs: whoever reads the log does not get the page.
    url: `http://${host}:${port}/`,
    keyShown(view) {
      const before = keys.get(view.key);
      const since = before != null && before.state === view.state ? before.since : clock.now();
      keys.set(view.key, { ...view, since });
      broadcast();
    },
    pressShown(report) {
      const first = presses.get(report.id);
      const at = first?.at ?? clock.now();
      const time = first?.time ?? new Date().toTimeString().slice(0, 8);
      // A press that ends keeps its place in the list (Map order: when it started).
      presses.set(report.id, { ...report, at, time });
      while (presses.size > RECENT_PRESSES) presses.delete(presses.keys().next().value!);
      broadcast();
    },
    pbxShown(reach) {
      pbx = reach;
      broadcast();
    },
    pageShown(page) {
      panelPage = page;
      broadcast();
    },
    keysUsed(now) {
      used = [...now];
      for (const key of keys.keys()) if (!now.includes(key)) keys.delete(key);
      broadcast();
    },
    deskPhone(text) {
      if (text === desk) return;
      desk = text;
      broadcast();
    },
    configProblems(file, lines) {
      problems = { file, lines };
      broadcast();
    },
    configNote(text) {
      if (text === note) return;
      note = text;
      broadcast();
    },
    get buffered() {
      let bytes = 0;
      for (const client of clients.keys()) bytes += client.writableLength;
      return bytes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients.keys()) client.end();
        server.close(() => resolve());
        // A browser keeps its connections open (keep-alive, an event stream it reconnects): close them,
        // or closing waits for the browser.
        server.closeAllConnections();
      }),
  };
}
