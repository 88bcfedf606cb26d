import { randomUUID } from 'node:crypto';
import { DomainError, textTrackSchema, type TextTrack } from '@framewire/contracts';
import { JobsRepository, TracksRepository, type CreateJobInput } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';

jest.setTimeout(60_000);

function jobInput(): CreateJobInput {
  return {
    pipeline_id: 'ocr',
    input_key: `inputs/${randomUUID()}.mp4`,
    input_size: 1000,
    input_sha256: 'b'.repeat(64),
    frame_stride: 5,
    max_frames: null,
  };
}

function track(index: number, overrides: Partial<TextTrack> = {}): TextTrack {
  const bbox = { x: 10 + index, y: 20, width: 100, height: 30 };
  const bboxNorm = { x: bbox.x / 640, y: 20 / 360, width: 100 / 640, height: 30 / 360 };
  const polygon: [number, number][] = [
    [bbox.x, 20],
    [bbox.x + 100, 20],
    [bbox.x + 100, 50],
    [bbox.x, 50],
  ];
  const polygonNorm = polygon.map(([x, y]) => [x / 640, y / 360] as [number, number]);
  return {
    track_index: index,
    output: 'read',
    kind: 'text',
    text: `TEXT ${index} "quoted" \\ ok`,
    confidence: 0.9,
    start_ms: index * 1000,
    end_ms: index * 1000 + 600,
    first_frame: index * 25,
    last_frame: index * 25 + 10,
    frame_count: 2,
    bbox,
    bbox_norm: bboxNorm,
    boxes: [0, 10].map((d) => ({
      frame_index: index * 25 + d,
      pts_ms: index * 1000 + d * 40,
      polygon,
      bbox,
      polygon_norm: polygonNorm,
      bbox_norm: bboxNorm,
      text: `TEXT ${index} "quoted" \\ ok`,
      score: 0.9,
    })),
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return err instanceof DomainError ? err.code : String(err);
  }
  return undefined;
}

describe('TracksRepository', () => {
  let db: TestDatabase;
  let jobs: JobsRepository;
  let tracks: TracksRepository;
  beforeAll(async () => {
    db = await createTestDatabase();
    jobs = new JobsRepository(db.dataSource);
    tracks = new TracksRepository(db.dataSource);
  });
  afterAll(() => db.drop());

  async function newJob(): Promise<string> {
    return (await jobs.createPending(jobInput())).job.id;
  }

  it('stores tracks and pages them back as they went in, in track_index order', async () => {
    const id = await newJob();
    expect(await tracks.state(id)).toBeNull();
    const all = [track(0), track(1), track(2, { kind: 'region', output: 'detect', text: null }), track(3), track(4)];
    expect(await tracks.replaceForJob(id, [...all].reverse(), { final: false, framesSeen: 40 })).toBe(true);

    const first = await tracks.page(id, { limit: 2 });
    expect(first.items).toEqual(all.slice(0, 2));
    expect(first.next).toBe(1);
    const second = await tracks.page(id, { limit: 2, after: first.next });
    expect(second.items).toEqual(all.slice(2, 4));
    const last = await tracks.page(id, { limit: 2, after: second.next });
    expect(last).toEqual({ items: [all[4]], next: null });
    for (const t of first.items) expect(textTrackSchema.parse(t)).toEqual(t);

    const state = await tracks.state(id);
    expect(state).toMatchObject({ final: false, frames: 40, tracks: 5 });
    expect(state?.built_at).toBeInstanceOf(Date);
  });

  it('replaces the whole set: a rebuild with fewer tracks leaves none of the old ones; the same tracks twice give the same rows', async () => {
    const id = await newJob();
    await tracks.replaceForJob(id, [track(0), track(1), track(2)], { final: false, framesSeen: 10 });
    await tracks.replaceForJob(id, [track(0, { text: 'NEW' })], { final: true, framesSeen: 12 });
    expect((await tracks.page(id, { limit: 10 })).items.map((t) => t.text)).toEqual(['NEW']);
    await tracks.replaceForJob(id, [track(0, { text: 'NEW' })], { final: true, framesSeen: 12 });
    expect(await tracks.page(id, { limit: 10 })).toEqual({ items: [track(0, { text: 'NEW' })], next: null });
    expect(await tracks.state(id)).toMatchObject({ final: true, frames: 12, tracks: 1 });
  });

  it('a non-final build never replaces final tracks, nor a build that saw more frames; a final one always does', async () => {
    const id = await newJob();
    expect(await tracks.replaceForJob(id, [track(0), track(1)], { final: false, framesSeen: 20 })).toBe(true);
    expect(await tracks.replaceForJob(id, [track(0)], { final: false, framesSeen: 10 })).toBe(false);
    expect(await tracks.state(id)).toMatchObject({ final: false, frames: 20, tracks: 2 });
    expect(await tracks.replaceForJob(id, [track(0)], { final: true, framesSeen: 30 })).toBe(true);
    expect(await tracks.replaceForJob(id, [track(0), track(1)], { final: false, framesSeen: 40 })).toBe(false);
    expect(await tracks.state(id)).toMatchObject({ final: true, frames: 30, tracks: 1 });
    // Zero tracks, final (a pipeline without text outputs).
    expect(await tracks.replaceForJob(id, [], { final: true, framesSeen: 30 })).toBe(true);
    expect(await tracks.page(id, { limit: 10 })).toEqual({ items: [], next: null });
    expect(await tracks.state(id)).toMatchObject({ final: true, frames: 30, tracks: 0 });
  });

  it('concurrent first builds of one job queue on its build row: no key conflict, one of them stands', async () => {
    const id = await newJob();
    const builds = [1, 2, 3, 4].map((n) =>
      tracks.replaceForJob(
        id,
        Array.from({ length: n }, (_, i) => track(i)),
        { final: false, framesSeen: n },
      ),
    );
    await Promise.all(builds);
    const state = await tracks.state(id);
    expect(state?.frames).toBeGreaterThan(0);
    expect((await tracks.page(id, { limit: 10 })).items).toHaveLength(state?.frames ?? -1);
  });

  it('writes nothing for an unknown or malformed job id and answers it as empty', async () => {
    expect(await tracks.replaceForJob(randomUUID(), [track(0)], { final: true, framesSeen: 1 })).toBe(false);
    expect(await tracks.replaceForJob('nope', [track(0)], { final: true, framesSeen: 1 })).toBe(false);
    expect(await tracks.page('nope', { limit: 1 })).toEqual({ items: [], next: null });
    expect(await tracks.state('nope')).toBeNull();
  });

  it('refuses bad arguments with INVALID_ARGUMENT', async () => {
    const id = await newJob();
    expect(await codeOf(tracks.page(id, { limit: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(tracks.page(id, { limit: 1001 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(tracks.page(id, { limit: 1, after: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(tracks.replaceForJob(id, [track(0), track(0)], { final: true, framesSeen: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(tracks.replaceForJob(id, [], { final: true, framesSeen: -1 }))).toBe('INVALID_ARGUMENT');
  });

  it('go with their job: deleteFinished and a plain DELETE both remove them', async () => {
    const id = await newJob();
    await tracks.replaceForJob(id, [track(0)], { final: true, framesSeen: 1 });
    await db.dataSource.query(`UPDATE jobs SET status = 'completed' WHERE id = $1`, [id]);
    expect(await jobs.deleteFinished(id)).toBe('deleted');
    const other = await newJob();
    await tracks.replaceForJob(other, [track(0)], { final: true, framesSeen: 1 });
    await db.dataSource.query(`DELETE FROM jobs WHERE id = $1`, [other]);
    const left = await db.dataSource.query<{ n: number }[]>(
      `SELECT (SELECT count(*) FROM text_tracks WHERE job_id = ANY($1::uuid[]))::int
            + (SELECT count(*) FROM text_track_builds WHERE job_id = ANY($1::uuid[]))::int AS n`,
      [[id, other]],
    );
    expect(left[0]?.n).toBe(0);
  });
});
