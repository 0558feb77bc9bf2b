/**
 * The console board: a real panel driver for headless use and debugging. Every lamp change is one JSON
 * line on standard output, `{"key":1,"partner":"sip:207@pbx","state":"ringing","lamp":{…}}`; logs go
 * to standard error, so the output can be piped into other programs. Key presses come as lines on
 * standard input: `press N` (a short press), `long N` (held), `release N`.
 */
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { Lamp } from '../../firmware-sim/protocol/lamp.ts';
import type { Board } from '../config/boards.ts';
import type { KeyInfo, KeyView, PanelDevice, PanelKeyEvent, PanelStatus } from './panel.ts';

/** A key as one JSON line, the one shape for scripts (the console board, `lampfield sim --json`). */
export function keyLine(view: KeyView): string {
  const { key, partner, state, lamp, label, caller } = view;
  return JSON.stringify({ key, partner, state, lamp, label, caller });
}

export class ConsoleBoard implements PanelDevice {
  private keyHandlers: ((event: PanelKeyEvent) => void)[] = [];
  private readonly lines: ReturnType<typeof createInterface> | null;

  constructor(
    readonly board: Board,
    private readonly writeLine: (line: string) => void,
    input?: Readable,
    private readonly complain: (line: string) => void = () => undefined,
  ) {
    this.lines = input == null ? null : createInterface({ input });
    this.lines?.on('line', (line) => this.command(line));
  }

  setLamp(key: number, lamp: Lamp, info: KeyInfo): void {
    this.writeLine(keyLine({ key, lamp, ...info }));
  }

  onKey(handler: (event: PanelKeyEvent) => void): void {
    this.keyHandlers.push(handler);
  }

  onStatus(handler: (status: PanelStatus) => void): void {
    handler({ state: 'connected', detail: 'standard output' });
  }

  close(): Promise<void> {
    this.lines?.close();
    return Promise.resolve();
  }

  private command(line: string): void {
    const match = /^\s*(press|long|release)\s+(\d+)\s*$/.exec(line);
    if (match == null) {
      if (line.trim() !== '')
        this.complain(`console board: "${line.trim()}" is not "press N", "long N" or "release N"`);
      return;
    }
    const key = Number(match[2]);
    const events: PanelKeyEvent['event'][] =
      match[1] === 'press' ? ['down', 'up'] : match[1] === 'long' ? ['down', 'long'] : ['up'];
    for (const event of events) for (const handler of this.keyHandlers) handler({ key, event });
  }
}
