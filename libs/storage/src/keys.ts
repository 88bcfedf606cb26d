import { DomainError } from '@framewire/contracts';

export const MAX_KEY_LENGTH = 512;
/** Longest key segment: a file name on common filesystems (NAME_MAX). */
export const MAX_KEY_SEGMENT_LENGTH = 255;
/**
 * First key segment reserved for the stores' own use (the filesystem store
 * stages writes under `<root>/.fw-tmp`). Rejected in every store, so that the
 * same keys are valid whatever the driver.
 */
export const RESERVED_KEY_PREFIX = '.fw-tmp';

const KEY_CHARS = /^[A-Za-z0-9._/-]+$/;

/**
 * The key if it is a valid object key, else INVALID_ARGUMENT: only
 * `[A-Za-z0-9._/-]`, at most 512 characters, no leading or trailing `/`, no
 * empty, `.` or `..` segments, segments at most 255 characters.
 */
export function validateKey(key: unknown): string {
  const reject = (why: string): never => {
    const shown = typeof key === 'string' ? JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key) : typeof key;
    throw new DomainError('INVALID_ARGUMENT', `invalid object key ${shown}: ${why}`);
  };
  if (typeof key !== 'string') return reject('not a string');
  if (key.length === 0) return reject('empty');
  if (key.length > MAX_KEY_LENGTH) return reject(`longer than ${MAX_KEY_LENGTH} characters`);
  if (!KEY_CHARS.test(key)) return reject('only letters, digits, ".", "_", "-" and "/" are allowed');
  if (key.startsWith('/')) return reject('must not start with "/"');
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') return reject('empty path segment');
    if (segment === '.' || segment === '..') return reject(`"${segment}" segment`);
    if (segment.length > MAX_KEY_SEGMENT_LENGTH) return reject(`segment longer than ${MAX_KEY_SEGMENT_LENGTH} characters`);
  }
  if (segments[0] === RESERVED_KEY_PREFIX) return reject(`"${RESERVED_KEY_PREFIX}/" is reserved`);
  return key;
}

/** The prefix if it is a valid key prefix (a valid key followed by `/`), else INVALID_ARGUMENT. */
export function validatePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.endsWith('/')) {
    throw new DomainError('INVALID_ARGUMENT', `invalid object key prefix ${JSON.stringify(prefix)}: must end with "/"`);
  }
  validateKey(prefix.slice(0, -1));
  return prefix;
}

export function isValidKey(key: unknown): key is string {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}

/** Digits a frame index is zero-padded to, so a job's frames list in order (longer indexes simply have more digits). */
export const FRAME_INDEX_DIGITS = 8;

function keySegment(what: string, value: string): string {
  if (value.length === 0 || value === '.' || value === '..' || value.includes('/') || !KEY_CHARS.test(value)) {
    throw new DomainError('INVALID_ARGUMENT', `invalid ${what} for an object key: ${JSON.stringify(value)}`);
  }
  return value;
}

/** The object-key layout shared by every stage. */
export const objectKeys = {
  /** The uploaded video of a job: `inputs/<jobId>/video`. */
  inputKey(jobId: string): string {
    return validateKey(`inputs/${keySegment('job id', jobId)}/video`);
  },
  /** A sampled frame of a job stored by reference: `frames/<jobId>/<frameIndex zero-padded to 8>.jpg`. */
  frameKey(jobId: string, frameIndex: number): string {
    if (!Number.isSafeInteger(frameIndex) || frameIndex < 0) {
      throw new DomainError('INVALID_ARGUMENT', `invalid frame index for an object key: ${String(frameIndex)}`);
    }
    return validateKey(`frames/${keySegment('job id', jobId)}/${String(frameIndex).padStart(FRAME_INDEX_DIGITS, '0')}.jpg`);
  },
  /** Prefix of every frame of a job: `frames/<jobId>/`. */
  framesPrefix(jobId: string): string {
    return `frames/${keySegment('job id', jobId)}/`;
  },
  /** Prefix of a job's input: `inputs/<jobId>/`. */
  inputPrefix(jobId: string): string {
    return `inputs/${keySegment('job id', jobId)}/`;
  },
  /** Prefix of the dead-letter bodies of a job (or of `_` for messages with no job): `dlq/<jobId>/`. */
  deadLetterPrefix(jobId: string | undefined): string {
    return `dlq/${jobId === undefined ? '_' : keySegment('job id', jobId)}/`;
  },
  /** The body of a dead letter stored by reference: `dlq/<jobId or _>/<stream>-<stream sequence>`. */
  deadLetterKey(jobId: string | undefined, stream: string, streamSeq: number): string {
    if (!Number.isSafeInteger(streamSeq) || streamSeq < 0) {
      throw new DomainError('INVALID_ARGUMENT', `invalid stream sequence for an object key: ${String(streamSeq)}`);
    }
    return validateKey(`${objectKeys.deadLetterPrefix(jobId)}${keySegment('stream', stream)}-${streamSeq}`);
  },
  /** Every prefix under which a job keeps objects: its input, its frames, its dead-letter bodies. */
  jobPrefixes(jobId: string): string[] {
    return [objectKeys.inputPrefix(jobId), objectKeys.framesPrefix(jobId), objectKeys.deadLetterPrefix(jobId)];
  },
} as const;
