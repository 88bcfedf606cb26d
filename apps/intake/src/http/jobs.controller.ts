import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { EXPORT_MEDIA, exportFilename, formatTracks } from '@framewire/tracks';
import { CancelService } from '../jobs/cancel.service';
import { DeleteService } from '../jobs/delete.service';
import { QueryService } from '../jobs/query.service';
import { checkIdempotencyKey, SubmitService } from '../jobs/submit.service';
import { jobDetailView, jobMetricsView, jobView, resultView } from '../jobs/views';
import { UploadReceiver } from '../upload/upload-receiver';
import { ApiJobId, ApiRoute, ApiTracksExport } from './api-doc';
import { CancelBodyDto, ExportQueryDto, ListJobsQueryDto, ResultsQueryDto, TracksQueryDto } from './dtos';
import { jobMetricsReportSchema, jobPageSchema, jobSchema, resultsPageSchema, tracksPageSchema } from './schemas';
import { ApiSubmitBody } from './submit-doc';

/** The v1 jobs API. Thin: validate, call one use case, shape the answer. */
@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly uploads: UploadReceiver,
    private readonly submitter: SubmitService,
    private readonly queries: QueryService,
    private readonly cancels: CancelService,
    private readonly deleter: DeleteService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiRoute({
    tag: 'jobs',
    summary: 'Submit a video',
    description:
      'Streams the upload, checks it by content, stores it and queues the job: **202** before any frame is decoded. ' +
      'An `Idempotency-Key` makes a retry return the first job (409 if the key was used for a different request).',
    ok: { 202: ['the job, pending', jobSchema] },
    errors: [400, 409, 413, 415, 422, 429, 503],
  })
  @ApiHeader({
    name: 'idempotency-key',
    required: false,
    description: 'Idempotency-Key: 1-128 printable ASCII characters',
    schema: { type: 'string', maxLength: 128 },
  })
  @ApiSubmitBody()
  async submit(@Req() req: Request, @Headers('idempotency-key') idempotencyKey?: string) {
    const key = checkIdempotencyKey(idempotencyKey);
    const { job } = await this.submitter.submitUpload(await this.uploads.receive(req), { idempotencyKey: key });
    return jobView(job);
  }

  @Get()
  @ApiRoute({ tag: 'jobs', summary: 'List jobs, newest first', ok: { 200: ['a page of jobs', jobPageSchema] }, errors: [400] })
  async list(@Query() query: ListJobsQueryDto) {
    const page = await this.queries.listJobs(query);
    return { items: page.items.map(jobView), next_cursor: page.next_cursor };
  }

  @Get(':id')
  @ApiRoute({
    tag: 'jobs',
    summary: 'A job: status, progress, video, timings, pinned pipeline, error, webhook deliveries',
    ok: { 200: ['the job', jobSchema] },
    errors: [404],
  })
  @ApiJobId()
  async get(@Param('id') id: string) {
    const { job, deliveries } = await this.queries.getJobDetail(id);
    return jobDetailView(job, deliveries);
  }

  @Get(':id/metrics')
  @ApiRoute({
    tag: 'jobs',
    summary: 'What a job cost: queue, extraction, inference, processing and end-to-end times, frames per second',
    description:
      'The `metrics` object of the job, with its id and status. Durations are null until both of their ends are known; ' +
      '`inference_ms` is the pipeline time of the stored frames (the sum of their `timings_ms`).',
    ok: { 200: ["the job's metrics", jobMetricsReportSchema] },
    errors: [404],
  })
  @ApiJobId()
  async metrics(@Param('id') id: string) {
    return jobMetricsView(await this.queries.getJob(id));
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiRoute({
    tag: 'jobs',
    summary: 'Cancel a pending or running job',
    description:
      'Records the cancel (every stage stops spending work on the job at once) and publishes the `cancelled` event; ' +
      'the answer is the job once the status projection has recorded it: `cancelled`, or `completed`/`failed` if it ended first. ' +
      'If the projection takes longer than 3 s (the status service is down or behind), the job is answered as it still stands and moves to `cancelled` later.',
    ok: { 202: ['the job as the projection recorded the cancel', jobSchema] },
    errors: [400, 404, 409],
  })
  @ApiJobId()
  @ApiBody({ type: CancelBodyDto, required: false })
  async cancel(@Param('id') id: string, @Body() body: CancelBodyDto) {
    const accepted = await this.cancels.cancel(id, body.reason ?? null);
    return jobView(accepted.job);
  }

  /** A finished job and everything of it; 409 for a pending or running one (cancel it first). */
  @Delete(':id')
  @HttpCode(204)
  @ApiRoute({
    tag: 'jobs',
    summary: 'Delete a finished job and everything of it',
    description:
      'Deletes a completed, failed or cancelled job: its input, its frames, its results and its events. ' +
      'A pending or running job is a 409: cancel it first with POST /v1/jobs/{id}/cancel. ' +
      'Deleting again is a 404, like any unknown job.',
    ok: { 204: ['deleted', null] },
    errors: [404, 409],
  })
  @ApiJobId()
  async remove(@Param('id') id: string): Promise<void> {
    await this.deleter.deleteJob(id, 'request');
  }

  @Get(':id/results')
  @ApiRoute({
    tag: 'jobs',
    summary: 'Per-frame results in frame order, a page at a time',
    ok: { 200: ['a page of results', resultsPageSchema] },
    errors: [400, 404],
  })
  @ApiJobId()
  async results(@Param('id') id: string, @Query() query: ResultsQueryDto) {
    const page = await this.queries.resultsPage(id, query);
    return {
      job_id: page.job.id,
      status: page.job.status,
      items: page.items.map(resultView),
      next_cursor: page.next_cursor,
    };
  }

  @Get(':id/tracks')
  @ApiRoute({
    tag: 'jobs',
    summary: 'Text tracks: what text was on screen, when, and where, a page at a time',
    description:
      'Per-frame text lines (ocr) and regions (text_regions) linked across samples into tracks, in `track_index` order. ' +
      'While the job runs, the tracks of the frames done so far (`final` false); rebuilt until the job completes.',
    ok: { 200: ['a page of text tracks', tracksPageSchema] },
    errors: [400, 404],
  })
  @ApiJobId()
  async tracks(@Param('id') id: string, @Query() query: TracksQueryDto) {
    const page = await this.queries.tracksPage(id, query);
    return { job_id: page.job.id, status: page.job.status, final: page.final, items: page.items, next_cursor: page.next_cursor };
  }

  @Get(':id/export')
  @ApiRoute({
    tag: 'jobs',
    summary: 'Every text track as a file: WebVTT or SRT subtitles, CSV or JSON',
    description:
      'WebVTT and SRT have one cue per track with text, [start_ms, end_ms) (region tracks have none); CSV (RFC 4180) one row per track ' +
      '(its first box); JSON the tracks as in GET /v1/jobs/{id}/tracks. While the job runs, the tracks of the frames done so far.',
    ok: {},
    errors: [400, 404],
  })
  @ApiTracksExport()
  @ApiJobId()
  async export(@Param('id') id: string, @Query() query: ExportQueryDto, @Res({ passthrough: true }) res: Response) {
    const { job, final, tracks } = await this.queries.allTracks(id);
    res.setHeader('Content-Type', EXPORT_MEDIA[query.format].contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${exportFilename(job.id, query.format)}"`);
    return formatTracks(tracks, query.format, { jobId: job.id, final });
  }
}
