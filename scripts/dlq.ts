// `npm run dlq`: lists what is in the dead-letter topic (KAFKA_DLQ_TOPIC), with the reason, the
// attempts, where each record came from and which run gave up on it.
// `npm run dlq -- replay [--to TOPIC]`: after a fix, publishes the dead letters not replayed yet
// back to their source topic (or TOPIC); progress is kept in the group <dlq topic>-replay.
// `npm run dlq -- list --json` prints one JSON object per record: key, value and headers as text
// when they are UTF-8, else as {"base64": "…"} (scripts/printable.ts).
// Both show and send each source record once, however often the topic holds it (a retried activity
// publishes its dead letters again): `copies` and `otherRuns` say how often and from which runs.

import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import { listDeadLetters, replayDeadLetters, type DeadLetterRecord } from '../src/kafka/dead-letter-replay';
import { createLogger } from '../src/logger';
import { connectAdmin } from '../src/workers/connect';
import { exitOnError } from '../src/workers/exit';
import { deadLetterLine, printableBytes } from './printable';

const USAGE = 'usage: npm run dlq [-- list [--json] | replay [--to TOPIC]]';

function preview(bytes: Buffer | null): string {
  const printable = printableBytes(bytes);
  if (printable === null) return '(null)';
  const shown = typeof printable === 'string' ? printable : `base64:${printable.base64}`;
  return shown.length > 60 ? `${shown.slice(0, 60)}…` : shown;
}

function previewHeaders(headers: Record<string, Buffer>): string {
  const names = Object.keys(headers);
  return names.length === 0 ? '' : `  headers ${names.map((n) => `${n}=${preview(headers[n]!)}`).join(' ')}`;
}

function printTable(records: DeadLetterRecord[], dlqTopic: string): void {
  if (records.length === 0) {
    console.log(`${dlqTopic} is empty.`);
    return;
  }
  for (const r of records) {
    console.log(
      `${r.sourceTopic}/${r.sourcePartition}@${r.sourceOffset}  ${r.errorType}: ${r.error}\n` +
        `    attempts ${r.attempts}  run ${r.runId}  failed ${r.failedAt}  key ${preview(r.key)}  value ${preview(r.value)}${previewHeaders(r.headers)}` +
        (r.otherRuns.length > 0 ? `\n    also dead-lettered by ${r.otherRuns.join(', ')}` : ''),
    );
  }
  const copies = records.reduce((sum, r) => sum + r.copies - 1, 0);
  // The topic itself holds the copies: say why a count of its offsets differs from this one.
  const note = copies > 0 ? ` (and ${copies} cop${copies === 1 ? 'y' : 'ies'} of them, shown once)` : '';
  console.log(`\n${records.length} record(s) in ${dlqTopic}${note}. Replay after a fix: npm run dlq -- replay`);
}

type Command = { name: 'list'; json: boolean } | { name: 'replay'; to?: string };

/** The command and its flags, or undefined (after printing why) when they make no sense. */
function parseCommand(args: string[]): Command | undefined {
  try {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, to: { type: 'string' } },
    });
    const [name = 'list', ...extra] = positionals;
    if (extra.length > 0) throw new Error(`unexpected argument ${extra[0]}`);
    if (name === 'list' && values.to === undefined) return { name, json: values.json ?? false };
    if (name === 'replay' && !values.json) return { name, to: values.to };
    if (name === 'list') throw new Error('--to is a flag of replay, not of list');
    if (name === 'replay') throw new Error('--json is a flag of list, not of replay');
    throw new Error(`unknown command ${name}`);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return undefined;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const command = parseCommand(process.argv.slice(2));
  if (!command) return;
  const logger = createLogger(config.logLevel, 'dlq');
  const kafka = await createKafkaClient(config, logger);
  const admin = await connectAdmin(kafka, config, logger);
  const exists = (await admin.listTopics()).includes(config.dlqTopic);
  await admin.close();
  if (!exists) {
    console.log(`${config.dlqTopic} does not exist yet: nothing has been dead-lettered.`);
    return;
  }
  if (command.name === 'list') {
    const records = await listDeadLetters(kafka, config.dlqTopic);
    if (command.json) {
      for (const r of records) console.log(deadLetterLine(r));
    } else {
      printTable(records, config.dlqTopic);
    }
  } else {
    const { to } = command;
    const { sent, copies } = await replayDeadLetters(kafka, { dlqTopic: config.dlqTopic, to });
    const skipped = copies > 0 ? ` (${copies} cop${copies === 1 ? 'y' : 'ies'} of records sent once skipped)` : '';
    console.log(`replayed ${sent} record(s) from ${config.dlqTopic} to ${to ?? 'their source topics'}${skipped}`);
  }
}

main().catch(exitOnError('dlq'));
