export type { MaterializedObject, ObjectHead, ObjectStore, PutBody, PutFileOptions, PutOptions, StoredObject } from './object-store';
export {
  FRAME_INDEX_DIGITS,
  MAX_KEY_LENGTH,
  MAX_KEY_SEGMENT_LENGTH,
  RESERVED_KEY_PREFIX,
  isValidKey,
  objectKeys,
  validateKey,
  validatePrefix,
} from './keys';
export { removeStaleTemp, type StaleTempOptions } from './temp-sweep';
export { FsObjectStore, type FsObjectStoreOptions } from './fs-object-store';
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';
export {
  DEFAULT_S3_REGION,
  DEFAULT_STORAGE_ROOT,
  storageConfigFromEnv,
  storageEnvSchema,
  type FsStorageConfig,
  type S3StorageConfig,
  type StorageConfig,
  type StorageEnv,
} from './config';
export { createObjectStore, initObjectStore, type ObjectStoreTuning } from './factory';
export { OBJECT_STORE, StorageModule, type StorageModuleOptions } from './storage.module';
