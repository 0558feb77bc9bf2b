/** The hardware a simulated module has, as boards.json describes the module variant. */
import type { Board } from '../../src/config/boards.ts';
import type { ModuleHardware } from './module-firmware.ts';

export function hardwareOf(board: Board, serial = 'SIM-0001'): ModuleHardware {
  const keys = board.grid.rows * board.grid.columns * board.grid.pages;
  return {
    boardId: board.id,
    serial,
    keys: Array.from({ length: keys }, () => board.lamp.kind),
    labelChars: board.labels.kind === 'text' ? board.labels.chars : 0,
  };
}
