/**
 * An error a user reads: a config mistake, a port taken, a GPIO line held by another program. Its
 * message is one line that says what was wrong and where; its `code` is stable, for tests and scripts
 * to read instead of the words. Every error class that can reach a user extends it.
 */
export class UserError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
