import { JOB_STATUSES, type JobStatus as DomainJobStatus } from '@framewire/contracts';
import { JobStatus } from './generated/framewire/v1/jobs';

const TO_PROTO: Record<DomainJobStatus, JobStatus> = {
  pending: JobStatus.JOB_STATUS_PENDING,
  running: JobStatus.JOB_STATUS_RUNNING,
  completed: JobStatus.JOB_STATUS_COMPLETED,
  failed: JobStatus.JOB_STATUS_FAILED,
  cancelled: JobStatus.JOB_STATUS_CANCELLED,
};

export function toProtoStatus(status: DomainJobStatus): JobStatus {
  return TO_PROTO[status];
}

/** The domain status of a proto one; undefined for UNSPECIFIED (and values this build does not know). */
export function fromProtoStatus(status: JobStatus): DomainJobStatus | undefined {
  return JOB_STATUSES.find((s) => TO_PROTO[s] === status);
}
