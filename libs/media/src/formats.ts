/**
 * Demuxers ffmpeg will happily "decode" that are not videos a user meant to
 * submit: text rendered as ANSI art (tty and friends, which the 2018 ffmpeg
 * picks for any *.txt file) and still images. Shared by probe and decode so
 * both refuse the same inputs with the same words.
 */

const TEXT_DEMUXERS: ReadonlySet<string> = new Set(['tty', 'bin', 'xbin', 'adf', 'idf']);
const IMAGE_DEMUXERS: ReadonlySet<string> = new Set(['image2']);

/**
 * Why the demuxer ffmpeg picked (`format_name`, possibly a comma list such
 * as "mov,mp4,m4a,3gp,3g2,mj2") means the file is not a video; null when it
 * may well be one.
 */
export function nonVideoFormatReason(formatName: string | null | undefined): string | null {
  if (!formatName) return null;
  const names = formatName.split(',').map((n) => n.trim());
  if (names.some((n) => TEXT_DEMUXERS.has(n))) return 'file is not a video (it was read as a text file)';
  if (names.some((n) => IMAGE_DEMUXERS.has(n) || n.endsWith('_pipe'))) return 'file is a still image, not a video';
  return null;
}
