// Parsers for the kinds of value a setting can hold. Each takes the raw text and returns the value
// or throws an Error whose message says what was expected; src/config.ts adds the variable's name.

import { Secret } from './secret';

export function text(raw: string): string {
  const value = raw.trim();
  if (!value) throw new Error('a non-empty string');
  return value;
}

export function list(raw: string): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error('a comma-separated list with at least one item');
  return items;
}

export function integer(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = raw.trim();
    if (!/^-?\d+$/.test(value)) throw new Error(`a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`a whole number from ${min} to ${max}`);
    return n;
  };
}

export function boolean(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new Error('true or false');
}

export function oneOf<const T extends readonly string[]>(choices: T): (raw: string) => T[number] {
  return (raw) => {
    const value = raw.trim();
    if (!choices.includes(value)) throw new Error(`one of ${choices.join(', ')}`);
    return value as T[number];
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A positive duration in milliseconds. A bare number means seconds, as in the seed's settings;
 * otherwise a number with a unit: 500ms, 5s, 2m, 1h.
 */
export function durationMs(raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined || ms <= 0) throw new Error(`a positive ${DURATION}`);
  return ms;
}

/** Like durationMs, but 0 is allowed (for waits that may be switched off). */
export function durationMsOrZero(raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined) throw new Error(`a ${DURATION}, or 0`);
  return ms;
}

const DURATION = 'duration such as 500ms, 5s, 2m or 1h (a bare number is seconds), at most 7 days';

function parseDuration(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(raw.trim());
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']!);
  return ms <= 7 * 24 * 3_600_000 ? ms : undefined;
}

/** A file path, or empty for none. Whether the file can be read is checked with its neighbours. */
export function optionalPath(raw: string): string {
  return raw.trim();
}

/** A secret value (password, API key), or undefined when empty. Kept as given: spaces may count. */
export function secret(raw: string): Secret | undefined {
  return raw === '' ? undefined : new Secret(raw);
}
