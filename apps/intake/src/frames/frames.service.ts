import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, isTerminal, type FrameGeometry } from '@framewire/contracts';
import { FrameResultsRepository } from '@framewire/persistence';
import { OBJECT_STORE, objectKeys, type ObjectStore } from '@framewire/storage';
import { QueryService } from '../jobs/query.service';
import { FrameAnnotator, type FrameImage } from './annotator';

/** Bumped when the drawing changes, so that annotated frames cached by clients are drawn again. */
const OVERLAY_VERSION = 1;

/** A stored frame found: what to answer with before reading it. */
export interface FrameRef {
  jobId: string;
  frameIndex: number;
  key: string;
  /** Of the stored frame. */
  size: number;
  /** Strong for the stored frame, weak for an annotated one (a drawing of the frame and its result), quoted. */
  etag: string;
  /** Whether the answer can change: a raw frame never does, an annotated one until its job has finished. */
  final: boolean;
  /** Set when the frame is to be annotated: its result (null while it has none) and geometry. */
  annotate: { result: unknown; geometry: FrameGeometry | null } | null;
}

/**
 * The sampled frames of a job as the extractor stored them (objectKeys.frameKey,
 * kept while the job is: FW_KEEP_FRAMES), raw or with the frame's result drawn
 * over them. A job that is unknown, a frame that was not sampled, or one that
 * is gone (retention, or not kept) is NOT_FOUND.
 */
@Injectable()
export class FramesService {
  constructor(
    private readonly queries: QueryService,
    private readonly results: FrameResultsRepository,
    private readonly annotator: FrameAnnotator,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  async find(jobId: string, frameIndex: number, annotate: boolean): Promise<FrameRef> {
    const job = await this.queries.getJob(jobId);
    const key = objectKeys.frameKey(job.id, frameIndex);
    const [head, row] = await Promise.all([this.store.head(key), this.resultOf(job.id, frameIndex)]);
    if (!head) {
      const why = row
        ? 'is no longer stored (removed, or the extractor did not keep frames: FW_KEEP_FRAMES=false)'
        : isTerminal(job.status)
          ? 'was not sampled'
          : 'is not stored (not sampled, or not extracted yet)';
      throw new DomainError('NOT_FOUND', `frame ${frameIndex} of job ${job.id} ${why}`);
    }
    if (!annotate) return { jobId: job.id, frameIndex, key, size: head.size, etag: `"${head.etag}"`, final: true, annotate: null };
    const drawn = { result: row?.result ?? null, geometry: row?.geometry ?? null };
    const digest = createHash('sha256')
      .update(JSON.stringify([OVERLAY_VERSION, head.etag, drawn.result, drawn.geometry]))
      .digest('base64url')
      .slice(0, 27);
    return { jobId: job.id, frameIndex, key, size: head.size, etag: `W/"a-${digest}"`, final: isTerminal(job.status), annotate: drawn };
  }

  /** The stored frame's bytes as a stream (NOT_FOUND if it went in between). */
  open(ref: FrameRef): Promise<Readable> {
    return this.store.get(ref.key);
  }

  /** The frame as one JPEG with its size: annotated when the ref asks for it. */
  async image(ref: FrameRef): Promise<FrameImage> {
    const jpeg = await this.store.getBytes(ref.key);
    if (ref.annotate) return this.annotator.annotate(jpeg, ref.annotate.result, ref.annotate.geometry);
    return { jpeg, ...(await this.annotator.size(jpeg)) };
  }

  private async resultOf(jobId: string, frameIndex: number) {
    const page = await this.results.page(jobId, { afterFrameIndex: frameIndex - 1, limit: 1 });
    const row = page.items[0];
    return row && row.frame_index === frameIndex ? row : null;
  }
}

/** Whether an If-None-Match header matches `etag` (weak comparison, RFC 9110 13.1.2). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.trim() === '*' || header.split(',').some((t) => bare(t) === bare(etag));
}
