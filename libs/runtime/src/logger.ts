import pino, { type Logger, type LoggerOptions } from 'pino';
import { currentContext } from './context';

export type { Logger } from 'pino';

export interface LoggerSettings {
  stage: string;
  workerId: string;
  level: string;
  /** `json` for machines, `pretty` for a terminal; `auto` picks pretty on a TTY. */
  format: 'json' | 'pretty' | 'auto';
}

const REDACT = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  '*.secretAccessKey',
  '*.secret_access_key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.url',
  // NATS credentials (FW_NATS_PASSWORD, FW_NATS_TOKEN), wherever connection options or a config end up in a line.
  'pass',
  '*.pass',
  'token',
  '*.token',
  '*.*.password',
  '*.*.token',
  '*.*.pass',
];

/** The redaction applied to every line (exported for its test). */
export const REDACTED_PATHS: readonly string[] = REDACT;

/** Structured JSON logs; every line names the stage, the worker and (when known) the job and trace. */
export function createLogger(settings: LoggerSettings): Logger {
  const pretty = settings.format === 'pretty' || (settings.format === 'auto' && process.stdout.isTTY === true);
  const options: LoggerOptions = {
    level: settings.level,
    base: { stage: settings.stage, worker_id: settings.workerId },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const ctx = currentContext();
      if (!ctx) return {};
      return { trace_id: ctx.traceId, job_id: ctx.jobId, frame_index: ctx.frameIndex };
    },
  };
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(options);
}
