/**
 * The PBX watchdog: an OPTIONS to the PBX every `intervalSeconds` (RFC 3261 §11: any answer, even a 4xx,
 * proves it is there). A PBX that restarts loses every subscription and says nothing, so only a watcher
 * that notices the silence, and refreshes when the PBX is back, converges without a human. One OPTIONS
 * unanswered for 2 s is checked again after 1 s; a second miss in a row means the PBX is gone.
 *
 *   up ──2 misses in a row──▶ gone ──any answer──▶ up
 *   (tells `gone()`)              (tells `back()`)
 */
import { localTag } from './message.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { UserAgent } from './user-agent.ts';

export interface PbxWatch {
  /** The PBX stopped answering: nothing it said before can be trusted now. */
  gone(): void;
  /** The PBX answers again (perhaps a new process that knows no subscription). */
  back(): void;
}

/** Missed keepalives in a row before the PBX counts as gone. */
const MISSES = 2;
/** How long one OPTIONS waits for its answer, and how soon a miss is checked again. */
const ANSWER_MS = 2000;
const RECHECK_MS = 1000;

export class PbxKeepalive {
  private cancel: () => void = () => undefined;
  private misses = 0;
  private up = true;
  private stopped = false;

  constructor(
    private readonly ua: UserAgent,
    private readonly intervalSeconds: number,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly watch: PbxWatch,
  ) {}

  /** Whether the PBX answered its last keepalives. */
  get pbxUp(): boolean {
    return this.up;
  }

  start(): void {
    if (this.intervalSeconds > 0) this.schedule(this.intervalSeconds * 1000);
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private schedule(ms: number): void {
    this.cancel = this.clock.after(ms, () => void this.probe());
  }

  private async probe(): Promise<void> {
    if (this.stopped) return;
    const intervalMs = this.intervalSeconds * 1000;
    const { address, port } = this.ua.pbx;
    const request = this.ua.outOfDialog(
      'OPTIONS',
      `sip:${address}:${port}`,
      this.ua.newCallId(),
      localTag(),
      1,
    );
    const response = await this.ua.stack.request(request, this.ua.pbx, {
      timeoutMs: Math.min(intervalMs, ANSWER_MS),
    });
    if (this.stopped) return;
    const answered = response.status !== 408 && response.status !== 503;
    if (answered) {
      this.misses = 0;
      if (!this.up) {
        this.up = true;
        this.log.info('PBX answers again, refreshing every subscription');
        this.watch.back();
      }
    } else if (++this.misses >= MISSES && this.up) {
      this.up = false;
      this.log.warn('PBX does not answer; every partner is unknown until it does', {
        pbx: `${address}:${port}`,
      });
      this.watch.gone();
    }
    const confirming = !answered && this.up;
    this.schedule(confirming ? Math.min(intervalMs, RECHECK_MS) : intervalMs);
  }
}
