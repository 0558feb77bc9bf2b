/**
 * The status page of a loaded config (src/web): the board, the keys the config uses, the legend of each
 * state's lamp on this board, and, with `web.control`, presses from the page carried out as the
 * panel's own (watcher.ts `press`). `lampfield run` and `lampfield sim` start it from here.
 */
import { LAMP_SITUATIONS, lampFor, resolveLampTable } from '../blf/lamp-policy.ts';
import { pagedBoard } from '../config/boards.ts';
import type { Config } from '../config/config.ts';
import type { Clock } from '../util/clock.ts';
import { startPanelServer, type PanelServer, type PanelServerOptions } from '../web/panel-server.ts';

/** What the page draws of a config: its board, its keys, and the legend of its lamps. */
export function statusPageOptions(config: Config): Pick<PanelServerOptions, 'board' | 'keys' | 'legend'> {
  const table = resolveLampTable(config.lamps);
  return {
    // With config `pages`, the board's keys page by page, as the keys are numbered.
    board: pagedBoard(config.board, config.pages),
    keys: config.keys.map((key) => key.key),
    legend: LAMP_SITUATIONS.map((state) => ({ state, lamp: lampFor(state, table, config.board.lamp.kind) })),
  };
}

/**
 * The page `web` asks for; null without a `web` section. `press` carries out a press from the page,
 * given only when `web.control` is true (the schema then requires `web.token`).
 */
export function startStatusPage(
  config: Config,
  clock: Clock,
  press: (key: number, gesture: 'short' | 'long') => void,
): Promise<PanelServer> | null {
  if (config.web == null) return null;
  const { control, ...web } = config.web;
  return startPanelServer({ ...statusPageOptions(config), ...web, clock, ...(control ? { press } : {}) });
}
