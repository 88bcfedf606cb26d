import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '@framewire/contracts';
import { QueryService } from '../jobs/query.service';
import { SubmitService } from '../jobs/submit.service';
import { jobView, resultView } from '../jobs/views';

/** The v1 jobs API. Thin: validate, call one use case, shape the answer. */
@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly submitter: SubmitService,
    private readonly queries: QueryService,
  ) {}

  @Post()
  @HttpCode(202)
  async submit(@Req() req: Request, @Headers('idempotency-key') idempotencyKey?: string) {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,128}$/.test(idempotencyKey)) {
      throw new DomainError('INVALID_ARGUMENT', 'Idempotency-Key must be 1-128 printable ASCII characters');
    }
    const { job } = await this.submitter.submitUpload(req, { idempotencyKey: idempotencyKey ?? null });
    return jobView(job);
  }

  @Get()
  async list(@Query() query: Record<string, unknown>) {
    const page = await this.queries.listJobs(query);
    return { items: page.items.map(jobView), next_cursor: page.next_cursor };
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return jobView(await this.queries.getJob(id));
  }

  @Get(':id/results')
  async results(@Param('id') id: string, @Query() query: Record<string, unknown>) {
    const page = await this.queries.resultsPage(id, query);
    return {
      job_id: page.job.id,
      status: page.job.status,
      items: page.items.map(resultView),
      next_cursor: page.next_cursor,
    };
  }
}
