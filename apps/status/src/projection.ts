import { isTerminal } from '@framewire/contracts';
import type { JobEvent, JobStatus } from '@framewire/contracts';
import type { FrameCounts, JobPatch, JobProjectionState } from '@framewire/persistence';

/**
 * Where a job's status is decided: how job events project into the jobs row.
 * Pure: the ProjectionStore (./projection-store.ts) reads the row under a lock,
 * calls decide(), and writes what it returns. Nothing else writes a job's
 * status; a stage that wants a job failed or cancelled publishes the event.
 *
 * - Status only moves forward (advances()): pending → running → completed |
 *   failed | cancelled. A terminal status never changes, so a late `extracting`
 *   or `frames` never reopens a finished job, and `failed` or `cancelled` win
 *   over any non-terminal status.
 * - Facts are order-independent, so replays and out-of-order delivery converge:
 *   started_at and extracted_at keep the earliest time seen, the video metadata
 *   and frames_total keep the first value seen. Missing facts are still filled
 *   in on a terminal job (e.g. `extracting` arriving after completion).
 * - Frame counts come from frame_results (`counts`), never from event payloads,
 *   and freeze once the job is terminal.
 */
const STATUS_RANK: Record<JobStatus, number> = { pending: 0, running: 1, completed: 2, failed: 2, cancelled: 2 };

/** The forward-only rule, the one place it is stated: whether a job may move from `from` to `to`. */
export function advances(from: JobStatus, to: JobStatus): boolean {
  return STATUS_RANK[to] > STATUS_RANK[from];
}

/** Returns only what changes: an empty patch means the event changes nothing. */
export function projectEvent(state: JobProjectionState, event: JobEvent, counts: FrameCounts | null): JobPatch {
  const at = new Date(event.at);
  const terminal = isTerminal(state.status);
  const patch: JobPatch = {};

  const markStarted = () => {
    if (advances(state.status, 'running')) patch.status = 'running';
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
      // Reported with the total, by the same extraction (a redelivered one decides the same frames).
      if (event.frames_reused !== undefined && event.frames_reused !== state.frames_reused) patch.frames_reused = event.frames_reused;
      if (state.extracted_at === null || at < state.extracted_at) patch.extracted_at = at;
      takeCounts();
      break;
    case 'frames':
      markStarted();
      takeCounts();
      break;
    case 'tracks':
      // The status service published it (its tracks are stored); the event is for the timeline.
      break;
    case 'completed':
      if (!advances(state.status, 'completed')) break;
      finish('completed');
      if (state.frames_total === null) patch.frames_total = event.frames_total;
      // The completing stage's counts, unless frame_results already showed more.
      if (event.frames_done > state.frames_done) patch.frames_done = event.frames_done;
      if (event.frames_failed > state.frames_failed) patch.frames_failed = event.frames_failed;
      break;
    case 'failed':
      if (!advances(state.status, 'failed')) break;
      finish('failed');
      patch.error_code = event.error_code;
      patch.error_message = event.error_message;
      break;
    case 'cancelled':
      if (!advances(state.status, 'cancelled')) break;
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
  return (
    advances(state.status, 'completed') && state.frames_total !== null && state.frames_done + state.frames_failed >= state.frames_total
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  const va = a as Record<string, unknown>;
  const vb = b as Record<string, unknown>;
  return [...new Set([...Object.keys(va), ...Object.keys(vb)])].every((k) => va[k] === vb[k]);
}

/** The entries of `patch` that differ from `state`. */
export function effectivePatch(state: JobProjectionState, patch: JobPatch): JobPatch {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!sameValue(state[key as keyof JobProjectionState], value)) out[key] = value;
  }
  return out;
}

function latest(...dates: (Date | null)[]): Date {
  return new Date(Math.max(...dates.filter((d): d is Date => d !== null).map((d) => d.getTime())));
}

/**
 * The whole decision for one event: its patch, then completion when every
 * sampled frame has an outcome (finished_at: the latest of the event, start and
 * extraction), reduced to what actually changes. `counts` are frame_results'
 * counts, read under the job's row lock, for `frames` and `extracted` events;
 * null for the others.
 */
export function decide(state: JobProjectionState, event: JobEvent, counts: FrameCounts | null): JobPatch {
  const patch: JobPatch = { ...projectEvent(state, event, counts) };
  const next: JobProjectionState = { ...state, ...patch };
  if (shouldComplete(next)) {
    patch.status = 'completed';
    patch.finished_at = latest(new Date(event.at), next.started_at, next.extracted_at);
  }
  return effectivePatch(state, patch);
}
