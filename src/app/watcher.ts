/**
 * The application (BRIEF §2), wired from a loaded config: the SIP stack and lampfield's identity on the
 * PBX, the one NOTIFY intake (DialogWatcher) behind the subscriptions, the PBX keepalive, the lamp feed
 * to the board and to whoever views the keys (the status page), the desk phone's call control, and the
 * optional registration. `lampfield run` and `lampfield sim` start it the same way; it knows nothing of
 * arguments or process signals.
 *
 *   NOTIFY ─▶ PartnerSubscriptions ─▶ DialogWatcher ─▶ partner update ─▶ LampFeed ─▶ board, viewer
 *   key ─▶ GestureTracker ─▶ planPress (key-press.ts) ─▶ CallControl ─▶ desk phone
 */
import { openBoard, type Terminal } from '../../hw/open-board.ts';
import { DeskPhoneCalls } from '../blf/desk-phone-calls.ts';
import { DialectDetector, type DialectChoice } from '../blf/dialect-detect.ts';
import { DIALECTS } from '../blf/dialects.ts';
import { readDialogInfo } from '../blf/dialog-info-reader.ts';
import { callerOf, DialogWatcher } from '../blf/dialog-watcher.ts';
import { RegWatcher, withRegistration } from '../blf/reginfo.ts';
import { ResourceListWatcher } from '../blf/resource-list-watcher.ts';
import { partnerNamedBy } from '../blf/uri.ts';
import { GestureTracker, PressGate, type Gesture } from '../blf/key-actions.ts';
import { resolveLampTable, type LampSituation } from '../blf/lamp-policy.ts';
import type { PickupOptions } from '../blf/pickup.ts';
import type { Config, KeyConfig } from '../config/config.ts';
import { PagedPanel } from '../panel/paged-panel.ts';
import type { KeyViewer, PanelDevice } from '../panel/panel.ts';
import { CallControl, DEFAULT_AUTO_ANSWER, type CallOutcome, type CallTarget } from '../sip/call-control.ts';
import { PartnerSubscriptions } from '../sip/partner-subscriptions.ts';
import type { PartnerUpdate } from '../sip/subscription.ts';
import { PbxKeepalive } from '../sip/pbx-keepalive.ts';
import { Pacer } from '../sip/subscribe-pacer.ts';
import { Registration } from '../sip/registration.ts';
import { headerText, type SipMessage } from '../sip/message.ts';
import { SipStack, type IncomingRequest, type SipRemote } from '../sip/stack.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { planPress, pressWords, type PressOutcome, type PressRules } from './key-press.ts';
import { LampFeed } from './lamp-feed.ts';
import { pbxUserAgent, resolvePbxAddress, tlsSetup } from './pbx.ts';

/**
 * What a pickup's call may fail with that the next method may not (RFC 5359 §2.16): the caller's URI
 * unknown (404), its dialog not found (481), the caller declining the Replaces (603).
 */
const FALL_THROUGH = new Set([404, 481, 603]);

/** How many of the PBX's first dialog-info documents `pbx.dialect: auto` reads for their shape. */
const SHAPES_READ = 20;

export interface WatcherSetup {
  log: Logger;
  clock?: Clock;
  /** Where the console board writes and reads (ignored by other boards). */
  terminal?: Terminal;
  /** Shown every key change besides the board (the status page). */
  viewer?: KeyViewer;
  /** A board already open (tests, on fake hardware); without it, the config's board is opened. */
  panel?: PanelDevice;
}

export type { PressOutcome } from './key-press.ts';

export interface RunningWatcher {
  /** What lampfield knows of a partner now; null for one no key watches. */
  partner(uri: string): PartnerUpdate | null;
  /** Calls lampfield keeps as their controller now (call-control.ts); 0 once every one has ended. */
  controlledCalls(): number;
  /** Presses a key as its panel would; resolves when the desk phone's call has gone as far as it goes. */
  press(key: number, gesture: Gesture): Promise<PressOutcome>;
  /** Ends subscriptions and registration, closes the stack and the board. */
  stop(): Promise<void>;
}

export async function startWatcher(config: Config, setup: WatcherSetup): Promise<RunningWatcher> {
  const { log } = setup;
  const clock = setup.clock ?? systemClock;
  const pbxAddress = await resolvePbxAddress(config);
  // A TLS connection that fails says why once (a wrong CA or name fails every try the same way).
  const tlsSaid = new Set<string>();
  const tls = tlsSetup(config, (reason) => {
    if (tlsSaid.has(reason)) return;
    tlsSaid.add(reason);
    log.error(reason);
  });
  // pbx.dialect auto: whatever the PBX sends is looked at until it shows which family it is.
  let observe: (message: SipMessage, remote: SipRemote) => void = () => undefined;
  const stack = await SipStack.open({
    address: config.local.address,
    port: config.local.port,
    transports: [config.pbx.transport],
    observe: (message, remote) => observe(message, remote),
    signature: 'lampfield',
    ...(tls == null ? {} : { tls }),
    ...(config.local.publicAddress == null ? {} : { publicAddress: config.local.publicAddress }),
    clock,
    ...(config.log.sipTrace
      ? {
          trace: (direction, text, remote) =>
            log.debug(`SIP ${direction}`, { remote: `${remote.address}:${remote.port}`, text }),
        }
      : {}),
  });
  const ua = pbxUserAgent(config, stack, pbxAddress);
  const device = setup.panel ?? (await openBoard(config, setup.terminal ?? { write: () => {} }, log, clock));
  // Keys on pages of the board's own keys, its last key turning the page (config `pages`).
  const board = config.pages > 1 ? new PagedPanel(device, config.pages) : device;
  board.onPage?.((page) => setup.viewer?.pageShown?.(page));
  const byKey = new Map(config.keys.map((key) => [key.key, key]));
  const detector = config.pbx.dialect === 'auto' ? new DialectDetector() : null;
  const dialect = DIALECTS[config.pbx.dialect === 'auto' ? 'generic' : config.pbx.dialect];
  const pickup: PickupOptions = {
    ...(config.pickup == null ? {} : { order: config.pickup }),
    ...(config.pbx.pickupCode === undefined ? {} : { code: config.pbx.pickupCode }),
  };

  const feed = new LampFeed(
    clock,
    config.keys.map((key) => ({
      key: key.key,
      table: resolveLampTable(config.lamps, key.lamps),
      capability: config.board.lamp.kind,
    })),
    (change) => {
      const key = byKey.get(change.key)!;
      const partner = subscriptions.update(key.partner);
      const caller = change.state === 'ringing' && partner != null ? callerOf(partner.view) : null;
      const info = { partner: key.partner, state: change.state, label: key.label, caller };
      board.setLamp(change.key, change.lamp, info);
      setup.viewer?.keyShown({ key: key.key, lamp: change.lamp, ...info });
    },
    config.idleHoldMs,
  );
  const partners = config.keys.map((key) => key.partner);
  // The desk phone's own calls, watched as a partner's are (phone.watch), for a press to transfer.
  const deskPhone = config.phone?.watch === true ? config.phone.uri : null;
  const deskCalls = new DeskPhoneCalls(dialect);
  const pacer = new Pacer(config.pbx.subscribeRate, clock);
  const shared = {
    clock,
    log,
    expires: config.pbx.expires,
    subscribeRate: config.pbx.subscribeRate,
    pbxAddress,
    pacer,
  };
  /** What a partner's keys show: its dialogs' state, with its registrations' where they are watched. */
  const situationOf = (partner: string): LampSituation =>
    withRegistration(
      subscriptions.update(partner)?.situation ?? 'unknown',
      registrations?.update(partner) ?? null,
    );
  const offer = (update: PartnerUpdate) => {
    log.debug('partner', { partner: update.partner, status: update.status, state: update.situation });
    if (update.partner === deskPhone) deskCalls.update(update.status === 'active' ? update.view.dialogs : []);
    for (const key of config.keys)
      if (key.partner === update.partner) feed.offer(key.key, situationOf(key.partner));
  };
  const subscribed = deskPhone == null || partners.includes(deskPhone) ? partners : [...partners, deskPhone];
  // Every partner's dialogs by one subscription each, or by one to the PBX's resource list (RFC 4662).
  const list =
    config.pbx.list == null ? null : new ResourceListWatcher(dialect, subscribed, pbxAddress, { pickup });
  const intake = list ?? new DialogWatcher(dialect, { pickup });
  const subscriptions = new PartnerSubscriptions(
    ua,
    subscribed,
    { ...shared, intake, ...(list == null ? {} : { list: { uri: config.pbx.list!, state: list } }) },
    offer,
  );
  // The registration event package (RFC 3680) beside the dialog one, where the config asks for it.
  const registrations = config.pbx.registrations
    ? new PartnerSubscriptions(
        ua,
        partners,
        { ...shared, intake: new RegWatcher(), quietRefusals: true },
        (update) => {
          if (update.status === 'refused' && !regRefusedSaid) {
            regRefusedSaid = true;
            log.warn('the PBX refuses the registration event package (reg): keys cannot show offline', {
              partner: update.partner,
              reason: update.reason,
            });
          }
          offer(update);
        },
      )
    : null;
  let regRefusedSaid = false;
  const pbxPlace = `${pbxAddress}:${config.pbx.port}`;
  const keepalive = new PbxKeepalive(ua, config.pbx.keepaliveSeconds, clock, log, {
    gone: () => {
      subscriptions.pbxGone();
      registrations?.pbxGone();
      setup.viewer?.pbxShown?.({ up: false, detail: `the PBX at ${pbxPlace} does not answer` });
    },
    back: () => {
      subscriptions.pbxBack();
      registrations?.pbxBack();
      setup.viewer?.pbxShown?.({ up: true, detail: `the PBX at ${pbxPlace} answers again` });
    },
  });
  const calls =
    config.phone == null
      ? null
      : new CallControl(
          ua,
          {
            uri: config.phone.uri,
            mode: config.phone.mode,
            replaces: config.phone.replaces,
            autoAnswer: config.phone.autoAnswer ?? DEFAULT_AUTO_ANSWER,
            answerTimeoutMs: config.phone.answerTimeoutSeconds * 1000,
          },
          clock,
          log,
        );
  stack.onRequests((request) => {
    if (calls?.handleRequest(request) === true) return;
    if (registrations?.claim(request) === true) return;
    if (detector?.chosen == null && unasked(request) && !subscriptions.claim(request))
      choose(detector?.sawUnsolicited(request.message.content ?? '') ?? null);
    if (subscriptions.handleRequest(request)) return;
    // RFC 3261 §11.2: OPTIONS is answered with what we accept; anything else is not for us.
    if (request.message.method === 'OPTIONS')
      request.respond(200, 'OK', { headers: { allow: 'NOTIFY, OPTIONS, BYE' } });
    else request.respond(405, 'Method Not Allowed', { headers: { allow: 'NOTIFY, OPTIONS, BYE' } });
  });

  /** The family `auto` found: every reading follows it, and every key is shown again as it now reads. */
  const choose = (choice: DialectChoice | null) => {
    if (choice == null) return;
    const chosen = DIALECTS[choice.dialect];
    intake.dialect = chosen;
    deskCalls.dialect = chosen;
    rules.dialect = chosen;
    log.info(`dialect ${choice.dialect} (auto: ${choice.evidence})`);
    for (const partner of subscribed) {
      const update = subscriptions.update(partner);
      if (update != null) offer(update);
    }
  };
  /** `auto` reads the shape of the PBX's first documents only: a flood of NOTIFYs costs no parsing. */
  let documentsRead = 0;
  observe = (message, remote) => {
    if (detector == null || detector.chosen != null || remote.address !== pbxAddress) return;
    choose(detector.sawProduct(headerText(message, 'server'), headerText(message, 'user-agent')));
    const body = message.content ?? '';
    if (detector.chosen != null || message.method !== 'NOTIFY' || body === '') return;
    if (documentsRead >= SHAPES_READ) return;
    documentsRead++;
    const read = readDialogInfo(body);
    if (read.ok) choose(detector.sawDocument(read.document));
  };
  /** A dialog NOTIFY from the PBX naming a watched partner by its From (maybe one no subscription asked for). */
  const unasked = ({ message, remote }: IncomingRequest): boolean =>
    message.method === 'NOTIFY' &&
    remote.address === pbxAddress &&
    (headerText(message, 'event') ?? '').split(';')[0]?.trim().toLowerCase() === 'dialog' &&
    partnerNamedBy(message.headers.from?.uri ?? null, subscribed, pbxAddress) != null;

  const rules: PressRules = {
    dialect,
    domain: config.pbx.domain,
    actions: config.actions ?? {},
    pickup,
    deskPhone: calls != null,
    pbx: { hosts: [config.pbx.host, config.pbx.domain, pbxAddress], port: config.pbx.port },
  };
  /** A press: the key's plan for its partner's state (key-press.ts), carried out by the desk phone. */
  const pressKey = async (key: KeyConfig, gesture: Gesture): Promise<PressOutcome> => {
    const update = subscriptions.update(key.partner);
    const state = update?.situation ?? 'unknown';
    const caller = update == null ? null : callerOf(update.view);
    // The page lists each press and what became of it (src/web); the same id when it ends.
    const id = ++pressCount;
    const report = (outcome: PressOutcome, finished: boolean) =>
      setup.viewer?.pressShown?.({ id, key: key.key, ...pressWords(key, state, caller, outcome, finished) });
    const outcome = await carryOut(key, gesture, state, update, report);
    report(outcome, true);
    return outcome;
  };
  let pressCount = 0;
  const carryOut = async (
    key: KeyConfig,
    gesture: Gesture,
    state: LampSituation,
    update: PartnerUpdate | null,
    report: (outcome: PressOutcome, finished: boolean) => void,
  ): Promise<PressOutcome> => {
    // The desk phone's call in progress: one lampfield keeps, else the one its dialog state shows.
    const deskCall = calls?.controlledCall() ?? deskCalls.call;
    const plan = planPress(key, gesture, { state, view: update?.view ?? null }, rules, deskCall);
    if (plan.kind === 'none') return plan;
    const fail = (reason: string) => {
      log.warn(`key ${key.key}: ${plan.action} ${key.partner} failed: ${reason}`);
      feed.flashError(key.key, config.errorFlashMs);
    };
    if (plan.kind === 'refused') {
      fail(plan.reason);
      return plan;
    }
    log.info(`key ${key.key}: ${plan.action} ${key.partner}`, { target: plan.target });
    report(plan, false);
    if (plan.kind === 'transfer') {
      const transferred = await calls!.transfer(plan.target, plan.call);
      if (transferred.ok) return plan;
      fail(transferred.reason);
      return { kind: 'failed', action: plan.action, reason: transferred.reason };
    }
    // A pickup tries its methods in order while the call to one fails the way a method can (BRIEF §4).
    const pickups = plan.pickup == null ? [] : [plan.pickup, ...plan.fallbacks];
    const tries: CallTarget[] = pickups.length > 0 ? pickups : [{ uri: plan.target, replaces: null }];
    let outcome: CallOutcome;
    for (let index = 0; ; index++) {
      // planPress refuses every press when no desk phone is configured.
      outcome = await calls!.call(tries[index]!);
      const next = pickups[index + 1];
      if (outcome.ok || next == null || outcome.stage !== 'target' || !FALL_THROUGH.has(outcome.status ?? 0))
        break;
      const method = pickups[index]!.method;
      log.info(`key ${key.key}: pickup by ${method} failed (${outcome.reason}); trying ${next.method}`);
    }
    if (outcome.ok) return plan;
    fail(outcome.reason);
    return { kind: 'failed', action: plan.action, reason: outcome.reason };
  };
  const gestures = new GestureTracker();
  const gate = new PressGate();
  let floodSaidAt = Number.NEGATIVE_INFINITY;
  board.onKey((event) => {
    const gesture = gestures.event(event.key, event.event);
    const key = byKey.get(event.key);
    if (gesture == null || key == null) return;
    if (!gate.admit(key.key, clock.now())) {
      if (clock.now() - floodSaidAt > 10_000) {
        floodSaidAt = clock.now();
        log.warn(`key ${key.key}: presses come faster than lampfield carries them out; some are ignored`);
      }
      return;
    }
    void pressKey(key, gesture).finally(() => gate.done(key.key));
  });

  const registration = config.account.register
    ? new Registration(ua, config.account.registerExpires, clock, log)
    : null;
  if (registration != null) await registration.start();
  subscriptions.start();
  registrations?.start();
  keepalive.start();
  const watched = new Set(partners).size;
  setup.viewer?.pbxShown?.({ up: true, detail: `watching ${watched} partners on ${pbxPlace}` });
  log.info('watching', {
    partners: watched,
    ...(config.pbx.list == null ? {} : { list: config.pbx.list }),
    pbx: pbxPlace,
    local: stack.hostPort,
    dialect: config.pbx.dialect,
  });
  return {
    partner: (uri) => subscriptions.update(uri),
    controlledCalls: () => calls?.activeCalls ?? 0,
    press: (number, gesture) => {
      const key = byKey.get(number);
      return key == null ? Promise.resolve({ kind: 'none' }) : pressKey(key, gesture);
    },
    stop: async () => {
      keepalive.stop();
      await calls?.stop();
      await subscriptions.stop();
      await registrations?.stop();
      await registration?.stop();
      await stack.close();
      await board.close();
    },
  };
}
