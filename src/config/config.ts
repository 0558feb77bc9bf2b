/**
 * The configuration of `lampfield run` (README "Configuration"): a YAML file (JSON is YAML too),
 * validated against config.schema.json. A wrong file is refused with one line naming the file, the path
 * inside it and what was expected; nothing starts on a half-read config.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { DialectName, PickupMethod } from '../blf/dialects.ts';
import type { KeyActionConfig } from '../blf/key-actions.ts';
import type { LampOverrides } from '../blf/lamp-policy.ts';
import { normalizePartnerUri } from '../blf/uri.ts';
import type { PhoneMode } from '../sip/call-control.ts';
import { keyCount, loadBoards, pagedBoard, pageKeySlot, type Board } from './boards.ts';
import { packageFile } from '../util/package-files.ts';
import { UserError } from '../util/user-error.ts';
import { describeSchemaErrors } from './schema-errors.ts';

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
  idleHoldMs: number;
  /**
   * Pages of keys on a board whose last key can turn pages (boards.json `pageKeys: last-key`: a Stream
   * Deck, a keypad): that key switches pages, and keys are numbered page by page as on a board with
   * pages (the last key of each page is the page key). 1: no pages.
   */
  pages: number;
  log: { level: 'error' | 'warn' | 'info' | 'debug'; sipTrace: boolean };
}

export type ConfigErrorCode =
  | 'unreadable'
  | 'not-yaml'
  /** A value the schema (config.schema.json) refuses; `rule` is the schema keyword broken. */
  | 'schema'
  | 'unknown-board'
  | 'no-panel-port'
  | 'duplicate-key'
  /** A key number the board does not have. */
  | 'no-such-key'
  | 'bad-partner'
  | 'bad-phone'
  | 'bad-list';

/** One thing wrong in a config file: where, and what. */
export interface ConfigProblem {
  /** A JSON pointer (`/keys/1/partner`), a line number, or null for the whole file. */
  where: string | number | null;
  what: string;
  /** For `schema`: the schema keyword broken (`required`, `enum`, `type`, …). */
  rule: string | null;
}

export class ConfigError extends UserError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  /** Where the first problem is (the others are in `problems`). */
  readonly where: string | number | null;
  readonly rule: string | null;
  /** Every problem found, each a line of the message. */
  readonly problems: readonly ConfigProblem[];
  /** The line of the file each problem is on (the status page names it), null where none is known. */
  lines: readonly (number | null)[];

  constructor(
    code: ConfigErrorCode,
    /** The file. */
    readonly source: string,
    where: string | number | null,
    what: string,
    rule: string | null = null,
    more: readonly ConfigProblem[] = [],
  ) {
    const problems = [{ where, what, rule }, ...more];
    super(code, problems.map((problem) => lineOf(source, problem)).join('\n'));
    this.where = where;
    this.rule = rule;
    this.problems = problems;
    this.lines = problems.map((problem) => (typeof problem.where === 'number' ? problem.where : null));
  }
}

function lineOf(source: string, { where, what }: ConfigProblem): string {
  const at = where == null ? '' : typeof where === 'number' ? `:${where}` : `: ${where}`;
  return `${source}${at}: ${what}`;
}

const SCHEMA = JSON.parse(readFileSync(packageFile('src/config/config.schema.json'), 'utf8')) as object;
let validator: ReturnType<Ajv['compile']> | null = null;

/** Reads a config from its text; `source` names the file in errors. */
export function parseConfig(text: string, source: string, boards: readonly Board[] = loadBoards()): Config {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: true, lineCounter });
  try {
    return readDocument(document, source, boards);
  } catch (error) {
    if (error instanceof ConfigError)
      error.lines = error.problems.map((problem) =>
        typeof problem.where === 'number' ? problem.where : lineOfPath(document, lineCounter, problem.where),
      );
    throw error;
  }
}

/**
 * The line a JSON pointer's value starts on, or its nearest parent's (a missing property is reported
 * at the object that lacks it).
 */
function lineOfPath(document: Document, lines: LineCounter, pointer: string | null): number | null {
  if (pointer == null) return null;
  const path = pointer
    .split('/')
    .slice(1)
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part.replaceAll('~1', '/').replaceAll('~0', '~')));
  for (let length = path.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range != null) return lines.linePos(range[0]).line;
  }
  return null;
}

function readDocument(document: Document, source: string, boards: readonly Board[]): Config {
  const yamlProblems = document.errors.map((error) => ({
    where: error.linePos?.[0].line ?? null,
    what: `not valid YAML: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
    rule: null,
  }));
  if (yamlProblems.length > 0) {
    const [first, ...more] = yamlProblems;
    throw new ConfigError('not-yaml', source, first!.where, first!.what, null, more);
  }
  let data: unknown;
  try {
    // An alias bomb (a billion laughs) stops here, at the yaml package's alias budget.
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ConfigError('not-yaml', source, null, `not valid YAML: ${why}`);
  }
  validator ??= new Ajv({ useDefaults: true, allErrors: true, allowUnionTypes: true }).compile(SCHEMA);
  if (!validator(data)) {
    const [first, ...more] = describeSchemaErrors(validator.errors);
    const problems = more.map((problem) => ({
      where: problem.path,
      what: problem.detail,
      rule: problem.rule,
    }));
    throw new ConfigError('schema', source, first!.path, first!.detail, first!.rule, problems);
  }
  const raw = data as Omit<Config, 'board' | 'keys' | 'pbx'> & {
    pbx: Omit<Config['pbx'], 'port'> & { port?: number };
    board: string;
    keys: (Omit<KeyConfig, 'partner' | 'label'> & { partner: string | number; label?: string })[];
  };
  const domain = raw.pbx.domain ?? raw.pbx.host;
  const board = boards.find((candidate) => candidate.id === raw.board);
  if (board == null) {
    const known = boards.map((b) => b.id).join(', ');
    throw new ConfigError(
      'unknown-board',
      source,
      '/board',
      `"${raw.board}" is not in boards.json (${known})`,
    );
  }
  if (board.driver === 'serial' && raw.panel == null) {
    const what = `board "${board.id}" needs the module's port (/dev/ttyACM0 or tcp://host:port)`;
    throw new ConfigError('no-panel-port', source, '/panel/port', what);
  }
  if (raw.pages > 1 && board.pageKeys?.kind !== 'last-key') {
    const why =
      board.pageKeys?.kind === 'module'
        ? 'has pages of its own, turned by its own page keys'
        : 'has no key to turn pages (boards.json pageKeys)';
    const what = `board ${board.id} ${why}; pages is for boards whose last key turns pages (Stream Deck, keypad)`;
    throw new ConfigError('schema', source, '/pages', what);
  }
  const paged = pagedBoard(board, raw.pages);
  const seen = new Set<number>();
  const keys = raw.keys.map((key, index) => {
    if (seen.has(key.key))
      throw new ConfigError('duplicate-key', source, `/keys/${index}/key`, `key ${key.key} is given twice`);
    seen.add(key.key);
    const keys = keyCount(paged);
    if (key.key > keys)
      throw new ConfigError(
        'no-such-key',
        source,
        `/keys/${index}/key`,
        `board ${board.id} has keys 1 to ${keys}${raw.pages > 1 ? ` on ${raw.pages} pages` : ''}, not ${key.key}`,
      );
    if (raw.pages > 1 && key.key % pageKeySlot(board) === 0)
      throw new ConfigError(
        'no-such-key',
        source,
        `/keys/${index}/key`,
        `key ${key.key} is the page key (the last of every page of ${pageKeySlot(board)})`,
      );
    const written = String(key.partner).trim();
    const partner = addressOn(domain, written);
    if (partner == null)
      throw new ConfigError(
        'bad-partner',
        source,
        `/keys/${index}/partner`,
        `"${written}" is not a number or SIP URI`,
      );
    return { ...key, partner, label: key.label ?? null };
  });
  let phone = raw.phone;
  if (phone != null) {
    const written = String(phone.uri).trim();
    const uri = addressOn(domain, written);
    if (uri == null)
      throw new ConfigError('bad-phone', source, '/phone/uri', `"${written}" is not a number or SIP URI`);
    phone = { ...phone, uri };
  }
  // RFC 3261 §19.1.2: 5061 is the default port of SIP over TLS, 5060 of the others.
  const pbx = { ...raw.pbx, domain, port: raw.pbx.port ?? (raw.pbx.transport === 'tls' ? 5061 : 5060) };
  if (raw.pbx.list != null) {
    const written = String(raw.pbx.list).trim();
    const list = addressOn(domain, written);
    if (list == null)
      throw new ConfigError('bad-list', source, '/pbx/list', `"${written}" is not a name or SIP URI`);
    pbx.list = list;
  }
  return { ...raw, pbx, board, keys, ...(phone == null ? {} : { phone }) };
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
    throw new ConfigError('unreadable', path, null, `cannot read: ${why}`);
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

let webValidator: ReturnType<Ajv['compile']> | null = null;

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
  webValidator ??= new Ajv({ useDefaults: true }).compile(
    (SCHEMA as { properties: { web: object } }).properties.web,
  );
  if (web != null && webValidator(web)) hints.web = web as Config['web'];
  return hints;
}
