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
import { Health } from '@framewire/observability';
import type { StorageConfig } from './config';
import { createObjectStore, initObjectStore } from './factory';
import type { ObjectStore } from './object-store';

/** Injection token of the process's object store. */
export const OBJECT_STORE = Symbol('OBJECT_STORE');

@Injectable()
class ObjectStoreLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Optional() private readonly health?: Health,
  ) {}

  /** Readiness: the store answers a metadata read (a missing key is an answer). */
  onModuleInit(): void {
    this.health?.register('object_store', async () => {
      await this.store.head('.framewire-health');
    });
  }

  /** Fail fast at start when the store is unreachable or misconfigured. */
  async onApplicationBootstrap(): Promise<void> {
    await initObjectStore(this.store);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({})
export class StorageModule {
  static forRoot(config: StorageConfig): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [{ provide: OBJECT_STORE, useFactory: () => createObjectStore(config) }, ObjectStoreLifecycle],
      exports: [OBJECT_STORE],
    };
  }
}
