/**
 * Error codes shared by every stage and every edge. A DomainError is what a
 * library throws when it knows what went wrong; `retryable` decides the ack
 * outcome (nak with backoff vs term), the code decides the HTTP/gRPC status.
 */

export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'OVERLOADED',
  'UNSUPPORTED_MEDIA',
  'INVALID_VIDEO',
  'UNKNOWN_PIPELINE',
  /** A callback_url that names (or resolves only to) a private, loopback or link-local address; FW_WEBHOOK_ALLOW_PRIVATE=1 allows them. */
  'CALLBACK_URL_REFUSED',
  /** A frame has more pixels than FW_MAX_FRAME_PIXELS allows. */
  'VIDEO_TOO_LARGE',
  /** The video lasts longer than FW_MAX_DURATION_MS allows. */
  'VIDEO_TOO_LONG',
  /** The job would sample more frames than FW_MAX_FRAMES_PER_JOB allows. */
  'TOO_MANY_FRAMES',
  /** start_ms is at or past the video's end: the range asked for holds no frame. */
  'RANGE_OUTSIDE_VIDEO',
  /** Decoding took longer than FW_DECODE_TIMEOUT_MS; ffmpeg was stopped. */
  'DECODE_TIMEOUT',
  'MODEL_REJECTED_INPUT',
  'FRAME_FAILED',
  'MAX_RETRIES_EXCEEDED',
  'STORAGE_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
  'BROKER_UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'OVERLOADED',
  'STORAGE_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
  'BROKER_UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
]);

export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.retryable = isRetryableCode(code);
    this.details = options?.details;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** A readable one-line message for any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** An OVERLOADED refusal: the system is too busy now; come back after this many seconds. */
export function overloaded(message: string, retryAfterS: number): DomainError {
  return new DomainError('OVERLOADED', message, { details: { retry_after_s: retryAfterS } });
}

/** The seconds a refusal asks the client to wait before retrying (HTTP Retry-After, gRPC `retry-after`), or null. */
export function retryAfterOf(err: DomainError): number | null {
  const s = err.details?.retry_after_s;
  return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? Math.ceil(s) : null;
}
