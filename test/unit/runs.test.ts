import { describe, expect, it } from 'vitest';
import { pipelineFilter, queryString, runsQuery } from '../../src/runs';

describe('visibility queries of one pipeline', () => {
  it('a runs query names the topic and the consumer group', () => {
    expect(runsQuery({ topic: 'events', groupId: 'loader' }, 'Running')).toBe(
      "WorkflowType = 'MicroBatchRun' AND KafkaTopic = 'events' AND KafkaGroup = 'loader' AND ExecutionStatus = 'Running'",
    );
  });

  it("a group with quotes stays one string in the query (quotes doubled, as Temporal's parser reads them)", () => {
    expect(queryString("o'brien")).toBe("'o''brien'");
    expect(pipelineFilter({ topic: 't', groupId: "a' OR KafkaGroup = 'b" })).toBe(
      "KafkaTopic = 't' AND KafkaGroup = 'a'' OR KafkaGroup = ''b'",
    );
  });
});
