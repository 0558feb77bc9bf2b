/**
 * Reaching the PBX the config names, for `lampfield run` and `lampfield doctor` alike: its IPv4 address,
 * how its certificate is checked over TLS, lampfield's SIP identity toward it on a stack, and the PBX's
 * own interfaces (Asterisk's manager, FreeSWITCH's event socket) where the config gives them.
 */
import type { Config } from '../config/config.ts';
import type { ManagerSetup } from '../sip/asterisk-manager.ts';
import type { EventSocketSetup } from '../sip/freeswitch-event-socket.ts';
import type { SipStack } from '../sip/stack.ts';
import type { TlsSetup } from '../sip/open-transports.ts';
import type { SipProtocol } from '../sip/transports.ts';
import { UserError } from '../util/user-error.ts';
import { UserAgent } from '../sip/user-agent.ts';
import type { Platform } from './platform.ts';

const PROTOCOLS: Readonly<Record<Config['pbx']['transport'], SipProtocol>> = {
  udp: 'UDP',
  tcp: 'TCP',
  tls: 'TLS',
};

/** The PBX's IPv4 address: pbx.host itself, or what its name resolves to. */
export function resolvePbxAddress(config: Config, platform: Pick<Platform, 'resolveHost'>): Promise<string> {
  return platform.resolveHost(config.pbx.host);
}

/** lampfield's SIP identity on `stack`, sending everything to the PBX at `address`. */
export function pbxUserAgent(config: Config, stack: SipStack, address: string): UserAgent {
  return new UserAgent(
    stack,
    { ...config.account, domain: config.pbx.domain },
    { protocol: PROTOCOLS[config.pbx.transport], address, port: config.pbx.port },
  );
}

export class TlsFileError extends UserError<'unreadable'> {
  override readonly name = 'TlsFileError';
}

/**
 * With transport tls: how the PBX's certificate is checked (pbx.tls.ca, else the system's trust store; its name
 * against pbx.host) and the client certificate shown, read from their files now, so that a missing file
 * is one line at start. `failed` hears why a connection could not be made.
 */
export function tlsSetup(
  config: Config,
  platform: Pick<Platform, 'readText' | 'trustedCertificates'>,
  failed: (reason: string) => void,
): TlsSetup | undefined {
  if (config.pbx.transport !== 'tls') return undefined;
  const read = (setting: 'ca' | 'cert' | 'key'): string | undefined => {
    const file = config.pbx.tls?.[setting];
    if (file == null) return undefined;
    try {
      return platform.readText(file);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new TlsFileError('unreadable', `pbx.tls.${setting}: cannot read ${file}: ${why}`);
    }
  };
  const cert = read('cert');
  const key = read('key');
  return {
    options: {
      ca: read('ca') ?? platform.trustedCertificates(),
      serverName: config.pbx.host,
      ...(cert == null || key == null ? {} : { cert, key }),
    },
    failed,
  };
}

/** Asterisk's manager interface, where the config gives it (`pbx.asterisk.manager`), on the PBX's host by default. */
export function asteriskManager(config: Config, platform: Platform, pbxAddress: string): ManagerSetup | null {
  const manager = config.pbx.asterisk?.manager;
  if (manager == null) return null;
  const { host = pbxAddress, port, user, secret, context = null } = manager;
  const connect = (to: string, at: number) => platform.connect(to, at);
  return { host, port, user, secret, context, connect, clock: platform.clock };
}

/** FreeSWITCH's event socket, where the config gives it (`pbx.freeswitch.eventSocket`), on the PBX's host by default. */
export function freeswitchEventSocket(
  config: Config,
  platform: Platform,
  pbxAddress: string,
): EventSocketSetup | null {
  const socket = config.pbx.freeswitch?.eventSocket;
  if (socket == null) return null;
  const { host = pbxAddress, port, password, context = null } = socket;
  const connect = (to: string, at: number) => platform.connect(to, at);
  return { host, port, password, context, connect, clock: platform.clock };
}

/** The PBX's own interfaces a transfer can go through, where the config gives them. */
export interface PbxInterfaces {
  asteriskManager: ManagerSetup | null;
  freeswitchEventSocket: EventSocketSetup | null;
}

export function pbxInterfaces(config: Config, platform: Platform, pbxAddress: string): PbxInterfaces {
  return {
    asteriskManager: asteriskManager(config, platform, pbxAddress),
    freeswitchEventSocket: freeswitchEventSocket(config, platform, pbxAddress),
  };
}
