/** The panel page's server over real HTTP on 127.0.0.1: live snapshots, presses, read-only, tokens. */
import { systemClock } from '../../src/util/clock.ts';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadBoards } from '../../src/config/boards.ts';
import { PanelServerError, startPanelServer, type PanelServer } from '../../src/web/panel-server.ts';
import { FakeClock } from '../support/fake-clock.ts';

const board = loadBoards().find((candidate) => candidate.id === 'module-20rgb')!;
const servers: PanelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function open(options: Partial<Parameters<typeof startPanelServer>[0]> = {}): Promise<PanelServer> {
  const server = await startPanelServer({ board, port: 0, clock: systemClock, ...options });
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
    const refused = startPanelServer({ board, address: '0.0.0.0', port: 0, clock: systemClock });
    await expect(refused).rejects.toBeInstanceOf(PanelServerError);
    await expect(refused).rejects.toMatchObject({ code: 'token-needed' });
    const server = await open({ token: 'a-long-enough-token' });
    expect(server.url).not.toContain('a-long-enough-token'); // the address said in logs gives no access
    expect((await fetch(`${server.url}?token=a-long-enough-token`)).status).toBe(200);
    expect((await fetch(server.url)).status).toBe(403);
    expect((await fetch(`${server.url}?token=a-long-enough-tokeN`)).status).toBe(403);
  });

  it('answers only under a loopback name, or the names it is given (no DNS rebinding)', async () => {
    const under = (url: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = http.get(url, { headers: { host } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
      });
    const page = await open();
    const port = new URL(page.url).port;
    expect(await under(page.url, `127.0.0.1:${port}`)).toBe(200);
    expect(await under(page.url, `localhost:${port}`)).toBe(200);
    expect(await under(page.url, `[::1]:${port}`)).toBe(200);
    // Another site's name, resolving to this machine: its page must read nothing of the callers.
    expect(await under(page.url, `attacker.example:${port}`)).toBe(421);
    expect(await under(`${page.url}events`, 'attacker.example')).toBe(421);
    // A page with a token is guarded by it under any name, unless told its names.
    const withToken = await open({ token: 'a-long-enough-token' });
    expect(await under(`${withToken.url}?token=a-long-enough-token`, 'pi.example:8080')).toBe(200);
    const named = await open({ token: 'a-long-enough-token', hosts: ['reception-pi.example'] });
    expect(await under(`${named.url}?token=a-long-enough-token`, 'Reception-Pi.example:8080')).toBe(200);
    expect(await under(`${named.url}?token=a-long-enough-token`, 'pi.example:8080')).toBe(421);
  });

  it('keeps one snapshot, not a backlog, for a stream that does not read, and drops it after 30 s', async () => {
    const clock = new FakeClock();
    const page = await open({ clock });
    const { port } = new URL(page.url);
    // A client that asks for the stream, then reads nothing more.
    const stalled = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => stalled.once('data', resolve)); // its first snapshot
    stalled.pause();
    // 2,000 changes of a key with a long label: some 4 MB of snapshots if each were kept.
    const label = 'x'.repeat(2000);
    for (let change = 0; change < 2000; change++) {
      page.keyShown({ ...view, label: `${label}${change}` });
      if (change % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(page.buffered).toBeLessThan(64 * 1024);
    // A stream that reads gets the newest state at once.
    const [latest] = await events(page.url, 1);
    expect(latest).toMatchObject({ keys: [{ label: `${label}1999` }] });
    // After 30 s without reading, the next change drops it.
    clock.advance(30_001);
    page.keyShown(view);
    await vi.waitFor(() => expect(page.buffered).toBe(0));
    stalled.destroy();
  });

  it('says the port is taken by another program, with a code of its own', async () => {
    const first = await open();
    const port = Number(new URL(first.url).port);
    const taken = startPanelServer({ board, port, clock: systemClock });
    await expect(taken).rejects.toMatchObject({ code: 'address-in-use' });
  });

  it("times each key's state on its clock, and lists the last 12 presses, newest first, each once", async () => {
    const clock = new FakeClock();
    const server = await open({ clock });
    server.keyShown({ ...view, state: 'busy' });
    clock.advance(5000);
    server.keyShown({ ...view, state: 'busy', lamp: { color: 'red', pattern: 'steady' } }); // same state
    for (let id = 1; id <= 14; id++) server.pressShown({ id, key: 1, stage: 'started', text: `press ${id}` });
    server.pressShown({ id: 14, key: 1, stage: 'done', text: 'press 14 done' });
    clock.advance(2000);
    const [snapshot] = (await events(server.url, 1)) as [
      { now: number; keys: { since: number }[]; presses: { id: number; text: string }[] },
    ];
    expect(snapshot.now - snapshot.keys[0]!.since).toBe(7000); // busy since the first busy view
    expect(snapshot.presses.map((press) => press.id)).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(snapshot.presses[0]!.text).toBe('press 14 done');
  });
});
