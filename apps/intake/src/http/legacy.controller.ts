import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, UUID } from '@framewire/contracts';
import { QueryService } from '../jobs/query.service';
import { SubmitService } from '../jobs/submit.service';
import { legacyStatusView } from '../jobs/views';
import { INTAKE_CONFIG } from '../tokens';
import type { IntakeConfig } from '../config';
import { UploadReceiver } from '../upload/upload-receiver';
import { ApiJobId, ApiRoute } from './api-doc';
import { legacyResultsSchema, legacyStatusSchema, legacySubmitSchema } from './schemas';
import { ApiSubmitBody } from './submit-doc';

/**
 * The original system's routes, with its response shapes: `{job_id}`,
 * `{job_id, status, progress, created_at, updated_at}` and
 * `{job_id, results: [{frame_index, result}], created_at, updated_at}`;
 * errors are `{detail}` (404 "Job not found" / "Job not completed").
 */
@Controller('v1/video')
export class LegacyVideoController {
  constructor(
    private readonly uploads: UploadReceiver,
    private readonly submitter: SubmitService,
    private readonly queries: QueryService,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  @Post('submit')
  @HttpCode(200)
  @ApiRoute({
    tag: 'legacy',
    summary: "The original system's submit",
    description:
      'Multipart like POST /v1/jobs; `pipeline_id` defaults to FW_DEFAULT_PIPELINE, and `sample_fps` to FW_DEFAULT_SAMPLE_FPS ' +
      'when neither `sample_fps` nor `frame_stride` is given.',
    ok: { 200: ['the job id', legacySubmitSchema] },
    errors: [400, 413, 415, 422, 429],
    legacyErrors: true,
  })
  @ApiSubmitBody()
  async submit(@Req() req: Request) {
    const upload = await this.uploads.receive(req);
    const { job } = await this.submitter.submitUpload(upload, {
      defaults: { pipeline_id: this.config.defaultPipeline },
      defaultSampleFps: this.config.defaultSampleFps,
    });
    return { job_id: job.id };
  }

  @Get('status/:id')
  @ApiRoute({
    tag: 'legacy',
    summary: "The original system's status",
    ok: { 200: ['status and progress (0..1)', legacyStatusSchema] },
    errors: [404],
    legacyErrors: true,
  })
  @ApiJobId()
  async status(@Param('id') id: string) {
    return legacyStatusView(await this.find(id));
  }

  @Get('results/:id')
  @ApiRoute({
    tag: 'legacy',
    summary: "The original system's results (all of them; 404 until completed)",
    ok: { 200: ['every frame result', legacyResultsSchema] },
    errors: [404],
    legacyErrors: true,
  })
  @ApiJobId()
  async results(@Param('id') id: string, @Res() res: Response) {
    const job = await this.find(id);
    if (job.status !== 'completed') throw new DomainError('NOT_FOUND', 'Job not completed');
    // Stream the array page by page: a long job's results are never held in memory whole.
    res.status(200).type('application/json');
    res.write(`{"job_id":${JSON.stringify(job.id)},"results":[`);
    let first = true;
    for await (const r of this.queries.allResults(job.id)) {
      res.write(`${first ? '' : ','}${JSON.stringify({ frame_index: r.frame_index, result: r.result })}`);
      first = false;
    }
    res.end(`],"created_at":${JSON.stringify(job.created_at.toISOString())},"updated_at":${JSON.stringify(job.updated_at.toISOString())}}`);
  }

  private async find(id: string) {
    if (!UUID.test(id)) throw new DomainError('NOT_FOUND', 'Job not found');
    try {
      return await this.queries.getJob(id);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') throw new DomainError('NOT_FOUND', 'Job not found');
      throw err;
    }
  }
}
