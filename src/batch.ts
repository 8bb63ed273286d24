// Batches of Kafka records from one partition as they travel through Temporal (an offset range,
// with or without its records), and the names derived from them. Pure and deterministic, so both
// workflows and activities import it.

import { jsonStringBytes } from './json-bytes';

/**
 * Bytes carried through JSON payloads without loss: text that is valid UTF-8 stays readable in the
 * Web UI, anything else travels as base64 and is marked so.
 */
export type EncodedBytes = { text: string } | { base64: string };

/** One Kafka record, as the sensor hands it to a run. Offsets are strings: Kafka's are 64-bit. */
export interface BatchMessage {
  offset: string;
  key: EncodedBytes | null;
  /** null for a tombstone (a record without a value). */
  value: EncodedBytes | null;
  headers: Record<string, EncodedBytes>;
  /** Kafka's record timestamp, milliseconds since the epoch, as kafkajs reports it. */
  timestamp: string;
}

/** The offsets of one partition that one MicroBatchRun covers, without the records. */
export interface BatchRange {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /**
   * Records in the range. For a part of a range cut down by offsets (see rangeWithin) it is the
   * number of offsets spanned, an upper bound: compaction and transaction markers leave gaps.
   */
  count: number;
  /** What the records weigh in a payload (see messageBytes), as counted against MAX_BATCH_BYTES (estimated for a part cut down by rangeWithin). */
  bytes: number;
}

/** Consecutive records of one partition, as the sensor's consumer cuts them. */
export interface Batch extends BatchRange {
  messages: BatchMessage[];
}

/**
 * What a MicroBatchRun receives: its records inline (BATCH_PAYLOAD=records), or only their range
 * (BATCH_PAYLOAD=offsets), whose records process-batch takes from the worker's memory or re-reads
 * from Kafka (src/kafka/batch-records.ts).
 */
export type RunBatch = BatchRange & { messages?: BatchMessage[] };

/** The range of a batch, without its records. */
export function rangeOf(b: BatchRange): BatchRange {
  const { topic, partition, firstOffset, lastOffset, count, bytes } = b;
  return { topic, partition, firstOffset, lastOffset, count, bytes };
}

/** A position to commit or to rewind to: the next offset to read in a partition. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/**
 * A pipeline is a topic read by one consumer group: two pipelines on one topic (two groups, two
 * sinks) share nothing, so every workflow ID names both. Kafka topic names only use
 * [A-Za-z0-9._-], so the first '@' of an ID ends its topic part; the group after it may hold
 * anything (group IDs are free text), so the group comes last.
 */
const GROUP_SEPARATOR = '@';

/**
 * The MicroBatchRun workflow ID for the records a batch covers:
 * `microbatch-<topic>-p<partition>-<first>-<last>@<group>`. Derived only from the offsets and the
 * pipeline, so the same batch read twice by one pipeline maps to the same run, and Temporal refuses
 * to start it a second time, while another pipeline's run of the same offsets is a run of its own.
 */
export function runWorkflowId(
  b: Pick<Batch, 'topic' | 'partition' | 'firstOffset' | 'lastOffset'>,
  groupId: string,
  /**
   * The reset the partition's offsets were last moved by (`npm run reset`), if any: `-r<reset>`
   * follows the offsets, so a range read again after a reset is run again (with the same
   * boundaries its earlier run's ID would be taken, and the batch skipped as done).
   */
  reset?: string,
): string {
  const id = `microbatch-${b.topic}-p${b.partition}-${b.firstOffset}-${b.lastOffset}${reset === undefined ? '' : `-r${reset}`}`;
  return `${id}${GROUP_SEPARATOR}${groupId}`;
}

/** A replay's name: it goes into workflow IDs, so letters, digits, '.', '_' and '-' only. */
export const REPLAY_NAME = /^[A-Za-z0-9._-]{1,80}$/;

/**
 * The Replay workflow of `npm run replay`: `replay-<name>/<topic>@<group>`. Its runs' IDs start
 * with the same `replay-<name>/`, so they never collide with the live runs of the same offsets
 * (which Temporal would refuse to start again) and one replay's runs are listed together.
 */
export function replayWorkflowId(name: string, topic: string, groupId: string): string {
  return `replay-${name}/${topic}${GROUP_SEPARATOR}${groupId}`;
}

/** The ID of a run a replay starts: `replay-<name>/` and the live run's ID for the same offsets. */
export function replayRunWorkflowId(
  name: string,
  b: Pick<Batch, 'topic' | 'partition' | 'firstOffset' | 'lastOffset'>,
  groupId: string,
): string {
  return `replay-${name}/${runWorkflowId(b, groupId)}`;
}

/** What a run's workflow ID names (see runWorkflowId). */
export type RunWorkflowIdParts = Pick<BatchRange, 'topic' | 'partition' | 'firstOffset' | 'lastOffset'> & {
  groupId: string;
  /** The replay that started the run (see replayRunWorkflowId); absent for a live run. */
  replay?: string;
  /** The reset after which the run's offsets were read again (see runWorkflowId). */
  reset?: string;
};

/** The topic, partition, offsets and group a run's workflow ID names (see runWorkflowId), or undefined. */
export function parseRunWorkflowId(workflowId: string): RunWorkflowIdParts | undefined {
  const replay = /^replay-([A-Za-z0-9._-]+)\/(microbatch-.*)$/.exec(workflowId);
  if (replay) {
    const live = parseRunWorkflowId(replay[2]!);
    return live && { ...live, replay: replay[1]! };
  }
  const at = workflowId.indexOf(GROUP_SEPARATOR);
  if (at < 0) return undefined;
  const head = workflowId.slice(0, at);
  // Topic names may contain '-' (even '-p1-2-3'): the partition and offsets are matched from the end.
  const match = /^microbatch-([A-Za-z0-9._-]+)-p(\d+)-(\d+)-(\d+)(?:-r([a-z0-9]+))?$/.exec(head);
  if (!match) return undefined;
  return {
    topic: match[1]!,
    partition: Number(match[2]),
    firstOffset: match[3]!,
    lastOffset: match[4]!,
    groupId: workflowId.slice(at + 1),
    ...(match[5] === undefined ? {} : { reset: match[5] }),
  };
}

/**
 * The sensor workflow ID of one replica of a pipeline: `sensor-<topic>-<replica>@<group>`, stable
 * and readable.
 */
export function sensorWorkflowId(topic: string, groupId: string, replica: number): string {
  return `sensor-${topic}-${replica}${GROUP_SEPARATOR}${groupId}`;
}

/** The topic, group and replica a sensor's workflow ID names (see sensorWorkflowId), or undefined. */
export function parseSensorWorkflowId(
  workflowId: string,
): { topic: string; groupId: string; replica: number } | undefined {
  const at = workflowId.indexOf(GROUP_SEPARATOR);
  if (at < 0) return undefined;
  const match = /^sensor-([A-Za-z0-9._-]+)-(\d+)$/.exec(workflowId.slice(0, at));
  if (!match) return undefined;
  return { topic: match[1]!, groupId: workflowId.slice(at + 1), replica: Number(match[2]) };
}

/** The offset after `offset`: what Kafka expects to be committed once `offset` is done. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/** Compares two Kafka offsets given as decimal strings. */
export function compareOffsets(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The part first..last of a range, without records; count and bytes are estimated from its span. */
export function rangeWithin(batch: BatchRange, first: bigint, last: bigint): BatchRange {
  const span = Number(last - first + 1n);
  const whole = Number(BigInt(batch.lastOffset) - BigInt(batch.firstOffset) + 1n);
  return {
    topic: batch.topic,
    partition: batch.partition,
    firstOffset: first.toString(),
    lastOffset: last.toString(),
    count: span,
    bytes: Math.ceil((batch.bytes * span) / whole),
  };
}

/**
 * The JSON of a record without its strings: field names, braces, colons and commas, plus the comma
 * that follows it in its batch's list of records.
 */
const RECORD_JSON_FRAME_BYTES = '{"offset":,"key":,"value":,"headers":{},"timestamp":},'.length;

/**
 * What a record weighs in a payload, as counted against the byte caps (MAX_BATCH_BYTES,
 * MAX_CONSUME_RESULT_BYTES, the worker's buffer and cache): its JSON in UTF-8, exactly as Temporal's
 * converter writes it (a batch's list of records weighs the sum of its records, plus 1). Values and
 * keys are counted as they travel: text by its UTF-8 bytes with JSON's escapes, bytes that are not
 * UTF-8 by their base64 text.
 */
export function messageBytes(m: BatchMessage): number {
  let n =
    RECORD_JSON_FRAME_BYTES +
    jsonStringBytes(m.offset) +
    encodedBytes(m.key) +
    encodedBytes(m.value) +
    jsonStringBytes(m.timestamp);
  let first = true;
  for (const [name, value] of Object.entries(m.headers)) {
    n += (first ? 0 : 1) + jsonStringBytes(name) + 1 + encodedBytes(value); // [,]"name":value
    first = false;
  }
  return n;
}

/** `null`, `{"text":"…"}` or `{"base64":"…"}`, in UTF-8. */
function encodedBytes(e: EncodedBytes | null): number {
  if (e === null) return 'null'.length;
  return 'text' in e ? '{"text":}'.length + jsonStringBytes(e.text) : '{"base64":}'.length + jsonStringBytes(e.base64);
}
