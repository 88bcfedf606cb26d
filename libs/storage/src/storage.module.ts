import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { isDomainError } from '@framewire/contracts';
import { Health } from '@framewire/observability';
import { LOGGER, waitFor, type Logger } from '@framewire/runtime';
import type { StorageConfig } from './config';
import { createObjectStore, initObjectStore } from './factory';
import type { ObjectStore } from './object-store';

/** Injection token of the process's object store. */
export const OBJECT_STORE = Symbol('OBJECT_STORE');
const STORAGE_OPTIONS = Symbol('STORAGE_OPTIONS');

export interface StorageModuleOptions {
  /** How long start-up waits for an unreachable store before it gives up (default 30 min). */
  startupWaitMs?: number;
}

@Injectable()
class ObjectStoreLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(STORAGE_OPTIONS) private readonly options: StorageModuleOptions,
    @Optional() private readonly health?: Health,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  /** Readiness: the store answers a metadata read (a missing key is an answer). */
  onModuleInit(): void {
    this.health?.register('object_store', async () => {
      await this.store.head('.framewire-health');
    });
  }

  /** Prepare the store at start (root directory, bucket); an unreachable store is waited for, not a crash. */
  async onApplicationBootstrap(): Promise<void> {
    await waitFor(() => initObjectStore(this.store), {
      what: 'the object store',
      isUnavailable: (err) => isDomainError(err) && err.code === 'STORAGE_UNAVAILABLE',
      maxWaitMs: this.options.startupWaitMs ?? 30 * 60_000,
      logger: this.logger,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({})
export class StorageModule {
  static forRoot(config: StorageConfig, options: StorageModuleOptions = {}): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [
        { provide: OBJECT_STORE, useFactory: () => createObjectStore(config) },
        { provide: STORAGE_OPTIONS, useValue: options },
        ObjectStoreLifecycle,
      ],
      exports: [OBJECT_STORE],
    };
  }
}
