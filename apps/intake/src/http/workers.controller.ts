import { Controller, Get, Query } from '@nestjs/common';
import { WorkersService } from '../workers/workers.service';

/** Operators' view of the running system: every live replica of every stage, with what it has done. */
@Controller('v1/workers')
export class WorkersController {
  constructor(private readonly workers: WorkersService) {}

  @Get()
  async list(@Query('stage') stage?: unknown) {
    return this.workers.list(stage);
  }
}
