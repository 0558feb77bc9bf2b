/**
 * `lampfield sim [--dialect D] [--keys N] [--board ID] [--port P] [--seed S] [--rate R] [--expires S]
 * [--firmware FILE] [--json]` (BRIEF §6): the whole product with no hardware and no PBX
 * (src/app/simulation.ts); with `--firmware`, the module's real firmware on an emulated RP2040. The panel is drawn
 * on a web page (default http://127.0.0.1:8080/, a click is a press) and in the terminal (`press N`).
 */
import { showModule } from '../app/module-view.ts';
import type { Platform } from '../app/platform.ts';
import { SIM_DEFAULTS } from '../app/sim-defaults.ts';
import { startSimulation } from '../app/simulation.ts';
import { DIALECT_NAMES, isDialectName, type DialectName } from '../blf/dialects.ts';
import { keyCount, loadBoards } from '../config/boards.ts';
import { UserError } from '../util/user-error.ts';
import type { CommandIo } from './command-io.ts';
import { unknownArgumentLines, usageLine } from './command-help.ts';

const USAGE = usageLine('sim');

export async function simCommand(
  args: readonly string[],
  io: CommandIo,
  platform: Platform,
): Promise<number> {
  let dialect: DialectName = SIM_DEFAULTS.dialect;
  let keys: number = SIM_DEFAULTS.keys;
  let boardId: string = SIM_DEFAULTS.board;
  let seed: number = SIM_DEFAULTS.seed;
  let rate: number = SIM_DEFAULTS.rate;
  let json = false;
  let logJson = false;
  let pagePort: number = SIM_DEFAULTS.pagePort;
  let portGiven = false;
  /** Each option's value as typed, for saying what was wrong with it. */
  const given: Record<string, string> = {};
  let expires: number | undefined;
  let firmwareFile: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      given[arg] = args[++i] ?? '';
      return given[arg];
    };
    if (arg === '--dialect') {
      const name = value();
      if (!isDialectName(name)) {
        io.stderr(`lampfield sim: --dialect "${name}": one of ${DIALECT_NAMES.join(', ')}\n${USAGE}`);
        return 2;
      }
      dialect = name;
    } else if (arg === '--keys') keys = Number(value());
    else if (arg === '--board') boardId = value();
    else if (arg === '--port') {
      pagePort = Number(value());
      portGiven = true;
    } else if (arg === '--seed') seed = Number(value());
    else if (arg === '--rate') rate = Number(value());
    else if (arg === '--expires') expires = Number(value());
    else if (arg === '--json') json = true;
    else if (arg === '--firmware') firmwareFile = value();
    else if (arg === '--log-json') logJson = true;
    else {
      io.stderr(unknownArgumentLines('sim', arg));
      return 2;
    }
  }
  const modules = loadBoards().filter((candidate) => candidate.driver === 'serial');
  const board = modules.find((candidate) => candidate.id === boardId);
  // Each wrong option said on its own line, with what it accepts.
  const wrong: string[] = [];
  if (board == null)
    wrong.push(`--board "${boardId}": not a module board; one of ${modules.map((m) => m.id).join(', ')}`);
  const boardKeys = board == null ? 0 : keyCount(board);
  if (board != null && !(Number.isInteger(keys) && keys >= 1 && keys <= boardKeys))
    wrong.push(`--keys "${given['--keys']}": a whole number 1..${boardKeys} (${board.id})`);
  if (!Number.isInteger(pagePort) || pagePort < 0 || pagePort > 65535)
    wrong.push(`--port "${given['--port']}": a port 0..65535 (0: any free one)`);
  if (!Number.isFinite(seed)) wrong.push(`--seed "${given['--seed']}": a number`);
  if (!(rate >= 0) || !Number.isFinite(rate))
    wrong.push(`--rate "${given['--rate']}": calls per minute, 0 or more`);
  if (expires != null && !(Number.isInteger(expires) && expires >= 30 && expires <= 86400))
    wrong.push(`--expires "${given['--expires']}": seconds, 30..86400`);
  if (wrong.length > 0 || board == null) {
    for (const line of wrong) io.stderr(`lampfield sim: ${line}`);
    io.stderr(USAGE);
    return 2;
  }

  let sim;
  try {
    sim = await startSimulation({
      dialect,
      board,
      keys,
      seed,
      rate,
      ...(expires == null ? {} : { expires }),
      firmwareFile,
      pagePort,
      // The default port is a wish; a port given with --port is what the user asked for.
      pagePortTaken: portGiven ? 'fail' : 'use-a-free-port',
      platform,
      log: platform.logger('warn', { json: logJson }),
    });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    io.stderr(
      error.code === 'address-in-use'
        ? `lampfield sim: --port ${pagePort}: another program serves on that port; give another, or --port 0 for any free one`
        : `lampfield sim: ${error.message}`,
    );
    return 1;
  }
  const view = showModule(sim.firmware, io, {
    json,
    header: [
      ...(sim.pagePortWasTaken == null
        ? []
        : [
            `lampfield sim: port ${sim.pagePortWasTaken} is taken by another program; the page is on a free port instead`,
          ]),
      `lampfield sim: the panel is at ${sim.page.url}`,
      `lampfield sim: ${dialect} PBX on sip:127.0.0.1:${sim.pbxPort}; ${board.id}, ${keys} partner keys ` +
        `(${sim.partners[0]}…${sim.partners.at(-1)}); desk phone ${sim.deskPhone}`,
      `type "press N" and Enter to press key N; Ctrl-C stops`,
    ],
    status: () => sim.deskText(),
    lastPress: () => sim.lastPress(),
    keys: () => sim.keys(),
    terminal: platform.terminal,
    clock: platform.clock,
  });

  await platform.stopRequested();
  view.stop();
  await sim.stop();
  return 0;
}
