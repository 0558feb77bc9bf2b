/**
 * The application (BRIEF §2): lampfield, the watcher, wired from a loaded config out of named units,
 * each handed what it needs once, declared in the order data flows. `lampfield run` and `lampfield sim`
 * start it the same way; it knows nothing of arguments or process signals, and takes every real thing
 * (clock, sockets, board, DNS, certificates) from the platform it is given (platform.ts).
 *
 * A NOTIFY, from the socket to a lamp, goes down the layers and back up once:
 *
 *   src/sip   transports.ts (bytes) ─▶ stack.ts (a request) ─▶ request-router.ts ─▶ partner-watch.ts
 *             (its subscription, by dialog) ─▶ subscription.ts
 *   src/blf   dialog-intake.ts: headers checked, the document read and applied, the partner's view
 *             computed, once
 *   src/sip   subscription.ts ─▶ partner-update.ts: the subscription's state with that view, told once
 *             per change
 *   src/app   partner-lamps.ts: the situation, the idle hold, the lamp (src/blf/lamp-policy.ts)
 *   src/panel the board's setLamp (the driver in hw/), and the page's keyShown (src/web)
 *
 * A key press goes the other way: the board's key event ─▶ key-press.ts (gesture, gate, plan, the
 * pickup's fall-through) ─▶ desk-phone.ts ─▶ src/sip/call-control.ts ─▶ the PBX ─▶ the desk phone.
 */
import { ChosenDialect } from '../blf/dialect-choice.ts';
import { DIALECTS } from '../blf/dialects.ts';
import { DialogIntake } from '../blf/dialog-intake.ts';
import type { Gesture } from '../blf/key-actions.ts';
import type { PickupOptions } from '../blf/pickup.ts';
import { ResourceListIntake } from '../blf/resource-list-intake.ts';
import type { Config, KeyConfig } from '../config/config.ts';
import { OFF_LAMP } from '../../firmware-sim/protocol/lamp.ts';
import { PagedPanel } from '../panel/paged-panel.ts';
import type { KeyViewer, PanelDevice } from '../panel/panel.ts';
import { PartnerSubscriptions } from '../sip/partner-subscriptions.ts';
import type { PartnerUpdate } from '../sip/partner-update.ts';
import type { PartnerWatch, WatchOptions } from '../sip/partner-watch.ts';
import { PbxKeepalive } from '../sip/pbx-keepalive.ts';
import { Registration } from '../sip/registration.ts';
import { routeRequests } from '../sip/request-router.ts';
import { ResourceListSubscription } from '../sip/resource-list-subscription.ts';
import { SipStackError, type SipStack } from '../sip/stack.ts';
import { Pacer } from '../sip/subscribe-pacer.ts';
import type { UserAgent } from '../sip/user-agent.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { AutoDialect } from './dialect-auto.ts';
import { DeskPhone } from './desk-phone.ts';
import { KeyPresses, type KeyPressSetup, type PressOutcome } from './key-press.ts';
import { OfflineWatch, type MakeWatch } from './offline-watch.ts';
import { PartnerLamps, type PartnerLampsSetup } from './partner-lamps.ts';
import { pbxInterfaces, pbxUserAgent, resolvePbxAddress, tlsSetup } from './pbx.ts';
import type { Platform } from './platform.ts';

export interface WatcherSetup {
  platform: Platform;
  log: Logger;
  /** Shown every key change besides the board (the status page). */
  viewer?: KeyViewer;
  /** A board already open (tests, on fake hardware); without it, the platform opens the config's board. */
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
  /** A press from the status page (`web.control`): through the panel's gate against floods. */
  pressFromPage(key: number, gesture: Gesture): void;
  /**
   * Takes the config's new keys without stopping (README "Many panels"): calls go on, partners watched
   * before keep their subscriptions. False, changing nothing, where the partners are watched by a
   * resource list or with their registrations: the watcher must start again for those.
   */
  changeKeys(keys: readonly KeyConfig[]): Promise<boolean>;
  /** Ends subscriptions and registration, closes the stack and the board. */
  stop(): Promise<void>;
}

export async function startWatcher(config: Config, setup: WatcherSetup): Promise<RunningWatcher> {
  const { platform, log, viewer } = setup;
  const { clock } = platform;
  // The PBX, the dialect its documents are read in, and lampfield's SIP identity toward it.
  const pbxAddress = await resolvePbxAddress(config, platform);
  const pbxPlace = `${pbxAddress}:${config.pbx.port}`;
  const dialect = new ChosenDialect(DIALECTS[config.pbx.dialect === 'auto' ? 'generic' : config.pbx.dialect]);
  const partners = subscribedPartners(config.keys, config.phone);
  const auto = config.pbx.dialect === 'auto' ? new AutoDialect(dialect, pbxAddress, partners, log) : null;
  const stack = await openStack(config, platform, log, auto);
  const ua = pbxUserAgent(config, stack, pbxAddress);

  // The board, and the lamps of its keys.
  const board = await openKeys(config, setup);
  const lamps = new PartnerLamps(config.keys, lampSetup(config, clock, log), (view) => {
    board.setLamp(view.key, view.lamp, view);
    viewer?.keyShown(view);
  });

  // The desk phone, and the subscriptions that feed the lamps (and the desk phone its own call).
  const interfaces = pbxInterfaces(config, platform, pbxAddress);
  const desk = config.phone == null ? null : new DeskPhone(config.phone, ua, dialect, clock, log, interfaces);
  const { expires, subscribeRate } = config.pbx;
  const watch = { clock, log, expires, subscribeRate, pbxAddress, pacer: new Pacer(subscribeRate, clock) };
  const subscriptions = watchDialogs(config, ua, partners, dialect, watch, (update) => {
    lamps.dialogs(update);
    desk?.seen(update);
  });
  const registrations = config.pbx.registrations
    ? watchRegistrations(config, ua, watch, (update) => lamps.registrations(update))
    : null;
  dialect.onChange(() => subscriptions.reread());
  const watches = registrations == null ? [subscriptions] : [subscriptions, registrations];
  resubscribeOnFlowLoss(stack, ua, watches, clock, log);
  const keepalive = new PbxKeepalive(ua, config.pbx.keepaliveSeconds, clock, log, {
    gone: () => {
      for (const each of watches) each.pbxGone();
      viewer?.pbxShown?.({ up: false, detail: `the PBX at ${pbxPlace} does not answer` });
    },
    back: () => {
      for (const each of watches) each.pbxBack();
      viewer?.pbxShown?.({ up: true, detail: `the PBX at ${pbxPlace} answers again` });
    },
  });
  routeRequests(stack, [
    (request) => desk?.handleRequest(request) === true,
    (request) => registrations?.claim(request) === true,
    (request) => auto?.consider(request, (asked) => subscriptions.owns(asked)) ?? false,
    (request) => subscriptions.handleRequest(request),
  ]);

  // Key presses, carried out by the desk phone.
  const rules = pressRules(config, pbxAddress);
  const { errorFlashMs } = config;
  const presses = new KeyPresses({
    keys: config.keys,
    rules,
    dialect,
    calls: desk,
    lamps,
    errorFlashMs,
    clock,
    log,
    viewer,
  });
  board.onKey((event) => presses.event(event));

  // Running: registered where the config asks, subscribed, the PBX watched.
  const registration = config.account.register
    ? new Registration(ua, config.account.registerExpires, clock, log)
    : null;
  await registration?.start();
  for (const each of watches) each.start();
  keepalive.start();
  const watched = new Set(config.keys.map((key) => key.partner)).size;
  viewer?.pbxShown?.({ up: true, detail: `watching ${watched} partners on ${pbxPlace}` });
  const list = config.pbx.list == null ? {} : { list: config.pbx.list };
  const { dialect: named } = config.pbx;
  log.info('watching', { partners: watched, ...list, pbx: pbxPlace, local: stack.hostPort, dialect: named });
  return {
    partner: (uri) => lamps.partner(uri),
    controlledCalls: () => desk?.activeCalls ?? 0,
    press: (key, gesture) => presses.press(key, gesture),
    pressFromPage: (key, gesture) => presses.pressThroughGate(key, gesture),
    changeKeys: keyChanges({ config, subscriptions, registrations, auto, presses, lamps, board, setup }),
    stop: async () => {
      keepalive.stop();
      await desk?.stop();
      for (const each of watches) await each.stop();
      await registration?.stop();
      await stack.close();
      await board.close();
    },
  };
}

/** What takes the config's new keys while the watcher runs. */
interface KeyChangeParts {
  config: Config;
  subscriptions: PartnerWatch;
  registrations: PartnerWatch | null;
  auto: AutoDialect | null;
  presses: KeyPresses;
  lamps: PartnerLamps;
  board: PanelDevice;
  setup: WatcherSetup;
}

/**
 * `RunningWatcher.changeKeys`: each part takes the new keys (the subscriptions the partners, the presses
 * and lamps the keys, the page the keys in use); a key no longer used goes dark on the board.
 */
function keyChanges(parts: KeyChangeParts): RunningWatcher['changeKeys'] {
  const { config, subscriptions, auto, presses, lamps, board, setup } = parts;
  let partners = subscribedPartners(config.keys, config.phone);
  return async (keys) => {
    if (!(subscriptions instanceof PartnerSubscriptions) || parts.registrations != null) return false;
    const now = subscribedPartners(keys, config.phone);
    const added = now.filter((partner) => !partners.includes(partner));
    const gone = partners.filter((partner) => !now.includes(partner));
    partners = now;
    auto?.watchOnly(now);
    presses.setKeys(keys);
    lamps.setKeys(keys, now, (key) =>
      board.setLamp(key, OFF_LAMP, { partner: '', state: 'unknown', label: null, caller: null }),
    );
    setup.viewer?.keysUsed?.(keys.map((key) => key.key));
    setup.log.info('config: the keys changed; applied without stopping', {
      partners: now.length,
      added: added.length,
      unwatched: gone.length,
    });
    await subscriptions.watchOnly(now);
    return true;
  };
}

/** How soon after one resubscription for a lost connection another may follow (a PBX closing every one). */
const FLOW_RESUBSCRIBE_MS = 10_000;

/**
 * A TCP or TLS connection to the PBX that ended (src/sip/transports.ts: the PBX closed it, stopped
 * answering on it, or stalled mid-message): what came over it (NOTIFYs) must come over a new one, so
 * every subscription is refreshed at once, which opens it (RFC 5626 §4.4's flow recovery, for
 * subscriptions). The keys keep what they show meanwhile; a refresh that fails makes them unknown.
 */
function resubscribeOnFlowLoss(
  stack: SipStack,
  ua: UserAgent,
  watches: readonly PartnerWatch[],
  clock: Clock,
  log: Logger,
): void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let pending = false;
  const resubscribe = () => {
    pending = false;
    lastAt = clock.now();
    for (const watch of watches) watch.pbxBack();
  };
  stack.onFlowLost((remote, reason) => {
    if (remote.address !== ua.pbx.address || remote.port !== ua.pbx.port) return;
    log.info(`the connection to the PBX ended (${reason}); subscribing again over a new one`, {
      pbx: `${remote.address}:${remote.port}/${remote.protocol.toLowerCase()}`,
    });
    if (pending) return;
    const wait = lastAt + FLOW_RESUBSCRIBE_MS - clock.now();
    if (wait <= 0) return resubscribe();
    pending = true;
    clock.after(wait, resubscribe);
  });
}

/** The partners whose dialogs are watched: every key's, and the desk phone's own with `phone.watch`. */
function subscribedPartners(keys: readonly KeyConfig[], phone: Config['phone']): string[] {
  const partners = keys.map((key) => key.partner);
  const desk = phone?.watch === true ? phone.uri : null;
  return desk == null || partners.includes(desk) ? partners : [...partners, desk];
}

/** The pickup order and code of the config, the ones every partner's pickup is planned with. */
function pickupOptions(config: Config): PickupOptions {
  return {
    ...(config.pickup == null ? {} : { order: config.pickup }),
    ...(config.pbx.pickupCode === undefined ? {} : { code: config.pbx.pickupCode }),
  };
}

/** How the keys' lamps are shown (config `lamps`, `idleHoldMs`, the board's lamps, `pbx.registrations`). */
function lampSetup(config: Config, clock: Clock, log: Logger): PartnerLampsSetup {
  return {
    clock,
    log,
    lamps: config.lamps,
    idleHoldMs: config.idleHoldMs,
    capability: config.board.lamp.kind,
    registrations: config.pbx.registrations,
  };
}

/**
 * Whether every key's partner has a phone (`pbx.registrations`): by registrations (RFC 3680), or by
 * presence where the PBX refuses those (offline-watch.ts).
 */
function watchRegistrations(
  config: Config,
  ua: UserAgent,
  options: Omit<WatchOptions, 'intake'>,
  onUpdate: (update: PartnerUpdate) => void,
): PartnerWatch {
  const partners = config.keys.map((key) => key.partner);
  // Refusals are said once for all by the OfflineWatch, not per partner.
  const make: MakeWatch = (intake, told) =>
    new PartnerSubscriptions(ua, partners, { ...options, intake, quietRefusals: true }, told);
  return new OfflineWatch(make, options.log, onUpdate);
}

/** What every key's press depends on besides the key itself (key-press.ts PressRules). */
function pressRules(config: Config, pbxAddress: string): KeyPressSetup['rules'] {
  return {
    domain: config.pbx.domain,
    actions: config.actions ?? {},
    pickup: pickupOptions(config),
    pbx: { hosts: [config.pbx.host, config.pbx.domain, pbxAddress], port: config.pbx.port },
  };
}

/** The SIP stack on `local`; with TLS, a connection that fails says why once (a wrong CA fails every try alike). */
async function openStack(
  config: Config,
  platform: Platform,
  log: Logger,
  auto: AutoDialect | null,
): Promise<SipStack> {
  const said = new Set<string>();
  const tls = tlsSetup(config, platform, (reason) => {
    if (said.has(reason)) return;
    said.add(reason);
    log.error(reason);
  });
  try {
    return await platform.openStack({
      address: config.local.address,
      port: config.local.port,
      transports: [config.pbx.transport],
      signature: 'lampfield',
      clock: platform.clock,
      ...(tls == null ? {} : { tls }),
      ...(config.local.publicAddress == null ? {} : { publicAddress: config.local.publicAddress }),
      ...(auto == null ? {} : { observe: (message, remote) => auto.observe(message, remote) }),
      ...(config.log.sipTrace
        ? {
            trace: (direction, text, remote) =>
              log.debug(`SIP ${direction}`, { remote: `${remote.address}:${remote.port}`, text }),
          }
        : {}),
    });
  } catch (error) {
    if (!(error instanceof SipStackError)) throw error;
    throw new SipStackError(error.code, `${error.message} (config local.address/local.port)`);
  }
}

/** The board, its keys on pages of its own keys where the config asks (`pages`, its last key turning them). */
async function openKeys(config: Config, setup: WatcherSetup): Promise<PanelDevice> {
  const { platform, log, viewer } = setup;
  const device = setup.panel ?? (await platform.openBoard(config, log, platform.clock));
  const board = config.pages > 1 ? new PagedPanel(device, config.pages) : device;
  board.onPage?.((page) => viewer?.pageShown?.(page));
  return board;
}

/** Every partner's dialogs: a subscription each, or one to the PBX's resource list (RFC 4662, `pbx.list`). */
function watchDialogs(
  config: Config,
  ua: UserAgent,
  partners: readonly string[],
  dialect: ChosenDialect,
  options: Omit<WatchOptions, 'intake'>,
  onUpdate: (update: PartnerUpdate) => void,
): PartnerWatch {
  const pickup = pickupOptions(config);
  if (config.pbx.list == null)
    return new PartnerSubscriptions(
      ua,
      partners,
      { ...options, intake: new DialogIntake(dialect, { pickup }) },
      onUpdate,
    );
  const intake = new ResourceListIntake(dialect, partners, options.pbxAddress, { pickup });
  return new ResourceListSubscription(ua, config.pbx.list, partners, { ...options, intake }, onUpdate);
}
