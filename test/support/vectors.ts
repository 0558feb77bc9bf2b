/** Paths to the test vectors kept in test/vectors/ (see its README for their sources). */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeText, type DecodeLine } from '../../src/app/decode-text.ts';
import { DIALECTS, type DialectName } from '../../src/blf/dialects.ts';
import { DialogIntake } from '../../src/blf/dialog-intake.ts';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

export function vectorPath(relative: string): string {
  return `${VECTORS_DIR}${relative}`;
}

export function readVector(relative: string): string {
  return readFileSync(vectorPath(relative), 'utf8');
}

/** The files of vector folder `folder` whose names start with `prefix`, in name order. */
export function vectorFiles(folder: string, prefix: string): string[] {
  return readdirSync(vectorPath(folder))
    .filter((file) => file.startsWith(prefix))
    .sort();
}

/** Captured NOTIFYs of `folder`, read in turn by one intake with `dialect`, as `lampfield decode` does. */
export function decodeVectors(folder: string, files: readonly string[], dialect: DialectName): DecodeLine[] {
  const intake = new DialogIntake(DIALECTS[dialect]);
  return files.flatMap((file) => decodeText(intake, file, readVector(`${folder}/${file}`)));
}

/**
 * A captured SIP message as the bytes to send again: CRLF line ends, the Request-URI and any header
 * lines given replaced (`edits`, applied to the head only), and a Content-Length that counts the body's
 * bytes. The body is sent as captured.
 */
export function vectorDatagram(relative: string, edits: readonly [RegExp, string][] = []): Buffer {
  const text = readVector(relative).replace(/\r\n|\r|\n/g, '\r\n');
  const split = text.indexOf('\r\n\r\n');
  let head = split < 0 ? text : text.slice(0, split);
  const body = Buffer.from(split < 0 ? '' : text.slice(split + 4).replace(/\r\n$/, ''), 'utf8');
  for (const [pattern, replacement] of edits) head = head.replace(pattern, replacement);
  head = head.replace(/^Content-Length: \d+/im, `Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]);
}
