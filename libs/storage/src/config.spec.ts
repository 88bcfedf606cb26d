import { storageConfigFromEnv } from './config';
import { createObjectStore } from './factory';
import { FsObjectStore } from './fs-object-store';
import { S3ObjectStore } from './s3-object-store';

describe('storageConfigFromEnv', () => {
  it('defaults to the filesystem under .data/objects', () => {
    expect(storageConfigFromEnv({})).toEqual({ driver: 'fs', root: '.data/objects' });
  });

  it('reads the filesystem root', () => {
    expect(storageConfigFromEnv({ FW_STORAGE_DRIVER: 'fs', FW_STORAGE_ROOT: '/var/lib/fw' })).toEqual({
      driver: 'fs',
      root: '/var/lib/fw',
    });
  });

  it('treats blank variables as unset', () => {
    expect(storageConfigFromEnv({ FW_STORAGE_DRIVER: '', FW_STORAGE_ROOT: '  ' })).toEqual({ driver: 'fs', root: '.data/objects' });
  });

  it('ignores S3 variables for the filesystem driver', () => {
    expect(storageConfigFromEnv({ FW_STORAGE_DRIVER: 'fs', FW_S3_ACCESS_KEY_ID: 'only-one' })).toEqual({
      driver: 'fs',
      root: '.data/objects',
    });
  });

  it('reads a full S3 config', () => {
    expect(
      storageConfigFromEnv({
        FW_STORAGE_DRIVER: 's3',
        FW_S3_BUCKET: 'framewire-objects',
        FW_S3_REGION: 'eu-west-3',
        FW_S3_ENDPOINT: 'http://127.0.0.1:9000',
        FW_S3_ACCESS_KEY_ID: 'minio',
        FW_S3_SECRET_ACCESS_KEY: 'minio123',
        FW_S3_FORCE_PATH_STYLE: 'false',
      }),
    ).toEqual({
      driver: 's3',
      bucket: 'framewire-objects',
      region: 'eu-west-3',
      endpoint: 'http://127.0.0.1:9000',
      accessKeyId: 'minio',
      secretAccessKey: 'minio123',
      forcePathStyle: false,
    });
  });

  it('defaults the region, and path style on only with a custom endpoint', () => {
    expect(storageConfigFromEnv({ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'b12' })).toEqual({
      driver: 's3',
      bucket: 'b12',
      region: 'us-east-1',
      forcePathStyle: false,
    });
    expect(storageConfigFromEnv({ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'b12', FW_S3_ENDPOINT: 'http://minio:9000' })).toMatchObject({
      forcePathStyle: true,
    });
    expect(storageConfigFromEnv({ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'b12', FW_S3_FORCE_PATH_STYLE: '1' })).toMatchObject({
      forcePathStyle: true,
    });
  });

  it.each([
    [{ FW_STORAGE_DRIVER: 'gcs' }, 'FW_STORAGE_DRIVER'],
    [{ FW_STORAGE_DRIVER: 's3' }, 'FW_S3_BUCKET'],
    [{ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'Bad_Bucket' }, 'FW_S3_BUCKET'],
    [{ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'ok-bucket', FW_S3_ENDPOINT: 'not a url' }, 'FW_S3_ENDPOINT'],
    [{ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'ok-bucket', FW_S3_ENDPOINT: 'ftp://host' }, 'FW_S3_ENDPOINT'],
    [{ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'ok-bucket', FW_S3_FORCE_PATH_STYLE: 'maybe' }, 'FW_S3_FORCE_PATH_STYLE'],
    [{ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'ok-bucket', FW_S3_REGION: 'EU West' }, 'FW_S3_REGION'],
    [{ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'ok-bucket', FW_S3_ACCESS_KEY_ID: 'id' }, 'FW_S3_SECRET_ACCESS_KEY'],
    [{ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'ok-bucket', FW_S3_SECRET_ACCESS_KEY: 'hunter2' }, 'FW_S3_ACCESS_KEY_ID'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => storageConfigFromEnv(env)).toThrow(variable);
  });

  it('never echoes a secret', () => {
    let message = '';
    try {
      storageConfigFromEnv({ FW_STORAGE_DRIVER: 's3', FW_S3_BUCKET: 'ok-bucket', FW_S3_SECRET_ACCESS_KEY: 'hunter2' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('FW_S3_ACCESS_KEY_ID');
    expect(message).not.toContain('hunter2');
  });
});

describe('createObjectStore', () => {
  it('builds the adapter the config names', async () => {
    const fs = createObjectStore({ driver: 'fs', root: '/tmp/fw-config-spec' });
    expect(fs).toBeInstanceOf(FsObjectStore);
    expect(fs.kind).toBe('fs');
    const s3 = createObjectStore({
      driver: 's3',
      bucket: 'b12',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      forcePathStyle: true,
    });
    expect(s3).toBeInstanceOf(S3ObjectStore);
    expect(s3.kind).toBe('s3');
    await s3.close();
  });
});
