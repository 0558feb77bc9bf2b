/**
 * What the host holds a module to (firmware-sim/PROTOCOL.md), pure: that it is the board the config
 * names (§6.2: otherwise lamps would land on wrong keys), and that what it sends is its to send, in the
 * board's ranges (§4.3).
 */
import { PROTOCOL_VERSION, type Message, type ModuleInfo } from '../../firmware-sim/protocol/messages.ts';
import { keyCount, type Board } from '../../src/config/boards.ts';

/** Page keys of the module's own (boards.json `pageKeys`), or 0. */
export function modulePageKeys(board: Board): number {
  return board.pageKeys?.kind === 'module' ? board.pageKeys.count : 0;
}

/** How the module's INFO differs from `board`, in words; null when it is that board. */
export function mismatch(info: ModuleInfo, board: Board): string | null {
  const keys = keyCount(board);
  const pageKeys = modulePageKeys(board);
  if (info.protocol.major !== PROTOCOL_VERSION.major) {
    const update = info.protocol.major < PROTOCOL_VERSION.major ? "the module's firmware" : 'lampfield';
    return `module speaks protocol ${info.protocol.major}.${info.protocol.minor}, lampfield ${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}: update ${update}`;
  }
  if (info.boardId !== board.id) return `module is a "${info.boardId}", the config says board "${board.id}"`;
  if (info.keys.length !== keys) return `module has ${info.keys.length} keys, boards.json says ${keys}`;
  const lamp = info.keys.find((key) => key.lamp !== board.lamp.kind);
  if (lamp != null) return `module keys have ${lamp.lamp} lamps, boards.json says ${board.lamp.kind}`;
  if (info.pages !== board.grid.pages || info.pageKeys.length !== pageKeys)
    return `module has ${info.pages} pages and ${info.pageKeys.length} page keys, boards.json says ${board.grid.pages} and ${pageKeys}`;
  return null;
}

/** Why a message from the module is refused (PROTOCOL.md §4.3), or null when it is one to take. */
export function refusal(message: Message, board: Board): 'unknown-type' | 'bad-key' | 'bad-value' | null {
  switch (message.type) {
    case 'info':
      return null;
    case 'key-event':
      return message.key < keyCount(board) ? null : 'bad-key';
    case 'page-shown':
      return message.page < board.grid.pages ? null : 'bad-value';
    default:
      // HELLO, SET_LAMPS, SET_LABEL, HEARTBEAT, SET_PAGE_LAMPS: the host's to send, not the module's.
      return 'unknown-type';
  }
}
