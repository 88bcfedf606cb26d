import { textTrackSchema } from '@framewire/contracts';
import { buildTextTracks, buildTracksForVideo, type TrackFrame } from './builder';

const W = 640;
const H = 360;
const STEP = 500;

interface Line {
  text: string;
  x: number;
  y: number;
  w?: number;
  h?: number;
  conf?: number;
}

function line({ text, x, y, w = 200, h = 30, conf = 0.95 }: Line) {
  const polygon = [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ];
  return {
    text,
    confidence: conf,
    det_score: 0.9,
    polygon,
    bbox: { x, y, width: w, height: h },
    polygon_norm: polygon.map(([px, py]) => [px! / W, py! / H]),
    bbox_norm: { x: x / W, y: y / H, width: w / W, height: h / H },
  };
}

/** Samples every STEP ms (frame_stride 12 at 24 fps), each with the lines given for it. */
function ocrFrames(samples: Line[][]): TrackFrame[] {
  return samples.map((lines, i) => ({ frame_index: i * 12, pts_ms: i * STEP, result: { read: { lines: lines.map(line) } } }));
}

const FRAMEWIRE: Line = { text: 'FRAMEWIRE 2026', x: 66, y: 64 };
const times = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item);

describe('buildTextTracks', () => {
  it('links one steady line into one track: consensus text, start at the first sample, end at the sample after the last', () => {
    const frames = ocrFrames([...times(4, [FRAMEWIRE]), [], []]);
    const tracks = buildTextTracks(frames);
    expect(tracks).toHaveLength(1);
    const [t] = tracks;
    expect(t).toMatchObject({
      track_index: 0,
      output: 'read',
      kind: 'text',
      text: 'FRAMEWIRE 2026',
      confidence: 0.95,
      start_ms: 0,
      end_ms: 4 * STEP,
      first_frame: 0,
      last_frame: 36,
      frame_count: 4,
      bbox: { x: 66, y: 64, width: 200, height: 30 },
    });
    expect(t!.bbox_norm.x).toBeCloseTo(66 / W);
    expect(t!.boxes.map((b) => b.frame_index)).toEqual([0, 12, 24, 36]);
    expect(t!.boxes.every((b) => b.text === 'FRAMEWIRE 2026' && b.score === 0.95)).toBe(true);
    expect(textTrackSchema.parse(t)).toEqual(t);
  });

  it('ends a line seen in the last sample one interval later, capped at the duration', () => {
    const frames = ocrFrames(times(3, [FRAMEWIRE]));
    expect(buildTextTracks(frames)[0]).toMatchObject({ start_ms: 0, end_ms: 3 * STEP });
    expect(buildTextTracks(frames, { durationMs: 1200 })[0]?.end_ms).toBe(1200);
    expect(buildTextTracks(frames, { intervalMs: 100 })[0]?.end_ms).toBe(1100);
  });

  it('reading flicker: an occasional misread joins the track, and the consensus is the weighted majority', () => {
    const misread = { ...FRAMEWIRE, text: 'FRAMEW1RE 2O26', conf: 0.6 };
    const frames = ocrFrames([[FRAMEWIRE], [misread], [FRAMEWIRE], [FRAMEWIRE], [misread], [FRAMEWIRE]]);
    const tracks = buildTextTracks(frames);
    expect(tracks).toHaveLength(1);
    expect(tracks[0]).toMatchObject({ text: 'FRAMEWIRE 2026', confidence: 0.95, frame_count: 6 });
    expect(tracks[0]!.boxes.map((b) => b.text)).toEqual([
      'FRAMEWIRE 2026',
      'FRAMEW1RE 2O26',
      'FRAMEWIRE 2026',
      'FRAMEWIRE 2026',
      'FRAMEW1RE 2O26',
      'FRAMEWIRE 2026',
    ]);
  });

  it('confidence weighs the readings: two confident readings beat three doubtful ones', () => {
    const doubtful = { ...FRAMEWIRE, text: 'FRAMEWIRE 2028', conf: 0.3 };
    const frames = ocrFrames([[doubtful], [FRAMEWIRE], [doubtful], [FRAMEWIRE], [doubtful]]);
    expect(buildTextTracks(frames)[0]).toMatchObject({ text: 'FRAMEWIRE 2026', confidence: 0.95 });
  });

  it('detection flicker: a line missing from one sample continues the same track (frame_count counts what was seen)', () => {
    const frames = ocrFrames([[FRAMEWIRE], [], [FRAMEWIRE], [], [FRAMEWIRE], [FRAMEWIRE], []]);
    const tracks = buildTextTracks(frames);
    expect(tracks).toHaveLength(1);
    expect(tracks[0]).toMatchObject({ start_ms: 0, end_ms: 6 * STEP, frame_count: 4, first_frame: 0, last_frame: 60 });
  });

  it('a failed frame (null result) counts as a missed sample', () => {
    const frames = ocrFrames([[FRAMEWIRE], [FRAMEWIRE], [], [FRAMEWIRE]]);
    frames[2]!.result = null;
    expect(buildTextTracks(frames)).toHaveLength(1);
  });

  it('two missed samples in a row end the track: the line that comes back is a new one', () => {
    const frames = ocrFrames([[FRAMEWIRE], [FRAMEWIRE], [], [], [FRAMEWIRE]]);
    const tracks = buildTextTracks(frames);
    expect(tracks.map((t) => [t.start_ms, t.end_ms])).toEqual([
      [0, 2 * STEP],
      [4 * STEP, 5 * STEP],
    ]);
    expect(tracks.map((t) => t.track_index)).toEqual([0, 1]);
    expect(buildTextTracks(frames, { maxMissed: 2 })).toHaveLength(1);
  });

  it('two texts side by side stay two tracks, ordered top then left; the same text twice is two tracks too', () => {
    const left = { text: 'EXIT', x: 20, y: 100, w: 80 };
    const right = { text: 'EXIT', x: 400, y: 100, w: 80 };
    const above = { text: 'GATE 7', x: 250, y: 40, w: 100 };
    const frames = ocrFrames(times(5, [right, left, above]));
    const tracks = buildTextTracks(frames);
    expect(tracks.map((t) => [t.text, t.bbox.x, t.frame_count])).toEqual([
      ['GATE 7', 250, 5],
      ['EXIT', 20, 5],
      ['EXIT', 400, 5],
    ]);
    for (const t of tracks) expect(new Set(t.boxes.map((b) => b.bbox.x)).size).toBe(1);
  });

  it('text that changes in place is two tracks: the first ends where the second starts', () => {
    const truck = { text: 'TRUCK ABC 1234', x: 66, y: 64 };
    const frames = ocrFrames([...times(3, [FRAMEWIRE]), ...times(3, [truck])]);
    const tracks = buildTextTracks(frames);
    expect(tracks.map((t) => [t.text, t.start_ms, t.end_ms])).toEqual([
      ['FRAMEWIRE 2026', 0, 3 * STEP],
      ['TRUCK ABC 1234', 3 * STEP, 6 * STEP],
    ]);
  });

  it('a drifting line (a ticker, a moving sign) is one track, even moving more per sample than its boxes overlap', () => {
    const frames = ocrFrames(Array.from({ length: 8 }, (_, i) => [{ ...FRAMEWIRE, x: 20 + i * 150, w: 200 }]));
    const tracks = buildTextTracks(frames);
    expect(tracks).toHaveLength(1);
    expect(tracks[0]!.boxes.map((b) => b.bbox.x)).toEqual([20, 170, 320, 470, 620, 770, 920, 1070]);
    expect(tracks[0]!.bbox.x).toBe(20);
  });

  it('a drifting line read differently from sample to sample follows its speed (past the first step)', () => {
    const texts = ['SALE 50% OFF', 'SALE 5O% OFF', 'SALE 50% 0FF', 'SALE 50% OFF', 'SALE S0% OFF'];
    // 40 px, then 80 and 60 px a sample: past the first step consecutive boxes overlap by IoU 0.11 to 0.25 (< 0.3), where its speed puts them by more.
    const frames = ocrFrames(texts.map((text, i) => [{ text, x: 20 + i * 60, y: 200, w: 100, conf: 0.9 }]));
    frames[0]!.result = { read: { lines: [line({ text: texts[0]!, x: 20, y: 200, w: 100 }), line({ text: 'X', x: 600, y: 0, w: 10 })] } };
    frames[1]!.result = { read: { lines: [line({ text: texts[0]!, x: 60, y: 200, w: 100 })] } };
    const tracks = buildTextTracks(frames);
    expect(tracks.map((t) => [t.text, t.frame_count])).toEqual([
      ['X', 1],
      ['SALE 50% OFF', 5],
    ]);
  });

  it('a different text appearing elsewhere does not steal a track, and a line jumping across the frame is a new track', () => {
    const frames = ocrFrames([[FRAMEWIRE], [FRAMEWIRE], [{ ...FRAMEWIRE, x: 400, y: 300 }]]);
    expect(buildTextTracks(frames).map((t) => [t.start_ms, t.bbox.y])).toEqual([
      [0, 64],
      [2 * STEP, 300],
    ]);
  });

  it('matches best first: two similar lines crossing a near-same pair go to the closer readings', () => {
    const a = { text: 'LANE 1', x: 100, y: 100, w: 100 };
    const b = { text: 'LANE 2', x: 130, y: 100, w: 100 };
    const frames = ocrFrames([
      [a, b],
      [b, a],
      [a, b],
    ]);
    const tracks = buildTextTracks(frames);
    expect(tracks.map((t) => [t.text, t.frame_count])).toEqual([
      ['LANE 1', 3],
      ['LANE 2', 3],
    ]);
    for (const t of tracks) expect(t.boxes.every((box) => box.text === t.text)).toBe(true);
  });

  it('builds region tracks from text_regions (IoU only, no text) and keeps outputs apart', () => {
    const region = (x: number) => ({
      score: 0.8,
      polygon: [
        [x, 10],
        [x + 50, 10],
        [x + 50, 30],
        [x, 30],
      ],
      bbox: { x, y: 10, width: 50, height: 20 },
      polygon_norm: [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
      bbox_norm: { x: 0, y: 0, width: 1, height: 1 },
    });
    const frames: TrackFrame[] = [0, 1, 2].map((i) => ({
      frame_index: i,
      pts_ms: i * 100,
      result: { detect: { regions: [region(10 + i * 2)] }, read: { lines: [line({ text: 'HI', x: 10, y: 10, w: 50, h: 20 })] } },
    }));
    const tracks = buildTextTracks(frames);
    expect(tracks.map((t) => [t.output, t.kind, t.text, t.frame_count, Number(t.confidence.toFixed(6))])).toEqual([
      ['detect', 'region', null, 3, 0.8],
      ['read', 'text', 'HI', 3, 0.95],
    ]);
    expect(tracks[0]!.boxes.every((b) => b.text === null && b.score === 0.8)).toBe(true);
  });

  it('pipelines without text outputs (frame_stats) and blank frames give no tracks', () => {
    const stats: TrackFrame[] = [0, 1].map((i) => ({
      frame_index: i,
      pts_ms: i * 40,
      result: { stats: { mean: [1, 2, 3], sharpness: 4 } },
    }));
    expect(buildTextTracks(stats)).toEqual([]);
    expect(buildTextTracks(ocrFrames([[], [], []]))).toEqual([]);
    expect(buildTextTracks([])).toEqual([]);
  });

  it('is deterministic: frames in any order, or given twice, give the same tracks', () => {
    const truck = { text: 'TRUCK ABC 1234', x: 300, y: 200 };
    const frames = ocrFrames([[FRAMEWIRE], [FRAMEWIRE, truck], [truck], [], [truck, FRAMEWIRE]]);
    const once = buildTextTracks(frames);
    expect(buildTextTracks([...frames].reverse())).toEqual(once);
    expect(buildTextTracks([...frames, ...frames])).toEqual(once);
  });

  it('old rows without _norm: derived from the source size when known, else left equal to the pixels', () => {
    const old = { text: 'OLD', confidence: 0.9, det_score: 0.9, bbox: { x: 64, y: 36, width: 64, height: 36 } };
    const frames: TrackFrame[] = [{ frame_index: 0, pts_ms: 0, result: { read: { lines: [old, { text: 'no box' }] } } }];
    const withSize = buildTextTracks(frames, { sourceSize: { width: 640, height: 360 } });
    expect(withSize).toHaveLength(1);
    expect(withSize[0]!.bbox_norm).toEqual({ x: 0.1, y: 0.1, width: 0.1, height: 0.1 });
    expect(withSize[0]!.boxes[0]!.polygon).toEqual([
      [64, 36],
      [128, 36],
      [128, 72],
      [64, 72],
    ]);
    const without = buildTextTracks(frames);
    expect(without[0]!.bbox_norm).toEqual(old.bbox);
    expect(textTrackSchema.parse(without[0])).toEqual(without[0]);
  });
});

describe('buildTracksForVideo', () => {
  const video = { duration_ms: 1200, fps: 24, width: W, height: H };

  it('caps the last track at the duration and takes the interval from the stride when there is one sample', () => {
    expect(buildTracksForVideo(ocrFrames(times(3, [FRAMEWIRE])), { video, frameStride: 12 })[0]?.end_ms).toBe(1200);
    expect(buildTracksForVideo(ocrFrames([[FRAMEWIRE]]), { video, frameStride: 12 })[0]?.end_ms).toBe(500);
    expect(buildTracksForVideo(ocrFrames([[FRAMEWIRE]]), { video: null, frameStride: 12 })[0]?.end_ms).toBe(0);
  });

  it('takes the interval from sample_fps when the job sampled by time', () => {
    expect(buildTracksForVideo(ocrFrames([[FRAMEWIRE]]), { video, frameStride: 1, sampleFps: 4 })[0]?.end_ms).toBe(250);
    expect(buildTracksForVideo(ocrFrames([[FRAMEWIRE]]), { video: null, frameStride: 1, sampleFps: 2 })[0]?.end_ms).toBe(500);
  });
});
