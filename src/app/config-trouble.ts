/**
 * A config lampfield cannot use, shown where the person who fixes it looks (`lampfield run --service`,
 * the boot-time service): every key of the board the config names flashes the error lamp (console when
 * the board cannot be read from it), the status page lists each mistake with its line, and lampfield waits
 * for a restart instead of exiting, so that systemd does not restart it in a loop that only fills the log.
 */
import { DRIVER_RULES } from '../../hw/board-rules.ts';
import { DEFAULT_LAMPS, lampFor } from '../blf/lamp-policy.ts';
import { BOARDS_FILE, keyCount, loadBoards, type Board } from '../config/boards.ts';
import type { PanelDevice } from '../panel/panel.ts';
import type { Logger } from '../util/log.ts';
import { UserError } from '../util/user-error.ts';
import { DEFAULT_PAGE_PORT, startPanelServer, type PanelServer } from '../web/panel-server.ts';
import type { ConfigFailure } from './config-file.ts';
import type { Platform } from './platform.ts';

export interface ConfigTrouble {
  /** The status page's address, or null when none could be served. */
  readonly url: string | null;
  stop(): Promise<void>;
}

/** What a key shows while the config is wrong. */
const TROUBLE_LABEL = 'config error';

export async function showConfigTrouble(
  failure: ConfigFailure,
  platform: Platform,
  log: Logger,
): Promise<ConfigTrouble> {
  let boards: Board[] = [];
  try {
    boards = loadBoards(BOARDS_FILE, DRIVER_RULES);
  } catch {
    // boards.json itself is the mistake (said in the problems): no board to show it on.
  }
  const named = boards.find((board) => board.id === failure.hints.board);
  // A module board without its port, or a board the file does not name: the console, which always opens.
  const board =
    named != null && (named.driver !== 'serial' || failure.hints.panelPort != null)
      ? named
      : boards.find((candidate) => candidate.id === 'console');
  let panel: PanelDevice | null = null;
  let page: PanelServer | null = null;
  if (board != null) {
    panel = await platform.openBoard(
      {
        board,
        ...(failure.hints.panelPort == null ? {} : { panel: { port: failure.hints.panelPort } }),
      },
      log,
      platform.clock,
    );
    try {
      // The page only lists the mistakes: no presses from it, whatever web.control says. Without a web
      // section, on the README's http://127.0.0.1:8080/, or a free port when another program holds it.
      const { control: _control, ...web } = failure.hints.web ?? { control: false, port: DEFAULT_PAGE_PORT };
      const on = (port: number | undefined) =>
        startPanelServer({ board, ...web, port, clock: platform.clock });
      page = await on(web.port).catch((error: unknown) => {
        if (
          !(error instanceof UserError && error.code === 'address-in-use') ||
          web.port !== DEFAULT_PAGE_PORT
        )
          throw error;
        log.warn(
          `port ${DEFAULT_PAGE_PORT} is taken by another program; the mistakes are listed on a free port instead`,
        );
        return on(0);
      });
      page.configProblems(failure.path, failure.problems);
    } catch (error) {
      log.warn(`no status page: ${error instanceof Error ? error.message : String(error)}`);
    }
    const lamp = lampFor('error', DEFAULT_LAMPS, board.lamp.kind);
    const info = { partner: '', state: 'error', label: TROUBLE_LABEL, caller: null } as const;
    // The console's one page (16 lines), not its 1,024 keys: the journal gets one screen, not pages.
    const keys = board.driver === 'console' ? board.grid.rows * board.grid.columns : keyCount(board);
    for (let key = 1; key <= keys; key++) {
      panel.setLamp(key, lamp, info);
      page?.keyShown({ key, lamp, ...info });
    }
  }
  log.error('the config has mistakes; every key flashes until it is fixed and lampfield restarted', {
    file: failure.path,
    problems: failure.problems,
    ...(page == null ? {} : { page: page.url }),
  });
  return {
    url: page?.url ?? null,
    stop: async () => {
      await page?.close();
      await panel?.close();
    },
  };
}
