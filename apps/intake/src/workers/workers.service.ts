import { Injectable } from '@nestjs/common';
import { DomainError, describeError, STAGES, type Stage } from '@framewire/contracts';
import { WorkerRegistry, type LiveWorker } from '@framewire/messaging';

/** GET /v1/workers and ListWorkers: the live replicas, and how many of each stage. */
export interface WorkerListView {
  items: LiveWorker[];
  stages: Record<Stage, number>;
  ttl_ms: number;
}

export function workerListView(items: LiveWorker[], ttlMs: number): WorkerListView {
  const stages = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  for (const w of items) stages[w.stage]++;
  return { items, stages, ttl_ms: ttlMs };
}

/** A `stage` filter as a client sends it: absent or empty means every stage. */
export function parseStage(raw: unknown): Stage | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string' && (STAGES as readonly string[]).includes(raw)) return raw as Stage;
  throw new DomainError('INVALID_ARGUMENT', `stage must be one of ${STAGES.join(', ')}`, {
    details: { errors: [`stage: must be one of ${STAGES.join(', ')}`] },
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
