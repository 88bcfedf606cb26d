import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from './health';
import type { Metrics } from './metrics';

/**
 * The HTTP face of a worker app that serves no API: GET /healthz (liveness),
 * /readyz (readiness, 503 when a dependency is down) and /metrics (Prometheus).
 */
export class OpsServer {
  private server: Server | null = null;

  constructor(
    private readonly health: Health,
    private readonly metrics: Metrics,
  ) {}

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err instanceof Error ? err.message : String(err));
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { status: 'method not allowed' });
    switch (path) {
      case '/healthz':
        return send(res, 200, this.health.liveness());
      case '/readyz': {
        const r = await this.health.readiness();
        return send(res, r.status === 'ok' ? 200 : 503, r);
      }
      case '/metrics': {
        const { contentType, body } = await this.metrics.expose();
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
        return;
      }
      default:
        return send(res, 404, { status: 'not found', paths: ['/healthz', '/readyz', '/metrics'] });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
