// How an entry point (the worker, the producer, the scripts) ends on an error: exit code 2 for a
// setting to fix (a bad value, or one a server refused), with one line naming it; exit code 1 for
// anything else, with one readable line instead of a stack trace.
//
// Neighbours: src/config-error.ts holds the two setting errors; src/workers/retry.ts describe().

import { ConfigError, RefusedSettingError } from '../config-error';
import { describe } from './retry';

/** Exit code for a setting that stops the program at startup. */
export const EXIT_BAD_SETTING = 2;

export function isSettingError(err: unknown): err is ConfigError | RefusedSettingError {
  return err instanceof ConfigError || err instanceof RefusedSettingError;
}

/** `main().catch(exitOnError('producer'))`. */
export function exitOnError(program: string): (err: unknown) => never {
  return (err) => {
    if (isSettingError(err)) {
      console.error(`configuration error: ${err.message}`);
      process.exit(EXIT_BAD_SETTING);
    }
    console.error(`${program} failed: ${describe(err)}`);
    process.exit(1);
  };
}
