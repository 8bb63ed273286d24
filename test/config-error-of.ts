// The ConfigError loadConfig throws for an environment, for tests of the settings' validation.

import { ConfigError, loadConfig } from '../src/config';

export function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}
