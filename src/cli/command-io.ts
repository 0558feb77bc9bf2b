/**
 * What a command needs from the outside world, so that commands run the same from the shell and from
 * tests. `systemIo` is the real one; only src/main.ts picks it.
 */
import { readFile } from 'node:fs/promises';

export interface CommandIo {
  /** One line to standard output (the newline is added). */
  stdout(line: string): void;
  /** One line to standard error. */
  stderr(line: string): void;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
}

export const systemIo: CommandIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  readFile: (path) => readFile(path, 'utf8'),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  },
};
