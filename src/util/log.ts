/**
 * Logging: one line per event on standard error, so that standard output stays the console board's.
 * For a person at a terminal a readable line (time, level, message: pino-pretty, pino's own printer);
 * for the journal, a file or a pipe one JSON object per line (pino). Passwords never reach a log line:
 * SIP traces go through redactCredentials (src/sip/stack.ts).
 */
import pino from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** `json`: pino's lines; `readable`: pino-pretty's, `colored` too where the terminal has colors. */
export type LogFormat = 'json' | 'readable' | 'colored';

const require = createRequire(import.meta.url);

export function stderrLogger(level: LogLevel, format: LogFormat = 'json'): Logger {
  // pino-pretty is loaded only for a person at a terminal: a service (the journal) writes JSON.
  const pretty = () => require('pino-pretty') as typeof PinoPretty;
  const destination =
    format === 'json'
      ? pino.destination({ dest: 2, sync: true })
      : pretty()({
          destination: 2,
          sync: true,
          colorize: format === 'colored',
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
          singleLine: true,
        });
  const logger = pino({ level, base: null }, destination);
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
