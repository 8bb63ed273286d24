// `npm run describe` shows a workflow's status, summary, memo and search attributes as plain
// values, where `temporal workflow describe` shows protobuf maps and base64.

import type { WorkflowExecutionDescription } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { formatDescription, toView, type DescriptionView } from '../../scripts/description';
import { FirstOffset, KafkaPartition, KafkaTopic, MessageCount } from '../../src/search-attributes';

const run: DescriptionView = {
  workflowId: 'microbatch-events-p3-1000-1999@g',
  runId: 'r-1',
  type: 'MicroBatchRun',
  status: 'COMPLETED',
  taskQueue: 'microbatch-runs-events@g',
  summary: 'events partition 3, offsets 1000–1999 (1000 messages)',
  startTime: '2026-12-01T00:00:00.000Z',
  closeTime: '2026-12-01T00:00:01.500Z',
  historyLength: 11,
  historySizeBytes: 2_765,
  parent: { workflowId: 'sensor-events-0@g', runId: 'r-0' },
  memo: { sensor: 'sensor-events-0@g', bytes: 3024 },
  searchAttributes: { FirstOffset: 1000, KafkaTopic: 'events', BuildIds: ['unversioned'] },
};

describe('describing a workflow', () => {
  it('prints status, summary, memo and search attributes as plain values', () => {
    expect(formatDescription(run)).toEqual([
      'microbatch-events-p3-1000-1999@g:',
      '  status      COMPLETED',
      '  summary     events partition 3, offsets 1000–1999 (1000 messages)',
      '  type        MicroBatchRun',
      '  run ID      r-1',
      '  task queue  microbatch-runs-events@g',
      '  started     2026-12-01T00:00:00.000Z',
      '  closed      2026-12-01T00:00:01.500Z (after 1.5 s)',
      '  history     11 events, 2.7 KiB',
      '  parent      sensor-events-0@g (run r-0)',
      'memo:',
      '  bytes   3024',
      '  sensor  sensor-events-0@g',
      'search attributes:',
      '  FirstOffset  1000',
      '  KafkaTopic   events',
      '  BuildIds     unversioned',
    ]);
  });

  it('leaves out what a running workflow does not have yet, and says when there is no memo', () => {
    const lines = formatDescription({ ...run, status: 'RUNNING', closeTime: undefined, parent: undefined, memo: {} });
    expect(lines.join('\n')).not.toMatch(/closed|parent/);
    expect(lines).toContain('memo: none');
  });

  it('takes the decoded search attributes and summary from the client, sorted by name', async () => {
    const startedAt = new Date('2026-12-01T00:00:00Z');
    const Started = defineSearchAttributeKey('Started', SearchAttributeType.DATETIME);
    const description = {
      workflowId: run.workflowId,
      runId: 'r-1',
      type: 'MicroBatchRun',
      status: { code: 2, name: 'COMPLETED' },
      taskQueue: 'q',
      startTime: startedAt,
      historyLength: 11,
      memo: { sensor: 'sensor-events-0@g' },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: MessageCount, value: 1000 },
        { key: KafkaTopic, value: 'events' },
        { key: KafkaPartition, value: 3 },
        { key: FirstOffset, value: 1000 },
        { key: Started, value: startedAt },
      ]),
      staticSummary: async () => 'the summary',
    } as unknown as WorkflowExecutionDescription;
    const view = await toView(description);
    expect(view.summary).toBe('the summary');
    expect(view.status).toBe('COMPLETED');
    expect(view.memo).toEqual({ sensor: 'sensor-events-0@g' });
    expect(Object.entries(view.searchAttributes)).toEqual([
      ['FirstOffset', 1000],
      ['KafkaPartition', 3],
      ['KafkaTopic', 'events'],
      ['MessageCount', 1000],
      ['Started', '2026-12-01T00:00:00.000Z'],
    ]);
  });
});
