// The flags of `npm run replay` and `npm run reset`, parsed with node:util parseArgs. A bad flag
// is a ConfigError naming it (the command exits with code 2 before it connects to anything).
//
// Neighbours: scripts/replay.ts and scripts/reset.ts; ./resolve.ts turns the result into offsets.

import { parseArgs } from 'node:util';
import { REPLAY_NAME } from '../batch';
import { ConfigError } from '../config-error';
import type { Bound, ReplayRequest, ResetRequest } from './resolve';

export const REPLAY_USAGE =
  'usage: npm run replay -- [--partition N] (--from-offset A [--to-offset B] | --from-time T [--to-time T]) [--name NAME] [--detach]\n' +
  '       npm run replay -- --watch NAME | --cancel NAME';

export const RESET_USAGE =
  'usage: npm run reset -- (--to-offset N | --to-time T | --to-earliest | --to-latest) [--partition N] [--dry-run]';

export type ReplayCommand =
  | { command: 'start'; request: ReplayRequest; name: string; detach: boolean }
  | { command: 'watch'; name: string }
  | { command: 'cancel'; name: string };

export interface ResetCommand {
  request: ResetRequest;
  partition?: number;
  dryRun: boolean;
}

/** Parses `npm run replay`'s flags. `now` names a replay when --name is absent. */
export function parseReplayFlags(args: string[], now: Date): ReplayCommand {
  const { values } = parse(args, {
    partition: { type: 'string' },
    'from-offset': { type: 'string' },
    'to-offset': { type: 'string' },
    'from-time': { type: 'string' },
    'to-time': { type: 'string' },
    name: { type: 'string' },
    detach: { type: 'boolean' },
    watch: { type: 'string' },
    cancel: { type: 'string' },
  });
  for (const command of ['watch', 'cancel'] as const) {
    const name = values[command];
    if (name === undefined) continue;
    const others = Object.keys(values).filter((k) => k !== command);
    if (others.length > 0)
      throw new ConfigError(`--${others[0]}`, String(values[others[0] as never]), `no other flag with --${command}`);
    return { command, name: replayName(`--${command}`, name) };
  }
  const byOffset = values['from-offset'] !== undefined || values['to-offset'] !== undefined;
  const byTime = values['from-time'] !== undefined || values['to-time'] !== undefined;
  if (byOffset && byTime) {
    const flag = values['from-time'] !== undefined ? '--from-time' : '--to-time';
    throw new ConfigError(
      flag,
      values['from-time'] ?? values['to-time']!,
      'offsets or times, not both (--from-offset/--to-offset or --from-time/--to-time)',
    );
  }
  if (!byOffset && !byTime) {
    throw new ConfigError(
      '--from-offset',
      '',
      `a range: --from-offset/--to-offset or --from-time/--to-time\n${REPLAY_USAGE}`,
    );
  }
  const from = bound('from', values['from-offset'], values['from-time']);
  const to = bound('to', values['to-offset'], values['to-time']);
  if (from && to && 'offset' in from && 'offset' in to && BigInt(to.offset) < BigInt(from.offset)) {
    throw new ConfigError('--to-offset', to.offset, `an offset at or after --from-offset (${from.offset})`);
  }
  if (from && to && 'timeMs' in from && 'timeMs' in to && to.timeMs < from.timeMs) {
    throw new ConfigError('--to-time', values['to-time']!, `a time at or after --from-time (${values['from-time']})`);
  }
  return {
    command: 'start',
    request: { partition: partitionFlag(values.partition), from, to },
    name: values.name === undefined ? defaultReplayName(now) : replayName('--name', values.name),
    detach: values.detach ?? false,
  };
}

/** Parses `npm run reset`'s flags: exactly one target. */
export function parseResetFlags(args: string[]): ResetCommand {
  const { values } = parse(args, {
    'to-offset': { type: 'string' },
    'to-time': { type: 'string' },
    'to-earliest': { type: 'boolean' },
    'to-latest': { type: 'boolean' },
    partition: { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  const targets = (['to-offset', 'to-time', 'to-earliest', 'to-latest'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (targets.length !== 1) {
    throw new ConfigError(
      targets.length === 0 ? '--to-offset' : `--${targets[1]}`,
      targets.length === 0 ? '' : String(values[targets[1]!]),
      `exactly one of --to-offset, --to-time, --to-earliest, --to-latest\n${RESET_USAGE}`,
    );
  }
  const which = targets[0]!;
  const request: ResetRequest =
    which === 'to-offset'
      ? { kind: 'offset', offset: offsetFlag('--to-offset', values['to-offset']!) }
      : which === 'to-time'
        ? { kind: 'time', timeMs: timeFlag('--to-time', values['to-time']!) }
        : { kind: which === 'to-earliest' ? 'earliest' : 'latest' };
  return { request, partition: partitionFlag(values.partition), dryRun: values['dry-run'] ?? false };
}

/** `replay-20261201-142530`: a name from the time the replay was asked for, in UTC. */
export function defaultReplayName(now: Date): string {
  return now.toISOString().replace(/\..*$/, '').replace(/[-:]/g, '').replace('T', '-');
}

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    // parseArgs names the flag in its message ("Unknown option '--frm-offset'"): keep its words.
    const message = (err as Error).message;
    const flag = /'(--?[^' ]+)/.exec(message)?.[1] ?? args.join(' ');
    throw new ConfigError(
      flag,
      args.join(' '),
      `${message.replace(/\.$/, '')}; known flags: ${Object.keys(options)
        .map((k) => `--${k}`)
        .join(', ')}`,
    );
  }
}

function bound(end: 'from' | 'to', offset: string | undefined, time: string | undefined): Bound | undefined {
  if (offset !== undefined) return { offset: offsetFlag(`--${end}-offset`, offset) };
  if (time !== undefined) return { timeMs: timeFlag(`--${end}-time`, time) };
  return undefined;
}

function offsetFlag(flag: string, raw: string): string {
  if (!/^\d{1,19}$/.test(raw.trim())) throw new ConfigError(flag, raw, 'an offset: a whole number, 0 or more');
  return BigInt(raw.trim()).toString();
}

function partitionFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw.trim())) throw new ConfigError('--partition', raw, 'a partition number, 0 or more');
  return Number(raw.trim());
}

/**
 * A time: ISO 8601 (`2026-12-01T14:00:00Z`; without a zone it is UTC, unlike Date.parse) or
 * milliseconds since the epoch, as Kafka's record timestamps are.
 */
function timeFlag(flag: string, raw: string): number {
  const value = raw.trim();
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  const withZone = iso && !iso[4] ? `${value}${iso[1] ? 'Z' : 'T00:00:00Z'}` : value;
  const ms = iso ? Date.parse(withZone) : NaN;
  if (Number.isNaN(ms)) {
    throw new ConfigError(
      flag,
      raw,
      'a time: ISO 8601 such as 2026-12-01T14:00:00Z (UTC when no zone is given) or milliseconds since the epoch',
    );
  }
  return ms;
}

function replayName(flag: string, raw: string): string {
  if (!REPLAY_NAME.test(raw))
    throw new ConfigError(flag, raw, "a replay name of 1 to 80 letters, digits, '.', '_' or '-'");
  return raw;
}
