import type { BBox, Polygon, Size } from '@framewire/contracts';

/** Intersection over union of two axis-aligned boxes (0 when either is empty). */
export function boxIou(a: BBox, b: BBox): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union <= 0 ? 0 : inter / union;
}

export function boundsOf(polygon: Polygon): BBox {
  const xs = polygon.map((p) => p[0]);
  const ys = polygon.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** The box's corners, clockwise from the top left. */
export function polygonOf(box: BBox): Polygon {
  return [
    [box.x, box.y],
    [box.x + box.width, box.y],
    [box.x + box.width, box.y + box.height],
    [box.x, box.y + box.height],
  ];
}

export function normaliseBox(box: BBox, size: Size): BBox {
  return { x: box.x / size.width, y: box.y / size.height, width: box.width / size.width, height: box.height / size.height };
}

export function normalisePolygon(polygon: Polygon, size: Size): Polygon {
  return polygon.map(([x, y]) => [x / size.width, y / size.height] as [number, number]);
}

/** `box` moved by `steps` times the motion from `from` to `to`. */
export function extrapolate(from: BBox, to: BBox, steps: number): BBox {
  return { x: to.x + (to.x - from.x) * steps, y: to.y + (to.y - from.y) * steps, width: to.width, height: to.height };
}
