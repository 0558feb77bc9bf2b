/**
 * The link layer of the module's protocol (PROTOCOL.md §4.1), one side of it: sequenced frames sent
 * stop-and-wait, each the same bytes again after the retry time until acknowledged, and the other side's
 * sequenced frames told apart from retransmissions. The host driver (hw/serial) and the firmware
 * (firmware-sim/sim) each run one with their own retry time and their own answer to a frame given up
 * (the host reconnects, the module drops the frame and goes on); its frame sequences are the reference
 * for the C firmware's. No I/O of its own: bytes leave through `write`, time is the injected clock.
 *
 *   idle ──send──▶ waiting (head written, retry timer) ──ACK (or NAK) of head──▶ next frame, or idle
 *                    │ timer, tries ≤ retries ──▶ the same bytes again
 *                    └ timer, tries > retries ──▶ head dropped, `gaveUp` told, next frame
 */
import { encodeFrame } from './framing.ts';
import { encodeMessage, type Message } from './messages.ts';

/** The clock the retry timer runs on (the side's own). */
export interface LinkClock {
  after(ms: number, fire: () => void): () => void;
}

export interface LinkSetup {
  clock: LinkClock;
  /** How long an unanswered frame waits before it is sent again (host 200 ms, module 100 ms). */
  retryMs: number;
  /** How many times it is sent again before it is given up (5). */
  retries: number;
  /** The bytes of a frame, to the other side. */
  write(bytes: Uint8Array): void;
  /** A frame went unanswered through every retry; the next one (if any) follows. */
  gaveUp(message: Message): void;
  /** Every queued frame was answered. */
  drained?(): void;
}

interface Outgoing {
  seq: number;
  bytes: Uint8Array;
  tries: number;
  message: Message;
}

const NOOP = () => undefined;

export class StopAndWait {
  /** Frames sent again for want of an answer. */
  retransmissions = 0;
  private outbox: Outgoing[] = [];
  private seq = 0;
  /** The seq of the last sequenced frame taken from the other side; -1 when none. */
  private lastTaken = -1;
  private cancelRetry: () => void = NOOP;

  constructor(private readonly setup: LinkSetup) {}

  /** Sequenced frames waiting to be sent or answered. */
  get pending(): number {
    return this.outbox.length;
  }

  /** Queues a sequenced message: numbered 1..255 per sender, wrapping to 1; sent when the ones before are answered. */
  send(message: Message): void {
    this.seq = (this.seq % 255) + 1;
    const { type, payload } = encodeMessage(message);
    this.outbox.push({
      seq: this.seq,
      bytes: encodeFrame({ seq: this.seq, type, payload }),
      tries: 0,
      message,
    });
    if (this.outbox.length === 1) this.sendHead();
  }

  /** An unsequenced message (ACK, NAK: frame seq 0), sent at once. */
  reply(message: Message): void {
    this.setup.write(encodeFrame({ seq: 0, ...encodeMessage(message) }));
  }

  /** The other side answered frame `seq` (ACK, or a NAK that refuses it for good); false if it is not the one waiting. */
  answered(seq: number): boolean {
    if (this.outbox[0]?.seq !== seq) return false;
    this.cancelRetry();
    this.outbox.shift();
    if (this.outbox.length > 0) this.sendHead();
    else this.setup.drained?.();
    return true;
  }

  /** Whether a sequenced frame of the other side's is the one taken last again: its ACK was lost. */
  isRepeat(seq: number): boolean {
    return seq === this.lastTaken;
  }

  /** A sequenced frame of the other side's was taken (to be acknowledged, and not applied again). */
  took(seq: number): void {
    this.lastTaken = seq;
  }

  /** Nothing queued is sent (the link is gone, or the other side was refused). */
  clear(): void {
    this.cancelRetry();
    this.outbox = [];
  }

  /** A new session (§4.1, HELLO): cleared, and the other side's numbers forgotten. */
  newSession(): void {
    this.clear();
    this.lastTaken = -1;
  }

  /** As after power-on: a new session, numbering from 1 again. */
  reset(): void {
    this.newSession();
    this.seq = 0;
  }

  /** Stops the retry timer for good (the side is closing). */
  stop(): void {
    this.cancelRetry();
  }

  private sendHead(): void {
    this.cancelRetry();
    const head = this.outbox[0];
    if (head == null) return;
    if (head.tries > 0) this.retransmissions++;
    head.tries++;
    this.setup.write(head.bytes);
    this.cancelRetry = this.setup.clock.after(this.setup.retryMs, () => {
      this.cancelRetry = NOOP;
      if (head.tries <= this.setup.retries) {
        this.sendHead();
        return;
      }
      this.outbox.shift();
      this.setup.gaveUp(head.message);
      this.sendHead();
    });
  }
}
