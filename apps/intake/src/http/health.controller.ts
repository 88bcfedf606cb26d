import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Health, Metrics } from '@framewire/observability';
import { ApiRoute } from './api-doc';
import { healthSchema, readinessSchema } from './schemas';

/** Liveness, readiness and Prometheus metrics, on intake's own HTTP port (worker apps serve them on FW_OPS_PORT). */
@Controller()
export class HealthController {
  constructor(
    private readonly health: Health,
    private readonly metrics: Metrics,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @ApiRoute({ tag: 'health', summary: 'Liveness', ok: { 200: ['the process answers', healthSchema] }, open: true })
  live() {
    return this.health.liveness();
  }

  /** Readiness: what intake needs to accept a job (NATS, Postgres, the object store) answers. */
  @Get('readyz')
  @ApiRoute({
    tag: 'health',
    summary: 'Readiness: NATS, Postgres and the object store answer, and the app has started and is not shutting down',
    ok: { 200: ['ready', readinessSchema], 503: ['not ready: the failed checks say why', readinessSchema] },
    open: true,
  })
  async ready(@Res() res: Response): Promise<void> {
    const r = await this.health.readiness();
    // The same body either way, so a probe or a person sees which check failed.
    res.status(r.status === 'ok' ? 200 : 503).json(r);
  }

  @Get('metrics')
  @ApiRoute({ tag: 'health', summary: 'Prometheus metrics (text exposition format)', ok: { 200: ['the metrics', null] }, open: true })
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.expose();
    res.type(contentType).send(body);
  }
}
