import { Controller, Get, Query } from '@nestjs/common';
import { WorkersService } from '../workers/workers.service';
import { ApiRoute } from './api-doc';
import { WorkersQueryDto } from './dtos';
import { workerListSchema } from './schemas';

/** Operators' view of the running system: every live replica of every stage, with what it has done. */
@Controller('v1/workers')
export class WorkersController {
  constructor(private readonly workers: WorkersService) {}

  @Get()
  @ApiRoute({
    tag: 'operations',
    summary: 'Live replicas of every stage, with what each has done since it started',
    description:
      'Every replica heart-beats into the worker registry (NATS KV `fw_workers`) every FW_HEARTBEAT_INTERVAL_MS; ' +
      'one that has been silent for FW_WORKER_TTL_MS (killed, partitioned) is not listed. Sorted by stage, then worker id.',
    ok: { 200: ['the live replicas', workerListSchema] },
    errors: [400, 503],
  })
  async list(@Query() query: WorkersQueryDto) {
    return this.workers.list(query.stage);
  }
}
