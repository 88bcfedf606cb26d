import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { newTraceId, runInContext } from '@framewire/runtime';

/** The trace id of a W3C `traceparent` header (version 00), if it carries a valid one. */
export function traceIdFromTraceparent(header: string | undefined): string | null {
  const m = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(header?.trim() ?? '');
  return m && !/^0+$/.test(m[1]) ? m[1] : null;
}

/**
 * Every request runs in a work context: its trace id comes from the caller's
 * `traceparent` when it sends one, else a new one; it is answered in
 * `x-trace-id`, stamped on every log line, and carried in the Fw-Trace-Id
 * header of every NATS message published while handling the request, so one
 * job's path through the stages can be followed in the logs.
 */
export function installRequestContext(app: INestApplication): void {
  app.use((req: Request, res: Response, next: NextFunction) => {
    const traceId = traceIdFromTraceparent(req.header('traceparent')) ?? newTraceId();
    res.setHeader('x-trace-id', traceId);
    runInContext({ traceId }, () => next());
  });
}
