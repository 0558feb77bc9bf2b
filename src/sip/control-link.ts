/**
 * One TCP connection to a PBX's own control interface (Asterisk's manager, src/sip/asterisk-manager.ts;
 * FreeSWITCH's event socket, src/sip/freeswitch-event-socket.ts), for the one thing SIP cannot do there:
 * moving the call the desk phone is in. Text goes out as the interface's commands; what comes back is
 * cut into messages by the interface's reader, and taken one at a time, each within STEP_MS. What the
 * PBX sends is read under a cap (MAX_BUFFER, the reader's to enforce): a peer that floods is cut off,
 * never kept in memory.
 */
import type { Socket } from 'node:net';
import type { Clock } from '../util/clock.ts';

/** How long each answer of the PBX is waited for (and the connection's opening). */
export const STEP_MS = 5000;
/** More unread bytes than this from the interface is none of the PBX's: the connection is closed. */
export const MAX_BUFFER = 1024 * 1024;

/** Where the interface is, and the platform's way to open a TCP connection there. */
export interface ControlEndpoint {
  host: string;
  port: number;
  connect: (host: string, port: number) => Socket;
  clock: Clock;
}

/** Cuts the text as it comes into messages; throws on what is not the interface's (the link fails). */
export interface MessageReader<M> {
  push(chunk: string): M[];
}

export class ControlLink<M> {
  private waiting: ((message: M | Error) => void) | null = null;
  private readonly queue: M[] = [];
  private failure: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly clock: Clock,
    reader: MessageReader<M>,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      try {
        this.queue.push(...reader.push(chunk));
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.deliver();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('closed the connection')));
  }

  /** Connected (within STEP_MS), reading with `reader`. */
  static async open<M>(endpoint: ControlEndpoint, reader: MessageReader<M>): Promise<ControlLink<M>> {
    const socket = endpoint.connect(endpoint.host, endpoint.port);
    const link = new ControlLink(socket, endpoint.clock, reader);
    await new Promise<void>((resolve, reject) => {
      const cancel = endpoint.clock.after(STEP_MS, () => {
        socket.destroy();
        reject(new Error(`did not answer within ${STEP_MS / 1000} s`));
      });
      socket.once('connect', () => {
        cancel();
        resolve();
      });
      socket.once('error', (error) => {
        cancel();
        reject(error);
      });
    });
    return link;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** The next message, in the order they came; rejects when none comes within STEP_MS or the link failed. */
  next(): Promise<M> {
    const queued = this.queue.shift();
    if (queued != null) return Promise.resolve(queued);
    if (this.failure != null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const cancel = this.clock.after(STEP_MS, () => {
        this.waiting = null;
        reject(new Error(`did not answer within ${STEP_MS / 1000} s`));
      });
      this.waiting = (message) => {
        cancel();
        this.waiting = null;
        if (message instanceof Error) reject(message);
        else resolve(message);
      };
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(): void {
    if (this.waiting == null) return;
    const message = this.queue.shift();
    if (message != null) this.waiting(message);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiting?.(this.failure);
    this.socket.destroy();
  }
}

/** What a session on a control interface came to: done, or why not in words. */
export type ControlOutcome = { ok: true } | { ok: false; reason: string };

/**
 * One session on a PBX's control interface: the link `open`ed, `work` done on it, the link closed after
 * whatever happened. Anything that fails on the way (no connection, no answer in time, a peer that is not
 * the interface) comes back as a reason that names `where`, never as a throw.
 */
export async function controlSession<L extends { close(): void }>(
  where: string,
  open: () => Promise<L>,
  work: (link: L) => Promise<ControlOutcome>,
): Promise<ControlOutcome> {
  const failed = (error: unknown): ControlOutcome => ({
    ok: false,
    reason: `${where}: ${error instanceof Error ? error.message : String(error)}`,
  });
  let link: L;
  try {
    link = await open();
  } catch (error) {
    return failed(error);
  }
  try {
    return await work(link);
  } catch (error) {
    return failed(error);
  } finally {
    link.close();
  }
}
