/**
 * The console board: a real panel driver for headless use and debugging. Every lamp change is one JSON
 * line on standard output, `{"key":1,"partner":"sip:207@pbx","state":"ringing","lamp":{…}}`; logs go
 * to standard error, so the output can be piped into other programs.
 */
import type { Lamp } from '../blf/lamp-policy.ts';
import type { Board } from '../config/boards.ts';
import type { KeyInfo, PanelDevice } from './panel.ts';

export class ConsoleBoard implements PanelDevice {
  constructor(
    readonly board: Board,
    private readonly writeLine: (line: string) => void,
  ) {}

  setLamp(key: number, lamp: Lamp, info: KeyInfo): void {
    this.writeLine(
      JSON.stringify({ key, partner: info.partner, state: info.state, lamp, label: info.label }),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
