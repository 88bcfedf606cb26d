import { Inject, Injectable } from '@nestjs/common';
import { DomainError, SAFE_ID } from '@framewire/contracts';
import type { PipelineDescription, PipelineIssue, PipelinePin, PipelineSummary } from '@framewire/pipelines';
import { PIPELINE_CATALOG } from '../tokens';
import type { PipelineCatalog } from '../jobs/pipeline-catalog';

export interface PipelineDetails extends PipelineDescription {
  /** What a job on this pipeline pins: every model file it reads, by sha256. */
  models: PipelinePin['models'];
}

/** The pipelines use cases: list, show one, validate a definition. */
@Injectable()
export class PipelinesService {
  constructor(@Inject(PIPELINE_CATALOG) private readonly catalog: PipelineCatalog) {}

  list(): Array<PipelineSummary & { models: PipelinePin['models'] }> {
    return this.catalog.list().map((p) => ({ ...p, models: this.catalog.pin(p.id).models }));
  }

  get(id: string): PipelineDetails {
    if (!SAFE_ID.test(id) || !this.catalog.has(id)) {
      throw new DomainError('NOT_FOUND', `unknown pipeline '${id}' (known: ${this.catalog.ids().join(', ')})`);
    }
    return { ...this.catalog.describe(id), models: this.catalog.pin(id).models };
  }

  validate(definition: unknown): { valid: boolean; errors: PipelineIssue[] } {
    return this.catalog.validate(definition);
  }
}
