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
          sample_fps: {
            type: 'number',
            minimum: 0.001,
            maximum: 240,
            description:
              'sample by time: the first frame at or after each multiple of 1/sample_fps s from start_ms (right on variable frame rate video); not with a frame_stride other than 1',
          },
          sample: {
            type: 'string',
            enum: ['frames', 'keyframes'],
            default: 'frames',
            description:
              '`keyframes`: decode and analyse only the keyframes (`-skip_frame nokey`: a fast preview of a long video), each at its index in the whole video; not with sample_fps or a frame_stride other than 1, start_ms/end_ms narrow it',
          },
          start_ms: {
            type: 'integer',
            minimum: 0,
            description: 'analyse frames from this pts on (ms); at or past the end of the video: 422 RANGE_OUTSIDE_VIDEO',
          },
          end_ms: {
            type: 'integer',
            minimum: 1,
            description: 'analyse frames before this pts (ms, > start_ms); past the end of the video means to its end',
          },
          max_frames: { type: 'integer', minimum: 1, maximum: 1000000, description: 'stop after this many sampled frames' },
          client_tag: { type: 'string', maxLength: 128 },
          retention_days: {
            type: 'integer',
            minimum: 0,
            maximum: 36500,
            description: 'days the job is kept once finished (0: removed at the next sweep); default FW_RETENTION_DAYS',
          },
          reuse: {
            type: 'boolean',
            default: true,
            description:
              'temporal reuse: a sampled frame that looks the same as the last computed one gets its result without running the models (results show reused_from); false: every frame runs them',
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
