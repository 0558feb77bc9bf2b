/**
 * The checks each driver adds to boards.json's own (src/config/boards.ts) when the table is read for a
 * run: what only the driver's library knows.
 */
import type { BoardRule } from '../src/config/boards.ts';
import { streamDeckIds } from './hid/stream-deck-models.ts';

export const DRIVER_RULES: readonly BoardRule[] = [streamDeckIds];
