import { Injectable } from '@nestjs/common';
import { DomainError, describeError } from '@framewire/contracts';
import { WORKER_STAGES, WorkerRegistry, type LiveWorker, type WorkerStage } from '@framewire/messaging';

/** GET /v1/workers and ListWorkers: the live replicas, and how many of each stage. */
export interface WorkerListView {
  items: LiveWorker[];
  stages: Record<WorkerStage, number>;
  ttl_ms: number;
}

export function workerListView(items: LiveWorker[], ttlMs: number): WorkerListView {
  const stages = Object.fromEntries(WORKER_STAGES.map((s) => [s, 0])) as Record<WorkerStage, number>;
  for (const w of items) stages[w.stage]++;
  return { items, stages, ttl_ms: ttlMs };
}

/** A `stage` filter as a client sends it: absent or empty means every stage. */
export function parseStage(raw: unknown): WorkerStage | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string' && (WORKER_STAGES as readonly string[]).includes(raw)) return raw as WorkerStage;
  throw new DomainError('INVALID_ARGUMENT', `stage must be one of ${WORKER_STAGES.join(', ')}`, {
    details: { errors: [`stage: must be one of ${WORKER_STAGES.join(', ')}`] },
  });
}

/** Which replicas of which stage are alive, from the worker registry (NATS KV) every replica heart-beats into. */
@Injectable()
export class WorkersService {
  constructor(private readonly registry: WorkerRegistry) {}

  async list(rawStage: unknown): Promise<WorkerListView> {
    const stage = parseStage(rawStage);
    let items: LiveWorker[];
    try {
      items = await this.registry.live(stage);
    } catch (err) {
      throw new DomainError('BROKER_UNAVAILABLE', `worker registry unreachable: ${describeError(err)}`, { cause: err });
    }
    return workerListView(items, this.registry.settings.ttlMs);
  }
}
