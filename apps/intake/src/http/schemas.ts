import { z } from 'zod';
import {
  SAMPLE_MODES,
  bboxSchema,
  dominantColourSchema,
  ERROR_CODES,
  frameGeometrySchema,
  frameStatsSchema,
  jobEventSchema,
  JOB_STATUSES,
  pointSchema,
  polygonSchema,
  STAGES,
  textLineSchema,
  textLinesOutputSchema,
  textRegionSchema,
  textRegionsOutputSchema,
  textTrackSchema,
  trackBoxSchema,
  videoMetadataSchema,
  WEBHOOK_STATUSES,
} from '@framewire/contracts';
import { PIPELINE_ISSUE_CODES } from '@framewire/pipelines';

/**
 * The response bodies of the HTTP API as zod schemas, registered by name:
 * the OpenAPI document's components are generated from them (openapi.ts), and
 * schemas.spec.ts checks that what the views return parses with them.
 */
export const apiSchemas = z.registry<{ id: string; description?: string; format?: string }>();

const iso = z.iso.datetime({ offset: true });

export const problemSchema = z
  .object({
    type: z.string().describe('a URI naming the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('what went wrong, for a human; the same text as the gRPC status message'),
    code: z.enum(ERROR_CODES).describe('stable machine-readable error code'),
    errors: z.array(z.string()).optional().describe('one line per invalid parameter'),
  })
  .register(apiSchemas, { id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });

export const videoSchema = videoMetadataSchema.register(apiSchemas, { id: 'VideoMetadata' });

const jobErrorSchema = z.object({ code: z.string(), message: z.string().nullable() });
const ms = (what: string) => z.number().nonnegative().nullable().describe(`${what}, in ms; null until both ends are known`);

const jobMetricsShape = {
  queue_ms: ms('created → started (waiting for an extractor)'),
  extraction_ms: ms('started → extracted (probing, decoding and sampling)'),
  inference_ms: z.number().nonnegative().describe('pipeline time of the stored frames: the sum of their timings_ms, in ms'),
  mean_frame_ms: z
    .number()
    .nonnegative()
    .nullable()
    .describe('inference_ms per stored frame the models ran on (not reused ones); null before the first'),
  processing_ms: ms('started → finished'),
  end_to_end_ms: ms('created → finished'),
  frames_per_second: z.number().nonnegative().nullable().describe('frames done per second of processing; null until finished'),
  frame_count: z.number().int().nullable().describe('sampled frames (frames_total); null until extraction has ended'),
  frames_done: z.number().int(),
  frames_failed: z.number().int(),
  frames_reused: z
    .number()
    .int()
    .describe(
      'of frame_count, frames whose result was reused from an earlier, identical-looking frame (temporal reuse); 0 until extracted',
    ),
  error: jobErrorSchema.nullable(),
};

export const jobMetricsSchema = z.object(jobMetricsShape).register(apiSchemas, {
  id: 'JobMetrics',
  description: "what a job cost, stage by stage (the original system's get_job_metrics)",
});

export const jobMetricsReportSchema = z
  .object({ job_id: z.uuid(), status: z.enum(JOB_STATUSES), ...jobMetricsShape })
  .register(apiSchemas, { id: 'JobMetricsReport', description: 'GET /v1/jobs/{id}/metrics' });

export const webhookDeliverySchema = z
  .object({
    event: z.enum(WEBHOOK_STATUSES).describe('the terminal status announced'),
    attempt: z.number().int().describe('1 for the first POST; a given_up row carries the attempts made'),
    at: iso,
    outcome: z.enum(['delivered', 'failed', 'given_up']),
    http_status: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
  })
  .register(apiSchemas, { id: 'WebhookDelivery' });

export const jobSchema = z
  .object({
    job_id: z.uuid(),
    status: z.enum(JOB_STATUSES),
    pipeline: z.object({
      id: z.string(),
      version: z.string().nullable(),
      models: z.array(z.object({ name: z.string(), sha256: z.string() })),
    }),
    params: z.object({
      frame_stride: z.number().int(),
      max_frames: z.number().int().nullable(),
      retention_days: z.number().int().nullable(),
      sample_fps: z.number().nullable().describe('frames per second of video time; null: sampled by frame_stride'),
      sample: z.enum(SAMPLE_MODES).describe('`keyframes`: only the keyframes were decoded and analysed; `frames`: every frame, sampled'),
      start_ms: z.number().int().nullable().describe('start of the range analysed (inclusive, by frame pts); null: the start'),
      end_ms: z.number().int().nullable().describe('end of the range analysed (exclusive, by frame pts); null: the end'),
      reuse: z.boolean().describe('temporal reuse allowed (submit reuse=false: every sampled frame runs the models)'),
    }),
    input: z.object({ size: z.number().int(), sha256: z.string() }),
    video: videoSchema.nullable(),
    progress: z.object({
      frames_done: z.number().int(),
      frames_failed: z.number().int(),
      frames_total: z.number().int().nullable(),
      fraction: z.number().min(0).max(1),
    }),
    frame_count: z.number().int().nullable(),
    timings: z.object({
      created_at: iso.nullable(),
      started_at: iso.nullable(),
      extracted_at: iso.nullable(),
      finished_at: iso.nullable(),
      updated_at: iso.nullable(),
      queue_ms: z.number().nullable(),
      processing_ms: z.number().nullable(),
    }),
    error: jobErrorSchema.nullable(),
    metrics: jobMetricsSchema,
    client_tag: z.string().nullable(),
    webhook: z
      .object({
        url: z.string(),
        deliveries: z.array(webhookDeliverySchema).optional().describe('every attempt, oldest first; on GET /v1/jobs/{id} only'),
      })
      .nullable()
      .describe('the callback_url and its delivery attempts; null: no webhook'),
    links: z.object({ self: z.string(), results: z.string(), metrics: z.string() }),
  })
  .register(apiSchemas, { id: 'Job' });

export const jobPageSchema = z
  .object({
    items: z.array(jobSchema),
    next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
  })
  .register(apiSchemas, { id: 'JobPage' });

export const frameGeometryDocSchema = frameGeometrySchema.register(apiSchemas, {
  id: 'FrameGeometry',
  description:
    'sizes of a frame: `analysed`, what the pipeline saw (after FW_MAX_FRAME_WIDTH scaling); `source`, the video as displayed (rotation applied)',
});

/*
 * The result shapes of the built-in tools (libs/contracts/src/results.ts),
 * registered under their names so generated clients get types. Every box and
 * polygon is in source-video pixels, the `_norm` forms 0–1.
 */
pointSchema.register(apiSchemas, { id: 'Point', description: '[x, y]' });
polygonSchema.register(apiSchemas, { id: 'Polygon', description: 'corners [x, y], clockwise from the top-left' });
bboxSchema.register(apiSchemas, { id: 'BBox', description: 'axis-aligned box: left, top, width, height' });
textRegionSchema.register(apiSchemas, { id: 'TextRegion', description: 'one text line found, not read' });
textLineSchema.register(apiSchemas, { id: 'TextLine', description: 'one text line read' });
dominantColourSchema.register(apiSchemas, { id: 'DominantColour' });

export const textRegionsOutputDocSchema = textRegionsOutputSchema.register(apiSchemas, {
  id: 'TextRegionsOutput',
  description: 'paddleocr detect_text and classify_angle (the `text_regions` pipeline): the text lines found, in reading order',
});
export const textLinesOutputDocSchema = textLinesOutputSchema.register(apiSchemas, {
  id: 'TextLinesOutput',
  description: 'paddleocr recognize_text (the `ocr` pipeline): the text lines read, in reading order',
});
export const frameStatsDocSchema = frameStatsSchema.register(apiSchemas, {
  id: 'FrameStats',
  description: 'image_stats frame_stats (the `frame_stats` pipeline): statistics of the whole frame',
});
export const pluginOutputSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string(), z.number(), z.boolean()])
  .nullable()
  .register(apiSchemas, {
    id: 'PluginOutput',
    description: "a plugin-defined output: the tool's JSON as it returned it (usually an object)",
  });
export const nodeOutputSchema = z
  .union([textRegionsOutputDocSchema, textLinesOutputDocSchema, frameStatsDocSchema, pluginOutputSchema])
  .register(apiSchemas, {
    id: 'NodeOutput',
    description:
      "one output node's value: the shape of its tool's output — text regions, text lines, frame statistics, or, for plugin tools, free-form JSON. " +
      '(Results stored before the `_norm` forms existed lack them.)',
  });

export const frameResultSchema = z
  .object({
    frame_index: z.number().int(),
    pts_ms: z.number(),
    result: z
      .record(z.string(), nodeOutputSchema)
      .nullable()
      .describe(
        "the pipeline's output by output node id; null when the frame failed. Every `polygon` and `bbox` in it is in source-video pixels, " +
          'with `polygon_norm` / `bbox_norm` (the same divided by the source width and height, 0–1) beside it',
      ),
    error: z.string().nullable(),
    timings_ms: z.record(z.string(), z.number()),
    geometry: frameGeometryDocSchema
      .nullable()
      .describe('null for results stored before Framewire recorded it (their boxes are in analysed-frame pixels)'),
    reused_from: z
      .number()
      .int()
      .nullable()
      .describe(
        "temporal reuse: the earlier frame this one looked the same as; its result, error and geometry are that frame's and the models did not run (timings_ms is empty). null: computed",
      ),
  })
  .register(apiSchemas, { id: 'FrameResult' });

export const resultsPageSchema = z
  .object({
    job_id: z.uuid(),
    status: z.enum(JOB_STATUSES),
    items: z.array(frameResultSchema),
    next_cursor: z.string().nullable(),
  })
  .register(apiSchemas, { id: 'ResultsPage' });

export const trackBoxDocSchema = trackBoxSchema.register(apiSchemas, {
  id: 'TrackBox',
  description: 'one appearance of a track: where it was in one sampled frame',
});
export const textTrackDocSchema = textTrackSchema.register(apiSchemas, {
  id: 'TextTrack',
  description:
    'a text track: the same (or nearly the same) text at an overlapping place over consecutive samples; `[start_ms, end_ms)` is a subtitle cue',
});

/** GET /v1/jobs/{id}/tracks: a page of the job's tracks, by track_index. */
export const tracksPageSchema = z
  .object({
    job_id: z.uuid(),
    status: z.enum(JOB_STATUSES),
    final: z
      .boolean()
      .describe(
        'true once the tracks were built from every frame of the finished job; false: the frames done so far, they may still change',
      ),
    items: z.array(textTrackDocSchema).describe('in track_index order (by start, then top, then left)'),
    next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
  })
  .register(apiSchemas, { id: 'TracksPage' });

export const tracksExportSchema = z
  .object({ job_id: z.uuid(), final: z.boolean(), tracks: z.array(textTrackDocSchema) })
  .register(apiSchemas, { id: 'TracksExport', description: 'GET /v1/jobs/{id}/export?format=json: every track of the job' });

export const jobEventDocSchema = jobEventSchema.register(apiSchemas, {
  id: 'JobEvent',
  description: 'a job event, version 1: the `data` of each Server-Sent Event, and the payload on NATS at fw.events.<job_id>.<type>',
});

export const legacySubmitSchema = z.object({ job_id: z.uuid() }).register(apiSchemas, { id: 'LegacySubmitted' });

export const legacyStatusSchema = z
  .object({
    job_id: z.uuid(),
    status: z.enum(['pending', 'running', 'completed', 'failed']),
    progress: z.number().min(0).max(1),
    created_at: iso,
    updated_at: iso,
  })
  .register(apiSchemas, { id: 'LegacyStatus' });

export const legacyResultsSchema = z
  .object({
    job_id: z.uuid(),
    results: z.array(z.object({ frame_index: z.number().int(), result: z.unknown() })),
    created_at: iso,
    updated_at: iso,
  })
  .register(apiSchemas, { id: 'LegacyResults' });

export const legacyErrorSchema = z.object({ detail: z.string() }).register(apiSchemas, { id: 'LegacyError' });

export const healthSchema = z
  .object({ status: z.literal('ok'), phase: z.enum(['starting', 'serving', 'stopping']) })
  .register(apiSchemas, { id: 'Health' });

const checkResultSchema = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
export const readinessSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    /** By dependency: nats, postgres, object_store (and models on inference), plus lifecycle. */
    checks: z.record(z.string(), checkResultSchema),
  })
  .register(apiSchemas, { id: 'Readiness' });

const modelRefSchema = z.object({ name: z.string(), sha256: z.string() });
const pipelineNodeSchema = z.object({ id: z.string(), plugin: z.string(), tool: z.string() });

export const pipelineSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string(),
    description: z.string().optional(),
    nodes: z.array(pipelineNodeSchema),
    outputs: z.array(z.string()),
    models: z.array(modelRefSchema).describe('what a job on this pipeline pins: every model file it reads, by sha256'),
  })
  .register(apiSchemas, { id: 'PipelineSummary' });

export const pipelineListSchema = z.object({ items: z.array(pipelineSummarySchema) }).register(apiSchemas, { id: 'PipelineList' });

export const pipelineSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string(),
    description: z.string().nullable(),
    nodes: z.array(pipelineNodeSchema.extend({ params: z.unknown() })),
    edges: z.array(z.object({ from: z.string(), to: z.string() })),
    entry: z.array(z.string()),
    outputs: z.array(z.string()),
    order: z.array(z.string()).describe('node ids in the order they run'),
    tools: z.array(
      z.object({
        plugin: z.string(),
        plugin_version: z.string(),
        tool: z.string(),
        description: z.string(),
        inputs: z.array(z.string()),
        outputs: z.array(z.string()),
        capabilities: z.array(z.string()),
      }),
    ),
    models: z.array(modelRefSchema),
  })
  .register(apiSchemas, { id: 'Pipeline' });

export const pipelineValidationSchema = z
  .object({
    valid: z.boolean(),
    errors: z.array(z.object({ code: z.enum(PIPELINE_ISSUE_CODES), message: z.string() })),
  })
  .register(apiSchemas, { id: 'PipelineValidation' });

export const deadLetterPageSchema = z
  .object({
    items: z.array(
      z.object({
        seq: z.number().int(),
        kind: z.string(),
        original_subject: z.string(),
        reason: z.string(),
        deliveries: z.number().int(),
        job_id: z.string().nullable(),
        worker_id: z.string().nullable(),
        dead_at: iso,
        body: z.object({
          bytes: z.number().int().describe('size of the original message body'),
          ref: z.string().nullable().describe('object key of the body when it is stored by reference (dlq/...), else null'),
        }),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .register(apiSchemas, { id: 'DeadLetterPage' });

export const replayedSchema = z
  .object({ seq: z.number().int(), subject: z.string(), job_id: z.string().nullable() })
  .register(apiSchemas, { id: 'DeadLetterReplayed' });

const workerCount = z.number().int().nonnegative();

export const workerSchema = z
  .object({
    worker_id: z.string().describe('the replica id (FW_WORKER_ID), as in its logs, events and results'),
    stage: z.enum(STAGES),
    host: z.string(),
    pid: z.number().int(),
    version: z.string().describe('the Framewire version it runs'),
    started_at: iso,
    last_heartbeat: iso,
    age_ms: z.number().nonnegative().describe('since last_heartbeat; at most FW_WORKER_TTL_MS'),
    uptime_s: workerCount,
    jobs_processed: workerCount.describe('distinct jobs this replica did work for'),
    jobs_failed: workerCount.describe('distinct jobs this replica failed'),
    frames_processed: workerCount,
    frames_failed: workerCount,
    messages_handled: workerCount,
    redeliveries: workerCount.describe('messages it received that had been delivered before'),
    in_flight: workerCount.describe('messages being handled at the last heartbeat'),
    decoder: z
      .object({
        source: z.string().describe('`system` (a pair on PATH), `bundled` (the npm build) or `env` (FFMPEG_PATH / FFPROBE_PATH)'),
        path: z.string(),
        version: z.string().describe('as ffmpeg prints it, e.g. 5.1.9-0+deb12u1'),
      })
      .optional()
      .describe('the ffmpeg it probes or decodes with (intake and extractor replicas)'),
  })
  .register(apiSchemas, { id: 'Worker', description: 'one live replica and what it has done since it started' });

export const workerListSchema = z
  .object({
    items: z.array(workerSchema).describe('sorted by stage (pipeline order), then worker id'),
    stages: z.record(z.string(), z.number().int()).describe('live replicas per stage (every stage, 0 when none)'),
    ttl_ms: z.number().int().describe('FW_WORKER_TTL_MS: a replica silent for longer is not listed'),
  })
  .register(apiSchemas, { id: 'WorkerList' });

export const jpegImageSchema = z.string().register(apiSchemas, {
  id: 'JpegImage',
  description: 'a JPEG image (image/jpeg), the bytes themselves',
  format: 'binary',
});

/** Every registered schema as OpenAPI 3.0 components, referring to each other by `#/components/schemas/<id>`. */
export function componentSchemas(): Record<string, Record<string, unknown>> {
  const out = z.toJSONSchema(apiSchemas, {
    target: 'openapi-3.0',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
    io: 'output',
    // A registered `format` (e.g. binary) is not carried over by itself.
    override: ({ zodSchema, jsonSchema }) => {
      const format = apiSchemas.get(zodSchema)?.format;
      if (format) jsonSchema.format = format;
    },
  });
  // OpenAPI 3.0 schema objects have no $id: the component's name is its id.
  return Object.fromEntries(
    Object.entries(out.schemas as Record<string, Record<string, unknown>>).map(([id, { $id: _id, ...schema }]) => [id, schema]),
  );
}
