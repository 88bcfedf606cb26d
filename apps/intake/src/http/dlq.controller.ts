import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { DeadLetters } from '@framewire/messaging';
import { ApiRoute } from './api-doc';
import { DlqListQueryDto, DlqSeqParamsDto } from './dtos';
import { deadLetterPageSchema, replayedSchema } from './schemas';

/** Operators' view of FW_DLQ: list dead letters with their reasons, replay one. */
@Controller('v1/dlq')
export class DlqController {
  constructor(private readonly dlq: DeadLetters) {}

  @Get()
  @ApiRoute({
    tag: 'operations',
    summary: 'Dead letters: work that exhausted its deliveries, with the reason',
    ok: { 200: ['a page of dead letters', deadLetterPageSchema] },
    errors: [400],
  })
  async list(@Query() query: DlqListQueryDto) {
    return this.dlq.list(query.cursor, query.limit);
  }

  @Post(':seq/replay')
  @HttpCode(202)
  @ApiRoute({
    tag: 'operations',
    summary: 'Put a dead letter back on its work subject',
    ok: { 202: ['replayed', replayedSchema] },
    errors: [400, 404, 409],
  })
  async replay(@Param() params: DlqSeqParamsDto) {
    return this.dlq.replay(params.seq);
  }
}
