import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describeError, isDomainError, retryAfterOf, type ErrorCode } from '@framewire/contracts';
import { ERROR_CODE_METADATA_KEY, RETRY_AFTER_METADATA_KEY } from '@framewire/grpc';

const STATUS_OF: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  NOT_FOUND: status.NOT_FOUND,
  CONFLICT: status.FAILED_PRECONDITION,
  PAYLOAD_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  OVERLOADED: status.RESOURCE_EXHAUSTED,
  UNSUPPORTED_MEDIA: status.INVALID_ARGUMENT,
  INVALID_VIDEO: status.INVALID_ARGUMENT,
  UNKNOWN_PIPELINE: status.INVALID_ARGUMENT,
  CALLBACK_URL_REFUSED: status.INVALID_ARGUMENT,
  VIDEO_TOO_LARGE: status.INVALID_ARGUMENT,
  VIDEO_TOO_LONG: status.INVALID_ARGUMENT,
  TOO_MANY_FRAMES: status.INVALID_ARGUMENT,
  RANGE_OUTSIDE_VIDEO: status.INVALID_ARGUMENT,
  DECODE_TIMEOUT: status.INVALID_ARGUMENT,
  MODEL_REJECTED_INPUT: status.INVALID_ARGUMENT,
  FRAME_FAILED: status.INVALID_ARGUMENT,
  MAX_RETRIES_EXCEEDED: status.INTERNAL,
  STORAGE_UNAVAILABLE: status.UNAVAILABLE,
  DATABASE_UNAVAILABLE: status.UNAVAILABLE,
  BROKER_UNAVAILABLE: status.UNAVAILABLE,
  TIMEOUT: status.DEADLINE_EXCEEDED,
  INTERNAL: status.INTERNAL,
};

export function grpcStatusOf(code: ErrorCode): status {
  return STATUS_OF[code];
}

export type GrpcError = Partial<ServiceError> & { code: status; details: string; metadata: Metadata };

/**
 * The gRPC form of a thrown error: a DomainError keeps its message (the HTTP
 * problem's `detail`) and its code travels as `fw-error-code`; anything else
 * is INTERNAL "internal error" (and should be logged by the caller).
 */
export function toGrpcError(err: unknown): { error: GrpcError; unexpected: boolean } {
  const metadata = new Metadata();
  if (isDomainError(err)) {
    metadata.set(ERROR_CODE_METADATA_KEY, err.code);
    const retryAfter = retryAfterOf(err);
    if (retryAfter !== null) metadata.set(RETRY_AFTER_METADATA_KEY, String(retryAfter));
    return {
      error: { code: grpcStatusOf(err.code), details: err.message, metadata, message: err.message, name: 'Error' },
      unexpected: false,
    };
  }
  metadata.set(ERROR_CODE_METADATA_KEY, 'INTERNAL');
  return {
    error: { code: status.INTERNAL, details: 'internal error', metadata, message: describeError(err), name: 'Error' },
    unexpected: true,
  };
}
