/** Paths to the test vectors kept in test/vectors/ (see its README for their sources). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

export function vectorPath(relative: string): string {
  return `${VECTORS_DIR}${relative}`;
}

export function readVector(relative: string): string {
  return readFileSync(vectorPath(relative), 'utf8');
}
