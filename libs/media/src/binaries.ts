/**
 * Where the ffmpeg and ffprobe executables live. In order:
 * FFMPEG_PATH / FFPROBE_PATH when set; else, unless FW_DECODER=bundled, the
 * system's own pair when both are on PATH (a distribution's current build:
 * Debian's in the Docker image); else the static builds shipped by the
 * @ffmpeg-installer and @ffprobe-installer packages (a 2018 build that runs
 * anywhere). The packages are required lazily so an override works even on a
 * platform the installers do not support.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

interface InstallerPackage {
  path: string;
}

export const DECODER_CHOICES = ['auto', 'system', 'bundled'] as const;
export type DecoderChoice = (typeof DECODER_CHOICES)[number];

/** Where the pair in use came from: the variables, the system's PATH, or the npm packages. */
export type DecoderSource = 'env' | 'system' | 'bundled';

export interface DecoderBinaries {
  ffmpeg: string;
  ffprobe: string;
  source: DecoderSource;
}

export function resolveFfmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolveDecoder(env).ffmpeg;
}

export function resolveFfprobePath(env: NodeJS.ProcessEnv = process.env): string {
  return resolveDecoder(env).ffprobe;
}

const resolved = new Map<string, DecoderBinaries>();

/** The ffmpeg/ffprobe pair this process runs (looked up once per distinct setting). */
export function resolveDecoder(env: NodeJS.ProcessEnv = process.env): DecoderBinaries {
  const key = [env.FFMPEG_PATH, env.FFPROBE_PATH, env.FW_DECODER, env.PATH].join('\0');
  let hit = resolved.get(key);
  if (!hit) {
    hit = lookUp(env);
    resolved.set(key, hit);
  }
  return hit;
}

function lookUp(env: NodeJS.ProcessEnv): DecoderBinaries {
  const choice = decoderChoice(env);
  const ffmpegEnv = fromEnv(env, 'FFMPEG_PATH');
  const ffprobeEnv = fromEnv(env, 'FFPROBE_PATH');
  const system = choice === 'bundled' ? null : systemPair(env.PATH ?? '');
  if (choice === 'system' && !system && !(ffmpegEnv && ffprobeEnv)) {
    throw new Error('FW_DECODER=system, but no ffmpeg and ffprobe pair is on PATH');
  }
  const base: DecoderBinaries = system ?? {
    ffmpeg: installerPath('@ffmpeg-installer/ffmpeg'),
    ffprobe: installerPath('@ffprobe-installer/ffprobe'),
    source: 'bundled',
  };
  if (!ffmpegEnv && !ffprobeEnv) return base;
  return { ffmpeg: ffmpegEnv ?? base.ffmpeg, ffprobe: ffprobeEnv ?? base.ffprobe, source: 'env' };
}

export function decoderChoice(env: NodeJS.ProcessEnv = process.env): DecoderChoice {
  const raw = fromEnv(env, 'FW_DECODER') ?? 'auto';
  if (!(DECODER_CHOICES as readonly string[]).includes(raw)) {
    throw new Error(`FW_DECODER must be one of ${DECODER_CHOICES.join(', ')}, not "${raw}"`);
  }
  return raw as DecoderChoice;
}

/** ffmpeg and ffprobe from the same directory of PATH, the first directory that has both. */
function systemPair(path: string): DecoderBinaries | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const ffmpeg = join(dir, 'ffmpeg');
    const ffprobe = join(dir, 'ffprobe');
    if (isExecutable(ffmpeg) && isExecutable(ffprobe)) return { ffmpeg, ffprobe, source: 'system' };
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function installerPath(pkg: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe'): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const installer = require(pkg) as InstallerPackage;
  return installer.path;
}

/** What a replica reports about its decoder (GET /v1/workers). */
export interface DecoderInfo {
  source: DecoderSource;
  path: string;
  /** The version ffmpeg prints ("5.1.9-0+deb12u1", "4.1-static"…), or "unknown" when it would not say. */
  version: string;
}

const versions = new Map<string, Promise<string>>();

/** The decoder in use and its version (`ffmpeg -version`, asked once per binary). */
export async function describeDecoder(env: NodeJS.ProcessEnv = process.env): Promise<DecoderInfo> {
  const { ffmpeg, source } = resolveDecoder(env);
  let version = versions.get(ffmpeg);
  if (!version) {
    version = ffmpegVersion(ffmpeg);
    versions.set(ffmpeg, version);
  }
  return { source, path: ffmpeg, version: await version };
}

function ffmpegVersion(ffmpeg: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(ffmpeg, ['-hide_banner', '-version'], { timeout: 5000 }, (err, stdout) => {
      resolve(err ? 'unknown' : parseFfmpegVersion(String(stdout)));
    });
  });
}

/** "ffmpeg version 5.1.9-0+deb12u1 Copyright …" → "5.1.9-0+deb12u1". */
export function parseFfmpegVersion(output: string): string {
  return /ffmpeg version (\S+)/.exec(output)?.[1] ?? 'unknown';
}
