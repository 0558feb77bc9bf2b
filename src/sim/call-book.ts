/**
 * The simulated PBX's calls: each extension's side of every call it is in (SimCall), as calls ring, are
 * answered, held, hung up or picked up. Every change is told to the listener (the notifier sends it to
 * the extension's watchers). Terminated calls are told once, then forgotten; Kamailio keeps them a while,
 * and so does the document writer.
 */
import { localTag } from '../sip/message.ts';
import { uriUser } from '../blf/uri.ts';
import type { SimCall } from './dialog-info-writer.ts';

export interface CallListener {
  /** `number`'s calls are now `calls`. */
  changed(number: string, calls: readonly SimCall[]): void;
  /** `number`'s early call is about to be answered (innovaphone writes a document of its own for it). */
  answering(number: string, call: SimCall): void;
}

/** One extension's ringing call, found for a pickup. */
export interface RingingCall {
  number: string;
  call: SimCall;
}

export class CallBook {
  private readonly calls = new Map<string, SimCall[]>();
  private sequence = 0;

  constructor(
    private readonly host: string,
    private readonly listener: CallListener,
  ) {}

  /** `number`'s calls now. */
  of(number: string): readonly SimCall[] {
    return this.calls.get(number) ?? [];
  }

  /** `from` calls `to`: `to` rings (its side of the call is an incoming early dialog). Returns the call's id. */
  ring(from: string, to: string): string {
    const id = `sim${++this.sequence}`;
    const callId = `${id}-${localTag()}@sim`;
    const fromTag = `${from}-${localTag()}`;
    const toTag = `${to}-${localTag()}`;
    this.update(to, (calls) => [...calls, this.side(id, callId, toTag, fromTag, 'recipient', from)]);
    this.update(from, (calls) => [...calls, this.side(id, callId, fromTag, toTag, 'initiator', to)]);
    return id;
  }

  answer(id: string): void {
    for (const [number, calls] of this.calls) {
      const call = calls.find((candidate) => candidate.id === id);
      if (call == null || call.phase !== 'early') continue;
      this.listener.answering(number, call);
      this.update(number, (list) =>
        list.map((candidate) => (candidate.id === id ? { ...candidate, phase: 'confirmed' } : candidate)),
      );
    }
  }

  hold(id: string, number: string, held: boolean): void {
    this.update(number, (calls) => calls.map((call) => (call.id === id ? { ...call, held } : call)));
  }

  hangUp(id: string): void {
    for (const number of [...this.calls.keys()]) {
      if (!this.of(number).some((call) => call.id === id)) continue;
      this.end(number, id);
    }
  }

  /** The first ringing (early, incoming) call that `match` takes, with the extension it rings. */
  findRinging(match: (call: SimCall, owner: string) => boolean): RingingCall | null {
    for (const [number, calls] of this.calls) {
      const call = calls.find(
        (candidate) =>
          candidate.phase === 'early' && candidate.direction === 'recipient' && match(candidate, number),
      );
      if (call != null) return { number, call };
    }
    return null;
  }

  /**
   * `by` picks up a ringing call: the ringing extension's side ends, and the caller is now in a call with
   * `by`. Returns the caller's number.
   */
  pickUp(ringing: RingingCall, by: string): string {
    const caller = uriUser(ringing.call.remote.uri) ?? '';
    const { id } = ringing.call;
    this.end(ringing.number, id);
    this.update(caller, (calls) =>
      calls.map((call) =>
        call.id === id
          ? { ...call, phase: 'confirmed', remote: { uri: `sip:${by}@${this.host}`, display: by } }
          : call,
      ),
    );
    return caller;
  }

  /** `number`'s side of call `id` ends: told as terminated once, then forgotten. */
  private end(number: string, id: string): void {
    this.update(number, (calls) =>
      calls.map((call) => (call.id === id ? { ...call, phase: 'terminated' } : call)),
    );
    this.calls.set(
      number,
      this.of(number).filter((call) => call.id !== id),
    );
  }

  private side(
    id: string,
    callId: string,
    localTag: string,
    remoteTag: string,
    direction: 'initiator' | 'recipient',
    other: string,
  ): SimCall {
    return {
      id,
      callId,
      localTag,
      remoteTag,
      direction,
      phase: 'early',
      remote: { uri: `sip:${other}@${this.host}`, display: other },
      held: false,
    };
  }

  private update(number: string, change: (calls: readonly SimCall[]) => SimCall[]): void {
    const calls = change(this.of(number));
    this.calls.set(number, calls);
    this.listener.changed(number, calls);
  }
}
