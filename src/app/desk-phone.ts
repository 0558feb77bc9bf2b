/**
 * The user's own desk phone (config `phone`), which key presses make call (BRIEF §4): the calls it
 * places through the PBX (src/sip/call-control.ts), and, with `phone.watch`, the call it has in progress
 * as its own dialog-info shows it (src/blf/desk-phone-calls.ts), for a press to transfer. A call
 * lampfield keeps as controller is the one in progress first.
 *
 * A transfer, by the first way that can name the call: a call lampfield keeps, by REFER in its own
 * dialog; on Asterisk with its manager given (`pbx.asterisk.manager`), by BlindTransfer of the desk
 * phone's channel (src/sip/asterisk-manager.ts), as Asterisk names no call in its dialog-info; on
 * FreeSWITCH with its event socket given (`pbx.freeswitch.eventSocket`), by uuid_transfer of the channel
 * the dialog-info names (src/sip/freeswitch-event-socket.ts); else by REFER with Target-Dialog to the
 * far side (RFC 4538), where the dialog-info gave the call's identifiers.
 */
import { DeskPhoneCalls, type DeskCall } from '../blf/desk-phone-calls.ts';
import type { ChosenDialect } from '../blf/dialect-choice.ts';
import { uriUser } from '../blf/uri.ts';
import type { Config } from '../config/config.ts';
import { blindTransfer } from '../sip/asterisk-manager.ts';
import { CallControl, DEFAULT_AUTO_ANSWER } from '../sip/call-control.ts';
import type { CallOutcome, CallTarget } from '../sip/call-outcome.ts';
import { transferCall } from '../sip/freeswitch-event-socket.ts';
import type { PartnerUpdate } from '../sip/partner-update.ts';
import type { IncomingRequest } from '../sip/stack.ts';
import type { UserAgent } from '../sip/user-agent.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { PressCalls } from './key-press.ts';
import type { PbxInterfaces } from './pbx.ts';

export class DeskPhone implements PressCalls {
  /** The desk phone's URI when its own dialogs are watched (`phone.watch`), else null. */
  readonly watched: string | null;
  private readonly control: CallControl;
  private readonly dialogs: DeskPhoneCalls;

  constructor(
    private readonly phone: NonNullable<Config['phone']>,
    ua: UserAgent,
    dialect: ChosenDialect,
    clock: Clock,
    log: Logger,
    /** The PBX's own interfaces, where the config gives them (`pbx.asterisk`, `pbx.freeswitch`). */
    private readonly interfaces: PbxInterfaces = { asteriskManager: null, freeswitchEventSocket: null },
  ) {
    this.watched = phone.watch === true ? phone.uri : null;
    this.dialogs = new DeskPhoneCalls(dialect);
    this.control = new CallControl(
      ua,
      {
        uri: phone.uri,
        mode: phone.mode,
        replaces: phone.replaces,
        autoAnswer: phone.autoAnswer ?? DEFAULT_AUTO_ANSWER,
        answerTimeoutMs: phone.answerTimeoutSeconds * 1000,
      },
      dialect,
      clock,
      log,
    );
  }

  /** A partner's update: the desk phone's own, when it is watched, says which call it is in. */
  seen(update: PartnerUpdate): void {
    if (update.partner !== this.watched) return;
    this.dialogs.update(update.status === 'active' ? update.view.dialogs : []);
  }

  inCall(): DeskCall | null {
    return this.control.controlledCall() ?? this.dialogs.call;
  }

  call(target: CallTarget): Promise<CallOutcome> {
    return this.control.call(target);
  }

  async transfer(target: string, call: DeskCall): Promise<CallOutcome> {
    const { asteriskManager, freeswitchEventSocket } = this.interfaces;
    if (this.control.controlledCall() != null) return this.control.transfer(target, call);
    const exten = uriUser(target) ?? target;
    const failed = (reason: string): CallOutcome => ({ ok: false, reason, stage: 'refer', status: null });
    if (asteriskManager != null) {
      const done = await blindTransfer(asteriskManager, uriUser(this.phone.uri) ?? this.phone.uri, exten);
      return done.ok ? { ok: true, via: 'manager' } : failed(done.reason);
    }
    if (freeswitchEventSocket != null && call.dialogId != null) {
      const done = await transferCall(freeswitchEventSocket, call.dialogId, exten);
      return done.ok ? { ok: true, via: 'event-socket' } : failed(done.reason);
    }
    return this.control.transfer(target, call);
  }

  /** Takes the requests of the phone's calls (sipfrag NOTIFY, BYE, re-INVITE); false for any other. */
  handleRequest(request: IncomingRequest): boolean {
    return this.control.handleRequest(request);
  }

  /** Calls lampfield keeps as their controller now; 0 once every one has ended. */
  get activeCalls(): number {
    return this.control.activeCalls;
  }

  /** Ends every call lampfield keeps (it is stopping). */
  stop(): Promise<void> {
    return this.control.stop();
  }
}
