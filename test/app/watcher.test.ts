/**
 * The application on its own (src/app/watcher.ts), on a scripted PBX over real UDP and an in-memory
 * panel: what a key shows for a partner, and what a press does when it cannot call (no desk phone
 * configured): the key flashes its error lamp, and the log says which key, what and why.
 */
import { testPlatform } from '../support/platform.ts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWatcher } from '../../src/app/watcher.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { parseConfig } from '../../src/config/config.ts';
import { FakePanel } from '../../src/panel/fake-panel.ts';
import { headerText, tagOf } from '../../src/sip/message.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { closeScriptedPbxs, ScriptedPbx, watcherPort } from '../support/scripted-pbx.ts';
import { readVector } from '../support/vectors.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await closeScriptedPbxs();
});

/** The body of a Kamailio capture. */
const body = (file: string) => readVector(file).split(/\r?\n\r?\n/)[1] ?? '';

/** The application on `pbx` with `config`'s pbx, keys and the rest, on an in-memory console board. */
async function watcherOn(
  pbx: ScriptedPbx,
  config: { pbx?: object; keys: object[]; [name: string]: unknown },
) {
  const { pbx: pbxConfig, ...rest } = config;
  const parsed = parseConfig(
    JSON.stringify({
      pbx: { host: '127.0.0.1', port: pbx.stack.port, keepaliveSeconds: 0, ...pbxConfig },
      account: { user: '900' },
      local: { address: '127.0.0.1', port: 0 },
      ...rest,
    }),
    'test',
  );
  const board = loadBoards().find((candidate) => candidate.id === 'console')!;
  const panel = new FakePanel(board);
  const log = new MemoryLogger();
  const watcher = await startWatcher(parsed, { log, panel, platform: testPlatform() });
  cleanup.push(() => watcher.stop());
  return { board, panel, log, watcher };
}

describe('the watcher', () => {
  it('lights the key as the PBX says, and flashes the error lamp when a press has no desk phone', async () => {
    const pbx = await ScriptedPbx.open();
    pbx.answer = (request) =>
      request.message.method === 'SUBSCRIBE' ? pbx.accept(request) : request.respond(200);
    const { board, panel, log, watcher } = await watcherOn(pbx, {
      pbx: { dialect: 'kamailio' },
      keys: [{ key: 1, partner: '207', label: 'Anna' }],
      errorFlashMs: 60_000,
    });
    const lamp = (state: Parameters<typeof lampFor>[0]) => lampFor(state, DEFAULT_LAMPS, board.lamp.kind);

    await vi.waitFor(() => expect(pbx.subscribes()).toHaveLength(1));
    const subscribe = pbx.subscribes()[0]!.message;
    expect(tagOf(subscribe.headers.to)).toBeNull();
    const port = watcherPort(subscribe);
    await pbx.notify(subscribe, port, body('kamailio/missed-then-answered-207-2-early.sip'));
    await vi.waitFor(() => expect(panel.lamps.get(1)).toEqual(lamp('ringing')));
    expect(panel.labels.get(1)).toBe('Anna');
    expect(watcher.partner('sip:207@127.0.0.1')).toMatchObject({ status: 'active', situation: 'ringing' });

    // A person presses the ringing key.
    panel.press({ key: 1, event: 'down' });
    panel.press({ key: 1, event: 'up' });
    await vi.waitFor(() => expect(panel.lamps.get(1)).toEqual(lamp('error')));
    expect(log.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toContain(
      'key 1: pickup sip:207@127.0.0.1 failed: no desk phone configured (phone.uri)',
    );
    // The same press, asked of the application directly, says what it came to.
    expect(await watcher.press(1, 'short')).toMatchObject({ kind: 'refused', code: 'no-desk-phone' });
    expect(await watcher.press(1, 'long')).toMatchObject({ kind: 'refused', action: 'dial' });
    expect(await watcher.press(9, 'short')).toEqual({ kind: 'none' });
  });

  it('carries out a flood of 3,000 key events as one press, and says so once', async () => {
    const pbx = await ScriptedPbx.open();
    pbx.answer = (request) =>
      request.message.method === 'SUBSCRIBE' ? pbx.accept(request) : request.respond(200);
    const { panel, log } = await watcherOn(pbx, { keys: [{ key: 1, partner: '207' }] });
    for (let i = 0; i < 1500; i++) {
      panel.press({ key: 1, event: 'down' });
      panel.press({ key: 1, event: 'up' });
    }
    await vi.waitFor(() => expect(log.lines.some((line) => line.message.includes('failed'))).toBe(true));
    const warnings = log.lines.filter((line) => line.level === 'warn').map((line) => line.message);
    expect(warnings.filter((line) => line.includes('failed: no desk phone'))).toHaveLength(1);
    expect(warnings.filter((line) => line.includes('faster than lampfield carries them out'))).toHaveLength(
      1,
    );
  });
});

describe('a NOTIFY on its way to a lamp', () => {
  it('is read once: one partner view computed per NOTIFY, however many units see the partner', async () => {
    const pbx = await ScriptedPbx.open();
    pbx.answer = (request) =>
      request.message.method === 'SUBSCRIBE' ? pbx.accept(request) : request.respond(200);
    const { board, panel, watcher } = await watcherOn(pbx, {
      pbx: { dialect: 'kamailio' },
      keys: [{ key: 1, partner: '207', label: 'Anna' }],
      phone: { uri: '201', watch: true },
    });
    const lamp = (state: Parameters<typeof lampFor>[0]) => lampFor(state, DEFAULT_LAMPS, board.lamp.kind);
    await vi.waitFor(() => expect(pbx.subscribes()).toHaveLength(2)); // 207, and the desk phone 201
    const subscribe = pbx.subscribes().find((s) => s.message.uri?.includes('207'))!.message;
    const port = watcherPort(subscribe);
    const views = vi.spyOn(DialogIntake.prototype, 'view');
    try {
      const states: [string, Parameters<typeof lampFor>[0]][] = [
        ['kamailio/call-answered-1-empty.sip', 'idle'],
        ['kamailio/call-answered-2-early.sip', 'ringing'],
        ['kamailio/call-answered-3-confirmed.sip', 'busy'],
      ];
      for (const [index, [file, state]] of states.entries()) {
        await pbx.notify(subscribe, port, body(file));
        await vi.waitFor(() => expect(panel.lamps.get(1)).toEqual(lamp(state)));
        // The lamps, the key's caller, the press's partner and the page read the update they were handed.
        expect(watcher.partner('sip:207@127.0.0.1')).toMatchObject({ situation: state });
        expect(views).toHaveBeenCalledTimes(index + 1);
      }
    } finally {
      views.mockRestore();
    }
  });
});

describe('the watcher with pbx.registrations', () => {
  it('on a PBX that refuses reg and presence (489): the keys show what dialogs say, and the log says it once', async () => {
    const pbx = await ScriptedPbx.open();
    pbx.answer = (request) => {
      if (request.message.method !== 'SUBSCRIBE') return request.respond(200);
      if (headerText(request.message, 'event') !== 'dialog') return request.respond(489, 'Bad Event');
      return pbx.accept(request);
    };
    const { board, panel, log } = await watcherOn(pbx, {
      pbx: { dialect: 'kamailio', registrations: true },
      keys: [
        { key: 1, partner: '207' },
        { key: 2, partner: '211' },
      ],
    });
    // dialog, and presence once reg is refused, for each partner (211's reg SUBSCRIBE is sent only if
    // its turn at the pacer came before 207's was refused)
    const asked = (event: string) =>
      pbx.subscribes().filter((s) => headerText(s.message, 'event') === event).length;
    await vi.waitFor(() => expect([asked('dialog'), asked('presence')]).toEqual([2, 2]));
    expect(asked('reg')).toBeGreaterThanOrEqual(1);
    const dialog = pbx
      .subscribes()
      .find((s) => s.message.uri?.includes('207') && headerText(s.message, 'event') === 'dialog')!;
    await pbx.notify(dialog.message, watcherPort(dialog.message), body('kamailio/call-answered-1-empty.sip'));
    await vi.waitFor(() =>
      expect(panel.lamps.get(1)).toEqual(lampFor('idle', DEFAULT_LAMPS, board.lamp.kind)),
    );
    expect(
      log.lines.filter((line) => /refuses the registration event package/.test(line.message)),
    ).toHaveLength(1);
    await vi.waitFor(() =>
      expect(
        log.lines.filter((line) => /refuses the reg and presence event packages/.test(line.message)),
      ).toHaveLength(1),
    );
  });
});
