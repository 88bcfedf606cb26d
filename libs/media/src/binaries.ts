/**
 * Where the ffmpeg and ffprobe executables live: FFMPEG_PATH / FFPROBE_PATH
 * when set, else the static builds shipped by the @ffmpeg-installer and
 * @ffprobe-installer packages. The packages are required lazily so an
 * override works even on a platform the installers do not support.
 */

interface InstallerPackage {
  path: string;
}

export function resolveFfmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  return fromEnv(env, 'FFMPEG_PATH') ?? installerPath('@ffmpeg-installer/ffmpeg');
}

export function resolveFfprobePath(env: NodeJS.ProcessEnv = process.env): string {
  return fromEnv(env, 'FFPROBE_PATH') ?? installerPath('@ffprobe-installer/ffprobe');
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
