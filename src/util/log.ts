/**
 * Logging: one line per event on standard error (pino JSON), so that standard output stays the console
 * board's. Passwords never reach a log line: SIP traces go through redactCredentials (src/sip/stack.ts).
 */
import pino from 'pino';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

export function stderrLogger(level: LogLevel): Logger {
  const logger = pino({ level, base: null }, pino.destination({ dest: 2, sync: true }));
  const at =
    (method: 'error' | 'warn' | 'info' | 'debug') => (message: string, fields?: Record<string, unknown>) =>
      fields == null ? logger[method](message) : logger[method](fields, message);
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** Keeps every line, for tests that check what a user would read. */
export class MemoryLogger implements Logger {
  readonly lines: { level: LogLevel; message: string; fields?: Record<string, unknown> }[] = [];
  error = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'error', message, fields });
  warn = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'warn', message, fields });
  info = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'info', message, fields });
  debug = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'debug', message, fields });
}
