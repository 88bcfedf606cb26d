import type { FrameStatsResult, TextLineResult, TextRegionResult, TextTrack as DomainTextTrack } from '@framewire/contracts';
import { FrameResult, TextTrackKind, ListTracksResponse, JobStatus } from '@framewire/grpc';
import type { FrameResultRecord } from '@framewire/persistence';
import { FIXTURE_JOB_ID } from '../jobs/job-record.fixture';
import { frameResultMessage, nodeOutputMessage, textTrackMessage } from './mappers';

const located = {
  polygon: [
    [2400, 1600],
    [2900, 1600],
    [2900, 1680],
    [2400, 1680],
  ] as [number, number][],
  bbox: { x: 2400, y: 1600, width: 500, height: 80 },
  polygon_norm: [
    [0.625, 0.7407],
    [0.7552, 0.7407],
    [0.7552, 0.7778],
    [0.625, 0.7778],
  ] as [number, number][],
  bbox_norm: { x: 0.625, y: 0.7407, width: 0.1302, height: 0.037 },
};
const points = [
  { x: 2400, y: 1600 },
  { x: 2900, y: 1600 },
  { x: 2900, y: 1680 },
  { x: 2400, y: 1680 },
];
const pointsNorm = [
  { x: 0.625, y: 0.7407 },
  { x: 0.7552, y: 0.7407 },
  { x: 0.7552, y: 0.7778 },
  { x: 0.625, y: 0.7778 },
];
const typedLocated = {
  polygon: points,
  bbox: { x: 2400, y: 1600, width: 500, height: 80 },
  polygonNorm: pointsNorm,
  bboxNorm: { x: 0.625, y: 0.7407, width: 0.1302, height: 0.037 },
};

const region: TextRegionResult = { ...located, score: 0.91, angle: 180, angle_score: 0.97 };
const line: TextLineResult = { ...located, text: 'FOUR K TEXT', confidence: 0.98, det_score: 0.9 };
const stats: FrameStatsResult = {
  width: 320,
  height: 240,
  brightness: 0.1176,
  contrast: 0.02,
  sharpness: 1.5,
  entropy: 0.3,
  dominant_colours: [{ hex: '#1e1e1e', rgb: [30, 30, 30], share: 1 }],
};

/** A frame result as intake stores it, with `result` by output node. */
function record(result: Record<string, unknown> | null): FrameResultRecord {
  return {
    job_id: FIXTURE_JOB_ID,
    frame_index: 7,
    pts_ms: 233.333,
    result,
    error: result === null ? 'boom' : null,
    timings_ms: {},
    worker_id: 'w',
    geometry: null,
    reused_from: null,
    created_at: new Date(),
    updated_at: new Date(),
  };
}

/** What a client receives: the message after protobuf encoding and decoding. */
const overTheWire = (m: FrameResult) => FrameResult.decode(FrameResult.encode(m).finish());

describe('gRPC typed results (FrameResult.outputs)', () => {
  it('types text regions (text_regions, classify_angle), every field, and they survive the wire', () => {
    const m = overTheWire(frameResultMessage(record({ detect: { regions: [region, { ...located, score: 0.5 }] } })));
    expect(m.outputs).toEqual({
      detect: {
        value: {
          $case: 'textRegions',
          textRegions: {
            regions: [
              { ...typedLocated, score: 0.91, angle: 180, angleScore: 0.97 },
              { ...typedLocated, score: 0.5, angle: undefined, angleScore: undefined },
            ],
          },
        },
      },
    });
    // The deprecated Struct still carries the same output, for older clients.
    expect(m.result).toEqual({ detect: { regions: [region, { ...located, score: 0.5 }] } });
  });

  it('types text lines (ocr) with the text read', () => {
    const m = overTheWire(frameResultMessage(record({ read: { lines: [line, { ...line, text: 'UPSIDE', angle: 0 }] } })));
    expect(m.outputs.read.value).toEqual({
      $case: 'textLines',
      textLines: {
        lines: [
          { ...typedLocated, text: 'FOUR K TEXT', confidence: 0.98, detScore: 0.9, angle: undefined },
          { ...typedLocated, text: 'UPSIDE', confidence: 0.98, detScore: 0.9, angle: 0 },
        ],
      },
    });
  });

  it('types text lines stored before the _norm forms existed, leaving those empty', () => {
    const { polygon_norm: _p, bbox_norm: _b, ...legacy } = line;
    const m = overTheWire(frameResultMessage(record({ read: { lines: [legacy] } })));
    expect(m.outputs.read.value).toEqual({
      $case: 'textLines',
      textLines: {
        lines: [
          {
            polygon: points,
            bbox: typedLocated.bbox,
            polygonNorm: [],
            bboxNorm: undefined,
            text: 'FOUR K TEXT',
            confidence: 0.98,
            detScore: 0.9,
          },
        ],
      },
    });
  });

  it('types frame stats (the image_stats plugin), colours as r, g, b', () => {
    const m = overTheWire(frameResultMessage(record({ stats })));
    expect(m.outputs.stats.value).toEqual({
      $case: 'frameStats',
      frameStats: {
        width: 320,
        height: 240,
        brightness: 0.1176,
        contrast: 0.02,
        sharpness: 1.5,
        entropy: 0.3,
        dominantColours: [{ hex: '#1e1e1e', r: 30, g: 30, b: 30, share: 1 }],
      },
    });
  });

  it('keeps every output node apart: a pipeline with two outputs', () => {
    const m = overTheWire(frameResultMessage(record({ detect: { regions: [] }, read: { lines: [] } })));
    expect(Object.fromEntries(Object.entries(m.outputs).map(([k, v]) => [k, v.value?.$case]))).toEqual({
      detect: 'textRegions',
      read: 'textLines',
    });
  });

  it("sends a plugin's own output as custom JSON, unchanged", () => {
    const plugin = { labels: [{ name: 'cat', score: 0.8, bbox: { x: 1, y: 2, width: 3, height: 4 } }], model: 'tiny' };
    const m = overTheWire(frameResultMessage(record({ classify: plugin })));
    expect(m.outputs.classify.value).toEqual({ $case: 'custom', custom: plugin });
  });

  it.each([
    ['a built-in shape with a field the message has no place for', { lines: [{ ...line, language: 'en' }] }],
    ['a built-in shape with a field of the wrong type', { regions: [{ ...region, score: 'high' }] }],
    [
      'a polygon of two points',
      {
        regions: [
          {
            ...region,
            polygon: [
              [0, 0],
              [1, 1],
            ],
          },
        ],
      },
    ],
    ['frame stats with an extra statistic', { ...stats, noise: 0.1 }],
    ['an array', [1, 2, 3]],
    ['a number', 42],
    ['null (a tool that returned nothing)', null],
  ])('sends %s as custom, so nothing is lost', (_what, value) => {
    expect(nodeOutputMessage(value)).toEqual({ value: { $case: 'custom', custom: value } });
    const m = overTheWire(frameResultMessage(record({ out: value })));
    expect(m.outputs.out.value).toEqual({ $case: 'custom', custom: value });
  });
});

describe('gRPC text tracks', () => {
  const track: DomainTextTrack = {
    track_index: 0,
    output: 'read',
    kind: 'text',
    text: 'FRAMEWIRE 2026',
    confidence: 0.97,
    start_ms: 0,
    end_ms: 4966.667,
    first_frame: 0,
    last_frame: 140,
    frame_count: 2,
    bbox: located.bbox,
    bbox_norm: located.bbox_norm,
    boxes: [
      { frame_index: 0, pts_ms: 0, ...located, text: 'FRAMEWIRE 2026', score: 0.97 },
      { frame_index: 140, pts_ms: 4666.667, ...located, text: 'FRAMEWIRE 2O26', score: 0.6 },
    ],
  };

  it('maps a text track and a region track, and they survive the wire', () => {
    const region: DomainTextTrack = {
      ...track,
      track_index: 1,
      output: 'detect',
      kind: 'region',
      text: null,
      boxes: track.boxes.map((b) => ({ ...b, text: null })),
    };
    const m = {
      jobId: FIXTURE_JOB_ID,
      status: JobStatus.JOB_STATUS_RUNNING,
      tracks: [track, region].map(textTrackMessage),
      nextCursor: '',
      final: false,
    };
    const got = ListTracksResponse.decode(ListTracksResponse.encode(m).finish());
    expect(got).toEqual(m);
    expect(got.tracks[0]).toEqual({
      trackIndex: 0,
      output: 'read',
      kind: TextTrackKind.TEXT_TRACK_KIND_TEXT,
      text: 'FRAMEWIRE 2026',
      confidence: 0.97,
      startMs: 0,
      endMs: 4966.667,
      firstFrame: 0,
      lastFrame: 140,
      frameCount: 2,
      bbox: typedLocated.bbox,
      bboxNorm: typedLocated.bboxNorm,
      boxes: [
        { frameIndex: 0, ptsMs: 0, ...typedLocated, text: 'FRAMEWIRE 2026', score: 0.97 },
        { frameIndex: 140, ptsMs: 4666.667, ...typedLocated, text: 'FRAMEWIRE 2O26', score: 0.6 },
      ],
    });
    expect(got.tracks[1]).toMatchObject({ kind: TextTrackKind.TEXT_TRACK_KIND_REGION, text: undefined });
    expect(got.tracks[1].boxes.map((b) => b.text)).toEqual([undefined, undefined]);
  });
});
