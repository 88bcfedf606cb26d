import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from '@framewire/contracts';
import { DeadLetters } from '@framewire/messaging';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().min(0).default(0),
});

/** Operators' view of FW_DLQ: list dead letters with their reasons, replay one. */
@Controller('v1/dlq')
export class DlqController {
  constructor(private readonly dlq: DeadLetters) {}

  @Get()
  async list(@Query() query: Record<string, unknown>) {
    const q = listQuery.safeParse(query);
    if (!q.success)
      throw new DomainError(
        'INVALID_ARGUMENT',
        `invalid query: ${q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return this.dlq.list(q.data.cursor, q.data.limit);
  }

  @Post(':seq/replay')
  @HttpCode(202)
  async replay(@Param('seq') seq: string) {
    if (!/^\d{1,15}$/.test(seq)) throw new DomainError('INVALID_ARGUMENT', 'seq must be a dead letter sequence number');
    return this.dlq.replay(Number(seq));
  }
}
