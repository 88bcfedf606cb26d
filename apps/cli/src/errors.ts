import { status, type ServiceError } from '@grpc/grpc-js';
import { describeError, isDomainError } from '@framewire/contracts';
import { ERROR_CODE_METADATA_KEY } from '@framewire/grpc';

/** An error the CLI reports as one line, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = {
  ok: 0,
  /** The command failed, or the job it followed did not complete. */
  failed: 1,
  /** Bad usage: unknown command or option, bad value. */
  usage: 2,
  /** The API could not be reached. */
  unreachable: 3,
} as const;

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'metadata' in err;
}

/** One line for any failure: the server's own message (the HTTP `detail`) and its stable code. */
export function describeFailure(err: unknown, server: string): { line: string; exitCode: number } {
  if (err instanceof CliError) return { line: err.message, exitCode: err.exitCode };
  if (isServiceError(err)) {
    const code = err.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
    if (err.code === status.UNAVAILABLE && code === undefined) {
      return {
        line: `cannot reach the Framewire API at ${server} (is intake running? set --server or FW_GRPC_ADDR)`,
        exitCode: EXIT.unreachable,
      };
    }
    if (err.code === status.DEADLINE_EXCEEDED && code === undefined) {
      return { line: `the Framewire API at ${server} did not answer in time`, exitCode: EXIT.unreachable };
    }
    if (err.code === status.UNAUTHENTICATED) {
      return { line: `${err.details} — pass --api-key or set FW_API_KEY`, exitCode: EXIT.failed };
    }
    return { line: `${err.details || status[err.code]} (${typeof code === 'string' ? code : status[err.code]})`, exitCode: EXIT.failed };
  }
  if (isDomainError(err)) return { line: `${err.message} (${err.code})`, exitCode: EXIT.failed };
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' && e.path) return { line: `no such file: ${e.path}`, exitCode: EXIT.failed };
  if (e?.code === 'EISDIR' && e.path) return { line: `is a directory, not a video: ${e.path}`, exitCode: EXIT.failed };
  return { line: describeError(err), exitCode: EXIT.failed };
}
