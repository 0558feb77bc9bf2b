/**
 * `lampfield run [--config FILE]` (BRIEF §8): the product's main loop. Watches every configured partner
 * on the PBX and drives the configured board; runs until SIGINT or SIGTERM, then ends its subscriptions
 * and registration cleanly.
 */
import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { DIALECTS } from '../blf/dialects.ts';
import { GestureTracker, keyAction, type Gesture } from '../blf/key-actions.ts';
import { planPickup } from '../blf/pickup.ts';
import { uriUser } from '../blf/uri.ts';
import type { Lamp } from '../blf/lamp.ts';
import { resolveLampTable, type LampSituation } from '../blf/lamp-policy.ts';
import { ConfigError, loadConfig, type Config, type KeyConfig } from '../config/config.ts';
import { LampFeed } from '../panel/lamp-feed.ts';
import type { PanelDevice } from '../panel/panel.ts';
import { CallControl, DEFAULT_AUTO_ANSWER, withReplaces } from '../sip/call-control.ts';
import { DialogSubscriptions } from '../sip/dialog-subscriptions.ts';
import { Registration } from '../sip/registration.ts';
import { SipStack, SipStackError } from '../sip/stack.ts';
import { UserAgent } from '../sip/user-agent.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { stderrLogger, type Logger } from '../util/log.ts';
import { startPanelServer, type PanelServer } from '../web/panel-server.ts';
import type { CommandIo } from './command-io.ts';
import { openBoard } from './open-board.ts';

const DEFAULT_CONFIGS = ['/etc/lampfield/config.yaml', 'lampfield.yaml'];

export interface Running {
  stop(): Promise<void>;
}

/** What a key shows, for the status page (src/web). */
export interface KeyView {
  key: number;
  partner: string;
  label: string | null;
  state: LampSituation;
  lamp: Lamp;
  /** Who is calling, while the partner rings. */
  caller: string | null;
}

export interface WatcherObserver {
  keyShown(view: KeyView): void;
}

/**
 * Starts the watcher from a loaded config; returns how to stop it. `panel` is a board opened by the
 * caller (tests, on fake hardware); without it, the config's board is opened.
 */
export async function startWatcher(
  config: Config,
  io: CommandIo,
  log: Logger,
  clock: Clock = systemClock,
  observer?: WatcherObserver,
  panel?: PanelDevice,
): Promise<Running> {
  const pbxAddress = await resolvePbxAddress(config);
  const stack = await SipStack.open({
    address: config.local.address,
    port: config.local.port,
    transports: [config.pbx.transport],
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
  const board = panel ?? (await openBoard(config, io, log, clock));
  const byKey = new Map(config.keys.map((key) => [key.key, key]));
  const feed = new LampFeed(
    clock,
    config.keys.map((key) => ({
      key: key.key,
      table: resolveLampTable(config.lamps, key.lamps),
      capability: config.board.lamp.kind,
    })),
    (change) => {
      const key = byKey.get(change.key)!;
      const focus = change.state === 'ringing' ? subscriptions.update(key.partner)?.view.focus : null;
      const caller =
        focus == null ? null : (focus.remote.display ?? focus.remote.identity ?? focus.remote.target ?? null);
      board.setLamp(change.key, change.lamp, {
        partner: key.partner,
        state: change.state,
        label: key.label,
        caller,
      });
      observer?.keyShown({
        key: key.key,
        partner: key.partner,
        label: key.label,
        state: change.state,
        lamp: change.lamp,
        caller,
      });
    },
    config.idleHoldMs,
  );
  const subscriptions = new DialogSubscriptions(
    ua,
    config.keys.map((key) => key.partner),
    {
      dialect: DIALECTS[config.pbx.dialect],
      clock,
      log,
      expires: config.pbx.expires,
      subscribeRate: config.pbx.subscribeRate,
      keepaliveSeconds: config.pbx.keepaliveSeconds,
      pbxAddress,
      watcher: {
        pickup: {
          ...(config.pickup == null ? {} : { order: config.pickup }),
          ...(config.pbx.pickupCode === undefined ? {} : { code: config.pbx.pickupCode }),
        },
      },
    },
    (update) => {
      log.debug('partner', { partner: update.partner, status: update.status, state: update.situation });
      for (const key of config.keys)
        if (key.partner === update.partner) feed.offer(key.key, update.situation);
    },
  );
  const calls =
    config.phone == null
      ? null
      : new CallControl(
          ua,
          {
            uri: config.phone.uri,
            mode: config.phone.mode,
            autoAnswer: config.phone.autoAnswer ?? DEFAULT_AUTO_ANSWER,
            answerTimeoutMs: config.phone.answerTimeoutSeconds * 1000,
          },
          clock,
          log,
        );
  stack.onRequests((request) => {
    if (calls?.handleRequest(request) === true) return;
    if (subscriptions.handleRequest(request)) return;
    // RFC 3261 §11.2: OPTIONS is answered with what we accept; anything else is not for us.
    if (request.message.method === 'OPTIONS')
      request.respond(200, 'OK', { headers: { allow: 'NOTIFY, OPTIONS, BYE' } });
    else request.respond(405, 'Method Not Allowed', { headers: { allow: 'NOTIFY, OPTIONS, BYE' } });
  });
  const gestures = new GestureTracker();
  board.onKey((event) => {
    const gesture = gestures.event(event.key, event.event);
    const key = byKey.get(event.key);
    if (gesture == null || key == null) return;
    void pressKey(key, gesture);
  });
  /** A press: the key's action for its partner's state (BRIEF §4), carried out by the desk phone. */
  const pressKey = async (key: KeyConfig, gesture: Gesture): Promise<void> => {
    const update = subscriptions.update(key.partner);
    const state = update?.situation ?? 'unknown';
    const action = keyAction(state, gesture, { ...config.actions, ...key.actions });
    if (action.kind === 'none') return;
    const fail = (reason: string) => {
      log.warn(`key ${key.key}: ${action.kind} ${key.partner} failed: ${reason}`);
      feed.flashError(key.key, config.errorFlashMs);
    };
    if (calls == null) {
      fail('no desk phone configured (phone.uri)');
      return;
    }
    let target: string;
    if (action.kind === 'dial') target = key.partner;
    else if (action.kind === 'dial-code') {
      target = `sip:${action.code.replaceAll('{number}', uriUser(key.partner) ?? '')}@${config.pbx.domain}`;
    } else {
      const dialog = update?.view.focus;
      if (state !== 'ringing' || dialog == null) {
        fail('the partner is not ringing any more');
        return;
      }
      const plan = planPickup(dialog, key.partner, DIALECTS[config.pbx.dialect], {
        ...((key.pickup ?? config.pickup) == null ? {} : { order: key.pickup ?? config.pickup }),
        ...(config.pbx.pickupCode === undefined ? {} : { code: config.pbx.pickupCode }),
      });
      if (!plan.ok) {
        fail(plan.reason);
        return;
      }
      target =
        plan.target.replaces == null ? plan.target.uri : withReplaces(plan.target.uri, plan.target.replaces);
    }
    log.info(`key ${key.key}: ${action.kind} ${key.partner}`, { target });
    const outcome = await calls.call(target);
    if (!outcome.ok) fail(outcome.reason);
  };
  const registration = config.account.register
    ? new Registration(ua, config.account.registerExpires, clock, log)
    : null;
  if (registration != null) await registration.start();
  subscriptions.start();
  log.info('watching', {
    partners: new Set(config.keys.map((key) => key.partner)).size,
    pbx: `${pbxAddress}:${config.pbx.port}`,
    local: stack.hostPort,
    dialect: config.pbx.dialect,
  });
  return {
    stop: async () => {
      await subscriptions.stop();
      await registration?.stop();
      await stack.close();
      await board.close();
    },
  };
}

/** The PBX's IPv4 address: pbx.host itself, or what its name resolves to. */
export async function resolvePbxAddress(config: Config): Promise<string> {
  return net.isIP(config.pbx.host) ? config.pbx.host : (await lookup(config.pbx.host, { family: 4 })).address;
}

/** lampfield's SIP identity on `stack`, sending everything to the PBX at `address`. */
export function pbxUserAgent(config: Config, stack: SipStack, address: string): UserAgent {
  return new UserAgent(
    stack,
    { ...config.account, domain: config.pbx.domain },
    { protocol: config.pbx.transport === 'tcp' ? 'TCP' : 'UDP', address, port: config.pbx.port },
  );
}

/**
 * The config a command reads: `--config FILE`, else the first of DEFAULT_CONFIGS that exists. Returns
 * the loaded config, or the exit code after saying on stderr what was wrong.
 */
export function configFromArgs(command: string, args: readonly string[], io: CommandIo): Config | number {
  let path: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--config') path = args[++i];
    else if (arg.startsWith('--config=')) path = arg.slice('--config='.length);
    else {
      io.stderr(`lampfield ${command}: unknown argument ${arg}\nusage: lampfield ${command} [--config FILE]`);
      return 2;
    }
  }
  path ??= DEFAULT_CONFIGS.find((candidate) => existsSync(candidate));
  if (path == null) {
    io.stderr(
      `lampfield ${command}: no config file; give --config FILE or create ${DEFAULT_CONFIGS.join(' or ')}`,
    );
    return 2;
  }
  try {
    return loadConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`lampfield ${command}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

export async function runCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const config = configFromArgs('run', args, io);
  if (typeof config === 'number') return config;
  const log = stderrLogger(config.log.level);
  let running: Running;
  let page: PanelServer | null = null;
  try {
    if (config.web != null) {
      page = await startPanelServer({ board: config.board, ...config.web });
      io.stderr(`lampfield run: the status page is at ${page.url}`);
    }
    running = await startWatcher(config, io, log, systemClock, page ?? undefined);
  } catch (error) {
    await page?.close();
    if (error instanceof SipStackError) {
      io.stderr(`lampfield run: ${error.message} (config local.address/local.port)`);
      return 1;
    }
    io.stderr(`lampfield run: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info('stopping');
  await running.stop();
  await page?.close();
  return 0;
}
