/**
 * `pbx.dialect: auto` against the PBX simulator of every family (which says what it is as that family's
 * source writes it, src/sim/pbx-products.ts, or, for innovaphone, sends its NOTIFYs unasked): lampfield
 * says once which family it found and why, and a call's life lights the key as that family's dialect
 * reads it, over real UDP on 127.0.0.1.
 */
import { testPlatform } from '../support/platform.ts';
import { systemClock } from '../../src/util/clock.ts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWatcher } from '../../src/app/watcher.ts';
import { DEFAULT_LAMPS, lampFor } from '../../src/blf/lamp-policy.ts';
import { DIALECT_NAMES } from '../../src/blf/dialects.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { parseConfig } from '../../src/config/config.ts';
import { FakePanel } from '../../src/panel/fake-panel.ts';
import { SipStack } from '../../src/sip/stack.ts';
import { PBX_PRODUCTS } from '../../src/sim/pbx-products.ts';
import { PbxSimulator } from '../../src/sim/pbx-simulator.ts';
import { MemoryLogger } from '../../src/util/log.ts';

const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

const console_ = loadBoards().find((board) => board.id === 'console')!;
const lamp = (state: Parameters<typeof lampFor>[0]) => lampFor(state, DEFAULT_LAMPS, 'rgb');

describe('pbx.dialect: auto', () => {
  it.each(DIALECT_NAMES.map((name) => [name]))('finds %s and reads its calls', async (dialect) => {
    const product = PBX_PRODUCTS[dialect];
    const pbxStack = await SipStack.open({
      address: '127.0.0.1',
      port: 0,
      clock: systemClock,
      ...(product == null ? {} : { signature: product }),
    });
    closing.push(() => pbxStack.close());
    const pbx = new PbxSimulator(pbxStack, {
      dialect,
      host: '127.0.0.1',
      passwords: { lampfield: 'secret' },
      clock: systemClock,
    });
    const config = parseConfig(
      JSON.stringify({
        pbx: { host: '127.0.0.1', port: pbxStack.port },
        account: { user: 'lampfield', password: 'secret', register: true },
        local: { address: '127.0.0.1', port: 0 },
        keys: [{ key: 1, partner: '207' }],
      }),
      'lampfield.json',
    );
    expect(config.pbx.dialect).toBe('auto'); // the default
    const log = new MemoryLogger();
    const panel = new FakePanel(console_);
    const watcher = await startWatcher(config, { log, panel, platform: testPlatform() });
    closing.push(() => watcher.stop());
    const shows = (state: Parameters<typeof lampFor>[0]) =>
      vi.waitFor(() => expect(panel.lamps.get(1)).toEqual(lamp(state)), { timeout: 3000, interval: 5 });
    await shows('idle');

    const call = pbx.ring('211', '207');
    await shows('ringing');
    pbx.answer(call);
    await shows('busy');
    pbx.hangUp(call);
    await shows('idle');

    const found = log.lines.filter((line) => line.message.startsWith('dialect '));
    if (dialect === 'generic') expect(found).toEqual([]);
    else
      expect(found.map((line) => line.message)).toEqual([
        expect.stringMatching(new RegExp(`^dialect ${dialect} \\(auto: .+\\)$`)),
      ]);
  });
});
