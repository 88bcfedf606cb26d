import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { STAGES } from '@framewire/contracts';
import { listJobsQuery, resultsQuery } from '../jobs/queries';

/**
 * Query, body and path DTOs of the HTTP API, each made from one zod schema:
 * ZodDtoPipe validates with it and the OpenAPI document describes it.
 */
export class ListJobsQueryDto extends createZodDto(listJobsQuery) {}

export class ResultsQueryDto extends createZodDto(resultsQuery) {}

export class DlqListQueryDto extends createZodDto(
  z.object({
    limit: z.coerce.number().int().min(1).max(500).default(50).describe('page size (default 50, at most 500)'),
    cursor: z.coerce.number().int().min(0).default(0).describe('sequence after which to list (`next_cursor` of the previous page)'),
  }),
) {}

export class DlqSeqParamsDto extends createZodDto(
  z.object({
    seq: z
      .string()
      .regex(/^\d{1,15}$/, 'seq must be a dead letter sequence number')
      .transform(Number)
      .describe('dead letter sequence'),
  }),
) {}

export class WorkersQueryDto extends createZodDto(
  z.object({
    stage: z
      .union([z.enum(STAGES), z.literal('')], { message: `must be one of ${STAGES.join(', ')}` })
      .optional()
      .describe('only replicas of this stage'),
  }),
) {}

export class EventsQueryDto extends createZodDto(
  z.object({
    from: z
      .enum(['start', 'now'], { message: "from must be 'start' or 'now'" })
      .optional()
      .describe('`start` (default): replay, then live; `now`: live only'),
    last_event_id: z.string().optional().describe('resume after this event id (as the Last-Event-ID header)'),
  }),
) {}

export class CancelBodyDto extends createZodDto(
  z.object({
    reason: z.string().max(500, 'reason must be a string of at most 500 characters').nullish().describe('why, for the record'),
  }),
) {}

export class FrameParamsDto extends createZodDto(
  z.object({
    id: z.string().describe('job id (uuid)'),
    frame_index: z
      .string()
      .regex(/^\d{1,9}$/, 'frame_index must be the index of a sampled frame (a non-negative integer)')
      .transform(Number)
      .describe('index of a sampled frame in the video (0, stride, 2·stride, …: the `frame_index` of its result)'),
  }),
) {}

export class FrameQueryDto extends createZodDto(
  z.object({
    annotate: z
      .enum(['1', '0', 'true', 'false'], { message: 'annotate must be 1, 0, true or false' })
      .optional()
      .transform((v) => v === '1' || v === 'true')
      .describe("1: draw the frame result's boxes and read text over the image"),
  }),
) {}
