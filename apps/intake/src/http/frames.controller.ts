import { pipeline } from 'node:stream/promises';
import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Response } from 'express';
import { FramesService, noneMatch, type FrameRef } from '../frames/frames.service';
import { ApiRoute } from './api-doc';
import { FrameParamsDto, FrameQueryDto } from './dtos';
import { jpegImageSchema } from './schemas';

/** A frame never changes once stored; an annotated one can while its job runs (its result may still come). */
const IMMUTABLE = 'private, max-age=31536000, immutable';
const REVALIDATE = 'private, no-cache';

/** The sampled frames of a job as JPEG, raw (streamed from the object store) or annotated. */
@Controller('v1/jobs')
export class FramesController {
  constructor(private readonly frames: FramesService) {}

  @Get(':id/frames/:frame_index')
  @ApiRoute({
    tag: 'jobs',
    summary: 'A sampled frame as JPEG, optionally with its result drawn over it',
    description:
      'The frame as the pipeline saw it (scaled down to FW_MAX_FRAME_WIDTH when wider), kept in the object store for the ' +
      "job's lifetime (FW_KEEP_FRAMES). `annotate=1` draws the frame result's boxes (polygons) and read text over it; " +
      'results are in source-video pixels and are scaled to the frame. ' +
      'A frame never changes: `Cache-Control: immutable` with a strong `ETag` (an annotated frame: a weak one, revalidated ' +
      'until the job has finished); `If-None-Match` answers 304. 404 for an unknown job, a frame index that was not sampled, ' +
      'or a frame no longer stored (the job was deleted or expired, or the extractor ran with FW_KEEP_FRAMES=false).',
    ok: {
      200: ['the frame (image/jpeg)', jpegImageSchema, 'image/jpeg'],
      304: ['not modified (If-None-Match matched the ETag)', null],
    },
    errors: [400, 404],
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'an ETag of this frame received before', schema: { type: 'string' } })
  async frame(
    @Param() params: FrameParamsDto,
    @Query() query: FrameQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const ref = await this.frames.find(params.id, params.frame_index, query.annotate);
    if (noneMatch(ifNoneMatch, ref.etag)) {
      cacheHeaders(res, ref);
      res.status(304).end();
      return;
    }
    if (ref.annotate) {
      const image = await this.frames.image(ref);
      cacheHeaders(res, ref);
      res.status(200).type('image/jpeg').setHeader('Content-Length', String(image.jpeg.length));
      res.end(image.jpeg);
      return;
    }
    const body = await this.frames.open(ref);
    cacheHeaders(res, ref);
    res.status(200).type('image/jpeg').setHeader('Content-Length', String(ref.size));
    // Headers are out: a store that fails mid-stream (or a client that leaves) can only cut the body short.
    await pipeline(body, res).catch(() => res.destroy());
  }
}

function cacheHeaders(res: Response, ref: FrameRef): void {
  res.setHeader('ETag', ref.etag);
  res.setHeader('Cache-Control', ref.final ? IMMUTABLE : REVALIDATE);
}
