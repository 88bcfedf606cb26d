/** Trailing metadata of a failed call: the stable Framewire error code (the HTTP problem's `code`). */
export const ERROR_CODE_METADATA_KEY = 'fw-error-code';

/** Trailing metadata of an OVERLOADED (RESOURCE_EXHAUSTED) call: seconds to wait before retrying, as HTTP's Retry-After. */
export const RETRY_AFTER_METADATA_KEY = 'retry-after';

/** The fully-qualified name of the jobs service (health checks and reflection use it). */
export const JOB_SERVICE_NAME = 'framewire.v1.JobService';
