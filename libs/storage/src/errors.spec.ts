import { classifyFsError, classifyS3Error } from './errors';

const ctx = { operation: 'GetObject', bucket: 'b12', key: 'inputs/j/video' };

function sdkError(name: string, status: number | undefined, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: { httpStatusCode: status },
    $response: { body: 'secret-ish' },
    ...extra,
  });
}

describe('classifyS3Error', () => {
  it.each([
    [sdkError('NoSuchKey', 404), 'NOT_FOUND'],
    [sdkError('NotFound', 404), 'NOT_FOUND'],
    [sdkError('NoSuchBucket', 404), 'STORAGE_UNAVAILABLE'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'STORAGE_UNAVAILABLE'],
    [Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''), {}), 'STORAGE_UNAVAILABLE'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'STORAGE_UNAVAILABLE'],
    [sdkError('TimeoutError', undefined), 'STORAGE_UNAVAILABLE'],
    [sdkError('InternalError', 500), 'STORAGE_UNAVAILABLE'],
    [sdkError('SlowDown', 503), 'STORAGE_UNAVAILABLE'],
    [sdkError('Unknown', 502), 'STORAGE_UNAVAILABLE'],
    [sdkError('AccessDenied', 403), 'STORAGE_UNAVAILABLE'],
    [sdkError('CredentialsProviderError', undefined), 'STORAGE_UNAVAILABLE'],
    [sdkError('EntityTooLarge', 400), 'PAYLOAD_TOO_LARGE'],
    [sdkError('InvalidArgument', 400), 'INTERNAL'],
    [new TypeError('boom'), 'INTERNAL'],
  ])('%s → %s', (err, code) => {
    const mapped = classifyS3Error(err, ctx);
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBeUndefined();
    expect(JSON.stringify(mapped.details)).not.toContain('secret-ish');
  });

  it('says what failed and where', () => {
    const mapped = classifyS3Error(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), ctx);
    expect(mapped.retryable).toBe(true);
    expect(mapped.message).toBe('object store unavailable (GetObject s3://b12/inputs/j/video): connect ECONNREFUSED 127.0.0.1:9');
    expect(mapped.details).toMatchObject({
      driver: 's3',
      operation: 'GetObject',
      bucket: 'b12',
      key: 'inputs/j/video',
      errno: 'ECONNREFUSED',
    });
  });

  it('treats a 404 without a key (a bucket call) as unavailable, not as a missing object', () => {
    expect(classifyS3Error(sdkError('NotFound', 404), { operation: 'HeadBucket', bucket: 'b12' }).code).toBe('NOT_FOUND');
    expect(classifyS3Error(sdkError('Whatever', 404), { operation: 'HeadBucket', bucket: 'b12' }).code).toBe('INTERNAL');
  });
});

describe('classifyFsError', () => {
  const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
  it.each([
    [enoent, 'read', 'NOT_FOUND'],
    [enoent, 'write', 'STORAGE_UNAVAILABLE'],
    [Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' }), 'write', 'CONFLICT'],
    [Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }), 'write', 'STORAGE_UNAVAILABLE'],
    [Object.assign(new Error('EACCES'), { code: 'EACCES' }), 'read', 'STORAGE_UNAVAILABLE'],
    [Object.assign(new Error('ENAMETOOLONG'), { code: 'ENAMETOOLONG' }), 'write', 'INVALID_ARGUMENT'],
    [new Error('weird'), 'read', 'INTERNAL'],
  ] as const)('%s (%s) → %s', (err, mode, code) => {
    expect(classifyFsError(err, { operation: 'op', key: 'k', mode }).code).toBe(code);
  });
});
