/**
 * The dialect every reading follows, as one shared value (BRIEF §3 "Dialects change the reading"): fixed
 * by `pbx.dialect`, or, with `auto`, the tolerant RFC 4235 reading until the PBX shows its family
 * (dialect-detect.ts) and that family's from then on. The NOTIFY intake, the desk phone's calls and the
 * key presses all read it here, so that one choice changes them all at once; whoever shows the partners
 * hears of the change and has them read again. Pure.
 */
import type { Dialect } from './dialects.ts';

export class ChosenDialect {
  private readonly listeners: ((dialect: Dialect) => void)[] = [];

  constructor(private dialect: Dialect) {}

  /** The dialect as given: a fixed one, or one already shared. */
  static of(dialect: Dialect | ChosenDialect): ChosenDialect {
    return dialect instanceof ChosenDialect ? dialect : new ChosenDialect(dialect);
  }

  get current(): Dialect {
    return this.dialect;
  }

  /** Every reading follows `dialect` from now on; the listeners hear of it. */
  choose(dialect: Dialect): void {
    this.dialect = dialect;
    for (const listener of this.listeners) listener(dialect);
  }

  onChange(listener: (dialect: Dialect) => void): void {
    this.listeners.push(listener);
  }
}
