import { DomainError, describeError, isDomainError, isNetworkErrorCode, NETWORK_ERROR_CODES } from '@framewire/contracts';

/** S3 error names that mean "try again later". */
const TRANSIENT_S3_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalError',
  'NetworkingError',
  'OperationAborted',
  'AbortError',
]);

/** S3 error names that mean the store is misconfigured (credentials, permissions): not the object's fault. */
const ACCESS_S3_NAMES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
  'AllAccessDisabled',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shape(err: unknown): ErrorShape {
  return typeof err === 'object' && err !== null ? err : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

const ERRNO_IN_MESSAGE = new RegExp(`\\b(${NETWORK_ERROR_CODES.join('|')})\\b`);

/**
 * The errno-style code of an error, looking inside an AggregateError
 * (happy-eyeballs connects) and, failing that, in the message: the SDK's retry
 * layer turns what does not look like an Error (an Error from another realm,
 * as under jest) into "AWS SDK error wrapper for Error: connect ECONNREFUSED ...".
 */
export function errnoCode(err: unknown): string | undefined {
  const e = shape(err);
  const own = str(e.code);
  if (own !== undefined) return own;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = errnoCode(inner);
      if (code !== undefined) return code;
    }
  }
  const message = str(e.message);
  return message === undefined ? undefined : ERRNO_IN_MESSAGE.exec(message)?.[1];
}

function oneLine(err: unknown): string {
  const e = shape(err);
  const message = (describeError(err).split('\n')[0] ?? '').replace(/^AWS SDK error wrapper for (Error: )?/, '');
  if (message.length > 0 && message !== 'UnknownError') return message;
  return str(e.name) ?? str(e.code) ?? 'unknown error';
}

export interface S3ErrorContext {
  operation: string;
  bucket: string;
  key?: string;
}

/**
 * A DomainError for anything the S3 client threw. The SDK error itself is not
 * attached (its `$response` and request details do not belong in logs); its
 * name, HTTP status and errno code are kept in `details`.
 */
export function classifyS3Error(err: unknown, ctx: S3ErrorContext): DomainError {
  if (isDomainError(err)) return err;
  const e = shape(err);
  const name = str(e.name) ?? 'Error';
  const code = errnoCode(err);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const target = ctx.key === undefined ? `s3://${ctx.bucket}` : `s3://${ctx.bucket}/${ctx.key}`;
  const details: Record<string, unknown> = { driver: 's3', operation: ctx.operation, bucket: ctx.bucket };
  if (ctx.key !== undefined) details.key = ctx.key;
  details.errorName = name;
  if (status !== undefined) details.httpStatus = status;
  if (code !== undefined) details.errno = code;
  const message = oneLine(err);
  // A HEAD answer has no body, so the SDK can only say "Unknown" / "NotFound": give the status instead.
  const reason = status !== undefined && (message === 'Unknown' || message === name) ? `HTTP ${status} (${name})` : message;

  if (name === 'NoSuchBucket') {
    return new DomainError('STORAGE_UNAVAILABLE', `object store unavailable: bucket ${ctx.bucket} does not exist (${ctx.operation})`, {
      details,
    });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && ctx.key !== undefined)) {
    return new DomainError('NOT_FOUND', `object not found: ${ctx.key ?? target}`, { details });
  }
  if (
    isNetworkErrorCode(code) ||
    TRANSIENT_S3_NAMES.has(name) ||
    (status !== undefined && (status >= 500 || status === 408 || status === 429))
  ) {
    return new DomainError('STORAGE_UNAVAILABLE', `object store unavailable (${ctx.operation} ${target}): ${reason}`, { details });
  }
  if (ACCESS_S3_NAMES.has(name) || status === 401 || status === 403) {
    return new DomainError('STORAGE_UNAVAILABLE', `object store refused access (${ctx.operation} ${target}): ${reason}`, { details });
  }
  if (name === 'EntityTooLarge') {
    return new DomainError('PAYLOAD_TOO_LARGE', `object too large for the store (${ctx.operation} ${target}): ${reason}`, { details });
  }
  return new DomainError('INTERNAL', `object store error (${ctx.operation} ${target}): ${name}: ${reason}`, { details });
}

export interface FsErrorContext {
  operation: string;
  key?: string;
  path?: string;
  /** Reads map a missing file to NOT_FOUND; writes map a path clash to CONFLICT. */
  mode: 'read' | 'write';
}

const FS_UNAVAILABLE = new Set([
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EROFS',
  'EACCES',
  'EPERM',
  'EMFILE',
  'ENFILE',
  'EBUSY',
  'EAGAIN',
  'ESTALE',
  'ENXIO',
  'ENODEV',
]);

/** A DomainError for a filesystem error met by the filesystem store. */
export function classifyFsError(err: unknown, ctx: FsErrorContext): DomainError {
  if (isDomainError(err)) return err;
  const code = errnoCode(err);
  const what = ctx.key ?? ctx.path ?? '';
  const details: Record<string, unknown> = { driver: 'fs', operation: ctx.operation };
  if (ctx.key !== undefined) details.key = ctx.key;
  if (ctx.path !== undefined) details.path = ctx.path;
  if (code !== undefined) details.errno = code;
  const reason = oneLine(err);
  const opts = { cause: err, details };

  if (ctx.mode === 'read' && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')) {
    return new DomainError('NOT_FOUND', `object not found: ${what}`, opts);
  }
  if (ctx.mode === 'write' && (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST' || code === 'ENOTEMPTY')) {
    return new DomainError('CONFLICT', `object key ${what} clashes with an existing key prefix: ${reason}`, opts);
  }
  if (code === 'ENAMETOOLONG') {
    return new DomainError('INVALID_ARGUMENT', `object key too long for the filesystem: ${what}`, opts);
  }
  if (code !== undefined && (FS_UNAVAILABLE.has(code) || code === 'ENOENT')) {
    return new DomainError('STORAGE_UNAVAILABLE', `object store unavailable (${ctx.operation} ${what}): ${reason}`, opts);
  }
  return new DomainError('INTERNAL', `object store error (${ctx.operation} ${what}): ${reason}`, opts);
}
