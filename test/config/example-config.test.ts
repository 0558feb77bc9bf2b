/**
 * lampfield.example.yaml, the commented config a user starts from (and the image's lampfield.yaml on the
 * card): valid as it is, and every setting of the schema named in it, commented out where optional.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { packageFile } from '../../src/util/package-files.ts';

const EXAMPLE = packageFile('lampfield.example.yaml');
const text = readFileSync(EXAMPLE, 'utf8');

describe('lampfield.example.yaml', () => {
  it('is a valid config as shipped', () => {
    const config = parseConfig(text, EXAMPLE);
    expect(config.keys.map((key) => key.label)).toEqual(['Reception', 'Sales', 'Support']);
  });

  it('names every top-level setting of the schema', () => {
    const schema = JSON.parse(readFileSync(packageFile('src/config/config.schema.json'), 'utf8')) as {
      properties: Record<string, unknown>;
    };
    const missing = Object.keys(schema.properties).filter(
      (name) => !new RegExp(`^#? ?${name}:`, 'm').test(text),
    );
    expect(missing).toEqual([]);
  });
});
