// The two ways a setting stops the program at startup (exit code 2): a value that cannot be used
// (ConfigError, found by src/config.ts before anything connects), and a value a server turned down
// (RefusedSettingError: a wrong password, a certificate the other side does not trust), found by
// the first connection. Neither is retried: only the person who set it can fix it.
//
// Neighbours: src/config.ts throws ConfigError; src/kafka/refusal.ts and
// src/workers/temporal-connection.ts throw RefusedSettingError; src/workers/exit.ts maps both to
// exit code 2.

/** A setting whose value cannot be used. Thrown at startup only; entry points exit with code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /**
   * @param value the raw value, or for a secret setting a placeholder saying it was set (never the
   *   secret itself: the message is printed)
   */
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`${variable}=${JSON.stringify(value)} is not valid: expected ${expected}`);
  }
}

/**
 * A server refused the connection because of a setting: credentials, a certificate, a protocol.
 * Thrown by the first connection at startup; entry points exit with code 2.
 */
export class RefusedSettingError extends Error {
  override readonly name = 'RefusedSettingError';
  /**
   * @param variable the setting (or settings, "A or B") to check
   * @param server what refused, e.g. "Kafka at 127.0.0.1:9094"
   * @param said what the server (or the TLS layer) said, in its words
   */
  constructor(
    readonly variable: string,
    readonly server: string,
    readonly said: string,
  ) {
    super(`${server} refused the connection; check ${variable}: ${said}`);
  }
}
