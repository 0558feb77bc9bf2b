/**
 * Part of `npm run build`: each schema's validator as Ajv's standalone code in dist/schemas/
 * (src/config/schema-validators.ts loads it at start instead of compiling the schema), with the hash of
 * the schema text it was made from.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { builtValidatorFile, schemaHash, SCHEMAS, type SchemaName } from '../src/config/schema-validators.ts';
import { packageFile } from '../src/util/package-files.ts';

/** A schema's validator as Ajv's standalone code (CommonJS), with the hash of the text it was made from. */
export function standaloneValidator(name: SchemaName): string {
  const { file, options } = SCHEMAS[name];
  const text = readFileSync(packageFile(file), 'utf8');
  const ajv = new Ajv({ ...options, code: { source: true } });
  // A CommonJS module: its function is `default` of what ESM imports.
  const code = standalone.default(ajv, ajv.compile(JSON.parse(text) as object));
  return `${code}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(text))};\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const name of Object.keys(SCHEMAS) as SchemaName[]) {
    const out = builtValidatorFile(name);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, standaloneValidator(name));
  }
}
