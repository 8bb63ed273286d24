// The pure parts of `npm run replay` and `npm run reset`: which offsets a request covers, where a
// reset moves a partition, how a replayed range is cut into runs, what the flags mean, and the
// IDs of replay runs and of runs after a reset.

import { describe, expect, it } from 'vitest';
import { parseRunWorkflowId, replayRunWorkflowId, runWorkflowId } from '../../src/batch';
import { ConfigError } from '../../src/config-error';
import { defaultReplayName, parseReplayFlags, parseResetFlags } from '../../src/replay/flags';
import { nextReplayBatch, resetTarget, resolveRange, type PartitionRange } from '../../src/replay/plan';
import {
  batchStarted,
  initialReplayState,
  pickNextBatch,
  progressOf,
  runCompleted,
  runFailed,
} from '../../src/workflows/replay-state';
import { dropForReset, initialSensorState, resetDone } from '../../src/workflows/sensor-core';

const log = { partition: 2, low: '100', high: '200' };

describe('the offsets a replay covers', () => {
  it('a range inside the log is kept as asked', () => {
    expect(resolveRange(log, { from: '120', until: '131' })).toEqual({
      range: { partition: 2, first: '120', last: '130' },
      notes: [],
    });
  });

  it('open ends mean the log start and the log end', () => {
    expect(resolveRange(log, {}).range).toEqual({ partition: 2, first: '100', last: '199' });
  });

  it('offsets below the log start are cut off and said to be gone (retention)', () => {
    expect(resolveRange(log, { from: '50', until: '151' })).toEqual({
      range: { partition: 2, first: '100', last: '150' },
      notes: ['partition 2: offsets 50–99 are no longer in Kafka (retention)'],
    });
    expect(resolveRange(log, { from: '0', until: '10' }).range).toBeUndefined();
  });

  it('offsets past the log end are cut off and said to be not produced yet', () => {
    expect(resolveRange(log, { from: '190', until: '301' })).toEqual({
      range: { partition: 2, first: '190', last: '199' },
      notes: ['partition 2: offsets 200–300 are not produced yet'],
    });
    expect(resolveRange(log, { from: '250' })).toEqual({ notes: [] });
  });

  it('a time past the last record gives nothing; one before the first gives the log start', () => {
    // Kafka's offsets-for-times answer (kafkajs turns "none" into the log end) is the bound.
    expect(resolveRange(log, { from: log.high }).range).toBeUndefined();
    expect(resolveRange(log, { from: log.low, until: '105' }).range).toEqual({
      partition: 2,
      first: '100',
      last: '104',
    });
    // A window ending before the first record: its end's answer is the log start, so nothing.
    expect(resolveRange(log, { until: log.low }).range).toBeUndefined();
  });

  it('an empty log gives nothing', () => {
    expect(resolveRange({ partition: 0, low: '0', high: '0' }, {}).range).toBeUndefined();
  });
});

describe('cutting a replayed range into runs', () => {
  it('batches of at most MAX_BATCH_SIZE offsets, the last one short', () => {
    const range: PartitionRange = { partition: 0, first: '3', last: '8' };
    expect(nextReplayBatch('t', range, '3', 4)).toEqual({
      topic: 't',
      partition: 0,
      firstOffset: '3',
      lastOffset: '6',
      count: 4,
      bytes: 0,
    });
    expect(nextReplayBatch('t', range, '7', 4)).toMatchObject({ firstOffset: '7', lastOffset: '8', count: 2 });
    expect(nextReplayBatch('t', range, '9', 4)).toBeUndefined();
  });

  it('64-bit offsets stay exact', () => {
    const range = { partition: 0, first: '9007199254740993', last: '9007199254740999' };
    expect(nextReplayBatch('t', range, range.first, 5)).toMatchObject({
      firstOffset: '9007199254740993',
      lastOffset: '9007199254740997',
    });
  });

  it('partitions take turns, and every offset is in exactly one run', () => {
    const ranges = [
      { partition: 0, first: '0', last: '9' },
      { partition: 1, first: '100', last: '104' },
    ];
    const state = initialReplayState(ranges);
    const started: string[] = [];
    for (let next = pickNextBatch('t', ranges, state, 4); next; next = pickNextBatch('t', ranges, state, 4)) {
      started.push(`p${next.batch.partition}:${next.batch.firstOffset}-${next.batch.lastOffset}`);
      batchStarted(state, next.index, next.batch, false);
    }
    expect(started).toEqual(['p0:0-3', 'p1:100-103', 'p0:4-7', 'p1:104-104', 'p0:8-9']);
    expect(progressOf(ranges, state)).toEqual({ offsets: 15, started: 15 });
    expect(state.runsStarted).toBe(5);
  });

  it('tallies what the runs did, and keeps only the latest failures', () => {
    const state = initialReplayState([]);
    runCompleted(state, { messages: 4, loaded: 1, alreadyLoaded: 3, deadLettered: 0 });
    runCompleted(state, { messages: 2, loaded: 0, alreadyLoaded: 1, deadLettered: 1 });
    for (let i = 0; i < 25; i++) runFailed(state, `run-${i}`, 'boom');
    expect(state).toMatchObject({ runsCompleted: 2, messages: 6, loaded: 1, alreadyLoaded: 4, deadLettered: 1 });
    expect(state.runsFailed).toBe(25);
    expect(state.failures).toHaveLength(20);
    expect(state.failures[19]!.run).toBe('run-24');
  });
});

describe('where a reset moves a partition', () => {
  it('an offset inside the log stays; outside it moves to the nearest end, as kafka-consumer-groups does', () => {
    expect(resetTarget(log, { kind: 'offset', offset: '150' })).toBe('150');
    expect(resetTarget(log, { kind: 'offset', offset: '5' })).toBe('100');
    expect(resetTarget(log, { kind: 'offset', offset: '999' })).toBe('200');
  });

  it('earliest and latest are the log start and end; a time past the last record is the end', () => {
    expect(resetTarget(log, { kind: 'earliest' })).toBe('100');
    expect(resetTarget(log, { kind: 'latest' })).toBe('200');
    expect(resetTarget(log, { kind: 'time', offset: '200' })).toBe('200');
    expect(resetTarget(log, { kind: 'time', offset: '120' })).toBe('120');
  });
});

describe('a sensor applying a reset', () => {
  it('drops what belongs to the old position of the reset partitions only, and names later runs after the reset', () => {
    const request = { id: 'abc', targets: [{ partition: 0, offset: '10' }] };
    const before = {
      ...initialSensorState(),
      pendingCommit: { 0: '50', 1: '60' },
      skipThrough: { 0: '49', 1: '59' },
      rewind: { 0: '40' },
      committed: { 0: '45', 1: '55' },
      resetRequest: request,
    };
    const dropped = dropForReset(before, request.targets);
    expect(dropped).toMatchObject({ pendingCommit: { 1: '60' }, skipThrough: { 1: '59' } });
    expect(dropped.rewind).toEqual({});

    const state = resetDone(dropped, request, [{ partition: 0, offset: '10' }], '2026-12-01T00:00:00.000Z');
    expect(state.resetRequest).toBeUndefined();
    expect(state.committed).toEqual({ 0: '10', 1: '55' });
    expect(state.resetOf).toEqual({ 0: 'abc' });
    expect(state.lastReset).toEqual({
      id: 'abc',
      applied: [{ partition: 0, offset: '10' }],
      at: '2026-12-01T00:00:00.000Z',
    });
  });
});

describe('run IDs of replays and after resets', () => {
  const range = { topic: 'ev-p1-2-3', partition: 4, firstOffset: '10', lastOffset: '19' };

  it('a replay run is the live run ID behind replay-<name>/, and parses back', () => {
    const id = replayRunWorkflowId('fix1', range, 'g@x');
    expect(id).toBe('replay-fix1/microbatch-ev-p1-2-3-p4-10-19@g@x');
    expect(parseRunWorkflowId(id)).toEqual({ ...range, groupId: 'g@x', replay: 'fix1' });
  });

  it('a run after a reset names it after its offsets, and parses back', () => {
    const id = runWorkflowId(range, 'g', 'mx47vmxn');
    expect(id).toBe('microbatch-ev-p1-2-3-p4-10-19-rmx47vmxn@g');
    expect(id).not.toBe(runWorkflowId(range, 'g'));
    expect(parseRunWorkflowId(id)).toEqual({ ...range, groupId: 'g', reset: 'mx47vmxn' });
  });
});

describe('flags', () => {
  const now = new Date('2026-12-01T14:25:30.123Z');
  const refused = (parse: () => unknown) => {
    try {
      parse();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).variable;
    }
    throw new Error('accepted');
  };

  it('a replay by offsets on one partition, named after the time when no name is given', () => {
    expect(parseReplayFlags(['--partition', '3', '--from-offset', '10', '--to-offset', '20'], now)).toEqual({
      command: 'start',
      request: { partition: 3, from: { offset: '10' }, to: { offset: '20' } },
      name: '20261201-142530',
      detach: false,
    });
    expect(defaultReplayName(now)).toBe('20261201-142530');
  });

  it('a replay by time takes ISO 8601 (UTC without a zone) or epoch milliseconds', () => {
    const parsed = parseReplayFlags(['--from-time', '2026-12-01T14:00', '--to-time', '1796137200000'], now);
    expect(parsed).toMatchObject({
      request: { from: { timeMs: Date.parse('2026-12-01T14:00:00Z') }, to: { timeMs: 1796137200000 } },
    });
    expect(parseReplayFlags(['--from-time', '2026-12-01'], now)).toMatchObject({
      request: { from: { timeMs: Date.parse('2026-12-01T00:00:00Z') } },
    });
  });

  it('watch and cancel name a replay', () => {
    expect(parseReplayFlags(['--watch', 'fix1'], now)).toEqual({ command: 'watch', name: 'fix1' });
    expect(parseReplayFlags(['--cancel', 'fix1'], now)).toEqual({ command: 'cancel', name: 'fix1' });
  });

  it.each([
    [['--from-offset', '-1'], '--from-offset'],
    [['--from-offset', '5', '--to-offset', '4'], '--to-offset'],
    [['--from-time', '2026-12-02', '--to-time', '2026-12-01'], '--to-time'],
    [['--from-time', 'now'], '--from-time'],
    [['--from-offset', '1', '--to-time', '2026-12-01'], '--to-time'],
    [[], '--from-offset'],
    [['--partition', 'x', '--from-offset', '1'], '--partition'],
    [['--from-offset', '1', '--name', 'a/b'], '--name'],
    [['--watch', 'a', '--from-offset', '1'], '--from-offset'],
    [['--from-offset'], '--from-offset'],
    [['--bogus'], '--bogus'],
  ])('replay %j is refused, naming %s', (args, flag) => {
    expect(refused(() => parseReplayFlags(args, now))).toBe(flag);
  });

  it('a reset takes exactly one target', () => {
    expect(parseResetFlags(['--to-offset', '7', '--partition', '1', '--dry-run'])).toEqual({
      request: { kind: 'offset', offset: '7' },
      partition: 1,
      dryRun: true,
    });
    expect(parseResetFlags(['--to-earliest'])).toEqual({
      request: { kind: 'earliest' },
      partition: undefined,
      dryRun: false,
    });
    expect(parseResetFlags(['--to-time', '1000'])).toMatchObject({ request: { kind: 'time', timeMs: 1000 } });
    expect(refused(() => parseResetFlags([]))).toBe('--to-offset');
    expect(refused(() => parseResetFlags(['--to-earliest', '--to-latest']))).toBe('--to-latest');
    expect(refused(() => parseResetFlags(['--to-offset', 'x']))).toBe('--to-offset');
  });
});
