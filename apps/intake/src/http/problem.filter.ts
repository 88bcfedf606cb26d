import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { describeError, isDomainError, retryAfterOf, type ErrorCode } from '@framewire/contracts';
import type { Logger } from '@framewire/runtime';

/** RFC 9457 problem details: the one error body of the HTTP API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: string[];
}

const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  OVERLOADED: 429,
  UNSUPPORTED_MEDIA: 415,
  INVALID_VIDEO: 422,
  UNKNOWN_PIPELINE: 422,
  CALLBACK_URL_REFUSED: 422,
  VIDEO_TOO_LARGE: 422,
  VIDEO_TOO_LONG: 422,
  TOO_MANY_FRAMES: 422,
  RANGE_OUTSIDE_VIDEO: 422,
  DECODE_TIMEOUT: 422,
  MODEL_REJECTED_INPUT: 422,
  FRAME_FAILED: 422,
  MAX_RETRIES_EXCEEDED: 500,
  STORAGE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  BROKER_UNAVAILABLE: 503,
  TIMEOUT: 504,
  INTERNAL: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return STATUS_OF[code];
}

export function problem(status: number, code: string, detail: string, errors?: string[]): Problem {
  return {
    type: `https://framewire.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: titleOf(status),
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

function titleOf(status: number): string {
  const name = HttpStatus[status];
  return typeof name === 'string'
    ? name
        .toLowerCase()
        .replace(/_/g, ' ')
        .replace(/^./, (c) => c.toUpperCase())
    : 'Error';
}

/**
 * Maps domain errors (and Nest's own HTTP exceptions) to problem+json. The
 * legacy /v1/video routes keep the original system's `{detail}` body.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<{ url?: string; method?: string }>();
    let body: Problem;
    if (isDomainError(exception)) {
      const errors = Array.isArray(exception.details?.errors) ? (exception.details.errors as string[]) : undefined;
      body = problem(httpStatusOf(exception.code), exception.code, exception.message, errors);
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const resp = exception.getResponse();
      const detail = typeof resp === 'string' ? resp : describeError((resp as { message?: unknown }).message ?? exception.message);
      body = problem(status, status === 404 ? 'NOT_FOUND' : status < 500 ? 'INVALID_ARGUMENT' : 'INTERNAL', detail);
    } else {
      this.logger.error({ err: exception, url: req.url, method: req.method }, 'unhandled error in request');
      body = problem(500, 'INTERNAL', 'internal error');
    }
    if (body.status >= 500) this.logger.warn({ url: req.url, code: body.code, detail: body.detail }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    // The same challenge for a missing and a wrong key: nothing tells them apart.
    if (body.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="framewire"');
    const retryAfter = isDomainError(exception) ? retryAfterOf(exception) : null;
    if (retryAfter !== null) res.setHeader('Retry-After', String(retryAfter));
    if (req.url?.startsWith('/v1/video/')) {
      res.status(body.status).json({ detail: body.detail });
      return;
    }
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }
}
