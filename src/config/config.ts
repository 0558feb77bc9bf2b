/**
 * The configuration of `lampfield run` (README "Configuration"): a YAML file (JSON is YAML too),
 * validated against config.schema.json. A wrong file is refused with one line naming the file, the path
 * inside it and what was expected; nothing starts on a half-read config.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseDocument } from 'yaml';
import type { DialectName, PickupMethod } from '../blf/dialects.ts';
import type { KeyActionConfig } from '../blf/key-actions.ts';
import type { LampOverrides } from '../blf/lamp-policy.ts';
import { normalizePartnerUri } from '../blf/uri.ts';
import { loadBoards, type Board } from './boards.ts';
import { describeSchemaError } from './schema-errors.ts';

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
    transport: 'udp' | 'tcp';
    dialect: DialectName;
    domain: string;
    expires: number;
    subscribeRate: number;
    keepaliveSeconds: number;
    pickupCode?: string | null;
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
  phone?: { uri: string; mode: '3pcc' | 'refer'; autoAnswer?: string[]; answerTimeoutSeconds: number };
  errorFlashMs: number;
  /** The read-only status page (src/web); none when absent. */
  web?: { port: number; address: string; token?: string };
  idleHoldMs: number;
  log: { level: 'error' | 'warn' | 'info' | 'debug'; sipTrace: boolean };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const SCHEMA = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as object;
let validator: ReturnType<Ajv['compile']> | null = null;

/** Reads a config from its text; `source` names the file in errors. */
export function parseConfig(text: string, source: string, boards: readonly Board[] = loadBoards()): Config {
  const document = parseDocument(text, { prettyErrors: true });
  const yamlError = document.errors[0];
  if (yamlError != null) {
    const line = yamlError.linePos?.[0].line;
    throw new ConfigError(
      `${source}${line == null ? '' : `:${line}`}: not valid YAML: ${(yamlError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  const data: unknown = document.toJS();
  validator ??= new Ajv({ useDefaults: true, allErrors: false, allowUnionTypes: true }).compile(SCHEMA);
  if (!validator(data)) throw new ConfigError(`${source}: ${describeSchemaError(validator.errors)}`);
  const raw = data as Omit<Config, 'board' | 'keys'> & {
    board: string;
    keys: (Omit<KeyConfig, 'partner' | 'label'> & { partner: string | number; label?: string })[];
  };
  const domain = raw.pbx.domain ?? raw.pbx.host;
  const board = boards.find((candidate) => candidate.id === raw.board);
  if (board == null) {
    throw new ConfigError(
      `${source}: /board: "${raw.board}" is not in boards.json (${boards.map((b) => b.id).join(', ')})`,
    );
  }
  if (board.driver === 'serial' && raw.panel == null) {
    throw new ConfigError(
      `${source}: /panel/port: board "${board.id}" needs the module's port (/dev/ttyACM0 or tcp://host:port)`,
    );
  }
  const seen = new Set<number>();
  const keys = raw.keys.map((key, index) => {
    if (seen.has(key.key))
      throw new ConfigError(`${source}: /keys/${index}/key: key ${key.key} is given twice`);
    seen.add(key.key);
    const written = String(key.partner).trim();
    const partner = normalizePartnerUri(/^[^@:]+$/.test(written) ? `sip:${written}@${domain}` : written);
    if (partner == null)
      throw new ConfigError(`${source}: /keys/${index}/partner: "${written}" is not a number or SIP URI`);
    return { ...key, partner, label: key.label ?? null };
  });
  let phone = raw.phone;
  if (phone != null) {
    const written = String(phone.uri).trim();
    const uri = normalizePartnerUri(/^[^@:]+$/.test(written) ? `sip:${written}@${domain}` : written);
    if (uri == null) throw new ConfigError(`${source}: /phone/uri: "${written}" is not a number or SIP URI`);
    phone = { ...phone, uri };
  }
  return { ...raw, pbx: { ...raw.pbx, domain }, board, keys, ...(phone == null ? {} : { phone }) };
}

export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseConfig(text, path);
}
