import { isTerminal } from '@framewire/contracts';
import type { JobEvent } from '@framewire/contracts';
import type { FrameCounts, JobPatch, JobProjectionState, ProjectionRules } from '@framewire/persistence';

/**
 * How job events project into the jobs row. Pure: the ProjectionStore reads the
 * row under a lock, calls these, and writes the result.
 *
 * - Status only moves forward: pending → running → completed | failed | cancelled.
 *   A terminal status never changes, so a late `extracting` or `frames` never
 *   reopens a finished job, and `failed` or `cancelled` win over any
 *   non-terminal status.
 * - Facts are order-independent, so replays and out-of-order delivery converge:
 *   started_at and extracted_at keep the earliest time seen, the video metadata
 *   and frames_total keep the first value seen. Missing facts are still filled
 *   in on a terminal job (e.g. `extracting` arriving after completion).
 * - Frame counts come from frame_results (`counts`), never from event payloads,
 *   and freeze once the job is terminal.
 */
/** Returns only what changes: an empty patch means the event changes nothing. */
export function projectEvent(state: JobProjectionState, event: JobEvent, counts: FrameCounts | null): JobPatch {
  const at = new Date(event.at);
  const terminal = isTerminal(state.status);
  const patch: JobPatch = {};

  const markStarted = () => {
    if (state.status === 'pending') patch.status = 'running';
    if (state.started_at === null || at < state.started_at) patch.started_at = at;
  };
  const takeCounts = () => {
    if (counts === null || terminal) return;
    if (counts.done !== state.frames_done) patch.frames_done = counts.done;
    if (counts.failed !== state.frames_failed) patch.frames_failed = counts.failed;
  };
  const finish = (status: 'completed' | 'failed' | 'cancelled') => {
    patch.status = status;
    patch.finished_at = at;
  };

  switch (event.type) {
    case 'submitted':
      // intake created the row; the event is for the timeline.
      break;
    case 'extracting':
      markStarted();
      if (state.video === null) patch.video = event.video;
      break;
    case 'extracted':
      markStarted();
      if (state.frames_total === null) patch.frames_total = event.frames_total;
      if (state.extracted_at === null || at < state.extracted_at) patch.extracted_at = at;
      takeCounts();
      break;
    case 'frames':
      markStarted();
      takeCounts();
      break;
    case 'completed':
      if (terminal) break;
      finish('completed');
      if (state.frames_total === null) patch.frames_total = event.frames_total;
      // The completing stage's counts, unless frame_results already showed more.
      if (event.frames_done > state.frames_done) patch.frames_done = event.frames_done;
      if (event.frames_failed > state.frames_failed) patch.frames_failed = event.frames_failed;
      break;
    case 'failed':
      if (terminal) break;
      finish('failed');
      patch.error_code = event.error_code;
      patch.error_message = event.error_message;
      break;
    case 'cancelled':
      if (terminal) break;
      finish('cancelled');
      break;
    default: {
      const unknown: never = event;
      throw new Error(`no projection for event ${JSON.stringify(unknown)}`);
    }
  }

  return patch;
}

/** Every sampled frame has an outcome, and nothing else ended the job first. */
export function shouldComplete(state: JobProjectionState): boolean {
  return !isTerminal(state.status) && state.frames_total !== null && state.frames_done + state.frames_failed >= state.frames_total;
}

export const projectionRules: ProjectionRules = { project: projectEvent, shouldComplete };
