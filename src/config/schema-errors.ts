/** One line that says which JSON path of a file is wrong and what was expected (ajv errors). */
import type { ErrorObject } from 'ajv';

export function describeSchemaError(errors: readonly ErrorObject[] | null | undefined): string {
  const error = errors?.[0];
  if (error == null) return 'invalid';
  const where = error.instancePath === '' ? '/' : error.instancePath;
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
  return `${where}: ${detail}`;
}
