import {
  frameStatsSchema,
  textLineSchema,
  textRegionSchema,
  type BBox as DomainBBox,
  type FrameStatsResult,
  type JobEvent as DomainEvent,
  type Polygon as DomainPolygon,
  type TextTrack as DomainTextTrack,
  type TrackBox as DomainTrackBox,
  type VideoMetadata as DomainVideo,
} from '@framewire/contracts';
import { z } from 'zod';
import type { ReceivedJobEvent } from '@framewire/events';
import {
  TextTrackKind,
  toProtoStatus,
  type BBox,
  type FrameResult,
  type FrameStats,
  type Job,
  type JobEvent,
  type JobMetrics,
  type NodeOutput,
  type Point,
  type TextLine,
  type TextRegion,
  type TextTrack,
  type TrackBox,
  type VideoMetadata,
  type Worker,
} from '@framewire/grpc';
import type { LiveWorker } from '@framewire/messaging';
import type { FrameResultRecord, JobRecord } from '@framewire/persistence';
import { jobMetrics, progressFraction } from '../jobs/views';

/** Pure mappings from what the services return to the generated gRPC messages. */

export function jobMessage(job: JobRecord): Job {
  return {
    jobId: job.id,
    status: toProtoStatus(job.status),
    pipelineId: job.pipeline_id,
    pipelineVersion: job.pipeline_version ?? '',
    models: (job.models ?? []).map((m) => ({ name: m.name, sha256: m.sha256 })),
    frameStride: job.frame_stride,
    maxFrames: job.max_frames ?? undefined,
    inputSize: job.input_size,
    inputSha256: job.input_sha256,
    video: job.video ? videoMessage(job.video) : undefined,
    framesDone: job.frames_done,
    framesFailed: job.frames_failed,
    framesTotal: job.frames_total ?? undefined,
    progress: progressFraction(job),
    errorCode: job.error_code ?? undefined,
    errorMessage: job.error_message ?? undefined,
    clientTag: job.client_tag ?? undefined,
    createdAt: job.created_at,
    startedAt: job.started_at ?? undefined,
    extractedAt: job.extracted_at ?? undefined,
    finishedAt: job.finished_at ?? undefined,
    updatedAt: job.updated_at,
    metrics: jobMetricsMessage(job),
    retentionDays: job.retention_days ?? undefined,
    sampleFps: job.sample_fps ?? undefined,
    startMs: job.start_ms ?? undefined,
    endMs: job.end_ms ?? undefined,
    callbackUrl: job.callback_url ?? undefined,
    reuse: job.reuse,
    sample: job.sample,
  };
}

/** The HTTP `metrics` object, field for field (absent where HTTP says null). */
export function jobMetricsMessage(job: JobRecord): JobMetrics {
  const m = jobMetrics(job);
  return {
    queueMs: m.queue_ms ?? undefined,
    extractionMs: m.extraction_ms ?? undefined,
    inferenceMs: m.inference_ms,
    meanFrameMs: m.mean_frame_ms ?? undefined,
    processingMs: m.processing_ms ?? undefined,
    endToEndMs: m.end_to_end_ms ?? undefined,
    framesPerSecond: m.frames_per_second ?? undefined,
    frameCount: m.frame_count ?? undefined,
    framesDone: m.frames_done,
    framesFailed: m.frames_failed,
    framesReused: m.frames_reused,
    errorCode: m.error?.code,
    errorMessage: m.error?.message ?? undefined,
  };
}

export function workerMessage(w: LiveWorker): Worker {
  return {
    workerId: w.worker_id,
    stage: w.stage,
    host: w.host,
    pid: w.pid,
    version: w.version,
    startedAt: new Date(w.started_at),
    lastHeartbeat: new Date(w.last_heartbeat),
    ageMs: Math.round(w.age_ms),
    uptimeS: w.uptime_s,
    jobsProcessed: w.jobs_processed,
    jobsFailed: w.jobs_failed,
    framesProcessed: w.frames_processed,
    framesFailed: w.frames_failed,
    messagesHandled: w.messages_handled,
    redeliveries: w.redeliveries,
    inFlight: w.in_flight,
    decoder: w.decoder,
  };
}

export function videoMessage(v: DomainVideo): VideoMetadata {
  return {
    durationMs: v.duration_ms ?? undefined,
    fps: v.fps ?? undefined,
    width: v.width,
    height: v.height,
    codec: v.codec,
    frameCount: v.frame_count ?? undefined,
  };
}

export function frameResultMessage(r: FrameResultRecord): FrameResult {
  const result = isPlainObject(r.result) ? r.result : undefined;
  return {
    frameIndex: r.frame_index,
    ptsMs: r.pts_ms,
    result,
    error: r.error ?? undefined,
    timingsMs: r.timings_ms,
    geometry: r.geometry ?? undefined,
    reusedFrom: r.reused_from ?? undefined,
    outputs: Object.fromEntries(Object.entries(result ?? {}).map(([node, value]) => [node, nodeOutputMessage(value)])),
  };
}

/**
 * The shapes of the built-in tools' outputs (the contracts' schemas). The
 * `_norm` forms may be missing: results stored before they existed are still
 * the built-in shape.
 */
const LEGACY_NORM = { polygon_norm: true, bbox_norm: true } as const;
const textRegionsShape = z.object({ regions: z.array(textRegionSchema.partial(LEGACY_NORM)) });
const textLinesShape = z.object({ lines: z.array(textLineSchema.partial(LEGACY_NORM)) });
type TextRegionShape = z.infer<typeof textRegionsShape>['regions'][number];
type TextLineShape = z.infer<typeof textLinesShape>['lines'][number];

/**
 * One output node's value, typed by its shape: text regions, text lines or
 * frame stats when it is exactly that shape (parsing drops nothing), anything
 * else — a plugin's own output, or a built-in shape with extra fields that
 * the typed message could not carry — as `custom` JSON.
 */
export function nodeOutputMessage(value: unknown): NodeOutput {
  // Only the schema its keys point to is tried: a failed parse costs more than a successful one.
  if (isPlainObject(value)) {
    const regions = 'regions' in value ? exactly(textRegionsShape, value) : null;
    if (regions) return { value: { $case: 'textRegions', textRegions: { regions: regions.regions.map(textRegionMessage) } } };
    const lines = 'lines' in value ? exactly(textLinesShape, value) : null;
    if (lines) return { value: { $case: 'textLines', textLines: { lines: lines.lines.map(textLineMessage) } } };
    const stats = 'dominant_colours' in value ? exactly(frameStatsSchema, value) : null;
    if (stats) return { value: { $case: 'frameStats', frameStats: frameStatsMessage(stats) } };
  }
  return { value: { $case: 'custom', custom: value } };
}

/** `value` parsed by `schema` when that keeps all of it (zod drops unknown keys: then it is not this shape). */
function exactly<T>(schema: z.ZodType<T>, value: unknown): T | null {
  const parsed = schema.safeParse(value);
  return parsed.success && sameJson(parsed.data, value) ? parsed.data : null;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => sameJson(a[k], b[k]));
}

function textRegionMessage(r: TextRegionShape): TextRegion {
  return { ...locatedMessage(r), score: r.score, angle: r.angle, angleScore: r.angle_score };
}

function textLineMessage(l: TextLineShape): TextLine {
  return { ...locatedMessage(l), text: l.text, confidence: l.confidence, detScore: l.det_score, angle: l.angle };
}

function locatedMessage(g: { polygon: DomainPolygon; bbox: DomainBBox; polygon_norm?: DomainPolygon; bbox_norm?: DomainBBox }) {
  return {
    polygon: pointsMessage(g.polygon),
    bbox: bboxMessage(g.bbox),
    polygonNorm: g.polygon_norm ? pointsMessage(g.polygon_norm) : [],
    bboxNorm: g.bbox_norm ? bboxMessage(g.bbox_norm) : undefined,
  };
}

function frameStatsMessage(s: FrameStatsResult): FrameStats {
  return {
    width: s.width,
    height: s.height,
    brightness: s.brightness,
    contrast: s.contrast,
    sharpness: s.sharpness,
    entropy: s.entropy,
    dominantColours: s.dominant_colours.map((c) => ({ hex: c.hex, r: c.rgb[0], g: c.rgb[1], b: c.rgb[2], share: c.share })),
  };
}

export function textTrackMessage(t: DomainTextTrack): TextTrack {
  return {
    trackIndex: t.track_index,
    output: t.output,
    kind: t.kind === 'text' ? TextTrackKind.TEXT_TRACK_KIND_TEXT : TextTrackKind.TEXT_TRACK_KIND_REGION,
    text: t.text ?? undefined,
    confidence: t.confidence,
    startMs: t.start_ms,
    endMs: t.end_ms,
    firstFrame: t.first_frame,
    lastFrame: t.last_frame,
    frameCount: t.frame_count,
    bbox: bboxMessage(t.bbox),
    bboxNorm: bboxMessage(t.bbox_norm),
    boxes: t.boxes.map(trackBoxMessage),
  };
}

export function trackBoxMessage(b: DomainTrackBox): TrackBox {
  return {
    frameIndex: b.frame_index,
    ptsMs: b.pts_ms,
    polygon: pointsMessage(b.polygon),
    bbox: bboxMessage(b.bbox),
    polygonNorm: pointsMessage(b.polygon_norm),
    bboxNorm: bboxMessage(b.bbox_norm),
    text: b.text ?? undefined,
    score: b.score,
  };
}

export function bboxMessage(b: DomainBBox): BBox {
  return { x: b.x, y: b.y, width: b.width, height: b.height };
}

export function pointsMessage(polygon: DomainPolygon): Point[] {
  return polygon.map(([x, y]) => ({ x, y }));
}

export function jobEventMessage({ event, sequence }: ReceivedJobEvent): JobEvent {
  return {
    jobId: event.job_id,
    type: event.type,
    sequence,
    at: new Date(event.at),
    payload: JSON.parse(JSON.stringify(event)) as Record<string, unknown>,
    detail: eventDetail(event),
    workerId: event.worker_id,
  };
}

function eventDetail(event: DomainEvent): JobEvent['detail'] {
  switch (event.type) {
    case 'submitted':
      return {
        $case: 'submitted',
        submitted: {
          pipelineId: event.pipeline_id,
          frameStride: event.frame_stride,
          maxFrames: event.max_frames ?? undefined,
          sampleFps: event.sample_fps ?? undefined,
          startMs: event.start_ms ?? undefined,
          endMs: event.end_ms ?? undefined,
          sample: event.sample,
        },
      };
    case 'extracting':
      return { $case: 'extracting', extracting: { video: videoMessage(event.video) } };
    case 'extracted':
      return {
        $case: 'extracted',
        extracted: { framesTotal: event.frames_total, framesDecoded: event.frames_decoded, framesReused: event.frames_reused ?? 0 },
      };
    case 'frames':
      return {
        $case: 'frames',
        frames: { framesDone: event.frames_done, framesFailed: event.frames_failed, framesTotal: event.frames_total ?? undefined },
      };
    case 'completed':
      return {
        $case: 'completed',
        completed: {
          framesTotal: event.frames_total,
          framesDone: event.frames_done,
          framesFailed: event.frames_failed,
          processingMs: event.processing_ms,
        },
      };
    case 'failed':
      return { $case: 'failed', failed: { stage: event.stage, errorCode: event.error_code, errorMessage: event.error_message } };
    case 'cancelled':
      return { $case: 'cancelled', cancelled: { reason: event.reason ?? undefined } };
    case 'tracks':
      return {
        $case: 'tracks',
        tracks: {
          tracks: event.tracks,
          textTracks: event.text_tracks,
          regionTracks: event.region_tracks,
          frames: event.frames,
          final: event.final,
        },
      };
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
