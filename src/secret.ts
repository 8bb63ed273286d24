// A password, API key or key passphrase read from a setting. It prints as "[redacted]" however it is
// printed (template string, JSON, console.log/util.inspect), so a config object or an error that
// carries one cannot leak it into a log, a workflow input or a query result by accident; code that
// really needs the value (the Kafka or Temporal client) asks for it with reveal().
//
// Neighbours: src/config.ts marks secret settings; src/kafka/security.ts and
// src/workers/temporal-connection.ts are the only callers of reveal().

import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
