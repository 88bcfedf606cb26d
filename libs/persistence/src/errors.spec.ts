import { DomainError } from '@framewire/contracts';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, toDatabaseError, withDatabaseErrors } from './errors';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('database error mapping', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['connection reset', withCode('ECONNRESET')],
    ['dns failure', withCode('ENOTFOUND')],
    ['admin shutdown (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['crash shutdown (57P02)', withCode('57P02')],
    ['starting up (57P03)', withCode('57P03')],
    ['too many connections (53300)', withCode('53300')],
    ['connection exception class 08', withCode('08006')],
    ['deadlock', withCode('40P01')],
    ['pg lost the connection', new Error('Connection terminated unexpectedly')],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['wrapped by TypeORM', new QueryFailedError('SELECT 1', [], withCode('57P01'))],
    ['inside an AggregateError', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'x')],
    ['as a cause', new Error('outer', { cause: withCode('ECONNREFUSED') })],
  ])('%s is DATABASE_UNAVAILABLE', (_label, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    const mapped = toDatabaseError(err);
    expect(mapped).toBeInstanceOf(DomainError);
    expect((mapped as DomainError).code).toBe('DATABASE_UNAVAILABLE');
    expect((mapped as DomainError).retryable).toBe(true);
    expect((mapped as DomainError).cause).toBe(err);
  });

  it.each([
    ['unique violation', withCode('23505')],
    ['syntax error', withCode('42601')],
    ['bad uuid text', new QueryFailedError('SELECT 1', [], withCode('22P02'))],
    ['plain error', new Error('boom')],
    ['not an error', 'nope'],
  ])('%s passes through unchanged', (_label, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(toDatabaseError(err)).toBe(err);
  });

  it('leaves DomainErrors alone', () => {
    const err = new DomainError('NOT_FOUND', 'x');
    expect(toDatabaseError(err)).toBe(err);
  });

  it('withDatabaseErrors rethrows mapped errors', async () => {
    await expect(withDatabaseErrors(() => Promise.reject(withCode('ECONNREFUSED')))).rejects.toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
    });
    await expect(withDatabaseErrors(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
