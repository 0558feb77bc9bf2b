/**
 * One NOTIFY intake: the same captured NOTIFY sequences read by `lampfield decode` and sent over UDP to
 * a running watcher (src/app/watcher.ts, real SIP stack on 127.0.0.1) give the same partner state,
 * version and pickup plan after every NOTIFY. The innovaphone seed comes unsolicited from the PBX's
 * address, as innovaphone sends it; the Kamailio capture comes inside the watcher's own subscription.
 */
import { testPlatform } from '../support/platform.ts';
import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWatcher, type RunningWatcher } from '../../src/app/watcher.ts';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';
import { decodeText } from '../../src/app/decode-text.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { parseConfig } from '../../src/config/config.ts';
import { FakePanel } from '../../src/panel/fake-panel.ts';
import { tagOf } from '../../src/sip/message.ts';
import { MemoryLogger } from '../../src/util/log.ts';
import { closeScriptedPbxs, ScriptedPbx, watcherPort } from '../support/scripted-pbx.ts';
import { readVector, vectorDatagram } from '../support/vectors.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await closeScriptedPbxs();
});

interface Reading {
  state: string;
  version: number | null;
  pickup: { method: string; uri: string; replaces: string | null } | null;
}

/** What `lampfield decode` makes of each file in turn, as one watcher. */
function decoded(dialect: DialectName, files: readonly string[]): Reading[] {
  const watcher = new DialogIntake(DIALECTS[dialect]);
  return files
    .flatMap((file) => decodeText(watcher, file, readVector(file)))
    .map((line) => {
      const file = line.file;
      if (!line.accepted) throw new Error(`${file}: ${line.error.message}`);
      return { state: line.state, version: line.version, pickup: line.pickup };
    });
}

/** A running watcher of `partner` on a scripted PBX, and a UDP socket on the PBX's address. */
async function running(dialect: DialectName, partner: string, domain: string, answerSubscribe: 200 | 489) {
  const pbx = await ScriptedPbx.open();
  pbx.answer = (request) =>
    request.message.method !== 'SUBSCRIBE'
      ? request.respond(200)
      : answerSubscribe === 200
        ? pbx.accept(request)
        : request.respond(489);
  const config = parseConfig(
    JSON.stringify({
      pbx: { host: '127.0.0.1', port: pbx.stack.port, dialect, domain, keepaliveSeconds: 0 },
      account: { user: '900' },
      local: { address: '127.0.0.1', port: 0 },
      keys: [{ key: 1, partner }],
    }),
    'test',
  );
  const panel = new FakePanel(loadBoards().find((board) => board.id === 'console')!);
  const watcher: RunningWatcher = await startWatcher(config, {
    log: new MemoryLogger(),
    panel,
    platform: testPlatform(),
  });
  cleanup.push(() => watcher.stop());
  const socket = dgram.createSocket('udp4');
  const answers: string[] = [];
  socket.on('message', (data) => answers.push(data.toString('latin1').split('\r\n')[0]!));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  await vi.waitFor(() => expect(pbx.subscribes()).toHaveLength(1));
  const subscribe = pbx.subscribes()[0]!.message;
  const port = watcherPort(subscribe);
  /** Sends a captured NOTIFY, as edited, and waits for the watcher's answer. */
  const send = async (bytes: Buffer) => {
    const before = answers.length;
    await new Promise((resolve) => socket.send(bytes, port, '127.0.0.1', resolve));
    await vi.waitFor(() => expect(answers.length).toBe(before + 1));
    expect(answers.at(-1)).toBe('SIP/2.0 200 OK');
  };
  const reading = (): Reading => {
    const update = watcher.partner(config.keys[0]!.partner)!;
    const pickup = update.view.pickup?.ok === true ? update.view.pickup.target : null;
    return { state: update.situation, version: update.view.version, pickup };
  };
  return { subscribe, send, reading, watcherPort: port };
}

describe('decode and a running watcher read NOTIFYs alike', () => {
  it('the innovaphone seed, unsolicited from the PBX', async () => {
    const files = [1, 2, 3, 4].map((n) => `innovaphone/seed-${n}.sip`);
    const expected = decoded('innovaphone', files);
    expect(expected.map((reading) => reading.state)).toEqual(['ringing', 'idle', 'busy', 'idle']);
    const live = await running('innovaphone', '207', '172.16.16.180', 489);
    const seen: Reading[] = [];
    for (const file of files) {
      await live.send(
        vectorDatagram(file, [[/^NOTIFY \S+/, `NOTIFY sip:900@127.0.0.1:${live.watcherPort}`]]),
      );
      seen.push(live.reading());
    }
    expect(seen).toEqual(expected);
  });

  it('a Kamailio capture of a missed call and an answered one, in the subscription', async () => {
    const files = [
      '1-empty',
      '2-early',
      '3-terminated-missed',
      '4-early-beside-terminated',
      '5-confirmed',
      '6-terminated',
      '7-terminated',
    ].map((step) => `kamailio/missed-then-answered-207-${step}.sip`);
    const expected = decoded('kamailio', files);
    expect(expected.map((reading) => reading.state)).toContain('ringing');
    expect(expected.some((reading) => reading.pickup?.method === 'replaces')).toBe(true);
    const live = await running('kamailio', '207', '127.0.0.1', 200);
    const callId = live.subscribe.headers['call-id']!;
    const ourTag = tagOf(live.subscribe.headers.from)!;
    const seen: Reading[] = [];
    for (const file of files) {
      await live.send(
        vectorDatagram(file, [
          [/^NOTIFY \S+/, `NOTIFY sip:900@127.0.0.1:${live.watcherPort}`],
          [/^Call-ID: .*$/im, `Call-ID: ${callId}`],
          [/^To: (.*);tag=\S+$/im, `To: $1;tag=${ourTag}`],
        ]),
      );
      seen.push(live.reading());
    }
    expect(seen).toEqual(expected);
  });
});
