/**
 * The JSON schemas' validators (Ajv): the config's (config.schema.json) and boards.json's
 * (boards.schema.json). `npm run build` compiles them into dist/schemas/ as Ajv's standalone code
 * (scripts/compile-schemas.ts), which a start loads instead of compiling each schema again: compiling
 * took a quarter of start-up (issue 30: ~120 ms of ~500 ms here, far more on a Pi Zero). A schema is
 * compiled here, at its first use, where there is no built validator or one made from another text of
 * the schema (a checkout whose schema was edited since the build).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv';
import { packageFile } from '../util/package-files.ts';

/** Each schema, and the options it is compiled with (the same at build and at run time). */
export const SCHEMAS = {
  // allowUnionTypes: the config schema has `type: [string, number]` values (a key's partner).
  config: {
    file: 'src/config/config.schema.json',
    options: { useDefaults: true, allErrors: true, allowUnionTypes: true },
  },
  // useDefaults fills `pages`, `hardwarePatterns` from the schema, so the Board type holds.
  boards: { file: 'boards.schema.json', options: { allErrors: true, useDefaults: true } },
} as const satisfies Record<string, { file: string; options: Options }>;

export type SchemaName = keyof typeof SCHEMAS;

/** Where `npm run build` puts a schema's compiled validator. */
export function builtValidatorFile(name: SchemaName): string {
  return packageFile(`dist/schemas/${name}.cjs`);
}

/** What ties a built validator to the schema text it was made from. */
export function schemaHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const require = createRequire(import.meta.url);

/** The validator of schema `name`: the built one when it was made from this schema text, else compiled now. */
export function schemaValidator(name: SchemaName): ValidateFunction {
  const { file, options } = SCHEMAS[name];
  const text = readFileSync(packageFile(file), 'utf8');
  try {
    const built = require(builtValidatorFile(name)) as ValidateFunction & { schemaHash?: unknown };
    if (built.schemaHash === schemaHash(text)) return built;
  } catch {
    // Not built (a checkout run through tsx): compiled below.
  }
  return compileSchema(JSON.parse(text) as object, options);
}

/**
 * Compiles a schema now (Ajv, loaded only then: a start with built validators never loads it; the
 * library is some 40 modules).
 */
export function compileSchema(schema: object, options: Options): ValidateFunction {
  const { Ajv } = require('ajv') as { Ajv: typeof AjvClass };
  return new Ajv(options).compile(schema);
}
