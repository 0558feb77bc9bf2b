/**
 * Pages in software (config `pages`) on a Stream Deck Mini's 6 keys: the last key turns the page, every
 * page's lamps are kept so that a switch shows the page at once, and a partner ringing on a page out of
 * view makes the page key blink fast red.
 */
import { describe, expect, it } from 'vitest';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import { loadBoards } from '../../src/config/boards.ts';
import { ConfigError, parseConfig } from '../../src/config/config.ts';
import { FakePanel } from '../../src/panel/fake-panel.ts';
import { PagedPanel } from '../../src/panel/paged-panel.ts';
import type { KeyInfo, PanelKeyEvent } from '../../src/panel/panel.ts';

const mini = loadBoards().find((candidate) => candidate.id === 'streamdeck-mini')!;
const IDLE: Lamp = { color: 'green', pattern: 'steady' };
const RINGING: Lamp = { color: 'red', pattern: 'fast-blink' };
const info = (label: string, state: KeyInfo['state'] = 'idle'): KeyInfo => ({
  partner: `sip:${label}@pbx`,
  state,
  label,
  caller: null,
});

function setup() {
  const device = new FakePanel(mini);
  const panel = new PagedPanel(device, 3);
  const pressed: PanelKeyEvent[] = [];
  panel.onKey((event) => pressed.push(event));
  const tap = (key: number) => {
    device.press({ key, event: 'down' });
    device.press({ key, event: 'up' });
  };
  return { device, panel, pressed, tap };
}

describe('pages on a board without pages of its own', () => {
  it('shows page 1, turns the page on the page key, and keeps every page for an instant switch', () => {
    const { device, panel, pressed, tap } = setup();
    expect(panel.board.grid).toEqual({ rows: 2, columns: 3, pages: 3 });
    panel.setLamp(1, IDLE, info('201'));
    panel.setLamp(7, IDLE, info('207'));
    panel.setLamp(8, IDLE, info('208'));
    expect(device.labels.get(1)).toBe('201');
    expect(device.lamps.get(6)).toEqual({ color: 'white', pattern: 'steady' });
    expect(device.labels.get(6)).toBe('Page 1/3');
    tap(6);
    expect(panel.currentPage).toBe(1);
    expect([device.labels.get(1), device.labels.get(2), device.labels.get(3)]).toEqual(['207', '208', null]);
    expect(device.lamps.get(3)).toEqual({ color: 'off', pattern: 'off' }); // nothing configured there
    expect(device.labels.get(6)).toBe('Page 2/3');
    tap(1); // page 2's first key is key 7
    expect(pressed.filter((event) => event.event === 'up').map((event) => event.key)).toEqual([7]);
    tap(6);
    tap(6);
    expect(panel.currentPage).toBe(0); // round again
    expect(device.labels.get(1)).toBe('201');
  });

  it('blinks the page key fast red while a partner rings on a page out of view, and only then', () => {
    const { device, panel, tap } = setup();
    panel.setLamp(1, IDLE, info('201'));
    panel.setLamp(13, RINGING, info('213', 'ringing')); // page 3
    expect(device.lamps.get(6)).toEqual(RINGING);
    expect(device.lamps.get(1)).toEqual(IDLE); // page 1 still shows its own key
    tap(6);
    expect(device.lamps.get(6)).toEqual(RINGING); // page 2 in view: page 3 still out of view
    tap(6);
    expect(device.lamps.get(1)).toEqual(RINGING); // page 3: the ringing key itself
    expect(device.lamps.get(6)).toEqual({ color: 'white', pattern: 'steady' });
    panel.setLamp(13, IDLE, info('213'));
    tap(6);
    expect(device.lamps.get(6)).toEqual({ color: 'white', pattern: 'steady' });
  });

  it('is configured with pages: keys page by page, the page key and boards with pages of their own refused', () => {
    const config = (board: string, pages: number, key: number) =>
      parseConfig(
        JSON.stringify({
          pbx: { host: '127.0.0.1' },
          account: { user: '900' },
          board,
          pages,
          panel: board.startsWith('module') ? { port: 'tcp://127.0.0.1:1' } : undefined,
          keys: [{ key, partner: '207' }],
        }),
        'lampfield.yaml',
      );
    const refusal = (board: string, pages: number, key: number) => {
      try {
        config(board, pages, key);
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
      }
      return 'accepted';
    };
    expect(config('streamdeck-mini', 3, 17).pages).toBe(3);
    expect(refusal('streamdeck-mini', 3, 12)).toBe(
      'lampfield.yaml:1: key 12: is the page key (the last of every page of 6)',
    );
    expect(refusal('streamdeck-mini', 3, 19)).toBe(
      'lampfield.yaml:1: key 19: board streamdeck-mini has keys 1 to 18 on 3 pages, not 19',
    );
    expect(refusal('module-160rgb', 2, 1)).toMatch(/\/pages: board module-160rgb has pages of its own/);
    expect(refusal('gpio-8-bicolor', 2, 1)).toMatch(/\/pages: board gpio-8-bicolor has no key to turn pages/);
  });
});
