/** The hardware a simulated module has, as boards.json describes the module variant. */
import { keyCount, type Board } from '../../src/config/boards.ts';
import type { ModuleHardware } from './module-firmware.ts';

export function hardwareOf(board: Board, serial = 'SIM-0001'): ModuleHardware {
  const keys = keyCount(board);
  const pageKeys = board.pageKeys?.kind === 'module' ? board.pageKeys.count : 0;
  return {
    boardId: board.id,
    serial,
    keys: Array.from({ length: keys }, () => board.lamp.kind),
    labelChars: board.labels.kind === 'text' ? board.labels.chars : 0,
    pages: board.grid.pages,
    pageKeys: Array.from({ length: pageKeys }, () => board.lamp.kind),
  };
}
