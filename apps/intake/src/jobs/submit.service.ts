import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, submitParamsSchema, type SubmitParams, type VideoMetadata } from '@framewire/contracts';
import { isDatabaseUnavailable, JobsRepository, type CreateJobResult, type JobRecord } from '@framewire/persistence';
import { objectKeys, type ObjectStore } from '@framewire/storage';
import { currentContext, LOGGER, newTraceId, type Logger } from '@framewire/runtime';
import { OBJECT_STORE } from '@framewire/storage';
import { INTAKE_CONFIG, PIPELINE_CATALOG } from '../tokens';
import type { IntakeConfig } from '../config';
import type { PipelineCatalog } from './pipeline-catalog';
import type { ReceivedUpload } from '../upload/multipart';
import { AdmissionService } from '../admission/admission.service';
import { receiveChunks } from '../upload/stream';
import { checkVideoLimits, keyframesInRange, MediaToolkit, type SamplingRequest } from '@framewire/media';
import { resolveWebhookTarget } from '@framewire/webhooks';
import { OutboxRelay } from './outbox-relay';
import { submitMessages } from './submit-messages';

export interface SubmitOutcome {
  job: JobRecord;
  /** False when an Idempotency-Key matched an earlier submission. */
  created: boolean;
}

/**
 * The submit use case: take the received upload (streamed to a temp file at
 * the edge), check it by content, store it, then record the job as pending together with its
 * messages (the `submitted` event, the work.extract message) in one
 * transaction, and publish them. Any refusal leaves nothing stored and nothing
 * queued; once committed, the job runs even if this process dies before the
 * publish (the outbox relay publishes what is left).
 */
@Injectable()
export class SubmitService {
  constructor(
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(PIPELINE_CATALOG) private readonly pipelines: PipelineCatalog,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: JobsRepository,
    private readonly relay: OutboxRelay,
    private readonly media: MediaToolkit,
    private readonly admission: AdmissionService,
  ) {}

  /**
   * The multipart upload, parsed at the edge (upload/upload-receiver.ts):
   * its fields (over `defaults`) are the parameters. Takes ownership of the
   * upload: its temp file is gone when this returns.
   */
  async submitUpload(
    upload: ReceivedUpload,
    opts: { defaults?: Partial<Record<string, string>>; defaultSampleFps?: number | null; idempotencyKey?: string | null },
  ): Promise<SubmitOutcome> {
    try {
      const params = this.parseParams(withDefaults(upload.fields, opts.defaults ?? {}, opts.defaultSampleFps ?? null));
      await this.checkCallbackUrl(params);
      const checked = await this.checkVideo(upload, params);
      return await this.createJob(params, checked, opts.idempotencyKey ?? null);
    } finally {
      await upload.discard();
    }
  }

  /**
   * The gRPC upload: the parameters come first and are checked before any
   * byte is read, then the video streams in as chunks; the same checks, limits
   * and messages as the multipart upload.
   */
  async submitChunks(
    fields: Record<string, string | undefined>,
    chunks: AsyncIterable<Uint8Array>,
    opts: { idempotencyKey?: string | null; signal?: AbortSignal },
  ): Promise<SubmitOutcome> {
    this.admission.admit();
    const idempotencyKey = checkIdempotencyKey(opts.idempotencyKey ?? undefined);
    const params = this.parseParams(fields);
    await this.checkCallbackUrl(params);
    const upload = await receiveChunks(chunks, this.config.uploadTmpDir, { maxFileBytes: this.config.maxUploadBytes, headBytes: 4096 });
    try {
      if (!upload.file)
        throw new DomainError('INVALID_ARGUMENT', 'missing file: send the video in chunk messages after the params message');
      const checked = await this.checkVideo(upload, params);
      // A client that went away while its upload was checked gets no job.
      if (opts.signal?.aborted) throw new DomainError('INVALID_ARGUMENT', 'client cancelled the upload');
      return await this.createJob(params, checked, idempotencyKey);
    } finally {
      await upload.discard();
    }
  }

  parseParams(fields: Record<string, string | undefined>): SubmitParams {
    const unknown = Object.keys(fields).filter((k) => !KNOWN_FIELDS.has(k));
    if (unknown.length > 0) {
      throw new DomainError('INVALID_ARGUMENT', `unknown field(s): ${unknown.join(', ')}`, {
        details: { errors: unknown.map((k) => `${k}: unknown field`) },
      });
    }
    const parsed = submitParamsSchema.safeParse({
      pipeline_id: fields.pipeline_id,
      frame_stride: fields.frame_stride,
      max_frames: fields.max_frames,
      client_tag: fields.client_tag,
      retention_days: fields.retention_days,
      sample_fps: fields.sample_fps,
      sample: fields.sample,
      start_ms: fields.start_ms,
      end_ms: fields.end_ms,
      callback_url: fields.callback_url,
      reuse: fields.reuse,
    });
    if (!parsed.success) {
      const errors = parsed.error.issues.map(
        (i) => `${i.path.join('.')}: ${fields[String(i.path[0])] === undefined ? 'is required' : i.message}`,
      );
      throw new DomainError('INVALID_ARGUMENT', `invalid parameters: ${errors.join('; ')}`, { details: { errors } });
    }
    if (parsed.data.max_frames !== null && parsed.data.max_frames > this.config.maxFramesPerJob) {
      const errors = [`max_frames: must be <= ${this.config.maxFramesPerJob} (this server's frame budget per job)`];
      throw new DomainError('INVALID_ARGUMENT', `invalid parameters: ${errors[0]}`, { details: { errors } });
    }
    if (!this.pipelines.has(parsed.data.pipeline_id)) {
      throw new DomainError(
        'UNKNOWN_PIPELINE',
        `unknown pipeline '${parsed.data.pipeline_id}' (known: ${this.pipelines.ids().join(', ')})`,
      );
    }
    return parsed.data;
  }

  /**
   * A callback_url must reach a public address (FW_WEBHOOK_ALLOW_PRIVATE=1
   * allows private ones): a literal private, loopback or link-local address, or
   * a host that resolves only to such, is 422 CALLBACK_URL_REFUSED. The status
   * service checks again at each delivery (DNS can change).
   */
  private async checkCallbackUrl(params: SubmitParams): Promise<void> {
    if (params.callback_url === null) return;
    await resolveWebhookTarget(params.callback_url, { allowPrivate: this.config.webhookAllowPrivate });
  }

  /**
   * The upload checked by content and by its probe (which travels on to the extractor), and how long the probe took;
   * keyframe sampling also lists the keyframes (no decoding) for their count in range.
   */
  private async checkVideo(upload: ReceivedUpload, params: SubmitParams): Promise<CheckedUpload> {
    const file = upload.file;
    if (!file) throw new DomainError('INVALID_ARGUMENT', 'missing file: send the video in a multipart part named "file"');
    if (file.size === 0) throw new DomainError('INVALID_VIDEO', 'file is empty');
    if (this.media.sniffContainer(file.head) === null) {
      throw new DomainError(
        'UNSUPPORTED_MEDIA',
        'file is not a video: its content matches no known video container (MP4, MOV, MKV, WebM, AVI, MPEG-TS, FLV, Ogg, ASF)',
      );
    }
    // ffprobe reads headers only: it catches audio-only and truncated files, and videos over a cap, before anything is queued.
    const t0 = performance.now();
    const video = await this.admission.probe(() => this.media.probeVideo(file.path));
    const probeMs = performance.now() - t0;
    const keyframeCount =
      params.sample === 'keyframes'
        ? keyframesInRange(await this.admission.probe(() => this.media.probeKeyframes(file.path)), {
            startMs: params.start_ms,
            endMs: params.end_ms,
          }).length
        : null;
    checkVideoLimits(video, { ...samplingRequest(params), keyframeCount }, this.config);
    return { file, video, probeMs, keyframeCount };
  }

  private async createJob(
    params: SubmitParams,
    { file, video, probeMs, keyframeCount }: CheckedUpload,
    idempotencyKey: string | null,
  ): Promise<SubmitOutcome> {
    if (idempotencyKey !== null) {
      const existing = await this.jobs.findByIdempotencyKey(idempotencyKey);
      if (existing) return { job: sameRequestOrConflict(existing, params, file.sha256), created: false };
    }
    const id = randomUUID();
    const ctx = currentContext();
    if (ctx) ctx.jobId = id; // every later log line of this request names the job
    const inputKey = objectKeys.inputKey(id);
    const pinned = this.pipelines.pin(params.pipeline_id);
    const t0 = performance.now();
    const stored = await this.store.putFile(inputKey, file.path, { move: true });
    const t1 = performance.now();
    const traceId = ctx?.traceId ?? newTraceId();
    let res: CreateJobResult;
    try {
      // The job and its messages commit together: from here on it will run, whatever happens to this process.
      res = await this.jobs.createPending(
        {
          id,
          pipeline_id: params.pipeline_id,
          pipeline_version: pinned.version,
          models: pinned.models,
          input_key: inputKey,
          input_size: stored.size,
          input_sha256: stored.sha256,
          frame_stride: params.frame_stride,
          max_frames: params.max_frames,
          idempotency_key: idempotencyKey,
          client_tag: params.client_tag,
          retention_days: params.retention_days,
          sample_fps: params.sample_fps,
          start_ms: params.start_ms,
          end_ms: params.end_ms,
          callback_url: params.callback_url,
          reuse: params.reuse,
          sample: params.sample,
          keyframe_count: keyframeCount,
        },
        (job) => submitMessages(job, traceId, video),
      );
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // The commit may have happened (the connection died around it): a committed job needs its input.
        this.logger.warn({ err, job_id: id, input_key: inputKey }, 'job insert failed with the database unreachable; keeping its input');
      } else {
        await this.store.delete(inputKey).catch((e: unknown) => this.logger.warn({ err: e }, 'could not remove the stored input'));
      }
      throw err;
    }
    if (!res.created) {
      // Another request with the same key won the race.
      await this.store.delete(inputKey);
      return { job: sameRequestOrConflict(res.job, params, stored.sha256), created: false };
    }
    if (this.config.testCrashAfterOutboxCommit) process.kill(process.pid, 'SIGKILL');
    const t2 = performance.now();
    await this.relay.publishNow(res.outbox);
    // Where a submission's time goes (the upload itself is before this service: the request's time less these).
    const timings_ms = { probe: ms(probeMs), store: ms(t1 - t0), commit: ms(t2 - t1), publish: ms(performance.now() - t2) };
    this.logger.info({ job_id: id, pipeline_id: params.pipeline_id, size: stored.size, timings_ms }, 'job submitted');
    return { job: res.job, created: true };
  }
}

interface CheckedUpload {
  file: NonNullable<ReceivedUpload['file']>;
  video: VideoMetadata;
  probeMs: number;
  /** Keyframe sampling: the keyframes in range (listed without decoding); null otherwise. */
  keyframeCount: number | null;
}

function ms(x: number): number {
  return Math.round(x * 10) / 10;
}

const KNOWN_FIELDS = new Set([
  'pipeline_id',
  'frame_stride',
  'max_frames',
  'client_tag',
  'retention_days',
  'sample_fps',
  'sample',
  'start_ms',
  'end_ms',
  'callback_url',
  'reuse',
]);

/**
 * The upload's fields over `defaults`; a deployment's default rate applies to
 * a submission that chose no sampling of its own (neither stride nor rate).
 */
export function withDefaults(
  fields: Record<string, string>,
  defaults: Partial<Record<string, string>>,
  defaultSampleFps: number | null,
): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...defaults, ...fields };
  if (defaultSampleFps !== null && merged.frame_stride === undefined && merged.sample_fps === undefined && merged.sample === undefined) {
    merged.sample_fps = String(defaultSampleFps);
  }
  return merged;
}

/** The sampling the limits check (and the extractor decodes). */
export function samplingRequest(p: SubmitParams): SamplingRequest {
  return {
    frameStride: p.frame_stride,
    maxFrames: p.max_frames,
    sampleFps: p.sample_fps,
    startMs: p.start_ms,
    endMs: p.end_ms,
    sample: p.sample,
  };
}

/** An Idempotency-Key (HTTP header, gRPC field): 1-128 printable ASCII characters, or none. */
export function checkIdempotencyKey(key: string | undefined): string | null {
  if (key === undefined) return null;
  if (!/^[\x21-\x7e]{1,128}$/.test(key))
    throw new DomainError('INVALID_ARGUMENT', 'Idempotency-Key must be 1-128 printable ASCII characters');
  return key;
}

/** An Idempotency-Key names one request: the same key with a different body is a conflict, never a second job. */
export function sameRequestOrConflict(job: JobRecord, params: SubmitParams, sha256: string): JobRecord {
  const differs: string[] = [];
  if (job.pipeline_id !== params.pipeline_id) differs.push('pipeline_id');
  if (job.frame_stride !== params.frame_stride) differs.push('frame_stride');
  if (job.max_frames !== params.max_frames) differs.push('max_frames');
  if (job.client_tag !== params.client_tag) differs.push('client_tag');
  if (job.retention_days !== params.retention_days) differs.push('retention_days');
  if (job.sample_fps !== params.sample_fps) differs.push('sample_fps');
  if (job.sample !== params.sample) differs.push('sample');
  if (job.start_ms !== params.start_ms) differs.push('start_ms');
  if (job.end_ms !== params.end_ms) differs.push('end_ms');
  if (job.callback_url !== params.callback_url) differs.push('callback_url');
  if (job.reuse !== params.reuse) differs.push('reuse');
  if (job.input_sha256 !== sha256) differs.push('file');
  if (differs.length > 0) {
    throw new DomainError('CONFLICT', `Idempotency-Key was already used for a different request (differs in: ${differs.join(', ')})`);
  }
  return job;
}
