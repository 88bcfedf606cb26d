import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Health, Metrics } from '@framewire/observability';

/** Liveness, readiness and Prometheus metrics, on intake's own HTTP port (worker apps serve them on FW_OPS_PORT). */
@Controller()
export class HealthController {
  constructor(
    private readonly health: Health,
    private readonly metrics: Metrics,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  live() {
    return this.health.liveness();
  }

  /** Readiness: what intake needs to accept a job (NATS, Postgres, the object store) answers. */
  @Get('readyz')
  async ready(@Res() res: Response): Promise<void> {
    const r = await this.health.readiness();
    // The same body either way, so a probe or a person sees which check failed.
    res.status(r.status === 'ok' ? 200 : 503).json(r);
  }

  @Get('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.expose();
    res.type(contentType).send(body);
  }
}
