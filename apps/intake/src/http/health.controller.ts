import { Controller, Get, HttpException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Broker } from '@framewire/messaging';

@Controller()
export class HealthController {
  constructor(
    private readonly broker: Broker,
    private readonly db: DataSource,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  /** Readiness: what intake needs to accept a job (NATS and Postgres) answers. */
  @Get('readyz')
  async ready() {
    const nats = this.broker.isConnected();
    const postgres = await this.db
      .query('SELECT 1')
      .then(() => true)
      .catch(() => false);
    const body = { status: nats && postgres ? 'ok' : 'unavailable', checks: { nats, postgres } };
    if (!nats || !postgres) throw new HttpException(body, 503);
    return body;
  }
}
