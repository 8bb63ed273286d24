// The HTTP endpoint Prometheus scrapes: GET /metrics answers with a registry in the text format.
// `npm run worker` serves its pipeline's registry on METRICS_PORT (src/workers/main.ts); tests
// serve on port 0 (a free port the system picks) and read the bound port back.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** The port a metrics endpoint should listen on is taken: who asked for it, and how to fix it. */
export class MetricsPortInUseError extends Error {
  override readonly name = 'MetricsPortInUseError';
  constructor(
    readonly setting: string,
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `${setting}=${port}: port ${port} on ${host} is already in use (another worker on this machine?); ` +
        `give each process its own ${setting}, or set ${setting}=0 to turn this metrics endpoint off`,
    );
  }
}

export interface MetricsServer {
  /** The port it listens on (the one the system chose when asked for 0). */
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  /** 0 asks the system for a free port. */
  port: number;
  /** The setting that chose the port, named in the error when it is taken. */
  setting: string;
}

export function serveMetrics(registry: Registry, { host, port, setting }: ServeOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new MetricsPortInUseError(setting, host, port) : err),
    );
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port;
      resolve({ port: bound, url: `http://${urlHost(host)}:${bound}/metrics`, close: () => closeServer(server) });
    });
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function closeServer(server: Server): Promise<void> {
  // A scraper's keep-alive connection would hold close() open until it times out.
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
