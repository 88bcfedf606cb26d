import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { Health } from './health';
import { Metrics } from './metrics';
import { OpsServer } from './ops-server';

export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

export interface ObservabilityOptions {
  stage: string;
  logger: Logger;
  /** Serve /healthz, /readyz and /metrics on this port (0: any free port); null when the app's own HTTP server serves them. */
  opsPort: number | null;
  opsHost?: string;
}

/** Starts the ops server before the other modules initialise, so liveness answers while models load. */
@Injectable()
class OpsLifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private server: OpsServer | null = null;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly opts: ObservabilityOptions,
    private readonly health: Health,
    private readonly metrics: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.opts.opsPort === null) return;
    this.server = new OpsServer(this.health, this.metrics);
    const port = await this.server.listen(this.opts.opsPort, this.opts.opsHost);
    this.opts.logger.info({ ops_port: port }, `ops server on :${port} (/healthz /readyz /metrics)`);
  }

  beforeApplicationShutdown(): void {
    this.health.markStopping();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

/** Every app's metrics registry, health checks and (for worker apps) ops HTTP server. */
@Module({})
export class ObservabilityModule {
  static forRoot(opts: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      providers: [
        { provide: OBSERVABILITY_OPTIONS, useValue: opts },
        { provide: Metrics, useFactory: () => new Metrics(opts.stage) },
        { provide: Health, useFactory: () => new Health() },
        OpsLifecycle,
      ],
      exports: [Metrics, Health],
    };
  }
}
