/**
 * The validators `npm run build` compiles ahead (src/config/schema-validators.ts, Ajv standalone code)
 * judge as the schema compiled at start does: the same verdict, the same errors, the same defaults
 * filled in, for the shipped example config and boards.json, and for configs with every kind of mistake
 * the schema catches; and each carries the hash of the schema text it was made from, by which a start
 * leaves one made from another text unused.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { standaloneValidator } from '../../scripts/compile-schemas.ts';
import { compileSchema, SCHEMAS, type SchemaName } from '../../src/config/schema-validators.ts';
import { packageFile } from '../../src/util/package-files.ts';

const require = createRequire(import.meta.url);

/** Both validators of a schema: compiled now, and its standalone code as the build writes it. */
function both(name: SchemaName): { compiled: ValidateFunction; built: ValidateFunction } {
  const { file, options } = SCHEMAS[name];
  const compiled = compileSchema(JSON.parse(readFileSync(packageFile(file), 'utf8')) as object, options);
  const path = join(mkdtempSync(join(tmpdir(), 'lampfield-schemas-')), `${name}.cjs`);
  // Where the build puts it, ajv's runtime helpers resolve from lampfield's node_modules: so here.
  writeFileSync(
    path,
    standaloneValidator(name).replaceAll(
      'require("ajv/',
      `require(${JSON.stringify(packageFile('node_modules/ajv'))}+"/`,
    ),
  );
  return { compiled, built: require(path) as ValidateFunction };
}

/** What a validator makes of `data`: its verdict, its errors, and the data with the defaults it filled in. */
function judged(validate: ValidateFunction, data: unknown) {
  const copy = structuredClone(data);
  const valid = validate(copy);
  return { valid, errors: validate.errors ?? null, data: copy };
}

const EXAMPLE = parse(readFileSync(packageFile('lampfield.example.yaml'), 'utf8')) as Record<string, unknown>;

describe('built schema validators', () => {
  it('judge the config as the compiled schema does: the example, and mistakes of every kind', () => {
    const { compiled, built } = both('config');
    const cases: unknown[] = [
      EXAMPLE,
      { ...EXAMPLE, pbx: { host: '10.0.0.1', port: 'fifty', transport: 'carrier pigeon' } },
      { ...EXAMPLE, keys: [{ key: 0, partner: 207, colour: 'red' }] },
      { ...EXAMPLE, provision: { url: 'http://prov.example/a.yaml', everyMinutes: 0 } },
      { ...EXAMPLE, web: { port: 80, token: 'short', control: true } },
      { pbx: {}, keys: 'none' },
      null,
      'lampfield',
    ];
    for (const data of cases) expect(judged(built, data)).toEqual(judged(compiled, data));
  });

  it('judge any change of a value of the example as the compiled schema does', () => {
    const { compiled, built } = both('config');
    const paths = ['pbx', 'account', 'local', 'web', 'keys', 'lamps', 'log', 'board', 'pages'];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.anything({ maxDepth: 2 }), (path, value) => {
        const data = { ...EXAMPLE, [path]: value };
        expect(judged(built, data)).toEqual(judged(compiled, data));
      }),
      { numRuns: 300 },
    );
  });

  it('judge boards.json as the compiled schema does', () => {
    const { compiled, built } = both('boards');
    const boards = JSON.parse(readFileSync(packageFile('boards.json'), 'utf8')) as unknown;
    expect(judged(built, boards)).toEqual(judged(compiled, boards));
    expect(judged(built, boards).valid).toBe(true);
    const broken = { boards: [{ id: 'x', driver: 'teleport' }] };
    expect(judged(built, broken)).toEqual(judged(compiled, broken));
  });

  it('carry the hash of the schema text they were made from', () => {
    const text = readFileSync(packageFile(SCHEMAS.config.file), 'utf8');
    const source = standaloneValidator('config');
    expect(source).toMatch(/module\.exports\.schemaHash = "[0-9a-f]{64}";\n$/);
    expect(source).toContain(JSON.stringify(createHash('sha256').update(text).digest('hex')));
  });
});
