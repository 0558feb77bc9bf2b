/**
 * What a command reads and prints, so that commands run the same from the shell and from tests. The
 * process's own (`systemIo`) is src/main.ts's; the things the application runs on are the Platform's
 * (src/app/platform.ts).
 */

export interface CommandIo {
  /** One line to standard output (the newline is added). */
  stdout(line: string): void;
  /** One line to standard error. */
  stderr(line: string): void;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
}
