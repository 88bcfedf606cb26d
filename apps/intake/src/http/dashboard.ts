import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@framewire/runtime';

/** Where the dashboard is served. */
export const DASHBOARD_PATH = '/ui';

/** The built dashboard (apps/intake/ui, compiled by `npm run build`), beside intake's compiled sources. */
export const DASHBOARD_DIR = join(__dirname, '..', '..', 'ui');

/**
 * Only what intake serves: scripts, styles and connections to this origin;
 * frame images come in as blob: URLs (fetched with the API key); box
 * positions are inline styles.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * A path the dashboard's router answers rather than a file: a GET of /ui or
 * below whose last segment has no extension (/ui/jobs/<id>, /ui/dlq). A
 * missing file (/ui/app/nope.js) stays a 404.
 */
export function isDashboardRoute(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

/**
 * Serve the dashboard's static files at /ui, and its index.html for every
 * route of its router (deep links). The files are public (no data in them),
 * like /docs; everything they show comes from the /v1 API, with its API key.
 */
export function serveDashboard(app: NestExpressApplication, logger: Logger, dir = DASHBOARD_DIR): void {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    logger.warn({ dir }, 'dashboard not built (npm run build): /ui is not served');
    return;
  }
  // The bare origin opens the dashboard.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' && req.path === '/') return res.redirect(302, `${DASHBOARD_PATH}/`);
    next();
  });
  app.use(DASHBOARD_PATH, (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  app.useStaticAssets(dir, { prefix: DASHBOARD_PATH, index: 'index.html', fallthrough: true, maxAge: 0 });
  app.use(DASHBOARD_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (!isDashboardRoute(req.method, req.originalUrl.split('?')[0])) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
