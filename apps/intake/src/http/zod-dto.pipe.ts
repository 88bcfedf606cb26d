import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import type { ZodDto } from 'nestjs-zod';
import type { z } from 'zod';
import { parseInput } from '../jobs/queries';

function isZodDto(metatype: unknown): metatype is ZodDto<z.ZodType> {
  return typeof metatype === 'function' && (metatype as { isZodDto?: unknown }).isZodDto === true;
}

/**
 * Validates every `@Query()`, `@Body()` and `@Param()` typed with a zod DTO
 * (dtos.ts) against its schema; a refusal is the usual 400 INVALID_ARGUMENT
 * problem with one line per invalid parameter in `errors`. Other arguments
 * pass through untouched.
 */
@Injectable()
export class ZodDtoPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if (!isZodDto(meta.metatype) || meta.type === 'custom') return value;
    // No JSON body (or none at all) reads as an empty one: every body field is optional.
    const raw = meta.type === 'body' && (value === undefined || value === null) ? {} : value;
    return parseInput(meta.metatype.schema, raw, meta.type);
  }
}
