/**
 * The config file a run reads, with its board from the shipped boards.json as the drivers check it too
 * (hw/board-rules.ts). Throws ConfigError or BoardsError, each one line that says where.
 */
import { DRIVER_RULES } from '../../hw/board-rules.ts';
import { BOARDS_FILE, loadBoards } from '../config/boards.ts';
import { loadConfig, type Config } from '../config/config.ts';

export function readConfigFile(path: string): Config {
  return loadConfig(path, loadBoards(BOARDS_FILE, DRIVER_RULES));
}
