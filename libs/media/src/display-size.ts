/**
 * The size of a frame as displayed: the stored size, with width and height
 * swapped for a quarter turn (either way). ffmpeg applies the rotation when
 * it decodes (autorotate), so this is the size of the decoded frames, the
 * size the limits check, and the size results are mapped to.
 */
export function displaySize(width: number, height: number, rotationDegrees: number): { width: number; height: number } {
  const quarterTurns = Math.round(rotationDegrees / 90);
  return Math.abs(quarterTurns) % 2 === 1 ? { width: height, height: width } : { width, height };
}
