/**
 * The configuration of `lampfield run` (README "Configuration"): a YAML file (JSON is YAML too),
 * validated against config.schema.json. A wrong file is refused with one line naming the file, the path
 * inside it and what was expected; nothing starts on a half-read config.
 */
import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import type { DialectName, PickupMethod } from '../blf/dialects.ts';
import type { KeyActionConfig } from '../blf/key-actions.ts';
import type { LampOverrides } from '../blf/lamp-policy.ts';
import { normalizePartnerUri } from '../blf/uri.ts';
import type { PhoneMode } from '../sip/call-control.ts';
import { keyCount, loadBoards, pagedBoard, pageKeySlot, type Board } from './boards.ts';
import { packageFile } from '../util/package-files.ts';
import {
  ConfigError,
  fileProblem,
  isRecord,
  lineOfPath,
  placeOf,
  type ConfigErrorCode,
  type ConfigProblem,
  type Found,
} from './config-problems.ts';
import { describeSchemaErrors } from './schema-errors.ts';
import { compileSchema, SCHEMAS, schemaValidator } from './schema-validators.ts';

export interface KeyConfig {
  key: number;
  /** The partner as a SIP URI: a bare number gets the PBX's domain. */
  partner: string;
  label: string | null;
  lamps?: LampOverrides;
  pickup?: PickupMethod[];
  actions?: KeyActionConfig;
}

export interface Config {
  pbx: {
    host: string;
    port: number;
    transport: 'udp' | 'tcp' | 'tls';
    /** With transport tls: PEM files of the CA to trust (else the system's), and of a client certificate. */
    tls?: { ca?: string; cert?: string; key?: string };
    /** The PBX family, or `auto`: found from what the PBX says it is (src/blf/dialect-detect.ts). */
    dialect: DialectName | 'auto';
    domain: string;
    expires: number;
    subscribeRate: number;
    /**
     * Also subscribe to each partner's registrations (RFC 3680 `Event: reg`): a partner with no phone
     * registered shows `offline`. Where the PBX refuses reg, its presence (RFC 3856) says it instead
     * (src/app/offline-watch.ts); where it refuses both, keys show what dialogs say, as without it.
     */
    registrations: boolean;
    /**
     * Asterisk's own interfaces, for what SIP cannot do there: its manager (AMI) transfers the desk
     * phone's call (src/sip/asterisk-manager.ts).
     */
    asterisk?: {
      manager?: { host?: string; port: number; user: string; secret: string; context?: string };
    };
    /**
     * FreeSWITCH's own interfaces, for what SIP cannot do there: its event socket transfers the desk
     * phone's call (src/sip/freeswitch-event-socket.ts).
     */
    freeswitch?: {
      eventSocket?: { host?: string; port: number; password: string; context?: string };
    };
    keepaliveSeconds: number;
    pickupCode?: string | null;
    /**
     * The resource list (RFC 4662) on the PBX that holds every partner: one subscription to it replaces
     * one per partner. A SIP URI, normalized as a partner's is.
     */
    list?: string;
  };
  account: {
    user: string;
    password: string;
    authUser?: string;
    displayName?: string;
    register: boolean;
    registerExpires: number;
  };
  local: { address: string; port: number; publicAddress?: string };
  board: Board;
  /** Where the board is, for boards on a link (the serial module). */
  panel?: { port: string };
  keys: KeyConfig[];
  lamps?: LampOverrides;
  pickup?: PickupMethod[];
  actions?: KeyActionConfig;
  /** The user's desk phone, which key presses make call (BRIEF §4). */
  phone?: {
    uri: string;
    mode: PhoneMode;
    replaces: boolean | 'auto';
    autoAnswer?: string[];
    answerTimeoutSeconds: number;
    /** Watch the desk phone's own dialogs too, to transfer its call in progress (actions.*.inCall). */
    watch: boolean;
  };
  errorFlashMs: number;
  /**
   * The status page (src/web); none when absent. Read-only unless `control`: then presses on the page
   * press keys, and the page needs `token` even on 127.0.0.1 (the schema says so).
   */
  web?: { port: number; address: string; token?: string; control: boolean; hosts?: string[] };
  /**
   * The config from a provisioning server (src/app/provisioning.ts); only the card's file sets it. `url`
   * is an https:// URL, or `dhcp` (DHCP's option 66 names the server: src/app/dhcp-provision.ts).
   */
  provision?: { url: string; everyMinutes: number; ca?: string; keep: string };
  /** The card's update (src/app/card-update.ts): installed when the card runs another version. */
  update?: { bundle: string; version: string };
  idleHoldMs: number;
  /**
   * Pages of keys on a board whose last key can turn pages (boards.json `pageKeys: last-key`: a Stream
   * Deck, a keypad): that key switches pages, and keys are numbered page by page as on a board with
   * pages (the last key of each page is the page key). 1: no pages.
   */
  pages: number;
  log: { level: 'error' | 'warn' | 'info' | 'debug'; sipTrace: boolean };
}

export {
  ConfigError,
  problemLine,
  problemText,
  type ConfigErrorCode,
  type ConfigProblem,
} from './config-problems.ts';

let validator: ValidateFunction | null = null;

/** Reads a config from its text; `source` names the file in errors. Every mistake is said at once. */
export function parseConfig(text: string, source: string, boards: readonly Board[] = loadBoards()): Config {
  return parseConfigLayers([{ text, source }], boards);
}

/** One file of a config made of several: the card's own, the one fetched for it (src/app/provisioning.ts). */
export interface ConfigLayer {
  text: string;
  /** The file or URL, as a mistake names it. */
  source: string;
}

/**
 * A config of layers, the last on top: each layer's values over those of the layers under it (mappings
 * merged name by name, anything else — the list of keys, a value — taken whole), checked as one config.
 * Mistakes are said at their lines in the top layer, which is named; a mistake only the layers under it
 * make has no line there.
 */
export function parseConfigLayers(
  layers: readonly ConfigLayer[],
  boards: readonly Board[] = loadBoards(),
): Config {
  const read = layers.map((layer) => ({ ...layer, ...readYaml(layer.text, layer.source) }));
  const top = read.at(-1)!;
  const data = read.map((layer) => layer.data).reduce((under, over) => mergeOver(under, over));
  const { config, found } = readData(data, boards);
  if (config != null && found.length === 0) return config;
  const { document, lineCounter, source } = top;
  const problems = found
    .map((problem, order) => {
      const { lineOf, ...said } = problem;
      const line =
        typeof problem.where === 'number'
          ? problem.where
          : lineOfPath(document, lineCounter, lineOf ?? problem.where);
      return { problem: { ...said, line, place: placeOf(problem.where, data) }, order };
    })
    // In the file's order: a person fixes them top to bottom.
    .sort((a, b) => (a.problem.line ?? Infinity) - (b.problem.line ?? Infinity) || a.order - b.order)
    .map(({ problem }) => problem);
  throw new ConfigError(source, problems);
}

/** A YAML file's document (for the lines of mistakes) and its values; its own mistakes thrown. */
function readYaml(text: string, source: string) {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: true, lineCounter });
  const yamlProblems = document.errors.map((error): ConfigProblem => ({
    code: 'not-yaml',
    where: error.linePos?.[0].line ?? null,
    line: error.linePos?.[0].line ?? null,
    place: null,
    what: `not valid YAML: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
    rule: null,
  }));
  // Broken YAML has no values to check: its own mistakes are all there is to say.
  if (yamlProblems.length > 0) throw new ConfigError(source, yamlProblems);
  let data: unknown;
  try {
    // An alias bomb (a billion laughs) stops here, at the yaml package's alias budget.
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ConfigError(source, [fileProblem('not-yaml', `not valid YAML: ${why}`)]);
  }
  return { document, lineCounter, data };
}

/** `over`'s values over `under`'s: mappings merged name by name, anything else taken whole from `over`. */
function mergeOver(under: unknown, over: unknown): unknown {
  if (!isRecord(under) || !isRecord(over)) return over === undefined ? under : over;
  const merged: Record<string, unknown> = { ...under };
  // Defined, not assigned: a name such as __proto__ in a fetched file is a name like any other.
  for (const [name, value] of Object.entries(over))
    Object.defineProperty(merged, name, {
      value: mergeOver(Object.hasOwn(under, name) ? under[name] : undefined, value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return merged;
}

/**
 * Every mistake in the data, of every kind — the schema's, then the board's rules, the keys' numbers,
 * the addresses — and the config when there is none. A value the schema refused is not checked again
 * (one line per mistake), but the rest of the file is: a bad transport does not hide a key out of range.
 */
function readData(data: unknown, boards: readonly Board[]): { config: Config | null; found: Found[] } {
  const found: Found[] = [];
  validator ??= schemaValidator('config');
  // `provision: dhcp` is short for `provision: { url: dhcp }` (README "Many panels").
  if (isRecord(data) && data['provision'] === 'dhcp') data['provision'] = { url: 'dhcp' };
  const valid = validator(data);
  if (!valid)
    for (const problem of describeSchemaErrors(validator.errors))
      found.push({ code: 'schema', where: problem.path, what: problem.detail, rule: problem.rule });
  const refused = (where: string) =>
    found.some((problem) => typeof problem.where === 'string' && `${where}/`.startsWith(`${problem.where}/`));
  const add = (code: ConfigErrorCode, where: string, what: string, lineOf?: string) => {
    if (!refused(where)) found.push({ code, where, what, rule: null, ...(lineOf == null ? {} : { lineOf }) });
  };
  if (!isRecord(data)) return { config: null, found };

  const pbx = isRecord(data['pbx']) ? data['pbx'] : {};
  const domain = [pbx['domain'], pbx['host']].find((name): name is string => typeof name === 'string') ?? '';
  const boardId = data['board'];
  const board = boards.find((candidate) => candidate.id === boardId) ?? null;
  if (board == null && typeof boardId === 'string')
    add(
      'unknown-board',
      '/board',
      `"${boardId}" is not in boards.json (${boards.map((b) => b.id).join(', ')})`,
    );
  if (board?.driver === 'serial' && data['panel'] == null)
    add(
      'no-panel-port',
      '/panel/port',
      `board "${board.id}" needs the module's port (/dev/ttyACM0 or tcp://host:port)`,
      '/board',
    );
  const pages = Number.isInteger(data['pages']) && Number(data['pages']) >= 1 ? Number(data['pages']) : 1;
  const pagesFit = pages <= 1 || board == null || board.pageKeys?.kind === 'last-key';
  if (!pagesFit) {
    const why =
      board.pageKeys?.kind === 'module'
        ? 'has pages of its own, turned by its own page keys'
        : 'has no key to turn pages (boards.json pageKeys)';
    add(
      'schema',
      '/pages',
      `board ${board.id} ${why}; pages is for boards whose last key turns pages (Stream Deck, keypad)`,
    );
  }
  const paged = board == null || !pagesFit ? null : pagedBoard(board, pages);

  const seen = new Set<number>();
  const keys = Array.isArray(data['keys']) ? data['keys'] : [];
  const readKeys = keys.map((key: unknown, index) => {
    if (!isRecord(key)) return null;
    const at = `/keys/${index}`;
    const number = key['key'];
    if (typeof number === 'number' && Number.isInteger(number) && !refused(`${at}/key`)) {
      if (seen.has(number)) add('duplicate-key', `${at}/key`, 'is given twice (each key once)');
      seen.add(number);
      const count = paged == null ? null : keyCount(paged);
      if (paged != null && count != null && number > count)
        add(
          'no-such-key',
          `${at}/key`,
          `board ${paged.id} has keys 1 to ${count}${pages > 1 ? ` on ${pages} pages` : ''}, not ${number}`,
        );
      else if (board != null && pages > 1 && number % pageKeySlot(board) === 0)
        add('no-such-key', `${at}/key`, `is the page key (the last of every page of ${pageKeySlot(board)})`);
    }
    const written =
      typeof key['partner'] === 'string' || typeof key['partner'] === 'number'
        ? String(key['partner']).trim()
        : null;
    const partner = written == null ? null : addressOn(domain, written);
    if (written != null && partner == null)
      add('bad-partner', `${at}/partner`, `"${written}" is not a number or SIP URI`);
    return partner == null
      ? null
      : { ...(key as unknown as KeyConfig), partner, label: (key['label'] as string | undefined) ?? null };
  });
  const phone = isRecord(data['phone']) ? data['phone'] : null;
  const phoneWritten =
    phone != null && (typeof phone['uri'] === 'string' || typeof phone['uri'] === 'number')
      ? String(phone['uri']).trim()
      : null;
  const phoneUri = phoneWritten == null ? null : addressOn(domain, phoneWritten);
  if (phoneWritten != null && phoneUri == null)
    add('bad-phone', '/phone/uri', `"${phoneWritten}" is not a number or SIP URI`);
  const listWritten = typeof pbx['list'] === 'string' ? pbx['list'].trim() : null;
  const list = listWritten == null ? null : addressOn(domain, listWritten);
  if (listWritten != null && list == null)
    add('bad-list', '/pbx/list', `"${listWritten}" is not a name or SIP URI`);

  if (!valid || found.length > 0 || board == null) return { config: null, found };
  // Valid from here: the schema holds every field's type, and every check above passed.
  const raw = data as unknown as Omit<Config, 'board' | 'keys' | 'pbx'> & {
    pbx: Omit<Config['pbx'], 'port'> & { port?: number };
  };
  // RFC 3261 §19.1.2: 5061 is the default port of SIP over TLS, 5060 of the others.
  const port = raw.pbx.port ?? (raw.pbx.transport === 'tls' ? 5061 : 5060);
  const config: Config = {
    ...raw,
    pbx: { ...raw.pbx, domain, port, ...(list == null ? {} : { list }) },
    board,
    keys: readKeys.filter((key): key is KeyConfig => key != null),
    ...(raw.phone == null || phoneUri == null ? {} : { phone: { ...raw.phone, uri: phoneUri } }),
  };
  return { config, found };
}

/** An address as the config writes it: a bare name or number is on the PBX's domain, else a SIP URI. */
function addressOn(domain: string, written: string): string | null {
  return normalizePartnerUri(/^[^@:]+$/.test(written) ? `sip:${written}@${domain}` : written);
}

/** Reads the config file at `path`, its board one of `boards`. */
export function loadConfig(path: string, boards: readonly Board[] = loadBoards()): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ConfigError(path, [fileProblem('unreadable', `cannot read: ${why}`)]);
  }
  return parseConfig(text, path, boards);
}

/** What a config lampfield cannot use still tells: the board to show the mistake on, the page's place. */
export interface ConfigHints {
  /** The `board` id as written, when it is a string. */
  board: string | null;
  /** `panel.port` as written, when it is a string. */
  panelPort: string | null;
  /** The `web` section, when it is valid on its own. */
  web: Config['web'] | null;
}

let webValidator: ValidateFunction | null = null;

/** Reads what it can of a config whose whole did not load (a mistake elsewhere in it). */
export function configHints(text: string): ConfigHints {
  const hints: ConfigHints = { board: null, panelPort: null, web: null };
  const document = parseDocument(text);
  if (document.errors.length > 0) return hints;
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch {
    return hints;
  }
  if (data == null || typeof data !== 'object') return hints;
  const { board, panel, web } = data as Record<string, unknown>;
  if (typeof board === 'string') hints.board = board;
  const port = (panel as Record<string, unknown> | null | undefined)?.['port'];
  if (typeof port === 'string') hints.panelPort = port;
  // Only where a config is broken: the schema is read then, not at every start (schema-validators.ts).
  if (webValidator == null) {
    const schema = JSON.parse(readFileSync(packageFile(SCHEMAS.config.file), 'utf8')) as {
      properties: { web: object };
    };
    webValidator = compileSchema(schema.properties.web, { useDefaults: true });
  }
  if (web != null && webValidator(web)) hints.web = web as Config['web'];
  return hints;
}
