import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes } from '@nestjs/swagger';

/**
 * The multipart submit body, written by hand: the route streams it through
 * its own parser (upload/multipart.ts), so there is no DTO to derive it from.
 */
export const ApiSubmitBody = (): MethodDecorator =>
  applyDecorators(
    ApiConsumes('multipart/form-data'),
    ApiBody({
      required: true,
      schema: {
        type: 'object',
        required: ['file'],
        properties: {
          file: { type: 'string', format: 'binary', description: 'the video; checked by content, not by name' },
          pipeline_id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'see GET /v1/pipelines' },
          frame_stride: { type: 'integer', minimum: 1, maximum: 100000, default: 1, description: 'keep every n-th decoded frame' },
          max_frames: { type: 'integer', minimum: 1, maximum: 1000000, description: 'stop after this many sampled frames' },
          client_tag: { type: 'string', maxLength: 128 },
          retention_days: {
            type: 'integer',
            minimum: 0,
            maximum: 36500,
            description: 'days the job is kept once finished (0: removed at the next sweep); default FW_RETENTION_DAYS',
          },
          callback_url: {
            type: 'string',
            format: 'uri',
            maxLength: 2048,
            description:
              'http(s) URL POSTed on each terminal state (signed: Framewire-Signature); a private, loopback or link-local host is 422 CALLBACK_URL_REFUSED',
          },
        },
      },
    }),
  );
