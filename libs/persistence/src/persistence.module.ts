import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDomainError } from '@framewire/contracts';
import { Health } from '@framewire/observability';
import { LOGGER, waitFor, type Logger } from '@framewire/runtime';
import { openDataSource, runMigrations } from './data-source';
import { ensureDatabase } from './ensure-database';
import { FrameResultsRepository } from './frame-results.repository';
import { JobEventsRepository } from './job-events.repository';
import { JobsRepository } from './jobs.repository';
import { OutboxRepository } from './outbox.repository';
import { TracksRepository } from './tracks.repository';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

export interface PersistenceModuleOptions {
  url: string;
  poolSize: number;
  applicationName: string;
  /** Create the database if missing and apply committed migrations at start (under an advisory lock). */
  migrate: boolean;
  /** How long start-up waits for an unreachable Postgres before it gives up (FW_OUTAGE_TOLERANCE_MS; default 30 min). */
  startupWaitMs?: number;
}

@Injectable()
class DataSourceLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Optional() private readonly health?: Health,
  ) {}

  onModuleInit(): void {
    this.health?.register('postgres', async () => {
      await this.ds.query('SELECT 1');
    });
  }
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** The Postgres pool and the repositories, for the apps that read or write the database. */
@Module({})
export class PersistenceModule {
  /** An app's database from its config (DATABASE_CONFIG, FW_OUTAGE_TOLERANCE_MS): migrated at start, named after the replica. */
  static forApp(config: { databaseUrl: string; databasePoolSize: number; outageToleranceMs: number }, workerId: string): DynamicModule {
    return PersistenceModule.forRoot({
      url: config.databaseUrl,
      poolSize: config.databasePoolSize,
      applicationName: workerId,
      migrate: true,
      startupWaitMs: config.outageToleranceMs,
    });
  }

  static forRoot(opts: PersistenceModuleOptions): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      providers: [
        {
          provide: DataSource,
          useFactory: (logger?: Logger) =>
            waitFor(
              async () => {
                if (opts.migrate) await ensureDatabase(opts.url);
                const ds = await openDataSource({ url: opts.url, poolSize: opts.poolSize, applicationName: opts.applicationName });
                try {
                  if (opts.migrate) await runMigrations(ds);
                } catch (err) {
                  await ds.destroy().catch(() => undefined);
                  throw err;
                }
                return ds;
              },
              {
                what: 'Postgres',
                isUnavailable: (err) => isDomainError(err) && err.code === 'DATABASE_UNAVAILABLE',
                maxWaitMs: opts.startupWaitMs ?? 30 * 60_000,
                logger,
              },
            ),
          inject: [{ token: LOGGER, optional: true }],
        },
        { provide: JobsRepository, useFactory: (ds: DataSource) => new JobsRepository(ds), inject: [DataSource] },
        { provide: FrameResultsRepository, useFactory: (ds: DataSource) => new FrameResultsRepository(ds), inject: [DataSource] },
        { provide: JobEventsRepository, useFactory: (ds: DataSource) => new JobEventsRepository(ds), inject: [DataSource] },
        { provide: OutboxRepository, useFactory: (ds: DataSource) => new OutboxRepository(ds), inject: [DataSource] },
        { provide: TracksRepository, useFactory: (ds: DataSource) => new TracksRepository(ds), inject: [DataSource] },
        { provide: WebhookDeliveriesRepository, useFactory: (ds: DataSource) => new WebhookDeliveriesRepository(ds), inject: [DataSource] },
        DataSourceLifecycle,
      ],
      exports: [
        DataSource,
        JobsRepository,
        FrameResultsRepository,
        JobEventsRepository,
        OutboxRepository,
        TracksRepository,
        WebhookDeliveriesRepository,
      ],
    };
  }
}
