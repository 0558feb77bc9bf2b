/** What a JSON Schema refusal (ajv) says: the JSON path that is wrong, the rule it broke, in words. */
import type { ErrorObject } from 'ajv';

export interface SchemaProblem {
  /** The JSON pointer of the wrong value (`/` for the document itself). */
  path: string;
  /** The schema keyword broken: `required`, `enum`, `type`, `maximum`, `additionalProperties`, … */
  rule: string;
  /** What was expected, for a person. */
  detail: string;
}

export function describeSchemaError(errors: readonly ErrorObject[] | null | undefined): SchemaProblem {
  const error = errors?.[0];
  if (error == null) return { path: '/', rule: 'invalid', detail: 'is invalid' };
  const path = error.instancePath === '' ? '/' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  let detail: string;
  switch (error.keyword) {
    case 'enum':
      detail = `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'additionalProperties':
      detail = `has an unknown field "${String(params['additionalProperty'])}"`;
      break;
    default:
      detail = error.message ?? 'is invalid';
  }
  return { path, rule: error.keyword, detail };
}
