/** The panel page's server over real HTTP on 127.0.0.1: live snapshots, presses, read-only, tokens. */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/config/boards.ts';
import { PanelServerError, startPanelServer, type PanelServer } from '../../src/web/panel-server.ts';

const board = loadBoards().find((candidate) => candidate.id === 'module-20rgb')!;
const servers: PanelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function open(options: Partial<Parameters<typeof startPanelServer>[0]> = {}): Promise<PanelServer> {
  const server = await startPanelServer({ board, port: 0, ...options });
  servers.push(server);
  return server;
}

/** The first `count` server-sent events of the page's stream. */
function events(url: string, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const received: unknown[] = [];
    const request = http.get(new URL('events', url), (response) => {
      let buffer = '';
      response.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          received.push(JSON.parse(buffer.slice(6, end)) as unknown);
          buffer = buffer.slice(end + 2);
          if (received.length === count) {
            request.destroy();
            resolve(received);
          }
        }
      });
    });
    request.on('error', reject);
  });
}

const view = {
  key: 1,
  partner: 'sip:207@pbx',
  label: 'Reception',
  state: 'ringing' as const,
  lamp: { color: 'red' as const, pattern: 'fast-blink' as const },
  caller: 'Front desk',
};

describe('panel page server', () => {
  it('serves the page and streams what each key shows', async () => {
    const server = await open();
    expect(await (await fetch(server.url)).text()).toContain('<title>lampfield</title>');
    const stream = events(server.url, 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.keyShown(view);
    const [first, second] = await stream;
    expect(first).toMatchObject({ board: { rows: 4, columns: 5, pages: 1 }, interactive: false, keys: [] });
    expect(second).toMatchObject({ keys: [view] });
  });

  it('takes presses only where it was given a way to press, and checks what it gets', async () => {
    const pressed: [number, string][] = [];
    const interactive = await open({ press: (key, gesture) => pressed.push([key, gesture]) });
    const post = (url: string, body: string) => fetch(new URL('press', url), { method: 'POST', body });
    expect((await post(interactive.url, JSON.stringify({ key: 3, gesture: 'long' }))).status).toBe(204);
    expect((await post(interactive.url, '{"key":"3"}')).status).toBe(400);
    expect(pressed).toEqual([[3, 'long']]);
    const readOnly = await open();
    expect((await post(readOnly.url, JSON.stringify({ key: 3, gesture: 'short' }))).status).toBe(403);
  });

  it('needs a token when bound beyond the loopback address, and checks it', async () => {
    const refused = startPanelServer({ board, address: '0.0.0.0', port: 0 });
    await expect(refused).rejects.toBeInstanceOf(PanelServerError);
    await expect(refused).rejects.toMatchObject({ code: 'token-needed' });
    const server = await open({ token: 'a-long-enough-token' });
    expect(server.url).not.toContain('a-long-enough-token'); // the address said in logs gives no access
    expect((await fetch(`${server.url}?token=a-long-enough-token`)).status).toBe(200);
    expect((await fetch(server.url)).status).toBe(403);
    expect((await fetch(`${server.url}?token=a-long-enough-tokeN`)).status).toBe(403);
  });

  it('says the port is taken by another program, with a code of its own', async () => {
    const first = await open();
    const port = Number(new URL(first.url).port);
    const taken = startPanelServer({ board, port });
    await expect(taken).rejects.toMatchObject({ code: 'address-in-use' });
  });
});
