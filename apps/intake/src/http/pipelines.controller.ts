import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { DomainError } from '@framewire/contracts';
import { PipelinesService } from '../pipelines/pipelines.service';

/** The v1 pipelines API: list, show one (nodes, edges, entry/output nodes, tools with their types, pinned models), validate. */
@Controller('v1/pipelines')
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Get()
  list() {
    return { items: this.pipelines.list() };
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.pipelines.get(id);
  }

  /** A definition as the JSON body; 200 with {valid, errors} whether or not it is valid. */
  @Post('validate')
  @HttpCode(200)
  validate(@Body() definition: unknown) {
    if (definition === undefined) {
      throw new DomainError('INVALID_ARGUMENT', 'send the pipeline definition as the JSON body (Content-Type: application/json)');
    }
    return this.pipelines.validate(definition);
  }
}
