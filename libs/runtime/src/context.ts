import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What a unit of work is about: carried through async calls so that every log
 * line and every message published while handling it names the same job and trace.
 */
export interface WorkContext {
  traceId: string;
  jobId?: string;
  frameIndex?: number;
}

const storage = new AsyncLocalStorage<WorkContext>();

export function currentContext(): WorkContext | undefined {
  return storage.getStore();
}

export function runInContext<T>(ctx: WorkContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function newTraceId(): string {
  return randomUUID().replace(/-/g, '');
}
