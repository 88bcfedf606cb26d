import { DomainError } from '@framewire/contracts';
import { CancelBodyDto, DlqSeqParamsDto, ListJobsQueryDto, WorkersQueryDto } from './dtos';
import { ZodDtoPipe } from './zod-dto.pipe';

describe('ZodDtoPipe', () => {
  const pipe = new ZodDtoPipe();

  it('parses a DTO-typed query, body or path with its zod schema', () => {
    expect(pipe.transform({ limit: '5', status: 'failed' }, { type: 'query', metatype: ListJobsQueryDto })).toEqual({
      limit: 5,
      status: 'failed',
    });
    expect(pipe.transform({}, { type: 'query', metatype: ListJobsQueryDto })).toEqual({ limit: 50 });
    expect(pipe.transform({ seq: '42' }, { type: 'param', metatype: DlqSeqParamsDto })).toEqual({ seq: 42 });
    // No JSON body at all reads as an empty one.
    expect(pipe.transform(undefined, { type: 'body', metatype: CancelBodyDto })).toEqual({});
  });

  it('refuses with INVALID_ARGUMENT and one line per invalid parameter', () => {
    let err: unknown;
    try {
      pipe.transform({ limit: '5000', status: 'lost' }, { type: 'query', metatype: ListJobsQueryDto });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^invalid query: /),
      details: { errors: [expect.stringMatching(/^status: status must be one of/), 'limit: limit must be <= 1000'] },
    });
    expect(() => pipe.transform({ stage: 'gpu' }, { type: 'query', metatype: WorkersQueryDto })).toThrow(/stage: must be one of/);
    expect(() => pipe.transform({ reason: 'x'.repeat(501) }, { type: 'body', metatype: CancelBodyDto })).toThrow(
      /reason must be a string of at most 500 characters/,
    );
    expect(() => pipe.transform({ seq: 'abc' }, { type: 'param', metatype: DlqSeqParamsDto })).toThrow(/seq must be/);
  });

  it('leaves arguments without a zod DTO alone', () => {
    const raw = { anything: 1 };
    expect(pipe.transform(raw, { type: 'body', metatype: Object })).toBe(raw);
    expect(pipe.transform('abc', { type: 'param', metatype: String, data: 'id' })).toBe('abc');
  });
});
