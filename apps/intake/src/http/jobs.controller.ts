import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '@framewire/contracts';
import { CancelService } from '../jobs/cancel.service';
import { DeleteService } from '../jobs/delete.service';
import { QueryService } from '../jobs/query.service';
import { checkIdempotencyKey, SubmitService } from '../jobs/submit.service';
import { jobMetricsView, jobView, resultView } from '../jobs/views';

/** The v1 jobs API. Thin: validate, call one use case, shape the answer. */
@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly submitter: SubmitService,
    private readonly queries: QueryService,
    private readonly cancels: CancelService,
    private readonly deleter: DeleteService,
  ) {}

  @Post()
  @HttpCode(202)
  async submit(@Req() req: Request, @Headers('idempotency-key') idempotencyKey?: string) {
    const { job } = await this.submitter.submitUpload(req, { idempotencyKey: checkIdempotencyKey(idempotencyKey) });
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

  @Get(':id/metrics')
  async metrics(@Param('id') id: string) {
    return jobMetricsView(await this.queries.getJob(id));
  }

  @Post(':id/cancel')
  @HttpCode(202)
  async cancel(@Param('id') id: string, @Body() body: unknown) {
    const accepted = await this.cancels.cancel(id, cancelReason(body));
    return { ...jobView(accepted.job), status: accepted.status };
  }

  /** A finished job and everything of it; 409 for a pending or running one (cancel it first). */
  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    await this.deleter.deleteJob(id, 'request');
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

function cancelReason(body: unknown): string | null {
  const reason = body && typeof body === 'object' ? (body as { reason?: unknown }).reason : undefined;
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string' || reason.length > 500)
    throw new DomainError('INVALID_ARGUMENT', 'reason must be a string of at most 500 characters');
  return reason;
}
