/**
 * What `lampfield sim` uses for an option not given: its own module, so that the help that says these
 * (src/cli/command-help.ts, loaded by every command) does not load the simulator with them.
 */
import type { DialectName } from '../blf/dialects.ts';
import { DEFAULT_GENERATOR } from '../sim/call-generator.ts';
import { DEFAULT_PAGE_PORT } from '../web/panel-server.ts';

/** What `lampfield sim` uses for an option not given (its help says these). */
export const SIM_DEFAULTS = {
  dialect: 'generic',
  keys: 8,
  board: 'module-20rgb',
  seed: 1,
  pagePort: DEFAULT_PAGE_PORT,
  /** Generated calls per minute. */
  rate: DEFAULT_GENERATOR.callsPerMinute,
} as const satisfies { dialect: DialectName; [name: string]: unknown };
