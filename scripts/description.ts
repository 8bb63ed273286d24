// What `npm run describe` (scripts/describe.ts) prints for a workflow: its status, summary, memo
// and search attributes as plain text (or one JSON object), from the TS client's describe(), which
// decodes what `temporal workflow describe` shows as protobuf maps and base64. Pure, so it is
// tested without a server.

import type { WorkflowExecutionDescription } from '@temporalio/client';

/** The parts of a description a person asks for, as plain values. */
export interface DescriptionView {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  taskQueue: string;
  summary?: string;
  startTime: string;
  closeTime?: string;
  historyLength: number;
  historySizeBytes?: number;
  parent?: { workflowId: string; runId: string };
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
}

export async function toView(d: WorkflowExecutionDescription): Promise<DescriptionView> {
  const searchAttributes = Object.fromEntries(
    d.typedSearchAttributes
      .getAll()
      .map((pair) => [pair.key.name, pair.value instanceof Date ? pair.value.toISOString() : pair.value] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return {
    workflowId: d.workflowId,
    runId: d.runId,
    type: d.type,
    status: d.status.name,
    taskQueue: d.taskQueue,
    summary: await d.staticSummary(),
    startTime: d.startTime.toISOString(),
    closeTime: d.closeTime?.toISOString(),
    historyLength: d.historyLength,
    historySizeBytes: d.historySize,
    parent: d.parentExecution
      ? { workflowId: d.parentExecution.workflowId ?? '', runId: d.parentExecution.runId ?? '' }
      : undefined,
    memo: d.memo ?? {},
    searchAttributes,
  };
}

function shown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
  return JSON.stringify(value);
}

function duration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function size(bytes: number): string {
  return bytes < 1_024
    ? `${bytes} B`
    : bytes < 1_048_576
      ? `${(bytes / 1_024).toFixed(1)} KiB`
      : `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

function section(title: string, entries: Array<[string, string]>): string[] {
  if (entries.length === 0) return [`${title}: none`];
  const width = Math.max(...entries.map(([k]) => k.length));
  return [`${title}:`, ...entries.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
}

/** The view as lines of text: the workflow first, then its memo, then its search attributes. */
export function formatDescription(v: DescriptionView): string[] {
  const closed = v.closeTime
    ? `${v.closeTime} (after ${duration(Date.parse(v.closeTime) - Date.parse(v.startTime))})`
    : undefined;
  const history = `${v.historyLength} events${v.historySizeBytes !== undefined ? `, ${size(v.historySizeBytes)}` : ''}`;
  const main: Array<[string, string | undefined]> = [
    ['status', v.status],
    ['summary', v.summary],
    ['type', v.type],
    ['run ID', v.runId],
    ['task queue', v.taskQueue],
    ['started', v.startTime],
    ['closed', closed],
    ['history', history],
    ['parent', v.parent ? `${v.parent.workflowId} (run ${v.parent.runId})` : undefined],
  ];
  return [
    ...section(
      v.workflowId,
      main.filter((e): e is [string, string] => e[1] !== undefined),
    ),
    ...section(
      'memo',
      Object.entries(v.memo)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, value]) => [k, shown(value)]),
    ),
    ...section(
      'search attributes',
      Object.entries(v.searchAttributes).map(([k, value]) => [k, shown(value)]),
    ),
  ];
}
