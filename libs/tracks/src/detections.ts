import { z } from 'zod';
import { bboxSchema, polygonSchema } from '@framewire/contracts';
import type { BBox, Polygon, Size } from '@framewire/contracts';
import { boundsOf, normaliseBox, normalisePolygon, polygonOf } from './geometry';

/** One thing found in one sample: a line read by `ocr` (kind text) or a region of `text_regions` (kind region). */
export interface Detection {
  output: string;
  kind: 'text' | 'region';
  /** Null for regions. */
  text: string | null;
  /** Recognition confidence (text) or detection score (region). */
  score: number;
  polygon: Polygon;
  bbox: BBox;
  polygon_norm: Polygon;
  bbox_norm: BBox;
}

/**
 * Lenient reading of stored results: rows written before coordinates were
 * mapped to the source video may lack the `_norm` forms (or a bbox, or a
 * polygon); whatever is missing is derived from what is there.
 */
const located = z.object({
  polygon: polygonSchema.optional(),
  bbox: bboxSchema.optional(),
  polygon_norm: polygonSchema.optional(),
  bbox_norm: bboxSchema.optional(),
});
const lineSchema = located.extend({ text: z.string(), confidence: z.number() });
const regionSchema = located.extend({ score: z.number() });
const linesOutput = z.object({ lines: z.array(z.unknown()) });
const regionsOutput = z.object({ regions: z.array(z.unknown()) });

function geometry(
  item: z.infer<typeof located>,
  source: Size | null,
): Pick<Detection, 'polygon' | 'bbox' | 'polygon_norm' | 'bbox_norm'> | null {
  const bbox = item.bbox ?? (item.polygon ? boundsOf(item.polygon) : null);
  if (bbox === null) return null;
  const polygon = item.polygon ?? polygonOf(bbox);
  const bboxNorm = item.bbox_norm ?? (item.polygon_norm ? boundsOf(item.polygon_norm) : source ? normaliseBox(bbox, source) : bbox);
  const polygonNorm =
    item.polygon_norm ?? (source ? normalisePolygon(polygon, source) : item.bbox_norm ? polygonOf(item.bbox_norm) : polygon);
  return { polygon, bbox, polygon_norm: polygonNorm, bbox_norm: bboxNorm };
}

/**
 * The text lines and regions in one frame's result: every output node whose
 * value holds `lines` (ocr) or `regions` (text_regions), whatever the node is
 * called. Entries that are not shaped like either are skipped. `source`, when
 * known, normalises old rows that lack `_norm`; without it they stay equal to
 * the pixel forms.
 */
export function detectionsOf(result: unknown, source: Size | null = null): Detection[] {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return [];
  const out: Detection[] = [];
  for (const [output, value] of Object.entries(result as Record<string, unknown>)) {
    const lines = linesOutput.safeParse(value);
    if (lines.success) {
      for (const raw of lines.data.lines) {
        const line = lineSchema.safeParse(raw);
        const geo = line.success ? geometry(line.data, source) : null;
        if (line.success && geo) out.push({ output, kind: 'text', text: line.data.text, score: line.data.confidence, ...geo });
      }
    }
    const regions = regionsOutput.safeParse(value);
    if (regions.success) {
      for (const raw of regions.data.regions) {
        const region = regionSchema.safeParse(raw);
        const geo = region.success ? geometry(region.data, source) : null;
        if (region.success && geo) out.push({ output, kind: 'region', text: null, score: region.data.score, ...geo });
      }
    }
  }
  return out;
}
