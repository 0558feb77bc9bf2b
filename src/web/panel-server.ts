/**
 * The panel page (BRIEF §6): the board drawn as boards.json defines it, each key's lamp with its
 * color and pattern, its label, the caller of a ringing call, and the desk phone's state, updated live
 * through server-sent events. In the simulator a click is a key press (POST /press); elsewhere the page
 * is read-only. It binds to 127.0.0.1 unless told otherwise, and then needs a token (BRIEF §10).
 * No dependencies: node:http and one static page (page.html).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Board } from '../config/boards.ts';
import type { KeyView, KeyViewer } from '../panel/panel.ts';
import { packageFile } from '../util/package-files.ts';
import { UserError } from '../util/user-error.ts';

const PAGE = readFileSync(packageFile('src/web/page.html'), 'utf8');

export interface PanelServerOptions {
  board: Board;
  address?: string;
  port?: number;
  /** Required when the address is not a loopback address. */
  token?: string;
  /** Key presses from the page; without it the page is read-only. */
  press?: (key: number, gesture: 'short' | 'long') => void;
}

export interface PanelServer extends KeyViewer {
  /** The page's address, without the token it may need (`?token=…`, web.token). */
  readonly url: string;
  deskPhone(text: string | null): void;
  /** Shows a config lampfield could not use: its file and each mistake (with its line). */
  configProblems(file: string | null, lines: readonly string[]): void;
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
  const keys = new Map<number, KeyView>();
  let desk: string | null = null;
  let problems: { file: string | null; lines: readonly string[] } | null = null;
  const clients = new Set<http.ServerResponse>();
  const snapshot = () =>
    JSON.stringify({
      board: options.board.grid,
      interactive: options.press != null,
      keys: [...keys.values()],
      deskPhone: desk,
      problems,
    });
  const broadcast = () => {
    const data = `data: ${snapshot()}\n\n`;
    for (const client of clients) client.write(data);
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://page');
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
      response.write(`data: ${snapshot()}\n\n`);
      clients.add(response);
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
      keys.set(view.key, view);
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.end();
        server.close(() => resolve());
        // A browser keeps its connections open (keep-alive, an event stream it reconnects): close them,
        // or closing waits for the browser.
        server.closeAllConnections();
      }),
  };
}
