import { Inject, Injectable } from '@nestjs/common';
import { DomainError, msgIds, WORK_SUBJECTS, type EncodedFrame, type FrameResultV1 } from '@framewire/contracts';
import { Broker, Consume, type HandlerContext } from '@framewire/messaging';
import { Metrics } from '@framewire/observability';
import { frameGeometry, mapResultToSource, type PipelineRunner } from '@framewire/pipelines';
import { LOGGER, WORKER_ID, type Logger } from '@framewire/runtime';
import { OBJECT_STORE, type ObjectStore } from '@framewire/storage';
import type { InferenceConfig } from './config';
import { PIPELINE_RUNNER } from './tokens';

/**
 * fw.work.infer: run the job's pipeline on one frame and hand the result to
 * the persister, its boxes mapped to source-video pixels (mapResultToSource). A frame the pipeline fails on is a result with its error
 * (the job goes on); an unknown pipeline fails the job. Frames of a failed or
 * cancelled job never get here (the worker drops them).
 */
@Injectable()
export class InferService {
  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WORKER_ID) private readonly workerId: string,
    @Inject(PIPELINE_RUNNER) private readonly runner: PipelineRunner,
    private readonly broker: Broker,
    private readonly metrics: Metrics,
  ) {}

  @Consume({ kind: 'infer', mode: 'single', concurrency: (c: InferenceConfig) => c.concurrency })
  async infer({ header, jpeg }: EncodedFrame, _ctx: HandlerContext): Promise<void> {
    const bytes = jpeg ?? (header.frame.kind === 'object' ? await this.store.getBytes(header.frame.key) : null);
    if (!bytes) throw new DomainError('INTERNAL', 'frame message carries no image');
    const frame = { jpeg: bytes, width: header.width, height: header.height, index: header.frame_index, ptsMs: header.pts_ms };
    // Older messages carry no source size: the analysed size stands for it.
    const geometry = frameGeometry(header, { width: header.source_width, height: header.source_height });

    let out: Pick<FrameResultV1, 'result' | 'error' | 'timings_ms'>;
    try {
      const run = await this.runner.run(header.pipeline_id, frame);
      out = { result: mapResultToSource(run.result, geometry), error: null, timings_ms: run.timings_ms };
      this.metrics.nodeTimings(header.pipeline_id, run.timings_ms);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'FRAME_FAILED') throw err;
      this.logger.warn({ frame_index: header.frame_index, err: err.message }, 'frame failed');
      out = { result: null, error: err.message, timings_ms: {} };
    }
    const message: FrameResultV1 = {
      v: 1,
      job_id: header.job_id,
      frame_index: header.frame_index,
      pts_ms: header.pts_ms,
      ...out,
      worker_id: this.workerId,
      geometry,
    };
    await this.broker.publishJson(WORK_SUBJECTS.persist, message, {
      msgId: msgIds.persist(header.job_id, header.frame_index),
      jobId: header.job_id,
    });
  }
}
