import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiParam } from '@nestjs/swagger';
import { DomainError } from '@framewire/contracts';
import { PipelinesService } from '../pipelines/pipelines.service';
import { ApiRoute } from './api-doc';
import { pipelineListSchema, pipelineSchema, pipelineValidationSchema } from './schemas';

/** The v1 pipelines API: list, show one (nodes, edges, entry/output nodes, tools with their types, pinned models), validate. */
@Controller('v1/pipelines')
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Get()
  @ApiRoute({
    tag: 'pipelines',
    summary: 'The pipelines on offer, with their nodes and the model files a job pins',
    ok: { 200: ['every pipeline', pipelineListSchema] },
  })
  list() {
    return { items: this.pipelines.list() };
  }

  @Get(':id')
  @ApiRoute({
    tag: 'pipelines',
    summary: 'One pipeline in full: nodes, edges, entry and output nodes, run order, tools with their types, pinned models',
    ok: { 200: ['the pipeline', pipelineSchema] },
    errors: [404],
  })
  @ApiParam({ name: 'id', description: 'pipeline id', schema: { type: 'string' }, required: true })
  get(@Param('id') id: string) {
    return this.pipelines.get(id);
  }

  /** A definition as the JSON body; 200 with {valid, errors} whether or not it is valid. */
  @Post('validate')
  @HttpCode(200)
  @ApiRoute({
    tag: 'pipelines',
    summary: 'Check a pipeline definition against the plugins on offer, listing every problem',
    description: 'Answers 200 whether or not the definition is valid.',
    ok: { 200: ['{valid, errors}', pipelineValidationSchema] },
    errors: [400],
  })
  // Any JSON: the definition is checked by the use case, which lists every problem rather than refusing the request.
  @ApiBody({ required: true, schema: { type: 'object', description: 'a pipeline definition (libs/pipelines/README.md)' } })
  validate(@Body() definition: unknown) {
    if (definition === undefined) {
      throw new DomainError('INVALID_ARGUMENT', 'send the pipeline definition as the JSON body (Content-Type: application/json)');
    }
    return this.pipelines.validate(definition);
  }
}
