import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram } from 'prom-client';
import { Metrics } from '@framewire/observability';

/** HTTP latency by route pattern (not by URL: job ids would make a series each) and status. */
export function installRequestMetrics(app: INestApplication): void {
  const metrics = app.get(Metrics);
  const seconds = new Histogram({
    name: 'framewire_http_request_duration_seconds',
    help: 'HTTP requests served by intake, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [metrics.registry],
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    const t0 = performance.now();
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      seconds.observe({ method: req.method, route, status: String(res.statusCode) }, (performance.now() - t0) / 1000);
    });
    next();
  });
}
