import { once } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import type { handleClientStreamingCall, handleServerStreamingCall, handleUnaryCall, Metadata } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { DomainError } from '@framewire/contracts';
import type { StartAt } from '@framewire/events';
import {
  fromProtoStatus,
  JobStatus,
  type DeleteJobResponse,
  type Frame,
  type Job,
  type JobEvent,
  type JobServiceServer,
  type ListJobsResponse,
  type ListPipelinesResponse,
  type ListResultsResponse,
  type ListTracksResponse,
  type ListWorkersRequest,
  type ListWorkersResponse,
  type SubmitJobRequest,
  type WatchJobRequest,
} from '@framewire/grpc';
import { LOGGER, type Logger } from '@framewire/runtime';
import { ApiKeyAuth } from '../auth/api-key.auth';
import { JobWatchService } from '../events/watch.service';
import { CancelService } from '../jobs/cancel.service';
import { DeleteService } from '../jobs/delete.service';
import { FramesService } from '../frames/frames.service';
import { QueryService } from '../jobs/query.service';
import { listJobsQuery, parseInput, resultsQuery, tracksQuery } from '../jobs/queries';
import { SubmitService } from '../jobs/submit.service';
import { PipelinesService } from '../pipelines/pipelines.service';
import { WorkersService } from '../workers/workers.service';
import { frameResultMessage, jobEventMessage, jobMessage, textTrackMessage, workerMessage } from './mappers';
import { toGrpcError } from './status';

/**
 * The gRPC edge of the jobs API: each handler checks the API key, turns the
 * request into the same input the HTTP edge builds, calls one use case, and
 * maps the outcome (or the DomainError, with the HTTP message) back.
 */
@Injectable()
export class JobsGrpcHandlers {
  constructor(
    private readonly submitter: SubmitService,
    private readonly queries: QueryService,
    private readonly cancels: CancelService,
    private readonly deleter: DeleteService,
    private readonly watcher: JobWatchService,
    private readonly auth: ApiKeyAuth,
    private readonly pipelines: PipelinesService,
    private readonly workers: WorkersService,
    private readonly frames: FramesService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  implementation(): JobServiceServer {
    return {
      submitJob: this.submitJob,
      getJob: this.unary('GetJob', async ({ jobId }) => jobMessage(await this.queries.getJob(jobId))),
      listJobs: this.unary('ListJobs', async (req): Promise<ListJobsResponse> => {
        const page = await this.queries.listJobs(
          parseInput(listJobsQuery, {
            ...(req.status !== JobStatus.JOB_STATUS_UNSPECIFIED
              ? { status: fromProtoStatus(req.status) ?? `unknown (${req.status})` }
              : {}),
            ...(req.limit !== 0 ? { limit: req.limit } : {}),
            ...(req.cursor !== '' ? { cursor: req.cursor } : {}),
          }),
        );
        return { jobs: page.items.map(jobMessage), nextCursor: page.next_cursor ?? '' };
      }),
      listResults: this.unary('ListResults', async (req): Promise<ListResultsResponse> => {
        const page = await this.queries.resultsPage(req.jobId, parseInput(resultsQuery, pageFields(req)));
        return {
          jobId: page.job.id,
          status: jobMessage(page.job).status,
          results: page.items.map(frameResultMessage),
          nextCursor: page.next_cursor ?? '',
        };
      }),
      listTracks: this.unary('ListTracks', async (req): Promise<ListTracksResponse> => {
        const page = await this.queries.tracksPage(req.jobId, parseInput(tracksQuery, pageFields(req)));
        return {
          jobId: page.job.id,
          status: jobMessage(page.job).status,
          tracks: page.items.map(textTrackMessage),
          nextCursor: page.next_cursor ?? '',
          final: page.final,
        };
      }),
      watchJob: this.watchJob,
      cancelJob: this.unary('CancelJob', async (req): Promise<Job> => {
        const reason = req.reason ?? null;
        if (reason !== null && reason.length > 500)
          throw new DomainError('INVALID_ARGUMENT', 'reason must be a string of at most 500 characters');
        const accepted = await this.cancels.cancel(req.jobId, reason);
        return jobMessage(accepted.job);
      }),
      deleteJob: this.unary('DeleteJob', async (req): Promise<DeleteJobResponse> => {
        const { job_id } = await this.deleter.deleteJob(req.jobId, 'request');
        return { jobId: job_id };
      }),
      listPipelines: this.unary('ListPipelines', async (): Promise<ListPipelinesResponse> => ({
        pipelines: this.pipelines.list().map((p) => ({
          id: p.id,
          name: p.name,
          version: p.version,
          description: p.description ?? '',
          nodes: p.nodes.map((n) => ({ id: n.id, plugin: n.plugin, tool: n.tool })),
          outputs: [...p.outputs],
          models: p.models.map((m) => ({ name: m.name, sha256: m.sha256 })),
        })),
      })),
      listWorkers: this.unary('ListWorkers', async (req: ListWorkersRequest): Promise<ListWorkersResponse> => {
        const list = await this.workers.list(req.stage);
        return { workers: list.items.map(workerMessage), ttlMs: list.ttl_ms };
      }),
      getFrame: this.unary('GetFrame', async (req): Promise<Frame> => {
        if (!Number.isSafeInteger(req.frameIndex) || req.frameIndex > 999_999_999)
          throw new DomainError('INVALID_ARGUMENT', 'frame_index must be the index of a sampled frame (a non-negative integer)');
        const image = await this.frames.image(await this.frames.find(req.jobId, req.frameIndex, req.annotate));
        return { jpeg: image.jpeg, width: image.width, height: image.height, contentType: 'image/jpeg' };
      }),
    };
  }

  /** Client stream: params first (checked before any byte is read), then the video in chunks. */
  private readonly submitJob: handleClientStreamingCall<SubmitJobRequest, Job> = (call, callback) => {
    const cancelled = new AbortController();
    call.on('cancelled', () => cancelled.abort());
    this.run('SubmitJob', call.metadata, async () => {
      const messages = call[Symbol.asyncIterator]() as AsyncIterator<SubmitJobRequest>;
      const first = await messages.next();
      if (first.done || first.value.part?.$case !== 'params') {
        throw new DomainError('INVALID_ARGUMENT', 'the first message must carry params; the video follows in chunk messages');
      }
      const p = first.value.part.params;
      const fields = {
        pipeline_id: p.pipelineId === '' ? undefined : p.pipelineId,
        frame_stride: p.frameStride === 0 ? undefined : String(p.frameStride),
        max_frames: p.maxFrames === undefined ? undefined : String(p.maxFrames),
        client_tag: p.clientTag,
        retention_days: p.retentionDays === undefined ? undefined : String(p.retentionDays),
        sample_fps: p.sampleFps === undefined ? undefined : String(p.sampleFps),
        sample: p.sample,
        start_ms: p.startMs === undefined ? undefined : String(p.startMs),
        end_ms: p.endMs === undefined ? undefined : String(p.endMs),
        callback_url: p.callbackUrl,
        reuse: p.reuse === undefined ? undefined : String(p.reuse),
      };
      const { job } = await this.submitter.submitChunks(fields, chunksOf(messages, cancelled.signal), {
        idempotencyKey: p.idempotencyKey ?? null,
        signal: cancelled.signal,
      });
      return jobMessage(job);
    }).then(
      (job) => callback(null, job),
      (err: unknown) => callback(this.fail('SubmitJob', err)),
    );
  };

  /** Server stream: the job's events (replay, resume or live) until its terminal event. */
  private readonly watchJob: handleServerStreamingCall<WatchJobRequest, JobEvent> = (call) => {
    const closed = new AbortController();
    call.on('cancelled', () => closed.abort());
    this.run('WatchJob', call.metadata, async () => {
      const req = call.request;
      const from: StartAt = req.afterSequence !== undefined ? { afterSequence: req.afterSequence } : req.fromStart ? 'start' : 'now';
      const watch = await this.watcher.watch(req.jobId, from, closed.signal);
      let last: ReturnType<typeof jobEventMessage> | null = null;
      for await (const received of watch.events) {
        if (closed.signal.aborted) break;
        last = jobEventMessage(received);
        if (!call.write(last)) await Promise.race([once(call, 'drain'), once(closed.signal, 'abort')]);
      }
      if (this.watcher.stopping && !watch.finished && !TERMINAL_TYPES.has(last?.type ?? '')) {
        // Not the end of the job: the server is going away. The client resumes with after_sequence.
        throw new DomainError('BROKER_UNAVAILABLE', 'server shutting down; resume with after_sequence = the last sequence received');
      }
    }).then(
      () => {
        if (!closed.signal.aborted) call.end();
      },
      (err: unknown) => {
        if (!closed.signal.aborted) call.emit('error', this.fail('WatchJob', err));
      },
    );
  };

  private unary<Req, Res>(method: string, fn: (req: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
    return (call, callback) => {
      this.run(method, call.metadata, () => fn(call.request)).then(
        (res) => callback(null, res),
        (err: unknown) => callback(this.fail(method, err)),
      );
    };
  }

  private async run<T>(method: string, metadata: Metadata, fn: () => Promise<T>): Promise<T> {
    this.auth.authenticate(first(metadata, 'authorization'), first(metadata, 'x-api-key'), method);
    return fn();
  }

  private fail(method: string, err: unknown) {
    const { error, unexpected } = toGrpcError(err);
    if (unexpected) this.logger.error({ err, method }, 'unhandled error in gRPC call');
    else if (SERVER_SIDE.has(error.code)) this.logger.warn({ method, code: error.code, detail: error.details }, 'gRPC call failed');
    return error;
  }
}

const TERMINAL_TYPES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
const SERVER_SIDE: ReadonlySet<status> = new Set([status.INTERNAL, status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

/**
 * The chunks after the params message; another params message is an error. A
 * cancelled call also ends the message stream (grpc-js ends it, then reports
 * the cancellation): look once more before calling the upload complete.
 */
async function* chunksOf(messages: AsyncIterator<SubmitJobRequest>, cancelled: AbortSignal) {
  for (;;) {
    const next = await messages.next();
    if (next.done) break;
    const part = next.value.part;
    if (part?.$case !== 'chunk')
      throw new DomainError('INVALID_ARGUMENT', 'params must come once, in the first message; send the video in chunk messages');
    yield part.chunk;
  }
  await new Promise((r) => setImmediate(r));
  if (cancelled.aborted) throw new DomainError('INVALID_ARGUMENT', 'client cancelled the upload');
}

/** A page request's limit and cursor as the HTTP query has them (0 and '' are proto3's "not set"). */
function pageFields(req: { limit: number; cursor: string }): { limit?: number; cursor?: string } {
  return { ...(req.limit !== 0 ? { limit: req.limit } : {}), ...(req.cursor !== '' ? { cursor: req.cursor } : {}) };
}

function first(metadata: Metadata, key: string): string | undefined {
  const v = metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}
