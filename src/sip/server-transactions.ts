/**
 * Non-INVITE server transactions (RFC 3261 §17.2.2), kept lean: a NOTIFY flood of thousands per second
 * must not cost a state machine, closures and a timer each for the 32 s a UDP transaction lives (the npm
 * `sip` package's own layer held about 5 KB per NOTIFY). Here a transaction is one map entry: the
 * request waits for the application's answer; once answered, the response's bytes are kept to answer
 * retransmissions until Timer J (64·T1 = 32 s over UDP, 0 over TCP) runs out. One sweep a second, on the
 * injected clock, ends expired transactions and answers 500 to requests left unanswered too long.
 *
 *   request ──▶ trying ──app answers──▶ completed (UDP: 32 s; retransmission → same bytes) ──▶ gone
 *                  │ retransmission: absorbed
 *                  └ unanswered for `unansweredMs` ──▶ 500, completed
 *
 * Memory has a budget (BRIEF §10: it never grows without bound on input from the network): at most
 * `maxTransactions` live ones, and `maxBytes` of kept responses. Past it, the oldest completed ones go
 * first (they only answer retransmissions: a peer that retransmits then gets its request handled again,
 * idempotent for NOTIFY and OPTIONS); a request that finds the table full of unanswered ones is refused
 * (the stack answers 503, RFC 3261 §21.5.4).
 */
import type { Clock } from '../util/clock.ts';

/** RFC 3261 §17.2.2 Timer J for unreliable transports: 64 × T1 (500 ms). */
export const TIMER_J_MS = 32_000;
const SWEEP_MS = 1000;

export interface TransactionBudget {
  maxTransactions: number;
  maxBytes: number;
}

/** Enough for a 160-key panel's NOTIFY bursts many times over; a flood of 60 KB NOTIFYs stays small. */
export const DEFAULT_BUDGET: TransactionBudget = { maxTransactions: 20_000, maxBytes: 8 * 1024 * 1024 };

/** What a request is to the table: a new transaction, a retransmission, or one there is no room for. */
export type Begun = 'new' | 'retransmission' | 'full';

interface Trying {
  createdAt: number;
  /** Sends bytes back to where the request came from. */
  resend: (bytes: Buffer) => void;
  /** Answers 500 when the application leaves the request unanswered. */
  expire: () => void;
}

interface Completed {
  /** The final response as sent, sent again for a retransmitted request. */
  response: Buffer;
  resend: (bytes: Buffer) => void;
}

export class NonInviteServerTransactions {
  /** In the order they began, so that the sweep stops at the first one not yet late. */
  private readonly trying = new Map<string, Trying>();
  private readonly completed = new Map<string, Completed>();
  /** Completed UDP transactions in the order they completed, with the time they end. */
  private readonly ending: { key: string; at: number }[] = [];
  private endingHead = 0;
  private keptBytes = 0;
  private cancelSweep: (() => void) | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly unansweredMs: number,
    private readonly budget: TransactionBudget = DEFAULT_BUDGET,
  ) {}

  /** Bytes of responses kept for retransmissions. */
  get bytes(): number {
    return this.keptBytes;
  }

  /** Live transactions (trying or completed). */
  get size(): number {
    return this.trying.size + this.completed.size;
  }

  /**
   * A request came in. A retransmission of a known transaction is answered again from the kept response,
   * or absorbed while trying: the application must not see it twice. `full`: no room for it.
   */
  begin(key: string, resend: (bytes: Buffer) => void, expire: () => void): Begun {
    const completed = this.completed.get(key);
    if (completed != null) {
      completed.resend(completed.response);
      return 'retransmission';
    }
    if (this.trying.has(key)) return 'retransmission';
    if (this.size >= this.budget.maxTransactions) this.evictOldestCompleted();
    if (this.size >= this.budget.maxTransactions) return 'full';
    this.trying.set(key, { createdAt: this.clock.now(), resend, expire });
    this.scheduleSweep();
    return 'new';
  }

  /** The final response was sent: keep it for retransmissions over UDP (Timer J), end at once over TCP. */
  complete(key: string, response: Buffer, reliable: boolean): void {
    const trying = this.trying.get(key);
    if (trying == null) return;
    this.trying.delete(key);
    if (reliable) return;
    this.completed.set(key, { response, resend: trying.resend });
    this.keptBytes += response.length;
    this.ending.push({ key, at: this.clock.now() + TIMER_J_MS });
    while (this.keptBytes > this.budget.maxBytes && this.evictOldestCompleted()) {
      // the oldest kept responses go first
    }
  }

  /** Lets the oldest completed transaction go; false when there is none. */
  private evictOldestCompleted(): boolean {
    while (this.endingHead < this.ending.length) {
      const { key } = this.ending[this.endingHead++]!;
      if (this.forget(key)) return true;
    }
    return false;
  }

  private forget(key: string): boolean {
    const completed = this.completed.get(key);
    if (completed == null) return false;
    this.completed.delete(key);
    this.keptBytes -= completed.response.length;
    return true;
  }

  close(): void {
    this.cancelSweep?.();
    this.cancelSweep = null;
    this.trying.clear();
    this.completed.clear();
    this.ending.length = 0;
    this.endingHead = 0;
    this.keptBytes = 0;
  }

  private scheduleSweep(): void {
    if (this.cancelSweep != null) return;
    this.cancelSweep = this.clock.after(SWEEP_MS, () => {
      this.cancelSweep = null;
      this.sweep();
      if (this.size > 0) this.scheduleSweep();
    });
  }

  private sweep(): void {
    const now = this.clock.now();
    while (this.endingHead < this.ending.length && this.ending[this.endingHead]!.at <= now) {
      this.forget(this.ending[this.endingHead]!.key);
      this.endingHead++;
    }
    if (this.endingHead > 1024 && this.endingHead * 2 > this.ending.length) {
      this.ending.splice(0, this.endingHead);
      this.endingHead = 0;
    }
    for (const transaction of this.trying.values()) {
      if (transaction.createdAt + this.unansweredMs > now) break;
      transaction.expire();
    }
  }
}
