// The metrics endpoints: /metrics answers in Prometheus's text format on a port of its own (the
// system's choice when asked for 0, so tests in one process never collide), and a port already in
// use stops `npm run worker` at startup with a message naming the setting, before it connects to
// anything (the servers here are unreachable on purpose).

import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsPortInUseError, serveMetrics, type MetricsServer } from '../../src/metrics/metrics-server';
import { PipelineMetrics } from '../../src/metrics/pipeline-metrics';

const opened: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

async function serve(port = 0): Promise<MetricsServer> {
  const metrics = new PipelineMetrics({ topic: 'orders', groupId: 'loader' });
  metrics.recordsLoaded.inc({ partition: '2' }, 7);
  const server = await serveMetrics(metrics.registry, { host: '127.0.0.1', port, setting: 'METRICS_PORT' });
  opened.push(server);
  return server;
}

/** A port held by something else, as another worker would hold it. */
async function takenPort(): Promise<number> {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  opened.push({ close: () => new Promise<void>((resolve) => blocker.close(() => resolve())) });
  return (blocker.address() as { port: number }).port;
}

describe('the metrics endpoint', () => {
  it('serves the registry in the Prometheus text format, labelled by topic and group, on a port the system picks', async () => {
    const [a, b] = await Promise.all([serve(), serve()]);
    expect(a.port).toBeGreaterThan(0);
    expect(b.port).not.toBe(a.port);
    const res = await fetch(a.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE microbatch_records_loaded_total counter');
    expect(text).toContain('microbatch_records_loaded_total{partition="2",topic="orders",group="loader"} 7');
    expect((await fetch(a.url.replace('/metrics', '/'))).status).toBe(404);
  });

  it('refuses a port in use with an error naming the setting', async () => {
    const port = await takenPort();
    const failure = serve(port);
    await expect(failure).rejects.toBeInstanceOf(MetricsPortInUseError);
    await expect(failure).rejects.toThrow(`METRICS_PORT=${port}: port ${port} on 127.0.0.1 is already in use`);
  });
});

/** Runs `npm run worker`'s entry point; kills it if it is still running after 30 s. */
function startWorker(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/workers/main.ts'], {
      cwd: join(__dirname, '../..'),
      // Unreachable servers: a worker that got past its metrics ports would only retry connecting.
      env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm run worker', () => {
  it.each([
    ['METRICS_PORT', 'TEMPORAL_METRICS_PORT'],
    ['TEMPORAL_METRICS_PORT', 'METRICS_PORT'],
  ])(
    'stops at startup with exit code 2, naming %s, when that port is in use',
    async (setting, other) => {
      const port = await takenPort();
      const { code, output } = await startWorker({ [setting]: String(port), [other]: '0' });
      expect(output).toContain(`worker cannot start: ${setting}=${port}: port ${port} on 127.0.0.1 is already in use`);
      expect(code).toBe(2);
    },
    40_000,
  );
});
