// What `npm run records` reads and says for a run ID: whether Temporal knows the run, and why
// offsets Kafka does not hold are missing.

import { describe, expect, it } from 'vitest';
import { planRecordsRead, type RecordsRange, type RunLookup } from '../../scripts/records-plan';

const range: RecordsRange = {
  workflowId: 'microbatch-events-p3-100-199@g',
  topic: 'events',
  partition: 3,
  firstOffset: '100',
  lastOffset: '199',
};
const found: RunLookup = { state: 'found', status: 'COMPLETED' };
const missing: RunLookup = { state: 'missing', namespace: 'default' };

describe('planning npm run records', () => {
  it('reads the whole range of a known run, without notes', () => {
    expect(planRecordsRead(range, { low: '0', high: '500' }, found)).toEqual({
      read: { first: '100', last: '199' },
      notes: [],
    });
  });

  it('says clearly when Temporal has no such run, and still reads', () => {
    const plan = planRecordsRead(range, { low: '0', high: '500' }, missing);
    expect(plan.read).toEqual({ first: '100', last: '199' });
    expect(plan.notes).toEqual([
      expect.stringMatching(/^note: Temporal has no workflow microbatch-events-p3-100-199@g/),
    ]);
  });

  it('says "not produced yet" for offsets beyond the log end, not that the topic was recreated', () => {
    const plan = planRecordsRead(range, { low: '0', high: '150' }, missing);
    expect(plan.read).toEqual({ first: '100', last: '149' });
    expect(plan.notes[1]).toBe("offsets 150–199 are not produced yet: events/3's next offset is 150");
    expect(plan.notes.join('\n')).not.toMatch(/recreated/);
  });

  it('reads nothing when the whole range is beyond the log end', () => {
    const plan = planRecordsRead(range, { low: '0', high: '20' }, missing);
    expect(plan.read).toBeUndefined();
    expect(plan.notes[1]).toBe("offsets 100–199 are not produced yet: events/3's next offset is 20");
  });

  it('suspects a recreated topic only when a run did cover offsets the log no longer reaches', () => {
    const plan = planRecordsRead(range, { low: '0', high: '20' }, found);
    expect(plan.notes).toEqual([
      expect.stringMatching(/^offsets 100–199 are beyond the end of events\/3 .*deleted and created again/),
    ]);
  });

  it('says which offsets retention removed, and reads the rest', () => {
    const plan = planRecordsRead(range, { low: '120', high: '500' }, found);
    expect(plan.read).toEqual({ first: '120', last: '199' });
    expect(plan.notes).toEqual([
      'offsets 100–119 are no longer in Kafka: events/3 starts at offset 120 (retention or deleteRecords removed older records)',
    ]);
  });

  it('notes that Temporal could not be asked', () => {
    const plan = planRecordsRead(range, { low: '0', high: '500' }, { state: 'unknown', reason: 'connection refused' });
    expect(plan.notes).toEqual([
      'note: could not ask Temporal whether run microbatch-events-p3-100-199@g exists (connection refused)',
    ]);
  });
});
