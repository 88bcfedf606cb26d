import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeyAuth } from './api-key.auth';

/** Routes that stay open when API keys are on: probes and metrics (the OpenAPI document is served outside the controllers). */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** The HTTP edge of API keys, as a global guard: it runs before any body is read. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly auth: ApiKeyAuth) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.auth.enabled) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (OPEN_PATHS.has(req.path)) return true;
    this.auth.authenticate(req.headers.authorization, header(req.headers['x-api-key']), `${req.method} ${req.path}`);
    return true;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
