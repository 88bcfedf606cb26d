import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS } from './logger';

/** The same redaction as createLogger, into a buffer. */
function capture(obj: object): string {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  pino({ redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } }, sink).info(obj, 'line');
  return out;
}

describe('log redaction', () => {
  it('hides NATS passwords and tokens in connection options and configs', () => {
    const line = capture({
      pass: 'p1-secret',
      token: 't1-secret',
      opts: { user: 'framewire', pass: 'p2-secret', token: 't2-secret' },
      config: { nats: { user: 'framewire', password: 'p3-secret', token: 't3-secret' } },
    });
    expect(line).not.toMatch(/p[123]-secret|t[123]-secret/);
    expect(line).toContain('framewire');
  });
});
