import { type DynamicModule, Module, type ModuleMetadata, type Provider } from '@nestjs/common';
import type { Stage } from '@framewire/contracts';
import { ObservabilityModule } from '@framewire/observability';
import { RuntimeModule, type Logger, type NatsAuthSettings } from '@framewire/runtime';
import { StorageModule, type StorageConfig } from '@framewire/storage';
import { MessagingModule } from './messaging.module';
import { topologyFromConfig, type TopologyConfig } from './topology';
import type { WorkerDetails } from './worker-registry';

/** The config fields the shared wiring reads (COMMON_CONFIG, and the object store when the app has one). */
export interface StageAppConfig extends TopologyConfig {
  natsUrl: string;
  nats: NatsAuthSettings;
  shutdownTimeoutMs: number;
  /** FW_OPS_PORT; absent for an app whose own HTTP server serves /healthz, /readyz and /metrics. */
  opsPort?: number | null;
  /** The object store, for the apps that read or write it. */
  storage?: StorageConfig;
}

export interface StageAppOptions<C extends StageAppConfig> {
  config: C;
  logger: Logger;
  workerId: string;
  /** What only this app needs beside the shared wiring (e.g. its database: PersistenceModule.forApp). */
  imports?: NonNullable<ModuleMetadata['imports']>;
  providers?: Provider[];
  controllers?: NonNullable<ModuleMetadata['controllers']>;
  /** What each replica reports about itself in the worker registry (e.g. the decoder it runs). */
  workerDetails?: () => Promise<WorkerDetails>;
}

/**
 * The root module of one stage: config, logger and worker id (RuntimeModule),
 * health and metrics, the object store when the config has one, the app's own
 * imports, then JetStream. The consumers the app runs come from its @Consume
 * handlers (among `providers`), not from here.
 */
@Module({})
export class WorkerAppModule {
  static forStage<C extends StageAppConfig>(stage: Stage, opts: StageAppOptions<C>): DynamicModule {
    const { config, logger, workerId } = opts;
    return {
      module: WorkerAppModule,
      imports: [
        RuntimeModule.forRoot({ logger, workerId, config }),
        ObservabilityModule.forRoot({ stage, logger, opsPort: config.opsPort ?? null }),
        ...(config.storage ? [StorageModule.forRoot(config.storage, { startupWaitMs: config.outageToleranceMs })] : []),
        ...(opts.imports ?? []),
        MessagingModule.forRoot({
          stage,
          workerId,
          servers: config.natsUrl,
          auth: config.nats,
          logger,
          topology: topologyFromConfig(config),
          shutdownTimeoutMs: config.shutdownTimeoutMs,
          workerDetails: opts.workerDetails,
        }),
      ],
      controllers: opts.controllers ?? [],
      providers: opts.providers ?? [],
    };
  }
}
