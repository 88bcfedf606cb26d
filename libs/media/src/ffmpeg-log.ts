/**
 * Reading what ffmpeg and ffprobe write on stderr: splitting it into lines,
 * keeping a bounded tail, and turning that tail into a short reason a user
 * understands (no server paths, no `[mov,mp4 @ 0x5583...]` prefixes).
 */

/** Splits a byte stream into text lines (\n or \r separated); the last partial line waits for more. */
export class LineSplitter {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + chunk.toString();
    const parts = text.split(/\r\n|\n|\r/);
    this.pending = parts.pop() ?? '';
    for (const line of parts) if (line.length > 0) this.onLine(line);
  }

  end(): void {
    const rest = this.pending;
    this.pending = '';
    if (rest.length > 0) this.onLine(rest);
  }
}

/** The last `max` lines seen, each cut to `maxLineLength` characters. */
export class LineTail {
  private readonly lines: string[] = [];

  constructor(
    private readonly max = 40,
    private readonly maxLineLength = 500,
  ) {}

  push(line: string): void {
    this.lines.push(line.length > this.maxLineLength ? `${line.slice(0, this.maxLineLength)}…` : line);
    if (this.lines.length > this.max) this.lines.shift();
  }

  toArray(): string[] {
    return [...this.lines];
  }
}

const NOISE = [
  /^\s/, // stream details, metadata blocks
  /^(Input|Output) #\d+/,
  /^Stream mapping:/,
  /^Press \[q\]/,
  /^frame=/,
  /^video:\d+kB/,
  /^To ignore this, add a trailing '\?' to the map/,
  /^ffprobe version|^ffmpeg version|^\s*built with|^\s*configuration:/,
];

const KNOWN_CAUSES: ReadonlyArray<[RegExp, string]> = [
  [/matches no streams/, 'file has no video stream (audio only?)'],
  [/moov atom not found/, 'moov atom not found, the MP4/MOV file is incomplete'],
  [/Invalid data found when processing input/, 'invalid data found when processing input'],
  [/No such file or directory/, 'input file does not exist'],
  [/Permission denied/, 'input file is not readable'],
];

/**
 * A one-line reason from a stderr tail: a known cause when one is recognised,
 * else the last few meaningful lines. `inputPath` is scrubbed from the text.
 */
export function summarizeStderr(lines: readonly string[], inputPath: string, maxLength = 300): string {
  const meaningful = lines.filter((l) => !NOISE.some((re) => re.test(l))).map((l) => cleanLine(l, inputPath));
  for (const [pattern, cause] of KNOWN_CAUSES) {
    if (meaningful.some((l) => pattern.test(l))) return cause;
  }
  const distinct = [...new Set(meaningful.filter((l) => l.length > 0))].slice(-3);
  if (distinct.length === 0) return 'no error output';
  const text = distinct.join('; ');
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/** Strips `[demuxer @ 0x...]` tags and the input path from one log line. */
export function cleanLine(line: string, inputPath: string): string {
  let out = line.replace(/^(\[[^\]]+ @ 0x[0-9a-f]+\]\s*)+/i, '');
  for (const form of [`file:${inputPath}`, inputPath]) {
    if (form.length > 0) out = out.split(form).join('<input>');
  }
  return out.replace(/^'?<input>'?:\s*/, '').trim();
}
