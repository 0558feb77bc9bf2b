/**
 * What `lampfield doctor` checks beyond the config: the board (board-checks.ts), the PBX and, where the
 * config gives them, the PBX's own interfaces (Asterisk's manager, FreeSWITCH's event socket): one check
 * per thing that can be missing, each failure with the command or edit that fixes it.
 */
import type { Config } from '../config/config.ts';
import { dialectOfProduct } from '../blf/dialect-detect.ts';
import { checkManager } from '../sip/asterisk-manager.ts';
import { checkEventSocket } from '../sip/freeswitch-event-socket.ts';
import { headerText, type SipMessage } from '../sip/message.ts';
import { checkBoard, type Check } from './board-checks.ts';
import { pbxInterfaces, pbxUserAgent, resolvePbxAddress, tlsSetup } from './pbx.ts';
import type { Platform } from './platform.ts';

export async function doctorChecks(
  config: Config,
  platform: Platform,
  optionsTimeoutMs: number,
): Promise<Check[]> {
  return [
    ...(await checkBoard(config, platform.boardProbe)),
    ...(await checkPbx(config, platform, optionsTimeoutMs)),
    ...(await checkPbxInterfaces(config, platform)),
    ...checkWeb(config),
  ];
}

/** The token lampfield.example.yaml ships with: a page guarded by it is guarded by nothing. */
const EXAMPLE_TOKEN = 'change-me-to-a-long-secret';

/** `web`: a page reachable beyond this machine needs a token of its own, not the example's. */
function checkWeb(config: Config): Check[] {
  const web = config.web;
  if (web == null) return [];
  const where = `page ${web.address}:${web.port}`;
  if (web.token === EXAMPLE_TOKEN)
    return [
      {
        ok: false,
        what: `${where}: web.token is the example's placeholder, which anyone who read the example knows`,
        fix: 'set web.token to a secret of your own, 16 characters or more (openssl rand -hex 16)',
      },
    ];
  return [
    { ok: true, what: `${where}: ${web.token == null ? 'on this machine only' : 'guarded by its token'}` },
  ];
}

/**
 * `pbx.asterisk.manager`, `pbx.freeswitch.eventSocket`: whether the PBX's own interface takes lampfield's
 * login (a transfer during a call needs it).
 */
async function checkPbxInterfaces(config: Config, platform: Platform): Promise<Check[]> {
  if (config.pbx.asterisk?.manager == null && config.pbx.freeswitch?.eventSocket == null) return [];
  let address: string;
  try {
    address = await resolvePbxAddress(config, platform);
  } catch {
    return []; // the PBX check says the name does not resolve
  }
  const { asteriskManager, freeswitchEventSocket } = pbxInterfaces(config, platform, address);
  const checks: Check[] = [];
  if (asteriskManager != null) {
    const outcome = await checkManager(asteriskManager);
    const what = `asterisk manager ${asteriskManager.host}:${asteriskManager.port}`;
    checks.push(
      outcome.ok
        ? { ok: true, what: `${what}: takes lampfield's login` }
        : {
            ok: false,
            what: outcome.reason,
            fix: "check pbx.asterisk.manager (user, secret, port) and Asterisk's manager.conf: enabled, bindaddr, permit for this host, read/write = call,reporting",
          },
    );
  }
  if (freeswitchEventSocket != null) {
    const outcome = await checkEventSocket(freeswitchEventSocket);
    const what = `freeswitch event socket ${freeswitchEventSocket.host}:${freeswitchEventSocket.port}`;
    checks.push(
      outcome.ok
        ? { ok: true, what: `${what}: takes lampfield's password` }
        : {
            ok: false,
            what: outcome.reason,
            fix: "check pbx.freeswitch.eventSocket (password, port) and FreeSWITCH's event_socket.conf.xml: listen-ip reachable from this host, apply-inbound-acl allowing it",
          },
    );
  }
  return checks;
}

/** `pbx.dialect: auto`: what the PBX's answer says it is (dialect-detect.ts), as run will log it. */
function dialectCheck(config: Config, response: SipMessage): Check[] {
  if (config.pbx.dialect !== 'auto') return [];
  const choice =
    dialectOfProduct('Server', headerText(response, 'server')) ??
    dialectOfProduct('User-Agent', headerText(response, 'user-agent'));
  return [
    {
      ok: true,
      what:
        choice == null
          ? "dialect: auto: the PBX names no known product; NOTIFYs are read the RFC 4235 way until their shape (or innovaphone's unasked NOTIFYs) tells the family"
          : `dialect: auto chooses ${choice.dialect} (${choice.evidence})`,
    },
  ];
}

async function checkPbx(config: Config, platform: Platform, timeoutMs: number): Promise<Check[]> {
  const { host, port, transport } = config.pbx;
  const where = `${host}:${port}/${transport}`;
  let address: string;
  try {
    address = await resolvePbxAddress(config, platform);
  } catch {
    return [
      {
        ok: false,
        what: `pbx ${where}: the name does not resolve`,
        fix: `check pbx.host; getent hosts ${host}`,
      },
    ];
  }
  // Port 0: doctor must work beside a running lampfield that holds local.port.
  const tlsFailures: string[] = [];
  const tls = tlsSetup(config, platform, (reason) => tlsFailures.push(reason));
  const stack = await platform.openStack({
    address: config.local.address,
    port: 0,
    transports: [transport],
    clock: platform.clock,
    ...(tls == null ? {} : { tls }),
  });
  try {
    const ua = pbxUserAgent(config, stack, address);
    // Any final response shows the PBX is there (RFC 3261 §11: OPTIONS asks for capabilities).
    const options = ua.outOfDialog('OPTIONS', `sip:${config.pbx.domain}`, ua.newCallId(), 'doctor', 1);
    const response = await ua.send(options, { timeoutMs });
    const tlsFailure = tlsFailures[0];
    if (tlsFailure != null)
      return [
        {
          ok: false,
          what: `pbx ${where}: ${tlsFailure}`,
          fix: /expired on|valid only from/.test(tlsFailure)
            ? "renew the PBX's certificate, or set this machine's clock right (timedatectl; a Pi needs network time)"
            : 'set pbx.tls.ca to the CA that signed the PBX certificate, or pbx.host to the name it carries',
        },
      ];
    if (response.status === 408 || response.status === 503) {
      return [
        {
          ok: false,
          what: `pbx ${where}: no answer to OPTIONS within ${timeoutMs / 1000} s`,
          fix: `check pbx.host and pbx.port, and that the PBX and any firewall let ${config.local.address === '0.0.0.0' ? 'this machine' : config.local.address} in`,
        },
      ];
    }
    return [
      {
        ok: true,
        what: `pbx ${where}: answers OPTIONS (${response.status} ${response.reason ?? ''})`.trimEnd(),
      },
      ...dialectCheck(config, response),
    ];
  } finally {
    await stack.close();
  }
}
