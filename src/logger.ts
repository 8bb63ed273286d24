// A small structured logger for the worker and scripts: one line per event, level first, then the
// message and its fields as key=value. kafkajs and the Temporal worker log through it too.

import type { Config } from './config';

export type LogLevel = Config['logLevel'];
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel, scope = ''): Logger {
  const threshold = ORDER[level];
  const write = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < threshold) return;
    const time = new Date().toISOString().slice(11, 23);
    const extra = fields ? formatFields(fields) : '';
    const line = `${time} ${lvl.toUpperCase().padEnd(5)} ${scope ? `[${scope}] ` : ''}${message}${extra}`;
    (lvl === 'error' || lvl === 'warn' ? console.error : console.log)(line);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

function formatFields(fields: Record<string, unknown>): string {
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : value instanceof Error ? value.message : JSON.stringify(value);
    out += ` ${key}=${/\s/.test(text) ? JSON.stringify(text) : text}`;
  }
  return out;
}

/** A logger that writes everything at debug level: for probes whose failures are reported once elsewhere. */
export function quietLogger(logger: Logger): Logger {
  return { debug: logger.debug, info: logger.debug, warn: logger.debug, error: logger.debug };
}
