import type { StorageConfig } from './config';
import { FsObjectStore, type FsObjectStoreOptions } from './fs-object-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';

/** Tuning that does not come from the environment (tests, benchmarks). */
export interface ObjectStoreTuning {
  fs?: FsObjectStoreOptions;
  s3?: Omit<S3ObjectStoreOptions, 'bucket' | 'region' | 'endpoint' | 'accessKeyId' | 'secretAccessKey' | 'forcePathStyle'>;
}

/**
 * The object store a config describes. Stores prepare themselves on first use
 * (root directory, bucket); call `init()` on the concrete class, or
 * `initObjectStore`, at start to fail fast.
 */
export function createObjectStore(config: StorageConfig, tuning: ObjectStoreTuning = {}): FsObjectStore | S3ObjectStore {
  switch (config.driver) {
    case 'fs':
      return new FsObjectStore(config.root, tuning.fs);
    case 's3': {
      const { driver: _driver, ...s3 } = config;
      return new S3ObjectStore({ ...tuning.s3, ...s3 });
    }
    default: {
      const unknownDriver: never = config;
      throw new Error(`unknown storage driver: ${JSON.stringify((unknownDriver as { driver?: unknown }).driver)}`);
    }
  }
}

/** Prepares a store now (creates the root directory or the bucket); a DomainError if it cannot. */
export async function initObjectStore(store: ObjectStore): Promise<void> {
  if (store instanceof FsObjectStore || store instanceof S3ObjectStore) await store.init();
}
