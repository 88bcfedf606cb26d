import { z } from 'zod';

/**
 * The shapes of what jobs answer: per-frame results of the built-in
 * pipelines and the text tracks built from them. Every box and polygon here
 * is in **source-video pixels** (the video as displayed: rotation metadata
 * applied), whatever size the frame was analysed at; the `_norm` forms are
 * the same geometry divided by the source width and height (0–1).
 */

export const sizeSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type Size = z.infer<typeof sizeSchema>;

export const pointSchema = z.tuple([z.number(), z.number()]);
export const polygonSchema = z.array(pointSchema).min(3);
export type Polygon = z.infer<typeof polygonSchema>;

export const bboxSchema = z.object({
  x: z.number(),
  y: z.number(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
});
export type BBox = z.infer<typeof bboxSchema>;

/** Geometry every located thing carries: pixels of the source video, and the same normalised to 0–1. */
const located = {
  /** Clockwise from the top-left corner, source-video pixels. */
  polygon: polygonSchema,
  bbox: bboxSchema,
  polygon_norm: polygonSchema,
  bbox_norm: bboxSchema,
};

/** `text_regions` (paddleocr detect_text): one text line found, not read. */
export const textRegionSchema = z.object({
  ...located,
  /** Detection score (0–1). */
  score: z.number(),
  /** Set when the region went through classify_angle. */
  angle: z.union([z.literal(0), z.literal(180)]).optional(),
  angle_score: z.number().optional(),
});
export type TextRegionResult = z.infer<typeof textRegionSchema>;
export const textRegionsOutputSchema = z.object({ regions: z.array(textRegionSchema) });

/** `ocr` (paddleocr recognize_text): one text line read. */
export const textLineSchema = z.object({
  ...located,
  text: z.string(),
  /** Mean probability of the recognised characters (0–1). */
  confidence: z.number(),
  /** Detection score of the region (0–1). */
  det_score: z.number(),
  angle: z.union([z.literal(0), z.literal(180)]).optional(),
});
export type TextLineResult = z.infer<typeof textLineSchema>;
export const textLinesOutputSchema = z.object({ lines: z.array(textLineSchema) });

/** One of a frame's dominant colours (`frame_stats`). */
export const dominantColourSchema = z.object({
  /** `#rrggbb`: the mean colour of the pixels in this colour bin. */
  hex: z.string().regex(/^#[0-9a-f]{6}$/),
  rgb: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]),
  /** Share of the frame's pixels in this bin (0–1). */
  share: z.number().min(0).max(1),
});
export type DominantColour = z.infer<typeof dominantColourSchema>;

/** `frame_stats` (image_stats frame_stats): cheap statistics of the whole frame, no model. */
export const frameStatsSchema = z.object({
  /** The analysed frame's size (statistics have no geometry to map to the source). */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Mean luma, 0 (black) – 1 (white). */
  brightness: z.number().min(0).max(1),
  /** RMS contrast: standard deviation of luma, 0 – 0.5. */
  contrast: z.number().min(0),
  /** Standard deviation of the Laplacian of the grey image, 8-bit grey levels: 0 for a flat frame, higher is sharper. */
  sharpness: z.number().min(0),
  /** Shannon entropy of the grey histogram, bits (0 – 8). */
  entropy: z.number().min(0),
  /** Most of the frame first. */
  dominant_colours: z.array(dominantColourSchema),
});
export type FrameStatsResult = z.infer<typeof frameStatsSchema>;

/**
 * Where a frame's geometry comes from: the size the pipeline saw
 * (`analysed`, after the extractor's scaling) and the source video's size
 * (`source`, display orientation). Boxes in results are already mapped from
 * the first to the second.
 */
export const frameGeometrySchema = z.object({
  analysed: sizeSchema,
  source: sizeSchema,
});
export type FrameGeometry = z.infer<typeof frameGeometrySchema>;

/** One appearance of a track: where it was in one sampled frame. */
export const trackBoxSchema = z.object({
  frame_index: z.number().int().nonnegative(),
  pts_ms: z.number().nonnegative(),
  ...located,
  /** What was read in this frame (null for text_regions tracks). */
  text: z.string().nullable(),
  /** Recognition confidence (ocr) or detection score (text_regions) in this frame. */
  score: z.number(),
});
export type TrackBox = z.infer<typeof trackBoxSchema>;

/**
 * A text track: the same (or nearly the same) text at an overlapping place
 * over consecutive samples. `start_ms` is the first sample that showed it,
 * `end_ms` the sample after the last one that did (or the last one plus the
 * sampling interval), so `[start_ms, end_ms)` is a subtitle cue.
 */
export const textTrackSchema = z.object({
  /** Position in the job's tracks (ordered by start, then top, then left); stable across rebuilds of the same frames. */
  track_index: z.number().int().nonnegative(),
  /** The pipeline output node the track was built from (e.g. `read` for ocr, `detect` for text_regions). */
  output: z.string(),
  kind: z.enum(['text', 'region']),
  /** Consensus text (null for text_regions tracks). */
  text: z.string().nullable(),
  /** Mean recognition confidence of the frames that read the consensus text (detection score for regions). */
  confidence: z.number(),
  start_ms: z.number().nonnegative(),
  end_ms: z.number().nonnegative(),
  first_frame: z.number().int().nonnegative(),
  last_frame: z.number().int().nonnegative(),
  /** Samples the track was seen in (a missed sample inside it is not counted). */
  frame_count: z.number().int().positive(),
  /** The box of the first appearance, source-video pixels, and normalised. */
  bbox: bboxSchema,
  bbox_norm: bboxSchema,
  /** Its box in every sample it was seen in, in frame order. */
  boxes: z.array(trackBoxSchema),
});
export type TextTrack = z.infer<typeof textTrackSchema>;
