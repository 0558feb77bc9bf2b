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

/** Every problem the schema found, one per JSON path (the first said of it), in document order. */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): SchemaProblem[] {
  const byPath = new Map<string, SchemaProblem>();
  for (const error of errors ?? []) {
    const problem = describeSchemaError(error);
    if (!byPath.has(problem.path)) byPath.set(problem.path, problem);
  }
  return byPath.size === 0 ? [{ path: '/', rule: 'invalid', detail: 'is invalid' }] : [...byPath.values()];
}

function describeSchemaError(error: ErrorObject): SchemaProblem {
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
